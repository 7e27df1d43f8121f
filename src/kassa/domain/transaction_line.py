"""Sale and return lines of a transaction, and the quantity rules.

Rule source: issue 2 §2, DESIGN §5. A :class:`Line` is immutable; the cart
(:class:`~kassa.domain.transaction.Transaction`) replaces a line to change it, so every
change re-checks every rule of the line.

Amounts of a line (all ``Decimal`` with two places, signed: negative for a return):

* ``gross = sign * round_money(quantity * effective_unit_price)``
* ``discount_amount = sign * discount``
* ``net = gross - discount_amount``
* ``tax = tax_for(net, tax_group)``
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from uuid import UUID

from kassa.domain.errors import InvalidInput, MoneyError, QuantityError, RuleViolation
from kassa.domain.ids import parse_id
from kassa.domain.money import MAX_AMOUNT, ZERO, from_cents, parse_amount, round_money, to_cents
from kassa.domain.tax import TaxGroup, tax_for

#: Largest quantity of one line (inclusive).
MAX_QUANTITY: Final = Decimal(100000)
#: Most decimals a quantity may have (weighed goods: 1.235 lb).
QUANTITY_DECIMALS: Final = 3


def parse_quantity(value: object) -> Decimal:
    """A line quantity: ``Decimal``, ``int`` or numeric ``str`` → normalised ``Decimal``.

    The result is > 0, <= :data:`MAX_QUANTITY`, has at most 3 decimals and no trailing zeros
    (``"2.500"`` → ``Decimal("2.5")``, ``"3.0"`` → ``Decimal("3")``). Returns are expressed
    with ``is_return``, never with a negative quantity.

    Raises:
        QuantityError: codes ``quantity.float`` (float/bool), ``quantity.invalid`` (not a
            finite number), ``quantity.not_positive``, ``quantity.too_large``,
            ``quantity.too_precise``.
    """
    if isinstance(value, bool | float):
        raise QuantityError(
            f"quantity must not be a float or bool (got {value!r}); use Decimal or a string",
            code="quantity.float",
        )
    try:
        if isinstance(value, Decimal):
            qty = value
        elif isinstance(value, int | str):
            qty = Decimal(value.strip() if isinstance(value, str) else value)
        else:
            raise InvalidOperation
    except InvalidOperation:
        raise QuantityError(f"not a quantity: {value!r}", code="quantity.invalid") from None
    if not qty.is_finite():
        raise QuantityError(f"not a quantity: {value!r}", code="quantity.invalid")
    if qty <= 0:
        raise QuantityError(f"quantity must be more than 0 (got {qty})",
                            code="quantity.not_positive")
    if qty > MAX_QUANTITY:
        raise QuantityError(f"quantity {qty} is more than the limit {MAX_QUANTITY}",
                            code="quantity.too_large")
    if qty != qty.quantize(Decimal(1).scaleb(-QUANTITY_DECIMALS)):
        raise QuantityError(f"quantity {qty} has more than {QUANTITY_DECIMALS} decimals",
                            code="quantity.too_precise")
    if qty == qty.to_integral_value():
        return qty.quantize(Decimal(1))
    return qty.normalize()


@dataclass(frozen=True, slots=True)
class Line:
    """One sale or return line.

    Attributes:
        id: UUIDv7 made when the line was added.
        product_id: dataset product id.
        name: product name at the time of sale (receipts never look it up again).
        barcode: barcode scanned or looked up (may be empty for a keyed line).
        unit_price: shelf price per unit, >= 0, two places.
        quantity: > 0, <= 100000, <= 3 decimals (see :func:`parse_quantity`).
        tax_group: the group and rate in force when the line was added.
        is_return: True for a return line: every amount of the line is negative.
        price_override: overriding unit price (>= 0) or ``None``; ``unit_price`` keeps the
            original for the audit.
        discount: line discount as a positive amount of money, <= |gross|.
        voided: voided lines stay in the transaction for the audit but count for nothing.
        original_transaction_id: for a return, the sale it returns from (if known).

    Raises:
        MoneyError, QuantityError: for bad amounts or quantities (codes as in
            :mod:`kassa.domain.money` and :func:`parse_quantity`); ``money.too_large`` when
            the gross exceeds ``MAX_AMOUNT``.
        RuleViolation: code ``discount.exceeds_gross``.
        InvalidInput: code ``line.invalid`` for a bad id, product id, name or tax group.
    """

    id: UUID
    product_id: int
    name: str
    barcode: str
    unit_price: Decimal
    quantity: Decimal
    tax_group: TaxGroup
    is_return: bool = False
    price_override: Decimal | None = None
    discount: Decimal = ZERO
    voided: bool = False
    original_transaction_id: UUID | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, UUID):
            raise InvalidInput(f"line id must be a UUID (got {self.id!r})", code="line.invalid")
        if isinstance(self.product_id, bool) or not isinstance(self.product_id, int):
            raise InvalidInput(f"product id must be an int (got {self.product_id!r})",
                               code="line.invalid")
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput("a line needs a product name", code="line.invalid")
        if not isinstance(self.barcode, str):
            raise InvalidInput("barcode must be a string", code="line.invalid")
        if not isinstance(self.tax_group, TaxGroup):
            raise InvalidInput("a line needs a TaxGroup", code="line.invalid")
        if not isinstance(self.is_return, bool) or not isinstance(self.voided, bool):
            raise InvalidInput("is_return and voided must be bool", code="line.invalid")
        if self.original_transaction_id is not None and not self.is_return:
            raise InvalidInput("only a return line names an original transaction",
                               code="line.invalid")
        set_ = object.__setattr__
        set_(self, "unit_price", parse_amount(self.unit_price))
        set_(self, "quantity", parse_quantity(self.quantity))
        if self.price_override is not None:
            set_(self, "price_override", parse_amount(self.price_override))
        set_(self, "discount", parse_amount(self.discount))
        gross = abs(self.gross)
        if gross > MAX_AMOUNT:
            raise MoneyError(f"line amount {gross} is larger than the limit {MAX_AMOUNT}",
                             code="money.too_large")
        if self.discount > gross:
            raise RuleViolation(
                f"discount {self.discount} is more than the line amount {gross}",
                code="discount.exceeds_gross",
                details={"line_id": str(self.id), "discount": str(self.discount),
                         "gross": str(gross)},
            )

    @property
    def sign(self) -> Decimal:
        """``Decimal(1)`` for a sale line, ``Decimal(-1)`` for a return line."""
        return Decimal(-1) if self.is_return else Decimal(1)

    @property
    def signed_quantity(self) -> Decimal:
        """Quantity with the line's sign (negative for a return)."""
        return self.sign * self.quantity

    @property
    def effective_unit_price(self) -> Decimal:
        """The override if set, else the unit price."""
        return self.unit_price if self.price_override is None else self.price_override

    @property
    def gross(self) -> Decimal:
        """``sign * round_money(quantity * effective_unit_price)``, two places."""
        return self.sign * round_money(self.quantity * self.effective_unit_price)

    @property
    def discount_amount(self) -> Decimal:
        """The discount with the line's sign."""
        return self.sign * self.discount

    @property
    def net(self) -> Decimal:
        """``gross - discount_amount``: what the line costs before tax."""
        return self.gross - self.discount_amount

    @property
    def tax(self) -> Decimal:
        """``tax_for(net, tax_group)``."""
        return tax_for(self.net, self.tax_group)

    def to_record(self) -> dict[str, Any]:
        """The line as JSON-able primitives (part of transaction record format 1).

        Money is integer cents (``*_cents``), the quantity a string; ``gross_cents``,
        ``net_cents`` and ``tax_cents`` are derived and checked again on reading.
        """
        return {
            "id": str(self.id),
            "product_id": self.product_id,
            "name": self.name,
            "barcode": self.barcode,
            "unit_price_cents": to_cents(self.unit_price),
            "quantity": str(self.quantity),
            "is_return": self.is_return,
            "price_override_cents": (
                None if self.price_override is None else to_cents(self.price_override)
            ),
            "discount_cents": to_cents(self.discount),
            "tax_group_id": self.tax_group.id,
            "tax_group_name": self.tax_group.name,
            "tax_rate_bp": self.tax_group.basis_points,
            "voided": self.voided,
            "original_transaction_id": (
                None if self.original_transaction_id is None
                else str(self.original_transaction_id)
            ),
            "gross_cents": to_cents(self.gross),
            "net_cents": to_cents(self.net),
            "tax_cents": to_cents(self.tax),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Line:
        """Inverse of :meth:`to_record`.

        Raises:
            InvalidInput: code ``record.invalid`` for a missing/mistyped field or derived
                amounts that do not match; the line's own errors for bad values.
        """
        try:
            override = record["price_override_cents"]
            original = record["original_transaction_id"]
            line = cls(
                id=parse_id(record["id"], "line id"),
                product_id=record["product_id"],
                name=record["name"],
                barcode=record["barcode"],
                unit_price=from_cents(record["unit_price_cents"]),
                quantity=parse_quantity(_text(record["quantity"])),
                tax_group=TaxGroup.from_basis_points(
                    record["tax_group_id"], record["tax_group_name"], record["tax_rate_bp"]),
                is_return=record["is_return"],
                price_override=None if override is None else from_cents(override),
                discount=from_cents(record["discount_cents"]),
                voided=record["voided"],
                original_transaction_id=(
                    None if original is None else parse_id(original, "original transaction id")
                ),
            )
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"bad line record: {exc!r}", code="record.invalid") from exc
        for key, value in (("gross_cents", line.gross), ("net_cents", line.net),
                           ("tax_cents", line.tax)):
            if key in record and record[key] != to_cents(value):
                raise InvalidInput(
                    f"line {line.id}: {key} {record[key]} does not match {to_cents(value)}",
                    code="record.invalid",
                )
        return line


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value
