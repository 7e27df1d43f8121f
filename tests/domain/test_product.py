"""Products and prices (issue 2 §2, DESIGN §9)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kassa.domain.errors import InvalidInput, MoneyError
from kassa.domain.product import Price, Product, display_name


def product(**changes: Any) -> Product:
    fields: dict[str, Any] = {
        "id": 26190, "name": "FRUIT - SHELF STABLE · APPLE SAUCE 50 OZ (Private)",
        "department": "GROCERY", "brand": "Private", "category": "FRUIT - SHELF STABLE",
        "product_type": "APPLE SAUCE", "package_size": "50 OZ", "barcode": "400000261904",
        "unit_of_measure": "each", "tax_group_id": "FOOD", "manufacturer_id": 69,
    }
    fields.update(changes)
    return Product(**fields)


def test_display_name_from_category_type_size_and_brand() -> None:
    name = display_name(1, department="GROCERY", category="COLD CEREAL",
                        product_type="ALL FAMILY CEREAL", package_size="14 OZ", brand="National")
    assert name == "COLD CEREAL · ALL FAMILY CEREAL 14 OZ (National)"


def test_display_name_shows_a_type_equal_to_its_category_once() -> None:
    assert display_name(31349, category="BUTTER", product_type="BUTTER",
                        package_size="16 OZ", brand="National") == "BUTTER 16 OZ (National)"


def test_display_name_without_size() -> None:
    assert display_name(26093, category="BREAD", product_type="BREAD:ITALIAN/FRENCH",
                        brand="Private") == "BREAD · BREAD:ITALIAN/FRENCH (Private)"


def test_display_name_falls_back_to_department_then_to_id() -> None:
    # given a dataset row with only a department and a brand (product 26081)
    assert display_name(26081, department="MISCELLANEOUS", brand="National") == (
        "MISCELLANEOUS (National)"
    )
    # and a row with nothing descriptive at all
    assert display_name(26081, brand="National", package_size="1 CT") == "Product 26081"
    assert display_name(5) == "Product 5"


def test_display_name_ignores_blanks_and_squeezes_spaces() -> None:
    assert display_name(7, department="  ", category=" SOFT  DRINKS ", product_type="",
                        package_size=" ", brand=None) == "SOFT DRINKS"


def test_product_is_frozen_and_valid() -> None:
    p = product()
    assert p.tax_group_id == "FOOD"
    assert not p.is_weighed
    assert product(unit_of_measure="lb").is_weighed
    with pytest.raises(AttributeError):
        p.name = "x"


@pytest.mark.parametrize(
    "changes",
    [
        {"id": -1},
        {"id": True},
        {"name": "  "},
        {"barcode": "12345"},
        {"barcode": "40000026190A"},
        {"barcode": "1" * 15},
        {"unit_of_measure": "bushel"},
        {"tax_group_id": ""},
        {"manufacturer_id": "69"},
    ],
)
def test_product_refuses_bad_fields(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as err:
        product(**changes)
    assert err.value.code == "product.invalid"


def test_product_optional_text_may_be_missing() -> None:
    p = product(department=None, brand=None, category=None, product_type=None,
                package_size=None, manufacturer_id=None)
    assert p.manufacturer_id is None


def test_price_is_whole_cents_and_positive() -> None:
    price = Price(26190, Decimal("2.5"))
    assert price.amount == Decimal("2.50")
    assert price.amount_cents == 250
    assert Price.from_cents(26190, 199) == Price(26190, Decimal("1.99"))
    assert Price(1, "3") == Price(1, Decimal("3.00"))


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (Decimal("0"), "price.not_positive"),
        (Decimal("-1.00"), "money.negative"),
        (Decimal("1.999"), "money.sub_cent"),
        (1.99, "money.float"),
        (Decimal("10000000.01"), "money.too_large"),
    ],
)
def test_price_refuses_bad_amounts(amount: Any, code: str) -> None:
    with pytest.raises(MoneyError) as err:
        Price(1, amount)
    assert err.value.code == code


def test_price_refuses_bad_product_id() -> None:
    with pytest.raises(InvalidInput):
        Price(-5, Decimal("1.00"))
