"""Loyalty card numbers of households: 12 digits with a Luhn check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.errors import InvalidInput
from kassa.domain.loyalty import (
    MAX_HOUSEHOLD_ID,
    loyalty_card_for,
    luhn_check_digit,
    validate_loyalty_card,
)

households = st.integers(min_value=0, max_value=MAX_HOUSEHOLD_ID)


def test_luhn_reference_value() -> None:
    # given the textbook example 7992739871 → check digit 3
    assert luhn_check_digit("7992739871") == "3"


def test_card_of_household_1() -> None:
    assert loyalty_card_for(1) == "900000000019"
    assert validate_loyalty_card("900000000019") == "900000000019"


@given(households, households)
def test_cards_are_valid_and_distinct(a: int, b: int) -> None:
    card = loyalty_card_for(a)
    assert len(card) == 12 and validate_loyalty_card(card) == card
    assert (card == loyalty_card_for(b)) == (a == b)


@given(households, st.integers(min_value=0, max_value=11), st.integers(min_value=1, max_value=9))
def test_single_digit_typos_are_refused(household: int, position: int, delta: int) -> None:
    card = loyalty_card_for(household)
    typo = card[:position] + str((int(card[position]) + delta) % 10) + card[position + 1 :]
    with pytest.raises(InvalidInput) as info:
        validate_loyalty_card(typo)
    assert info.value.code == "loyalty.invalid"


@pytest.mark.parametrize("bad", [-1, MAX_HOUSEHOLD_ID + 1, True, "1"])
def test_ids_out_of_range_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        loyalty_card_for(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["90000000001", "9000000000190", "90000000001X", 900000000019])
def test_malformed_numbers_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        validate_loyalty_card(bad)  # type: ignore[arg-type]
