"""The money of a cart: totals over its active lines and tenders, and the payment rules.

Rule source: issue 2 §2, DESIGN §5. Every amount is a two-place ``Decimal``, signed
(negative for returns and refunds):

* ``subtotal = Σ net``, ``discount_total = Σ discount_amount``, ``tax_total = Σ tax``
* ``total = subtotal + tax_total``, ``paid = Σ tender amounts``, ``amount_due = total - paid``
* ``change_due = max(0, paid - total)`` for a sale (total >= 0), at most the cash tendered;
  always 0 for a refund (refund tenders must match the total exactly).

Voided lines and tenders are excluded. The sums are computed once per change of the cart
(every change goes through :meth:`CartAmounts._append_line` and its siblings, which drop
them) and then read for free. Payment rules (:meth:`CartAmounts.check_tender_fits`,
:meth:`CartAmounts.check_settled`): a sale is paid with positive tenders, a refund (total < 0)
with negative ones; only cash may exceed what is due (the excess is change); a refund gives
no change, so its tenders must add up to the total exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final
from uuid import UUID

from kassa.domain.errors import InvalidInput, NotFound, RuleViolation
from kassa.domain.money import ZERO, to_cents
from kassa.domain.tax import TaxGroup
from kassa.domain.tender_line import TenderLine
from kassa.domain.transaction_line import Line


@dataclass(frozen=True, slots=True)
class Totals:
    """All totals of a transaction at one moment (two-place signed ``Decimal`` each)."""

    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal
    paid: Decimal
    change_due: Decimal
    amount_due: Decimal

    def to_record(self) -> dict[str, int]:
        """``{"subtotal_cents": int, "discount_total_cents": int, …}`` for every field."""
        return {key: to_cents(getattr(self, name)) for name, key in _TOTALS_KEYS}


#: ``(field, record key)`` of every :class:`Totals` field, in order.
_TOTALS_KEYS: Final = tuple((name, f"{name}_cents") for name in Totals.__slots__)


class _Money:
    """Everything :class:`CartAmounts` derives from its lines and tenders, computed in one
    pass (the same additions, in the same order, as ``sum(…, ZERO)`` over the active items)."""

    __slots__ = ("_totals_cents", "active_lines", "active_tenders", "cash_paid", "lines",
                 "tenders", "totals")

    def __init__(self, lines: tuple[Line, ...], tenders: tuple[TenderLine, ...]) -> None:
        self.lines = lines
        self.tenders = tenders
        self.active_lines = tuple(x for x in lines if not x.voided)
        self.active_tenders = tuple(x for x in tenders if not x.voided)
        subtotal = discount_total = tax_total = ZERO
        for line in self.active_lines:
            subtotal += line.net
            discount_total += line.discount_amount
            tax_total += line.tax
        paid = cash_paid = ZERO
        for tender in self.active_tenders:
            paid += tender.amount
            if tender.type.allows_change:
                cash_paid += tender.amount
        self.cash_paid = cash_paid
        total = subtotal + tax_total
        change_due = ZERO if total < 0 else max(ZERO, min(paid - total, cash_paid))
        self.totals = Totals(subtotal, discount_total, tax_total, total, paid, change_due,
                             total - paid)
        self._totals_cents: dict[str, int] | None = None

    @property
    def totals_cents(self) -> dict[str, int]:
        """``totals.to_record()`` (computed once; callers must not change it). Every total is
        a sum of two-place amounts, so its cents are exact without ``to_cents``' check."""
        cents = self._totals_cents
        if cents is None:
            totals = self.totals
            cents = self._totals_cents = {
                key: int(getattr(totals, name).scaleb(2)) for name, key in _TOTALS_KEYS}
        return cents


