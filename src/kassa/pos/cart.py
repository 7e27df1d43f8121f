"""Cart operations of the POS engine: lines, quantities, overrides, discounts, tenders.

Rule source: DESIGN §2, §7, issue 4 §2. Each operation checks the operations registry for
the current mode and the operator's role, looks up data through the switching source, then
changes the cart and persists it (:meth:`CartOperations._mutate`): a refused change leaves
the cart exactly as it was, in memory and in ``current_cart``. Money crosses this API as
integer cents, quantities as decimal strings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kassa.domain.barcode import validate_gtin
from kassa.domain.errors import Conflict, InvalidInput, RuleViolation
from kassa.domain.ids import parse_id
from kassa.domain.money import from_cents
from kassa.domain.operations import OpId, check_allowed
from kassa.domain.operator import Permission, require
from kassa.domain.tax import TaxGroup
from kassa.domain.tender import TenderType
from kassa.domain.tender_line import TenderLine
from kassa.domain.transaction import Line, Transaction
from kassa.domain.transaction_line import parse_quantity
from kassa.pos.cart_store import CartStore
from kassa.pos.connection import SwitchingSource
from kassa.pos.datasource import ProductInfo
from kassa.pos.sessions import Session

T = TypeVar("T")
#: Largest id the databases hold (BigInteger).
MAX_ID = 2**63 - 1

#: Tender type → operation id in the registry (DESIGN §7).
TENDER_OP = {
    TenderType.CASH: OpId.PAY_CASH, TenderType.CARD: OpId.PAY_CARD,
    TenderType.GIFT_CARD: OpId.PAY_GIFT_CARD, TenderType.CREDIT_MEMO: OpId.PAY_CREDIT_MEMO,
}


class CartOperations:
    """The cart-changing half of :class:`kassa.pos.engine.PosEngine` (a mixin: the engine
    sets ``source``, ``carts``, ``_lock``, ``_cart`` and ``_tax_names``)."""

    source: SwitchingSource
    carts: CartStore
    _lock: threading.RLock
    _cart: Transaction | None
    #: ``_cart.to_record()`` as stored after the last change (``None``: not known yet).
    _record: dict[str, Any] | None
    _tax_names: dict[str, str]

    @property
    def cart(self) -> Transaction | None:
        """The open transaction, or ``None``."""
        return self._cart

    def cart_record(self) -> dict[str, Any] | None:
        """The open transaction's record (``Transaction.to_record()``, the one stored in
        ``current_cart`` by the last change), or ``None``. Callers must not modify it."""
        with self._lock:
            if self._cart is None:
                return None
            if self._record is None:
                self._record = self._cart.to_record()
            return self._record

    def _set_cart(self, cart: Transaction | None, record: dict[str, Any] | None = None) -> None:
        """Make ``cart`` the open transaction; ``record`` is its record when known."""
        self._cart, self._record = cart, record

    def _require_cart(self) -> Transaction:
        if self._cart is None:
            raise Conflict("no open transaction; start one first", code="cart.none")
        return self._cart

    def _mutate(self, change: Callable[[Transaction], T]) -> T:
        """Apply ``change`` to the cart and persist it; on any error restore the cart."""
        cart = self._require_cart()
        before = self._record if self._record is not None else cart.to_record()
        try:
            result = change(cart)
            record = cart.to_record()
            self.carts.save(record)
        except BaseException:
            self._set_cart(Transaction.from_record(before), before)
            raise
        self._record = record
        return result

    def _tax_group(self, product: ProductInfo) -> TaxGroup:
        if product.tax_group_id not in self._tax_names:
            for group in self.source.tax_groups():
                self._tax_names[group.id] = group.name
        name = self._tax_names.get(product.tax_group_id, product.tax_group_id)
        return TaxGroup.from_basis_points(product.tax_group_id, name, product.tax_rate_bp)

    def add_line(
        self,
        session: Session,
        *,
        barcode: str | None = None,
        product_id: int | None = None,
        quantity: object = "1",
        is_return: bool = False,
    ) -> Line:
        """Add a sale (or return) line by ``barcode`` or ``product_id``.

        Raises:
            InvalidInput: ``line.product_missing`` (neither or both given), ``barcode.invalid``,
                ``quantity.*`` (zero, negative, absurd, > 3 decimals).
            NotFound: ``product.not_found``. RuleViolation: ``product.no_price``.
            NotAllowed: ``auth.role`` (return without supervisor). Conflict: ``cart.none``.
        """
        with self._lock:
            self._require_cart()
            check_allowed(OpId.RETURN_PRODUCT if is_return else OpId.PRODUCT_SALE,
                          online=self.source.online)
            require(session.operator.role, Permission.SALE_LINE)
            if is_return:
                require(session.operator.role, Permission.RETURN)
            qty = parse_quantity(quantity)
            if (barcode is None) == (product_id is None):
                raise InvalidInput("give either a barcode or a product_id",
                                   code="line.product_missing")
            if barcode is not None:
                product = self.source.product_by_barcode(validate_gtin(barcode))
            else:
                if isinstance(product_id, bool) or not isinstance(product_id, int) \
                        or not 0 <= product_id <= MAX_ID:
                    raise InvalidInput(f"bad product id {product_id!r}", code="product.invalid")
                product = self.source.product(product_id)
            if product.price_cents is None:
                raise RuleViolation(f"{product.name} ({product.id}) has no price and cannot "
                                    "be sold", code="product.no_price")
            group = self._tax_group(product)
            price = from_cents(product.price_cents)
            return self._mutate(lambda c: c.add_line(
                product.id, product.name, product.barcode, price, qty, group, is_return,
                role=session.operator.role))

    def change_line(
        self, session: Session, line_id: object, changes: dict[str, Any]
    ) -> Line:
        """Change a line: ``{"quantity": "2"}``, ``{"price_cents": 199 | None}`` (override;
        ``None`` removes it), ``{"discount_cents": 50}``; several keys apply together or
        not at all.

        Raises:
            InvalidInput: ``line.no_change``, ``id.invalid``, ``quantity.*``, ``money.*``.
            NotAllowed: ``auth.role`` (override / discount need a supervisor).
            NotFound: ``line.not_found``. Conflict: ``line.voided``, ``cart.none``.
            RuleViolation: ``discount.exceeds_gross``.
        """
        known = {"quantity", "price_cents", "discount_cents"}
        if not changes or set(changes) - known:
            raise InvalidInput("give quantity, price_cents or discount_cents",
                               code="line.no_change")
        lid = parse_id(line_id, "line id")
        role = session.operator.role
        online = self.source.online
        steps: list[Callable[[Transaction], Line]] = []
        if "quantity" in changes:
            check_allowed(OpId.SET_QUANTITY, online=online)
            require(role, Permission.QUANTITY_CHANGE)
            qty = parse_quantity(changes["quantity"])
            steps.append(lambda c: c.set_quantity(lid, qty))
        if "price_cents" in changes:
            check_allowed(OpId.PRICE_OVERRIDE, online=online)
            cents = changes["price_cents"]
            price = None if cents is None else from_cents(cents)
            steps.append(lambda c: c.override_price(lid, price, role))
        if "discount_cents" in changes:
            check_allowed(OpId.LINE_DISCOUNT_AMOUNT, online=online)
            amount = from_cents(changes["discount_cents"])
            steps.append(lambda c: c.discount_line(lid, amount, role))
        with self._lock:
            self._require_cart()
            return self._mutate(lambda c: [step(c) for step in steps][-1])

    def void_line(self, session: Session, line_id: object) -> Line:
        """Void a line (kept for the audit). Raises NotFound, Conflict ``line.voided``."""
        lid = parse_id(line_id, "line id")
        with self._lock:
            check_allowed(OpId.VOID_PRODUCT, online=self.source.online)
            require(session.operator.role, Permission.VOID_LINE)
            return self._mutate(lambda c: c.void_line(lid))

    def add_tender(
        self, session: Session, type: object, amount_cents: object, reference: str | None = None
    ) -> TenderLine:
        """Add a tender of ``amount_cents`` (int > 0 for a sale, < 0 for a refund).

        Raises:
            InvalidInput: ``tender.unknown_type``, ``money.*``, ``tender.unsupported`` (gift
                card / credit memo: :class:`kassa.pos.card_tenders.CardTenders` adds them
                with the real-time service; this plain cart cannot).
            OfflineUnavailable: ``operation.online_only`` (gift card, credit memo offline).
            RuleViolation: ``tender.exceeds_due``, ``tender.nothing_due``, ``tender.wrong_sign``.
        """
        tender_type = TenderType.parse(type)
        with self._lock:
            self._require_cart()
            check_allowed(TENDER_OP[tender_type], online=self.source.online)
            require(session.operator.role, tender_type.permission)
            if tender_type.needs_realtime:
                raise InvalidInput(f"{tender_type.label} tenders need the real-time service "
                                   "(kassa.pos.card_tenders)", code="tender.unsupported")
            if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
                raise InvalidInput(f"amount_cents must be an integer (got {amount_cents!r})",
                                   code="money.cents_type")
            amount = from_cents(amount_cents)
            return self._mutate(lambda c: c.add_tender(tender_type, amount, reference))

    def void_tender(self, session: Session, tender_id: object) -> TenderLine:
        """Void a tender. Raises NotFound, Conflict ``tender.voided``."""
        tid = parse_id(tender_id, "tender id")
        with self._lock:
            return self._mutate(lambda c: c.void_tender(tid))
