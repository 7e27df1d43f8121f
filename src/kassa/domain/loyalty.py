"""Loyalty card numbers for dataset households (issue 2 §4).

The Complete Journey identifies shoppers by ``household_id`` only; Kassa gives each one a
card number a cashier can scan or type::

    "9" + household_id zero-padded to 10 digits + Luhn check digit      (12 digits)

Luhn (ISO/IEC 7812-1 Annex B) catches every single-digit typo and most transpositions.
Distinct ids give distinct numbers because the first 11 digits *are* the id.
"""

from __future__ import annotations

from typing import Final

from kassa.domain.errors import InvalidInput

LOYALTY_PREFIX: Final = "9"
MAX_HOUSEHOLD_ID: Final = 9_999_999_999
LOYALTY_CARD_LENGTH: Final = 12


def luhn_check_digit(body: str) -> str:
    """The Luhn check digit of ``body`` (digits without the check digit).

    Raises:
        InvalidInput: code ``loyalty.invalid`` if ``body`` is empty or not all digits.
    """
    if not body or not (body.isascii() and body.isdigit()):
        raise InvalidInput(f"card body must be digits, got {body!r}", code="loyalty.invalid")
    total = 0
    for position, char in enumerate(reversed(body)):
        d = int(char)
        if position % 2 == 0:  # doubled: rightmost digit of the body is doubled
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def loyalty_card_for(household_id: int) -> str:
    """The 12-digit loyalty card number of household ``household_id``.

    ``loyalty_card_for(1) == "900000000019"``.

    Raises:
        InvalidInput: code ``loyalty.invalid`` for a non-int, negative or too large id.
    """
    if isinstance(household_id, bool) or not isinstance(household_id, int):
        raise InvalidInput(
            f"household id must be an int, got {household_id!r}", code="loyalty.invalid"
        )
    if not 0 <= household_id <= MAX_HOUSEHOLD_ID:
        raise InvalidInput(
            f"household id {household_id} out of range 0..{MAX_HOUSEHOLD_ID}",
            code="loyalty.invalid",
        )
    body = f"{LOYALTY_PREFIX}{household_id:010d}"
    return body + luhn_check_digit(body)


def validate_loyalty_card(number: str) -> str:
    """Check a typed or scanned card number; return it stripped.

    Raises:
        InvalidInput: code ``loyalty.invalid`` for wrong length, non-digits or bad check digit.
    """
    if not isinstance(number, str):
        raise InvalidInput(f"card number must be text, got {number!r}", code="loyalty.invalid")
    text = number.strip()
    if len(text) != LOYALTY_CARD_LENGTH or not (text.isascii() and text.isdigit()):
        raise InvalidInput(
            f"card number {number!r} must be {LOYALTY_CARD_LENGTH} digits", code="loyalty.invalid"
        )
    if text[-1] != luhn_check_digit(text[:-1]):
        raise InvalidInput(f"card number {text} has a wrong check digit", code="loyalty.invalid")
    return text
