"""Card numbers of gift cards and credit memos: 16 digits, the last a Luhn check digit.

A number is a bearer credential, so it is random: a kind prefix digit (``6`` gift card,
``7`` credit memo), 14 digits from :mod:`secrets` (10^14 possibilities per kind) and the
Luhn check digit, so that a mistyped digit or a swap of two neighbours is caught at the till
before HQ is asked. ``format_number`` groups it for people (``6012 3456 7890 1234``).
"""

from __future__ import annotations

import secrets
from typing import Final

from kassa.domain.errors import InvalidInput
from kassa.domain.giftcard import CardKind

LENGTH: Final = 16
PREFIX: Final = {CardKind.GIFT_CARD: "6", CardKind.CREDIT_MEMO: "7"}


def luhn_check_digit(body: str) -> str:
    """The Luhn digit to append to the decimal string ``body`` (``"7992739871"`` → ``"3"``)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # the digit next to the check digit is doubled
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def new_number(kind: CardKind) -> str:
    """A fresh random card number of ``kind`` (16 digits, valid check digit)."""
    body = PREFIX[CardKind(kind)] + "".join(
        secrets.choice("0123456789") for _ in range(LENGTH - 2)
    )
    return body + luhn_check_digit(body)


def normalise_number(text: object) -> str:
    """The 16-digit number typed or scanned as ``text`` (spaces and dashes ignored).

    Raises:
        InvalidInput: ``giftcard.number_invalid`` — not 16 digits, or a wrong check digit
            (a mistyped number; 422, not "unknown card").
    """
    raw = "".join(str(text).split()).replace("-", "") if isinstance(text, str) else ""
    if len(raw) != LENGTH or not raw.isdigit():
        raise InvalidInput(
            f"a card number has {LENGTH} digits (got {str(text)[:40]!r})",
            code="giftcard.number_invalid",
        )
    if luhn_check_digit(raw[:-1]) != raw[-1]:
        raise InvalidInput(
            f"card number {raw} has a wrong check digit; it was probably mistyped",
            code="giftcard.number_invalid",
        )
    return raw


def format_number(number: str) -> str:
    """``"6012345678901234"`` → ``"6012 3456 7890 1234"``."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
