"""The money of a cart: totals over its active lines and tenders, and the payment rules.

Rule source: issue 2 §2, DESIGN §5. Every amount is a two-place ``Decimal``, signed
(negative for returns and refunds):

* ``subtotal = Σ net``, ``discount_total = Σ discount_amount``, ``tax_total = Σ tax``
* ``total = subtotal + tax_total``, ``paid = Σ tender amounts``, ``amount_due = total - paid``
* ``change_due = max(0, paid - total)`` for a sale (total >= 0), at most the cash tendered;
  always 0 for a refund (refund tenders must match the total exactly).

Voided lines and tenders are excluded. Payment rules (:meth:`CartAmounts.check_tender_fits`,
:meth:`CartAmounts.check_settled`): a sale is paid with positive tenders, a refund (total < 0)
with negative ones; only cash may exceed what is due (the excess is change); a refund gives
no change, so its tenders must add up to the total exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
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
        return {f"{name}_cents": to_cents(getattr(self, name)) for name in self.__slots__}


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


class CartAmounts:
    """The lines and tenders of a cart (read-only views) and the money they make.

    Raises (constructor):
        InvalidInput: code ``transaction.invalid`` for items of the wrong type or ids that
            are not unique across lines and tenders.
    """

    def __init__(self, lines: Iterable[Line] = (), tenders: Iterable[TenderLine] = ()) -> None:
        self._lines = list(lines)
        self._tenders = list(tenders)
        if not all(isinstance(x, Line) for x in self._lines) or not all(
            isinstance(x, TenderLine) for x in self._tenders
        ):
            raise InvalidInput("lines must be Line and tenders TenderLine",
                               code="transaction.invalid")
        ids = [x.id for x in self._lines] + [x.id for x in self._tenders]
        if len(set(ids)) != len(ids):
            raise InvalidInput("line and tender ids must be unique", code="transaction.invalid")

    @property
    def lines(self) -> tuple[Line, ...]:
        """All lines in order, voided ones included."""
        return tuple(self._lines)

    @property
    def tenders(self) -> tuple[TenderLine, ...]:
        """All tenders in order, voided ones included."""
        return tuple(self._tenders)

    @property
    def active_lines(self) -> tuple[Line, ...]:
        """Lines that count (not voided)."""
        return tuple(x for x in self._lines if not x.voided)

    @property
    def active_tenders(self) -> tuple[TenderLine, ...]:
        """Tenders that count (not voided)."""
        return tuple(x for x in self._tenders if not x.voided)

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
        return _sum(x.net for x in self.active_lines)

    @property
    def discount_total(self) -> Decimal:
        """Σ signed discounts of the active lines."""
        return _sum(x.discount_amount for x in self.active_lines)

    @property
    def tax_total(self) -> Decimal:
        """Σ tax of the active lines."""
        return _sum(x.tax for x in self.active_lines)

    @property
    def total(self) -> Decimal:
        """``subtotal + tax_total``; negative for a refund."""
        return self.subtotal + self.tax_total

    @property
    def paid(self) -> Decimal:
        """Σ active tenders (signed)."""
        return _sum(x.amount for x in self.active_tenders)

    @property
    def cash_paid(self) -> Decimal:
        """Σ active tenders that allow change (cash), signed."""
        return _sum(x.amount for x in self.active_tenders if x.type.allows_change)

    @property
    def amount_due(self) -> Decimal:
        """``total - paid``: > 0 still to pay, < 0 change or refund owed to the customer."""
        return self.total - self.paid

    @property
    def change_due(self) -> Decimal:
        """Cash change: ``max(0, paid - total)`` for a sale, at most the cash tendered."""
        total = self.total
        if total < 0:
            return ZERO
        return max(ZERO, min(self.paid - total, self.cash_paid))

    @property
    def is_settled(self) -> bool:
        """True when ``paid - change_due == total``: the money balances to the cent."""
        return self.paid - self.change_due == self.total

    @property
    def totals(self) -> Totals:
        """All totals at once."""
        return Totals(self.subtotal, self.discount_total, self.tax_total, self.total,
                      self.paid, self.change_due, self.amount_due)

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
