"""The cart aggregate: one sale, return or refund from start to completion or void.

Rule source: issue 2 §2 and DESIGN §5-§6. The cart lives in the register as pure code, so
online and offline give the same totals for the same data and a switch mid-sale loses
nothing. Totals (``Decimal``, two places, see :class:`Totals`):

* per line: ``gross``, ``discount_amount``, ``net``, ``tax`` (see :mod:`.transaction_line`)
* ``subtotal = Σ net``, ``discount_total = Σ discount``, ``tax_total = Σ tax``,
  ``total = subtotal + tax_total``, ``paid = Σ tenders``, ``amount_due = total - paid``,
  ``change_due = max(0, paid - total)`` for a sale, covered by cash only.

Voided lines and tenders are kept for the audit but count for nothing. A completed or voided
transaction refuses every change (``Conflict`` code ``transaction.closed``). A transaction
whose total is negative is a refund: its tenders are negative and must match exactly.

:meth:`Transaction.to_record` is THE wire and storage format (store server, offline DB, HQ
posting): JSON-able primitives, ids as text, times ISO-8601 UTC, money in integer cents,
quantities as text, ``"format": 1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from kassa.domain.errors import Conflict, InvalidInput, NotAllowed, RuleViolation
from kassa.domain.ids import new_id, parse_id
from kassa.domain.operator import Permission, Role, require
from kassa.domain.receipt import parse_receipt_number
from kassa.domain.tax import TaxGroup
from kassa.domain.tender import TenderType
from kassa.domain.tender_line import TenderLine
from kassa.domain.transaction_line import Line
from kassa.domain.transaction_record import (
    RECORD_FORMAT,
    TransactionMode,
    TransactionStatus,
    fields_from_record,
    record_of,
    utc,
)
from kassa.domain.transaction_totals import CartAmounts, Totals

__all__ = ["RECORD_FORMAT", "Line", "TenderLine", "Totals", "Transaction", "TransactionMode",
           "TransactionStatus"]


def _int(value: object, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(f"{what} must be an int >= {minimum} (got {value!r})",
                           code="transaction.invalid")
    return value


class Transaction(CartAmounts):
    """The cart. Build with :meth:`start` (new) or :meth:`from_record` (stored).

    Header attributes (read-only by convention): ``id`` (UUIDv7), ``store_id``,
    ``register_id`` (UUID), ``register_number``, ``receipt_number`` (``"{store}-{register}-
    {seq:06d}"``, must match store and register), ``operator_id``, ``started_at`` (aware UTC),
    ``customer_id`` (household id or ``None``), ``mode`` (:class:`TransactionMode` at start).

    Raises (constructor):
        InvalidInput: codes ``transaction.invalid``, ``receipt.invalid``, ``time.invalid``,
            ``id.invalid``.
    """

    def __init__(
        self,
        *,
        id: UUID,
        store_id: int,
        register_id: UUID,
        register_number: int,
        receipt_number: str,
        operator_id: str,
        started_at: datetime,
        customer_id: int | None = None,
        mode: TransactionMode | str = TransactionMode.ONLINE,
        status: TransactionStatus | str = TransactionStatus.OPEN,
        lines: Iterable[Line] = (),
        tenders: Iterable[TenderLine] = (),
        completed_at: datetime | None = None,
        voided_at: datetime | None = None,
    ) -> None:
        self.id = parse_id(id, "transaction id")
        self.store_id = _int(store_id, "store id", 0)
        self.register_id = parse_id(register_id, "register id")
        self.register_number = _int(register_number, "register number", 1)
        parsed = parse_receipt_number(receipt_number)
        if (parsed.store_id, parsed.register_number) != (store_id, register_number):
            raise InvalidInput(
                f"receipt number {receipt_number} is not of store {store_id} register "
                f"{register_number}", code="receipt.invalid")
        self.receipt_number = receipt_number
        if not isinstance(operator_id, str) or not operator_id.strip():
            raise InvalidInput("operator id must not be empty", code="transaction.invalid")
        self.operator_id = operator_id
        self.started_at = utc(started_at, "started_at")
        self.customer_id = None if customer_id is None else _int(customer_id, "customer id", 0)
        try:
            self.mode = TransactionMode(mode)
            self._status = TransactionStatus(status)
        except ValueError as exc:
            raise InvalidInput(str(exc), code="transaction.invalid") from None
        super().__init__(lines, tenders)
        self._completed_at = None if completed_at is None else utc(completed_at, "completed_at")
        self._voided_at = None if voided_at is None else utc(voided_at, "voided_at")
        self._check_state()

    def _check_state(self) -> None:
        status, done, void = self._status, self._completed_at, self._voided_at
        # open: neither time; completed: completed_at only; voided: voided_at only
        expected = (status is TransactionStatus.COMPLETED, status is TransactionStatus.VOIDED)
        if (done is not None, void is not None) != expected:
            raise InvalidInput(f"a {status} transaction has the wrong completed_at/voided_at",
                               code="transaction.invalid")
        end = done or void
        if end is not None and end < self.started_at:
            raise InvalidInput("a transaction cannot end before it started",
                               code="transaction.invalid")
        if status is TransactionStatus.COMPLETED and (not self.active_lines
                                                      or not self.is_settled):
            raise InvalidInput("a completed transaction must have lines and be paid",
                               code="transaction.invalid")

    @classmethod
    def start(
        cls,
        *,
        store_id: int,
        register_id: UUID,
        register_number: int,
        receipt_number: str,
        operator_id: str,
        now: datetime,
        customer_id: int | None = None,
        mode: TransactionMode | str = TransactionMode.ONLINE,
        id: UUID | None = None,
    ) -> Transaction:
        """A new open transaction with a fresh UUIDv7 id (unless ``id`` is given).

        Raises:
            InvalidInput: as the constructor.
        """
        return cls(id=id or new_id(), store_id=store_id, register_id=register_id,
                   register_number=register_number, receipt_number=receipt_number,
                   operator_id=operator_id, started_at=now, customer_id=customer_id, mode=mode)

    # ----- state ---------------------------------------------------------------------------

    @property
    def status(self) -> TransactionStatus:
        """Current :class:`TransactionStatus`."""
        return self._status

    @property
    def completed_at(self) -> datetime | None:
        """UTC time of completion, or ``None``."""
        return self._completed_at

    @property
    def voided_at(self) -> datetime | None:
        """UTC time of the void, or ``None``."""
        return self._voided_at

    @property
    def is_open(self) -> bool:
        """True until completed or voided."""
        return self._status is TransactionStatus.OPEN

    # ----- changes -------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self.is_open:
            raise Conflict(f"transaction {self.receipt_number} is {self._status}; "
                           "it cannot be changed", code="transaction.closed",
                           details={"status": self._status.value})

    def _change_line(self, line_id: UUID, **changes: Any) -> Line:
        self._check_open()
        i = self._line_index(line_id)
        if self._lines[i].voided:
            raise Conflict(f"line {line_id} is voided", code="line.voided")
        line = replace(self._lines[i], **changes)
        self._replace_line(i, line)
        return line

    def add_line(
        self,
        product_id: int,
        name: str,
        barcode: str,
        unit_price: Decimal,
        quantity: Decimal,
        tax_group: TaxGroup,
        is_return: bool = False,
        *,
        role: Role | str | None = None,
        original_transaction_id: UUID | None = None,
    ) -> Line:
        """Add a sale line (or a return line with ``is_return=True``) and return it.

        ``unit_price`` is per unit, >= 0, whole cents; ``quantity`` as :func:`parse_quantity`.
        A return needs a ``role`` allowing :attr:`Permission.RETURN` (supervisor, manager).

        Raises:
            Conflict: ``transaction.closed``. NotAllowed: ``auth.role``.
            MoneyError, QuantityError, InvalidInput: as :class:`Line`.
        """
        self._check_open()
        if is_return:
            if role is None:
                raise NotAllowed("a return needs the role of the operator who allows it",
                                 code="auth.role", details={"permission": Permission.RETURN})
            require(role, Permission.RETURN)
        line = Line(new_id(), product_id, name, barcode, unit_price, quantity, tax_group,
                    is_return=is_return, original_transaction_id=original_transaction_id)
        self._append_line(line)
        return line

    def set_quantity(self, line_id: UUID, quantity: Decimal) -> Line:
        """Change a line's quantity (> 0; a return stays a return).

        Raises:
            Conflict: ``transaction.closed``, ``line.voided``. NotFound: ``line.not_found``.
            QuantityError: as :func:`parse_quantity`. RuleViolation: ``discount.exceeds_gross``.
        """
        return self._change_line(line_id, quantity=quantity)

    def override_price(self, line_id: UUID, price: Decimal | None, role: Role | str) -> Line:
        """Set the unit price of a line to ``price`` (>= 0, whole cents); ``None`` removes it.

        Raises:
            NotAllowed: ``auth.role`` unless ``role`` allows price override (supervisor+).
            Conflict, NotFound, MoneyError, RuleViolation: as :meth:`set_quantity`.
        """
        self._check_open()
        require(role, Permission.PRICE_OVERRIDE)
        return self._change_line(line_id, price_override=price)

    def discount_line(self, line_id: UUID, amount: Decimal, role: Role | str) -> Line:
        """Set a line's discount to ``amount`` of money (>= 0, <= |gross|; 0 removes it).

        Raises:
            NotAllowed: ``auth.role`` unless ``role`` allows line discount (supervisor+).
            RuleViolation: ``discount.exceeds_gross``. MoneyError: bad amount.
            Conflict, NotFound: as :meth:`set_quantity`.
        """
        self._check_open()
        require(role, Permission.LINE_DISCOUNT)
        return self._change_line(line_id, discount=amount)

    def void_line(self, line_id: UUID) -> Line:
        """Void a line: kept for the audit, excluded from the totals.

        Raises:
            Conflict: ``transaction.closed``, ``line.voided`` (already). NotFound.
        """
        return self._change_line(line_id, voided=True)

    def set_customer(self, customer_id: int | None) -> None:
        """Attach (or with ``None`` detach) the loyalty customer.

        Raises:
            Conflict: ``transaction.closed``. InvalidInput: ``transaction.invalid``.
        """
        self._check_open()
        self.customer_id = None if customer_id is None else _int(customer_id, "customer id", 0)

    def add_tender(
        self,
        type: TenderType | str,
        amount: Decimal,
        reference: str | None = None,
        tender_id: UUID | None = None,
    ) -> TenderLine:
        """Add a payment (sale: ``amount`` > 0) or a refund (total < 0: ``amount`` < 0).

        Only cash may exceed what is due (the rest is change); any other tender, and every
        refund, is at most the amount due. Gift card / credit memo need ``reference``.

        Raises:
            Conflict: ``transaction.closed``, ``tender.duplicate`` (``tender_id`` reused).
            RuleViolation: ``tender.wrong_sign``, ``tender.nothing_due``, ``tender.exceeds_due``.
            MoneyError, InvalidInput: as :class:`TenderLine`.
        """
        self._check_open()
        tender = TenderLine(tender_id or new_id(), TenderType.parse(type), amount, reference)
        if tender.id in {x.id for x in self._tenders} | {x.id for x in self._lines}:
            raise Conflict(f"tender {tender.id} already exists", code="tender.duplicate")
        self.check_tender_fits(tender)
        self._append_tender(tender)
        return tender

    def void_tender(self, tender_id: UUID) -> TenderLine:
        """Void a tender (kept for the audit).

        Raises:
            Conflict: ``transaction.closed``, ``tender.voided`` (already). NotFound.
        """
        self._check_open()
        i = self._tender_index(tender_id)
        if self._tenders[i].voided:
            raise Conflict(f"tender {tender_id} is already voided", code="tender.voided")
        tender = replace(self._tenders[i], voided=True)
        self._replace_tender(i, tender)
        return tender

    def complete(self, now: datetime) -> Totals:
        """Close the sale at ``now`` (aware): paid - change == total; return the totals.

        Raises:
            Conflict: ``transaction.closed``.
            RuleViolation: ``transaction.empty`` (no active line), ``transaction.unpaid``
                (amount or refund still due), ``tender.exceeds_due`` (non-cash or refund
                tenders exceed the total).
            InvalidInput: ``time.invalid``, ``transaction.invalid`` (``now`` before start).
        """
        self._check_open()
        when = utc(now, "now")
        if not self.active_lines:
            raise RuleViolation("the transaction has no lines", code="transaction.empty")
        self.check_settled()
        if when < self.started_at:
            raise InvalidInput("a transaction cannot end before it started",
                               code="transaction.invalid")
        self._status, self._completed_at = TransactionStatus.COMPLETED, when
        return self.totals

    def void(self, now: datetime) -> None:
        """Void the whole open transaction at ``now``; every tender must be voided first.

        Raises:
            Conflict: ``transaction.closed``. RuleViolation: ``transaction.has_tenders``.
            InvalidInput: ``time.invalid``, ``transaction.invalid`` (``now`` before start).
        """
        self._check_open()
        when = utc(now, "now")
        if self.active_tenders:
            raise RuleViolation("void the tenders before voiding the transaction",
                                code="transaction.has_tenders")
        if when < self.started_at:
            raise InvalidInput("a transaction cannot end before it started",
                               code="transaction.invalid")
        self._status, self._voided_at = TransactionStatus.VOIDED, when

    # ----- record --------------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """The transaction as a format-1 record of JSON-able primitives (ids as text,
        times ISO-8601 UTC, money in integer cents, quantities as text); see
        :mod:`kassa.domain.transaction_record` for the shape."""
        return record_of(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Transaction:
        """Rebuild a transaction from :meth:`to_record` output; the result equals the
        original and ``from_record(r).to_record() == r``.

        Raises:
            InvalidInput: ``record.format`` (unknown format), ``record.invalid`` (missing or
                mistyped field, derived totals that do not match), the constructor's codes.
        """
        txn = cls(**fields_from_record(record))
        if "totals" in record and record["totals"] != txn._money.totals_cents:
            raise InvalidInput(f"transaction {txn.id}: totals do not match its lines",
                               code="record.invalid")
        return txn

    def _key(self) -> tuple[Any, ...]:
        return (self.id, self.store_id, self.register_id, self.register_number,
                self.receipt_number, self.operator_id, self.started_at, self.customer_id,
                self.mode, self._status, self._lines, self._tenders, self._completed_at,
                self._voided_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Transaction):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Transaction(id={self.id}, receipt={self.receipt_number}, "
                f"status={self._status.value}, lines={len(self._lines)}, total={self.total})")
