"""Receipt numbers and the printed receipt.

Rule source: DESIGN §5 and issue 2 §2. A receipt number is a *label* made from the register's
own sequence in its offline DB: ``"{store}-{register}-{seq:06d}"`` (``"367-2-000123"``), so
numbers never collide online or offline. Store and register are plain ints (no padding);
the sequence has at least six digits. Ids, not receipt numbers, are keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from typing import TYPE_CHECKING, Final, NamedTuple

from kassa.domain.errors import InvalidInput
from kassa.domain.money import format_money

if TYPE_CHECKING:
    from kassa.domain.transaction import Transaction

#: Characters per receipt line.
WIDTH: Final = 40
_PATTERN: Final = re.compile(r"(0|[1-9]\d*)-([1-9]\d*)-(\d{6,})")


class ReceiptNumber(NamedTuple):
    """A parsed receipt number."""

    store_id: int
    register_number: int
    seq: int


def _check_int(value: object, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInput(f"{what} must be an int >= {minimum} (got {value!r})",
                           code="receipt.invalid")
    return value


def receipt_number(store_id: int, register_number: int, seq: int) -> str:
    """``receipt_number(367, 2, 123) == "367-2-000123"``.

    Args:
        store_id: >= 0. register_number: >= 1. seq: the register's sequence value, >= 1.

    Raises:
        InvalidInput: code ``receipt.invalid`` for a value out of range or not an int.
    """
    _check_int(store_id, "store id", 0)
    _check_int(register_number, "register number", 1)
    _check_int(seq, "receipt sequence", 1)
    return f"{store_id}-{register_number}-{seq:06d}"


def parse_receipt_number(text: str) -> ReceiptNumber:
    """Inverse of :func:`receipt_number`; only the canonical form is accepted.

    Raises:
        InvalidInput: code ``receipt.invalid``.
    """
    match = _PATTERN.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInput(f"not a receipt number: {text!r} (expected store-register-000123)",
                           code="receipt.invalid")
    parsed = ReceiptNumber(int(match[1]), int(match[2]), int(match[3]))
    if parsed.seq < 1 or receipt_number(*parsed) != text:
        raise InvalidInput(f"not a canonical receipt number: {text!r}", code="receipt.invalid")
    return parsed


def _row(left: str, right: str = "") -> str:
    """``left`` and ``right`` on one line of :data:`WIDTH`; ``left`` is cut if needed."""
    room = WIDTH - len(right) - (1 if right else 0)
    if len(left) > room:
        left = left[: max(room - 1, 0)] + "…"
    return f"{left:<{room}}{' ' if right else ''}{right}" if right else left


def _text_lines(value: str | Sequence[str]) -> list[str]:
    return value.splitlines() if isinstance(value, str) else [str(v) for v in value]


def _mask(reference: str) -> str:
    """Card and memo numbers are bearer secrets: a reference longer than 8 characters is
    printed as ``****`` and its last four."""
    return reference if len(reference) <= 8 else "****" + reference[-4:]


def _qty(value: Decimal) -> str:
    return f"{value:f}"


def render_receipt(
    transaction: Transaction,
    store_name: str,
    header: str | Sequence[str] = (),
    footer: str | Sequence[str] = (),
) -> list[str]:
    """The receipt as text lines of at most :data:`WIDTH` characters.

    Shows: store name, header, receipt number, UTC time, register and operator; each
    non-voided line (name, quantity x price, override, discount, return mark); subtotal,
    tax per group, total, savings; each non-voided tender; change; the state when the
    transaction is not completed (open / VOIDED); the footer. Voided lines and tenders
    stay in the record but are not printed.
    """
    t = transaction
    out = [store_name.center(WIDTH).rstrip()]
    out += [h.center(WIDTH).rstrip() for h in _text_lines(header)]
    when = t.completed_at or t.voided_at or t.started_at
    out.append(_row("Receipt", t.receipt_number))
    out.append(_row("Time", when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")))
    out.append(_row(f"Register {t.register_number}", f"Operator {t.operator_id}"))
    if t.customer_id is not None:
        out.append(f"Customer {t.customer_id}")
    if t.mode == "offline":
        out.append("Offline transaction")
    out.append("-" * WIDTH)
    for line in t.active_lines:
        name = f"RETURN {line.name}" if line.is_return else line.name
        out.append(_row(name, format_money(line.gross)))
        if line.quantity != 1 or line.price_override is not None:
            out.append(f"  {_qty(line.quantity)} x {format_money(line.effective_unit_price)}")
        if line.price_override is not None:
            out.append(f"  Price override (was {format_money(line.unit_price)})")
        if line.discount:
            out.append(_row("  Discount", format_money(-line.discount_amount)))
    out.append("-" * WIDTH)
    totals = t.totals
    out.append(_row("Subtotal", format_money(totals.subtotal)))
    for group, amount in t.tax_by_group().items():
        out.append(_row(f"Tax {group.name} {group.percent_label}", format_money(amount)))
    out.append(_row("TOTAL", format_money(totals.total)))
    if totals.discount_total:
        out.append(_row("You saved", format_money(totals.discount_total)))
    for tender in t.active_tenders:
        label = tender.type.label + (" refund" if tender.is_refund else "")
        if tender.reference:
            label += f" {_mask(tender.reference)}"
        out.append(_row(label, format_money(tender.amount)))
    if totals.change_due:
        out.append(_row("Change", format_money(totals.change_due)))
    if t.status == "voided":
        out.append("*** VOIDED ***".center(WIDTH).rstrip())
    elif t.status == "open":
        out.append(_row("Amount due", format_money(totals.amount_due)))
        out.append("*** NOT COMPLETED ***".center(WIDTH).rstrip())
    out += [f.center(WIDTH).rstrip() for f in _text_lines(footer)]
    return out
