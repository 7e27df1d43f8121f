"""Products and prices (HQ job 1040: products & prices & barcodes).

Rule source: issue 2 §2, DESIGN §9. Product ids are The Complete Journey's ``product_id``
kept as they are. The data has no product names, so :func:`display_name` builds one from
category, type, package size and brand (e.g. ``"COLD CEREAL · ALL FAMILY CEREAL 14 OZ
(National)"``), falling back to the department and finally to ``"Product <id>"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from kassa.domain.errors import InvalidInput, MoneyError
from kassa.domain.money import from_cents, parse_amount, to_cents

#: Units a product can be sold in. ``each`` = counted pieces; the others are weighed/measured
#: and may have fractional quantities (at most 3 decimals, see ``kassa.domain.transaction``).
UNITS_OF_MEASURE: Final = frozenset({"each", "lb", "kg", "oz", "g", "gal", "l"})


def _clean(value: str | None) -> str | None:
    """Strip blanks; empty text becomes ``None``."""
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


def display_name(
    product_id: int,
    *,
    department: str | None = None,
    category: str | None = None,
    product_type: str | None = None,
    package_size: str | None = None,
    brand: str | None = None,
) -> str:
    """A readable name for a product that has none.

    Shape: ``"<category> · <type> <package size> (<brand>)"``; a type equal to its category is
    shown once; without category and type the department stands in; with none of the three
    the result is ``"Product <id>"`` (package size and brand alone do not make a name).
    """
    words = []
    for part in (_clean(category), _clean(product_type)):
        if part is not None and part not in words:
            words.append(part)
    if not words:
        dept = _clean(department)
        if dept is None:
            return f"Product {product_id}"
        words.append(dept)
    name = " · ".join(words)
    size = _clean(package_size)
    if size is not None:
        name = f"{name} {size}"
    label = _clean(brand)
    if label is not None:
        name = f"{name} ({label})"
    return name


def _check_id(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{what} must be a non-negative int (got {value!r})",
                           code="product.invalid")
    return value


@dataclass(frozen=True, slots=True)
class Product:
    """A sellable item of the catalogue.

    Attributes:
        id: dataset product id (int, kept as is).
        name: display name, never empty (see :func:`display_name`).
        department, brand, category, product_type, package_size: descriptive text or ``None``.
        barcode: GTIN as digits (8-14); check-digit validation belongs to
            ``kassa.domain.barcode``.
        unit_of_measure: one of :data:`UNITS_OF_MEASURE` (``"each"``, ``"lb"`` …).
        tax_group_id: id of a :class:`~kassa.domain.tax.TaxGroup` (``"FOOD"``, ``"STANDARD"``).
        manufacturer_id: dataset manufacturer id or ``None``.

    Raises:
        InvalidInput: code ``product.invalid`` naming the bad field.
    """

    id: int
    name: str
    department: str | None
    brand: str | None
    category: str | None
    product_type: str | None
    package_size: str | None
    barcode: str
    unit_of_measure: str
    tax_group_id: str
    manufacturer_id: int | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "product id")
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput(f"product {self.id}: name must not be empty", code="product.invalid")
        code = self.barcode
        if not isinstance(code, str) or not code.isdigit() or not 8 <= len(code) <= 14:
            raise InvalidInput(
                f"product {self.id}: barcode must be 8-14 digits (got {code!r})",
                code="product.invalid",
            )
        if self.unit_of_measure not in UNITS_OF_MEASURE:
            raise InvalidInput(
                f"product {self.id}: unknown unit of measure {self.unit_of_measure!r}; "
                f"expected one of {sorted(UNITS_OF_MEASURE)}",
                code="product.invalid",
            )
        if not isinstance(self.tax_group_id, str) or not self.tax_group_id:
            raise InvalidInput(f"product {self.id}: tax group missing", code="product.invalid")
        if self.manufacturer_id is not None:
            _check_id(self.manufacturer_id, "manufacturer id")

    @property
    def is_weighed(self) -> bool:
        """True when sold by weight/volume (fractional quantities make sense)."""
        return self.unit_of_measure != "each"


@dataclass(frozen=True, slots=True)
class Price:
    """The shelf price of a product.

    Attributes:
        product_id: the product's id.
        amount: price per unit of measure, ``Decimal`` with two places, > 0.

    Raises:
        MoneyError: codes ``money.float``, ``money.sub_cent``, ``money.too_large``,
            ``money.negative``; ``price.not_positive`` for zero.
        InvalidInput: code ``product.invalid`` for a bad product id.
    """

    product_id: int
    amount: Decimal

    def __post_init__(self) -> None:
        _check_id(self.product_id, "product id")
        amount = parse_amount(self.amount)
        if amount <= 0:
            raise MoneyError(
                f"price of product {self.product_id} must be > 0 (got {amount})",
                code="price.not_positive",
            )
        object.__setattr__(self, "amount", amount)

    @property
    def amount_cents(self) -> int:
        """The price in integer cents (storage form)."""
        return to_cents(self.amount)

    @classmethod
    def from_cents(cls, product_id: int, cents: int) -> Price:
        """Build from integer cents as stored (``price_cents`` columns)."""
        return cls(product_id, from_cents(cents))
