"""Money rules (DESIGN §5, issue 2): Decimal only, half-up to cents, integer cents in storage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.errors import MoneyError
from kassa.domain.money import (
    MAX_AMOUNT,
    format_money,
    from_cents,
    parse_amount,
    round_money,
    to_cents,
    to_decimal,
)


@pytest.mark.parametrize(
    ("given_value", "expected"),
    [
        ("0.125", "0.13"),
        ("0.124", "0.12"),
        ("-0.125", "-0.13"),
        ("-0.124", "-0.12"),
        ("2.675", "2.68"),
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),
        ("1", "1.00"),
        (7, "7.00"),
    ],
)
def test_round_money_is_half_up_away_from_zero(given_value: str | int, expected: str) -> None:
    # when
    result = round_money(Decimal(given_value) if isinstance(given_value, str) else given_value)
    # then
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -2


def test_round_money_accepts_numeric_strings() -> None:
    assert round_money("1.005") == Decimal("1.01")


@pytest.mark.parametrize("bad", [0.1, 1.0, True, float("nan")])
def test_floats_and_bools_never_meet_money(bad: object) -> None:
    for fn in (round_money, to_cents, to_decimal, parse_amount):
        with pytest.raises(MoneyError) as err:
            fn(bad)
        assert err.value.code == "money.float"


@pytest.mark.parametrize("bad", ["abc", "", "1,00", None, object()])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(MoneyError) as err:
        to_decimal(bad)
    assert err.value.code == "money.not_a_number"


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), "-inf"])
def test_non_finite_is_refused(bad: object) -> None:
    with pytest.raises(MoneyError) as err:
        to_decimal(bad)
    assert err.value.code == "money.not_finite"


def test_to_cents_of_whole_cents() -> None:
    assert to_cents(Decimal("12.34")) == 1234
    assert to_cents(Decimal("-0.01")) == -1
    assert to_cents(Decimal("5")) == 500
    assert to_cents("0.10") == 10


def test_to_cents_refuses_fractions_of_a_cent() -> None:
    with pytest.raises(MoneyError) as err:
        to_cents(Decimal("0.125"))
    assert err.value.code == "money.sub_cent"


def test_from_cents_gives_two_places() -> None:
    assert from_cents(1234) == Decimal("12.34")
    assert str(from_cents(5)) == "0.05"
    assert str(from_cents(-100)) == "-1.00"


@pytest.mark.parametrize("bad", [1.5, "12", True, Decimal(1)])
def test_from_cents_needs_an_int(bad: object) -> None:
    with pytest.raises(MoneyError) as err:
        from_cents(bad)
    assert err.value.code == "money.cents_type"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_cents_round_trip(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents


@given(st.decimals(min_value=-10**6, max_value=10**6, places=4))
def test_round_money_is_within_half_a_cent(value: Decimal) -> None:
    rounded = round_money(value)
    assert abs(rounded - value) <= Decimal("0.005")
    assert round_money(rounded) == rounded
    assert round_money(-value) == -rounded


def test_parse_amount_rules() -> None:
    assert parse_amount("3.5") == Decimal("3.50")
    assert parse_amount(" 3 ") == Decimal("3.00")
    assert parse_amount("-2.00", allow_negative=True) == Decimal("-2.00")
    for bad, code in [
        ("1.001", "money.sub_cent"),
        ("-1", "money.negative"),
        (MAX_AMOUNT + 1, "money.too_large"),
    ]:
        with pytest.raises(MoneyError) as err:
            parse_amount(bad)
        assert err.value.code == code


def test_format_money() -> None:
    assert format_money(Decimal("-3.5")) == "-$3.50"
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_money(Decimal("0"), symbol="€") == "€0.00"
