"""Barcodes: GTIN check digits, validation, and the UPC-A Kassa gives dataset products.

The Complete Journey has no barcodes, so every product gets a UPC-A (GTIN-12) derived from
its id (issue 2 §4)::

    "4" + product_id zero-padded to 10 digits + GS1 check digit      (12 digits)

Number-system digit ``4`` is the GS1 US prefix reserved for in-store / retailer-assigned
codes, so these never clash with a manufacturer's code. Ten id digits cover every id below
10¹⁰ (dataset ids go up to 18,316,298), and distinct ids give distinct codes because the
first 11 digits *are* the id.

Check digit (GS1 General Specifications §7.9.1): weight the digits 3, 1, 3, … from the
right (excluding the check digit), sum, and take ``(10 - sum % 10) % 10``.
"""

from __future__ import annotations

from typing import Final

from kassa.domain.errors import InvalidInput

#: GS1 number-system digit for retailer-assigned (in-store) UPC-A codes.
UPC_PREFIX: Final = "4"
#: Largest product id that fits the 10 id digits of :func:`upc_a_from_id`.
MAX_PRODUCT_ID: Final = 9_999_999_999
#: Accepted GTIN lengths: GTIN-8 (EAN-8), GTIN-12 (UPC-A), GTIN-13 (EAN-13), GTIN-14.
GTIN_LENGTHS: Final = frozenset({8, 12, 13, 14})


def gtin_check_digit(body: str) -> str:
    """The GS1 check digit for ``body`` (the GTIN without its last digit), as one character.

    ``gtin_check_digit("03600029145") == "2"`` (UPC-A 036000291452).

    Raises:
        InvalidInput: code ``barcode.invalid`` if ``body`` is empty or not all ASCII digits.
    """
    if not body or not (body.isascii() and body.isdigit()):
        raise InvalidInput(f"barcode body must be digits, got {body!r}", code="barcode.invalid")
    raw = body.encode("ascii")
    tripled, single = raw[::-1][::2], raw[::-1][1::2]  # from the right: weight 3, 1, 3, …
    total = 3 * (sum(tripled) - 48 * len(tripled)) + sum(single) - 48 * len(single)
    return str((10 - total % 10) % 10)


def upc_a_from_id(product_id: int) -> str:
    """The 12-digit UPC-A Kassa assigns to dataset product ``product_id``.

    Deterministic and injective on ``0 ≤ product_id ≤ MAX_PRODUCT_ID``:
    ``upc_a_from_id(25671) == "400000256719"``.

    Raises:
        InvalidInput: code ``barcode.invalid`` for a non-int, negative or too large id.
    """
    if isinstance(product_id, bool) or not isinstance(product_id, int):
        raise InvalidInput(f"product id must be an int, got {product_id!r}", code="barcode.invalid")
    if not 0 <= product_id <= MAX_PRODUCT_ID:
        raise InvalidInput(
            f"product id {product_id} does not fit a UPC-A (0..{MAX_PRODUCT_ID})",
            code="barcode.invalid",
        )
    body = f"{UPC_PREFIX}{product_id:010d}"
    return body + gtin_check_digit(body)


def validate_gtin(code: str) -> str:
    """Check a scanned or typed GTIN and return it without surrounding whitespace.

    Accepts 8, 12, 13 or 14 ASCII digits whose last digit is the GS1 check digit. The code
    is returned as given (no padding to GTIN-14), so it matches the stored barcode.

    Raises:
        InvalidInput: code ``barcode.invalid`` for non-strings, other lengths, non-digits or
            a wrong check digit (the message says which).
    """
    if not isinstance(code, str):
        raise InvalidInput(f"barcode must be text, got {code!r}", code="barcode.invalid")
    text = code.strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(f"barcode {code!r} must contain only digits", code="barcode.invalid")
    if len(text) not in GTIN_LENGTHS:
        raise InvalidInput(
            f"barcode {text} has {len(text)} digits; a GTIN has 8, 12, 13 or 14",
            code="barcode.invalid",
        )
    expected = gtin_check_digit(text[:-1])
    if text[-1] != expected:
        raise InvalidInput(
            f"barcode {text} has check digit {text[-1]}, expected {expected}",
            code="barcode.invalid",
        )
    return text
