"""A transaction record read into posting rows, or refused with a stable code.

Rule source: DESIGN §5, issue 4 §5. The record is the format-1 wire form
(:mod:`kassa.domain.transaction_record`); :meth:`Transaction.from_record` checks every rule
of the domain again (ids, times, quantities, money, derived line and transaction totals), so
what HQ posts is exactly what the register computed, to the cent. On top of that posting
refuses what it cannot keep:

========================== ===================================================================
code                       reason
========================== ===================================================================
``posting.malformed``      not a JSON object of the expected shape (wrong types, missing keys)
``record.*``, ``time.*``…  the domain's own codes (unknown format, totals that do not match …)
``posting.open``           an open transaction: only completed or voided ones are posted
``posting.other_store``    pulled from store A but the record says store B
``posting.out_of_range``   a value the HQ columns cannot hold (id beyond 64 bits, text too long)
========================== ===================================================================

All such errors are :class:`~kassa.domain.errors.InvalidInput` with ``code`` set; the
posting quarantines the record with that code (:mod:`kassa.hq.posting.posting`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from kassa.domain.errors import InvalidInput, KassaError
from kassa.domain.money import to_cents
from kassa.domain.transaction import Transaction, TransactionStatus

#: Largest value of an ``Integer`` / ``BigInteger`` column on every dialect.
MAX_INT32: Final = 2**31 - 1
MAX_INT64: Final = 2**63 - 1
#: Longest texts of the posting columns (see :mod:`kassa.db.hq_posting_schema`).
TEXT_LIMITS: Final = {"operator_id": 32, "receipt_number": 40}
MAX_REFERENCE: Final = 120
MAX_QUANTITY_TEXT: Final = 40


def canonical_json(record: object) -> str:
    """``record`` as canonical JSON text: sorted keys, no spaces, UTF-8 kept as is.

    Anything not JSON-able (only possible for records not received as JSON) is written with
    ``str()`` so that even garbage can be quarantined.
    """
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def record_digest(text: str) -> str:
    """Hex SHA-256 of canonical JSON ``text`` (the quarantine key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PostedTransaction:
    """One transaction ready to post (or just posted): what posting handlers receive.

    Attributes:
        id: transaction id (UUIDv7 from the register).
        store_id: the store of the record.
        channel_seq: channel DB ``seq`` it was pulled at, ``None`` when posted directly.
        transaction: the domain aggregate rebuilt from the record (all rules checked).
        record: the record as received (format 1).
        record_json: its canonical JSON text (stored in ``posted_transactions.record``).
        header: the ``posted_transactions`` row without ``posted_at``.
        lines: ``posted_lines`` rows (money in signed integer cents, quantity as text).
        tenders: ``posted_tenders`` rows.
    """

    id: UUID
    store_id: int
    channel_seq: int | None
    transaction: Transaction
    record: dict[str, Any]
    record_json: str
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    tenders: list[dict[str, Any]]


def _refuse(message: str, code: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, code=code, details=details)


def _check_ranges(txn: Transaction) -> None:
    """Refuse values the HQ columns cannot hold (``posting.out_of_range``)."""
    ints = [("store id", txn.store_id, MAX_INT32),
            ("register number", txn.register_number, MAX_INT32),
            ("customer id", txn.customer_id or 0, MAX_INT64)]
    ints += [("product id", x.product_id, MAX_INT64) for x in txn.lines]
    for what, value, limit in ints:
        if not -limit <= value <= limit:
            raise _refuse(f"{what} {value} does not fit in HQ's columns (max {limit})",
                          "posting.out_of_range", field=what)
    for name, limit in TEXT_LIMITS.items():
        value = getattr(txn, name)
        if len(value) > limit:
            raise _refuse(f"{name} is longer than {limit} characters", "posting.out_of_range",
                          field=name)
    for t in txn.tenders:
        if t.reference is not None and len(t.reference) > MAX_REFERENCE:
            raise _refuse(f"tender reference is longer than {MAX_REFERENCE} characters",
                          "posting.out_of_range", field="reference")


def _cents(record: dict[str, Any], key: str, fallback: Any) -> int:
    """A derived cents value of a record when present (from_record checked it), else
    computed from the domain object."""
    value = record.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return to_cents(fallback)


def _line_rows(txn: Transaction, record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for no, (line, raw) in enumerate(zip(txn.lines, record["lines"], strict=True), start=1):
        quantity = str(line.quantity)
        if len(quantity) > MAX_QUANTITY_TEXT:
            raise _refuse("quantity text is too long", "posting.out_of_range", field="quantity")
        rows.append({
            "transaction_id": txn.id,
            "line_no": no,
            "line_id": line.id,
            "product_id": line.product_id,
            "quantity": quantity,
            "unit_price_cents": raw["unit_price_cents"],
            "override_price_cents": raw["price_override_cents"],
            "discount_cents": to_cents(line.discount_amount),
            "net_cents": _cents(raw, "net_cents", line.net),
            "tax_cents": _cents(raw, "tax_cents", line.tax),
            "is_return": line.is_return,
            "voided": line.voided,
        })
    return rows


def _tender_rows(txn: Transaction) -> list[dict[str, Any]]:
    return [{
        "id": t.id,
        "transaction_id": txn.id,
        "tender_type": t.type.value,
        "amount_cents": to_cents(t.amount),
        "reference": t.reference,
        "voided": t.voided,
    } for t in txn.tenders]


def _rebuild(record: object) -> Transaction:
    """The domain transaction of ``record``; every refusal is an ``InvalidInput``."""
    if not isinstance(record, dict):
        raise _refuse(f"a transaction record must be a JSON object, not {type(record).__name__}",
                      "posting.malformed")
    try:
        return Transaction.from_record(record)
    except KassaError as exc:
        raise InvalidInput(exc.message, code=exc.code, details=exc.details) from exc
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise _refuse(f"malformed transaction record: {exc!r}", "posting.malformed") from exc


def prepare(
    record: object, *, store_id: int | None = None, channel_seq: int | None = None
) -> PostedTransaction:
    """Check ``record`` and turn it into the rows HQ posts.

    Args:
        record: a format-1 transaction record (``Transaction.to_record()``), e.g. parsed JSON.
        store_id: the store it was pulled from; the record must say the same store.
        channel_seq: the channel DB ``seq`` it was pulled at (kept on the posted row).

    Returns:
        a :class:`PostedTransaction` whose ``header`` has every ``posted_transactions``
        column but ``posted_at``; ``business_day`` is the UTC date (``YYYY-MM-DD``) of the
        completion (or void) time; totals are in integer cents.

    Raises:
        InvalidInput: see the module docstring for the codes.
    """
    txn = _rebuild(record)
    assert isinstance(record, dict)
    if txn.status is TransactionStatus.OPEN:
        raise _refuse(f"transaction {txn.id} is still open; only finished ones are posted",
                      "posting.open", transaction_id=str(txn.id))
    if store_id is not None and txn.store_id != store_id:
        raise _refuse(f"transaction {txn.id} belongs to store {txn.store_id}, but it came "
                      f"from store {store_id}", "posting.other_store",
                      transaction_id=str(txn.id), record_store_id=txn.store_id)
    _check_ranges(txn)
    finished: datetime | None = txn.completed_at or txn.voided_at
    assert finished is not None  # a finished transaction has one of them (domain rule)
    totals = record.get("totals")
    if not isinstance(totals, dict):
        totals = txn.totals.to_record()
    record_json = canonical_json(record)
    header = {
        "id": txn.id,
        "store_id": txn.store_id,
        "register_id": txn.register_id,
        "register_number": txn.register_number,
        "receipt_number": txn.receipt_number,
        "operator_id": txn.operator_id,
        "customer_id": txn.customer_id,
        "status": txn.status.value,
        "mode": txn.mode.value,
        "started_at": txn.started_at,
        "completed_at": finished,
        "business_day": finished.date().isoformat(),
        "subtotal_cents": totals["subtotal_cents"],
        "tax_cents": totals["tax_total_cents"],
        "discount_cents": totals["discount_total_cents"],
        "total_cents": totals["total_cents"],
        "paid_cents": totals["paid_cents"],
        "change_cents": totals["change_due_cents"],
        "line_count": len(txn.active_lines),
        "record": record_json,
        "channel_seq": channel_seq,
    }
    return PostedTransaction(
        id=txn.id, store_id=txn.store_id, channel_seq=channel_seq, transaction=txn,
        record=record, record_json=record_json, header=header,
        lines=_line_rows(txn, record), tenders=_tender_rows(txn),
    )


def record_transaction_id(record: object) -> str | None:
    """The ``id`` field of a (possibly malformed) record as text, for the quarantine."""
    if isinstance(record, dict):
        value = record.get("id")
        if value is not None:
            return str(value)[:64]
    return None
