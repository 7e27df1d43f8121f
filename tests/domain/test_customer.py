"""Customers and loyalty cards (issue 2 §2)."""

from __future__ import annotations

import pytest

from kassa.domain.customer import (
    Customer,
    customer_name_for,
    household_id_from_loyalty_card,
    loyalty_card_for,
    validate_loyalty_card,
)
from kassa.domain.errors import InvalidInput


def test_loyalty_card_is_twelve_digits_deterministic_and_distinct() -> None:
    cards = [loyalty_card_for(h) for h in range(1, 2500)]
    assert all(len(c) == 12 and c.isdigit() for c in cards)
    assert len(set(cards)) == len(cards)
    assert loyalty_card_for(1234) == loyalty_card_for(1234)


def test_loyalty_card_round_trips_to_household() -> None:
    for household in (0, 1, 2499, 9_999_999_999):
        card = loyalty_card_for(household)
        assert validate_loyalty_card(f" {card} ") == card
        assert household_id_from_loyalty_card(card) == household


def test_a_typo_in_a_loyalty_card_is_caught() -> None:
    card = loyalty_card_for(1001)
    for i in range(12):
        wrong = card[:i] + str((int(card[i]) + 1) % 10) + card[i + 1:]
        with pytest.raises(InvalidInput):
            validate_loyalty_card(wrong)


@pytest.mark.parametrize("bad", [-1, 10**10, True, "12"])
def test_loyalty_card_for_refuses_bad_household(bad: object) -> None:
    with pytest.raises(InvalidInput):
        loyalty_card_for(bad)


def test_customer_for_household() -> None:
    # given a dataset household with demographics
    c = Customer.for_household(1001, age="45-54", income="50-74K", kids_count="0")
    # then
    assert c.name == customer_name_for(1001) == "Household 1001"
    assert c.loyalty_card == loyalty_card_for(1001)
    assert c.has_demographics
    assert not Customer.for_household(7).has_demographics


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"id": -1}, "customer.invalid"),
        ({"name": " "}, "customer.invalid"),
        ({"loyalty_card": "123456789012"}, "loyalty.invalid"),
    ],
)
def test_customer_refuses_bad_fields(fields: dict[str, object], code: str) -> None:
    base: dict[str, object] = {"id": 1, "name": "Household 1", "loyalty_card": loyalty_card_for(1)}
    base.update(fields)
    with pytest.raises(InvalidInput) as err:
        Customer(**base)
    assert err.value.code == code
