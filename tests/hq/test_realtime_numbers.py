"""Card numbers (issue 5): 16 digits, kind prefix, Luhn check digit catching typos."""

from __future__ import annotations

import pytest

from kassa.domain.errors import InvalidInput
from kassa.domain.giftcard import CardKind
from kassa.hq.realtime.numbers import format_number, luhn_check_digit, new_number, normalise_number


def test_known_luhn_values() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert normalise_number("4111 1111 1111 1111") == "4111111111111111"


@pytest.mark.parametrize(
    ("kind", "prefix"), [(CardKind.GIFT_CARD, "6"), (CardKind.CREDIT_MEMO, "7")]
)
def test_new_numbers_are_valid_random_and_carry_their_kind(kind: CardKind, prefix: str) -> None:
    numbers = {new_number(kind) for _ in range(500)}
    assert len(numbers) == 500
    for n in numbers:
        assert len(n) == 16 and n.startswith(prefix) and normalise_number(n) == n
        assert normalise_number(format_number(n)) == n
        assert normalise_number(f"{n[:4]}-{n[4:8]}-{n[8:12]}-{n[12:]}") == n


def test_every_single_digit_typo_and_neighbour_swap_is_caught() -> None:
    n = new_number(CardKind.GIFT_CARD)
    for i in range(16):
        for d in "0123456789":
            if d != n[i]:
                with pytest.raises(InvalidInput) as typo:
                    normalise_number(n[:i] + d + n[i + 1:])
                assert typo.value.code == "giftcard.number_invalid"
    for i in range(15):
        swapped = n[:i] + n[i + 1] + n[i] + n[i + 2:]
        if swapped != n and {n[i], n[i + 1]} != {"0", "9"}:  # Luhn's one blind spot
            with pytest.raises(InvalidInput):
                normalise_number(swapped)


@pytest.mark.parametrize("bad", ["", "123", "60000000000000071", "6000-0000-0000-000x", None, 6])
def test_malformed_numbers_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_number(bad)
    assert refused.value.code == "giftcard.number_invalid"