class CartAmounts:
    """The lines and tenders of a cart (read-only views) and the money they make.

    Raises (constructor):
        InvalidInput: code ``transaction.invalid`` for items of the wrong type or ids that
            are not unique across lines and tenders.
    """

    def __init__(self, lines: Iterable[Line] = (), tenders: Iterable[TenderLine] = ()) -> None:
        self._lines = list(lines)
        self._tenders = list(tenders)
        ids = set()
        for line in self._lines:
            if not isinstance(line, Line):
                raise InvalidInput("lines must be Line and tenders TenderLine",
                                   code="transaction.invalid")
            ids.add(line.id)
        for tender in self._tenders:
            if not isinstance(tender, TenderLine):
                raise InvalidInput("lines must be Line and tenders TenderLine",
                                   code="transaction.invalid")
            ids.add(tender.id)
        if len(ids) != len(self._lines) + len(self._tenders):
            raise InvalidInput("line and tender ids must be unique", code="transaction.invalid")
        self._money_cache: _Money | None = None

    @property
    def _money(self) -> _Money:
        """The sums of the cart as it is now (computed on first use after a change)."""
        money = self._money_cache
        if money is None:
            money = self._money_cache = _Money(tuple(self._lines), tuple(self._tenders))
        return money

    # Every change of ``_lines`` / ``_tenders`` goes through these four, so that the sums
    # are never stale.

    def _append_line(self, line: Line) -> None:
        self._lines.append(line)
        self._money_cache = None

    def _replace_line(self, index: int, line: Line) -> None:
        self._lines[index] = line
        self._money_cache = None

    def _append_tender(self, tender: TenderLine) -> None:
        self._tenders.append(tender)
        self._money_cache = None

    def _replace_tender(self, index: int, tender: TenderLine) -> None:
        self._tenders[index] = tender
        self._money_cache = None

    @property
    def lines(self) -> tuple[Line, ...]:
        """All lines in order, voided ones included."""
        return self._money.lines

    @property
    def tenders(self) -> tuple[TenderLine, ...]:
        """All tenders in order, voided ones included."""
        return self._money.tenders

    @property
    def active_lines(self) -> tuple[Line, ...]:
        """Lines that count (not voided)."""
        return self._money.active_lines

    @property
    def active_tenders(self) -> tuple[TenderLine, ...]:
        """Tenders that count (not voided)."""
        return self._money.active_tenders

    def line(self, line_id: UUID) -> Line:
        """The line with this id. Raises NotFound (code ``line.not_found``)."""
        return self._lines[self._line_index(line_id)]

    def tender(self, tender_id: UUID) -> TenderLine:
        """The tender with this id. Raises NotFound (code ``tender.not_found``)."""
        return self._tenders[self._tender_index(tender_id)]

    def _line_index(self, line_id: UUID) -> int:
        for i, x in enumerate(self._lines):
            if x.id == line_id:
                return i
        raise NotFound(f"no line {line_id} in this transaction", code="line.not_found")

    def _tender_index(self, tender_id: UUID) -> int:
        for i, x in enumerate(self._tenders):
            if x.id == tender_id:
                return i
        raise NotFound(f"no tender {tender_id} in this transaction", code="tender.not_found")

    @property
    def subtotal(self) -> Decimal:
        """Σ net of the active lines."""
        return self._money.totals.subtotal

    @property
    def discount_total(self) -> Decimal:
        """Σ signed discounts of the active lines."""
        return self._money.totals.discount_total

    @property
    def tax_total(self) -> Decimal:
        """Σ tax of the active lines."""
        return self._money.totals.tax_total

    @property
    def total(self) -> Decimal:
        """``subtotal + tax_total``; negative for a refund."""
        return self._money.totals.total

    @property
    def paid(self) -> Decimal:
        """Σ active tenders (signed)."""
        return self._money.totals.paid

    @property
    def cash_paid(self) -> Decimal:
        """Σ active tenders that allow change (cash), signed."""
        return self._money.cash_paid

    @property
    def amount_due(self) -> Decimal:
        """``total - paid``: > 0 still to pay, < 0 change or refund owed to the customer."""
        return self._money.totals.amount_due

    @property
    def change_due(self) -> Decimal:
        """Cash change: ``max(0, paid - total)`` for a sale, at most the cash tendered."""
        return self._money.totals.change_due

    @property
    def is_settled(self) -> bool:
        """True when ``paid - change_due == total``: the money balances to the cent."""
        totals = self._money.totals
        return totals.paid - totals.change_due == totals.total

    @property
    def totals(self) -> Totals:
        """All totals at once (the same immutable object until the cart changes)."""
        return self._money.totals

    def totals_record(self) -> dict[str, int]:
        """``self.totals.to_record()``: the ``totals`` of the transaction record, in integer
        cents (a new dict; the cents are computed once per change of the cart)."""
        return dict(self._money.totals_cents)

    def tax_by_group(self) -> dict[TaxGroup, Decimal]:
        """Σ tax of the active lines per tax group, in order of first appearance."""
        out: dict[TaxGroup, Decimal] = {}
        for x in self.active_lines:
            out[x.tax_group] = out.get(x.tax_group, ZERO) + x.tax
        return out

    def check_tender_fits(self, tender: TenderLine) -> None:
        """Refuse a new ``tender`` that does not fit what is due now.

        Raises:
            RuleViolation: ``tender.wrong_sign`` (positive on a refund, negative on a sale),
                ``tender.nothing_due``, ``tender.exceeds_due`` (non-cash over the amount due,
                or a refund over the refund due); ``details`` hold the cents.
        """
        refund = self.total < 0
        due = self.amount_due
        details = {"amount_due_cents": to_cents(due), "amount_cents": to_cents(tender.amount)}
        if tender.is_refund != refund:
            raise RuleViolation(
                "a refund is tendered with negative amounts" if refund
                else "a sale is paid with positive amounts",
                code="tender.wrong_sign", details=details)
        if (due >= 0) if refund else (due <= 0):
            raise RuleViolation("nothing is due on this transaction", code="tender.nothing_due",
                                details=details)
        if tender.amount < due if refund else (
                tender.amount > due and not tender.type.allows_change):
            raise RuleViolation(
                f"{tender.type.label} {abs(tender.amount)} is more than the {abs(due)} due; "
                "only cash gives change", code="tender.exceeds_due", details=details)

    def check_settled(self) -> None:
        """Refuse to complete unless ``paid - change_due == total``.

        Raises:
            RuleViolation: ``transaction.unpaid`` (amount or refund still due),
                ``tender.exceeds_due`` (non-cash tenders over the total, or refund tenders
                over the refund); ``details`` hold ``total_cents`` and ``paid_cents``.
        """
        total, paid = self.total, self.paid
        details = {"total_cents": to_cents(total), "paid_cents": to_cents(paid)}
        if (paid > total) if total < 0 else (paid < total):
            raise RuleViolation(f"{abs(total - paid)} is still due", code="transaction.unpaid",
                                details=details)
        if not self.is_settled:
            raise RuleViolation("tenders exceed the total and only cash gives change",
                                code="tender.exceeds_due", details=details)
