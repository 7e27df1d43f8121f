"""Sale and return lines of a transaction, and the quantity rules.

Rule source: issue 2 §2, DESIGN §5. A :class:`Line` is immutable; the cart
(:class:`~kassa.domain.transaction.Transaction`) replaces a line to change it, so every
change re-checks every rule of the line.

Amounts of a line (all ``Decimal`` with two places, signed: negative for a return):

* ``gross = sign * round_money(quantity * effective_unit_price)``
* ``discount_amount = sign * discount``
* ``net = gross - discount_amount``
* ``tax = tax_for(net, tax_group)``

They are computed once, when the line is made (every change makes a new line), and kept on
it; reading them costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from uuid import UUID

from kassa.domain.errors import InvalidInput, MoneyError, QuantityError, RuleViolation
from kassa.domain.ids import parse_id
from kassa.domain.money import MAX_AMOUNT, ZERO, round_money
from kassa.domain.tax import TaxGroup, tax_for
from kassa.domain.transaction_line_values import (
    cents_amount,
    line_amount,
    record_tax_group,
    record_text,
)

#: Largest quantity of one line (inclusive).
MAX_QUANTITY: Final = Decimal(100000)
#: Most decimals a quantity may have (weighed goods: 1.235 lb).
QUANTITY_DECIMALS: Final = 3

_UNIT: Final = Decimal(1)
_QUANTITY_QUANTUM: Final = _UNIT.scaleb(-QUANTITY_DECIMALS)
_SALE: Final = _UNIT
_RETURN: Final = Decimal(-1)
_HUNDRED: Final = Decimal(100)
#: Quantities already parsed, by text or by ``Decimal`` value: the result depends on nothing
#: else, a ``Decimal`` is immutable, and baskets repeat the same few quantities ("1", "2").
_QUANTITIES: dict[str | Decimal, Decimal] = {}
_QUANTITIES_KEPT: Final = 4096
_QUANTITY_TEXT_KEPT: Final = 16


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
    if (type(value) is Decimal and value.is_finite()) or (
            type(value) is str and len(value) <= _QUANTITY_TEXT_KEPT):
        qty = _QUANTITIES.get(value)
        if qty is None:
            qty = _parse_quantity(value)
            if len(_QUANTITIES) < _QUANTITIES_KEPT:
                _QUANTITIES[value] = qty
        return qty
    return _parse_quantity(value)


def _parse_quantity(value: object) -> Decimal:
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
    if qty != qty.quantize(_QUANTITY_QUANTUM):
        raise QuantityError(f"quantity {qty} has more than {QUANTITY_DECIMALS} decimals",
                            code="quantity.too_precise")
    if qty == qty.to_integral_value():
        return qty.quantize(_UNIT)
    return qty.normalize()


@dataclass(frozen=True, slots=True, init=False)
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

    The amounts (:attr:`gross`, :attr:`discount_amount`, :attr:`net`, :attr:`tax`) are
    computed once in the constructor (a line never changes) and take no part in ``==``,
    ``hash`` or ``repr``. The constructor is written out (``init=False``): it checks its
    arguments, then stores each field once through the slot (a frozen dataclass' own
    ``__init__`` stores every field with ``object.__setattr__``, and the checks store the
    parsed values a second time — that was most of the cost of a line).

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
    #: ``(gross, discount_amount, net, tax)``, set by the constructor.
    _amounts: tuple[Decimal, Decimal, Decimal, Decimal] = field(
        init=False, repr=False, compare=False)
    #: What :meth:`to_record` gives, when :meth:`from_record` read exactly that (else None).
    _record: dict[str, Any] | None = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        id: UUID,
        product_id: int,
        name: str,
        barcode: str,
        unit_price: Decimal,
        quantity: Decimal,
        tax_group: TaxGroup,
        is_return: bool = False,
        price_override: Decimal | None = None,
        discount: Decimal = ZERO,
        voided: bool = False,
        original_transaction_id: UUID | None = None,
    ) -> None:
        if not isinstance(id, UUID):
            raise InvalidInput(f"line id must be a UUID (got {id!r})", code="line.invalid")
        if isinstance(product_id, bool) or not isinstance(product_id, int):
            raise InvalidInput(f"product id must be an int (got {product_id!r})",
                               code="line.invalid")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("a line needs a product name", code="line.invalid")
        if not isinstance(barcode, str):
            raise InvalidInput("barcode must be a string", code="line.invalid")
        if not isinstance(tax_group, TaxGroup):
            raise InvalidInput("a line needs a TaxGroup", code="line.invalid")
        if not isinstance(is_return, bool) or not isinstance(voided, bool):
            raise InvalidInput("is_return and voided must be bool", code="line.invalid")
        if original_transaction_id is not None and not is_return:
            raise InvalidInput("only a return line names an original transaction",
                               code="line.invalid")
        unit_price = line_amount(unit_price)
        quantity = parse_quantity(quantity)
        if price_override is not None:
            price_override = line_amount(price_override)
        discount = line_amount(discount)
        # the amounts (module docstring), computed once for the life of the line
        sign = _RETURN if is_return else _SALE
        price = unit_price if price_override is None else price_override
        gross = sign * round_money(quantity * price)
        size = abs(gross)
        if size > MAX_AMOUNT:
            raise MoneyError(f"line amount {size} is larger than the limit {MAX_AMOUNT}",
                             code="money.too_large")
        if discount > size:
            raise RuleViolation(
                f"discount {discount} is more than the line amount {size}",
                code="discount.exceeds_gross",
                details={"line_id": str(id), "discount": str(discount), "gross": str(size)},
            )
        discount_amount = sign * discount
        net = gross - discount_amount
        tax = tax_for(net, tax_group)
        _store(self, (id, product_id, name, barcode, unit_price, quantity, tax_group, is_return,
                      price_override, discount, voided, original_transaction_id,
                      (gross, discount_amount, net, tax), None))

    @property
    def sign(self) -> Decimal:
        """``Decimal(1)`` for a sale line, ``Decimal(-1)`` for a return line."""
        return _RETURN if self.is_return else _SALE

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
        return self._amounts[0]

    @property
    def discount_amount(self) -> Decimal:
        """The discount with the line's sign."""
        return self._amounts[1]

    @property
    def net(self) -> Decimal:
        """``gross - discount_amount``: what the line costs before tax."""
        return self._amounts[2]

    @property
    def tax(self) -> Decimal:
        """``tax_for(net, tax_group)``."""
        return self._amounts[3]

    def to_record(self) -> dict[str, Any]:
        """The line as JSON-able primitives (part of transaction record format 1).

        Money is integer cents (``*_cents``), the quantity a string; ``gross_cents``,
        ``net_cents`` and ``tax_cents`` are derived and checked again on reading. A line
        read by :meth:`from_record` from exactly this record gives a copy of what it read.
        """
        if self._record is not None:
            return dict(self._record)
        gross, _, net, tax = self._amounts
        return {
            "id": str(self.id),
            "product_id": self.product_id,
            "name": self.name,
            "barcode": self.barcode,
            "unit_price_cents": _cents(self.unit_price),
            "quantity": str(self.quantity),
            "is_return": self.is_return,
            "price_override_cents": (
                None if self.price_override is None else _cents(self.price_override)
            ),
            "discount_cents": _cents(self.discount),
            "tax_group_id": self.tax_group.id,
            "tax_group_name": self.tax_group.name,
            "tax_rate_bp": self.tax_group.basis_points,
            "voided": self.voided,
            "original_transaction_id": (
                None if self.original_transaction_id is None
                else str(self.original_transaction_id)
            ),
            "gross_cents": _cents(gross),
            "net_cents": _cents(net),
            "tax_cents": _cents(tax),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Line:
        """Inverse of :meth:`to_record`. When ``record`` is exactly what ``to_record`` gives
        (the usual case: the 17 keys, ids and quantity in their normal text, every amount
        an ``int``), the line keeps a copy and ``to_record`` gives it back (same values and
        types, so the same JSON) instead of writing the record again.

        Raises:
            InvalidInput: code ``record.invalid`` for a missing/mistyped field or derived
                amounts that do not match; the line's own errors for bad values.
        """
        try:
            override = record["price_override_cents"]
            original = record["original_transaction_id"]
            line = cls(  # positionally, in field order: the fastest call
                parse_id(record["id"], "line id"),
                record["product_id"],
                record["name"],
                record["barcode"],
                cents_amount(record["unit_price_cents"]),
                parse_quantity(record_text(record["quantity"])),
                (group := record_tax_group(record["tax_group_id"], record["tax_group_name"],
                                           record["tax_rate_bp"]))[0],
                record["is_return"],
                None if override is None else cents_amount(override),
                cents_amount(record["discount_cents"]),
                record["voided"],
                None if original is None else parse_id(original, "original transaction id"),
            )
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"bad line record: {exc!r}", code="record.invalid") from exc
        gross, _, net, tax = line._amounts
        for key, value in (("gross_cents", gross), ("net_cents", net), ("tax_cents", tax)):
            # ``value * 100`` compares with any JSON value exactly as its int cents would
            if key in record and record[key] != value * _HUNDRED:
                raise InvalidInput(
                    f"line {line.id}: {key} {record[key]} does not match {_cents(value)}",
                    code="record.invalid",
                )
        if (group[1] and len(record) == _RECORD_KEYS and type(record.get("gross_cents")) is int
                and type(record.get("net_cents")) is int and type(record.get("tax_cents")) is int
                and type(record["unit_price_cents"]) is int
                and type(record["discount_cents"]) is int
                and (override is None or type(override) is int)
                and record["quantity"] == str(line.quantity) and record["id"] == str(line.id)
                and (original is None or original == str(line.original_transaction_id))):
            _SET_RECORD(line, dict(record))
        return line


#: The slot of every field of :class:`Line`, in field order (``_amounts``, ``_record`` last).
_SETTERS: Final = tuple(Line.__dict__[name].__set__ for name in Line.__slots__)


_SET_RECORD: Final = _SETTERS[-1]
#: Number of keys of :meth:`Line.to_record`.
_RECORD_KEYS: Final = 17


def _store(line: Line, values: tuple[Any, ...]) -> None:
    """Set every field of a new ``line`` (in field order) through its slot descriptor."""
    for set_, value in zip(_SETTERS, values, strict=True):
        set_(line, value)


def _cents(amount: Decimal) -> int:
    """Integer cents of an amount the line made with two places (``parse_amount``,
    ``round_money`` or sums and products of those with the sign): the same value as
    :func:`~kassa.domain.money.to_cents` without checking again that it is whole cents
    (the product is exact, ``int`` drops no fraction)."""
    return int(amount * _HUNDRED)
