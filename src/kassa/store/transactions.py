"""Finished transactions into the channel DB, exactly once; and out again to HQ (DESIGN §5).

* :func:`commit` — one transaction record (``POST /api/transactions``): validated with
  :meth:`Transaction.from_record`, then the ``transactions`` row, its lines and tenders in
  **one** DB transaction, insert-or-ignore by id. Answer ``{"id", "result": "committed" |
  "duplicate", "seq"}``: the same id again (the answer was lost, the register retried
  offline) is acknowledged as ``duplicate`` and changes nothing.
* :func:`upload` — a batch (``POST /api/uploads``, ≤ :data:`MAX_BATCH`): every valid record
  is inserted (one DB transaction for the batch: one bulk write per table,
  :mod:`kassa.db.bulk_insert`, and one journal check of the whole batch; a record that
  breaks a constraint sends the batch one by one so only that record fails), every invalid
  one is rejected with its error; duplicates are acknowledged. ``{"acknowledged": [id, …],
  "rejected": [{"id", "error": {"code", "message"}}]}``.
* :func:`hq_batch` — ``GET /api/hq/transactions?after=SEQ&limit=N`` for HQ's P-job: rows
  with ``seq > after`` in ``seq`` order (commit order, :mod:`kassa.db.channel_schema`).

Ownership (DESIGN §8): a register writes only its own transactions — ``register_id``,
``store_id`` and ``register_number`` of every record must be the authenticated register's,
else 403 ``transaction.other_register`` and nothing is written (for a batch: nothing of the
batch). Only finished transactions (``completed`` / ``voided``) are accepted
(422 ``transaction.not_finished``), and only values the channel DB columns hold (422
``record.out_of_range``: a customer or product id beyond 64 bits, an operator id or receipt
number longer than its column).

Tamper-evident journal (issue 8 §4): the entry each record carries (``"journal"``) is stored
on the row and checked in the same DB transaction (:mod:`kassa.store.journal`); a break is
recorded for HQ, never a reason to refuse the sale.

Per record, one ``to_record()`` of the validated transaction gives the rows, the stored text
(``transactions.record``: ``json.dumps(record, sort_keys=True, separators=(",", ":"))``,
written by :func:`kassa.domain.transaction_record.record_json`, the same bytes) and the
journal hash input (:func:`kassa.domain.journal.received_canonical_json`: the received
record's canonical JSON, made from that record when the two are the same JSON);
tests/domain/test_record_json.py pins both.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, String, select
from sqlalchemy.exc import IntegrityError

from kassa.db.bulk_insert import insert_ignore_keys, insert_rows
from kassa.db.channel_schema import transaction_lines, transaction_tenders, transactions
from kassa.domain.errors import InvalidInput, KassaError, NotAllowed
from kassa.domain.journal import received_canonical_json
from kassa.domain.offline_profile import MAX_BATCH
from kassa.domain.transaction import Transaction, TransactionStatus
from kassa.domain.transaction_record import record_json
from kassa.failpoints import failpoint
from kassa.store import journal
from kassa.store.channel import RegisterIdentity

#: Most transactions HQ may pull in one call.
MAX_HQ_BATCH: Final = 5000
#: Range of a ``BigInteger`` column (customer and product ids).
MIN_INT64: Final = -(2**63)
MAX_INT64: Final = 2**63 - 1
_t = transactions.c

Rows = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]


def _claimed_register(record: object) -> uuid.UUID | None:
    if isinstance(record, dict):
        try:
            return uuid.UUID(str(record.get("register_id")))
        except ValueError:
            return None
    return None


def check_owner(record: object, register: RegisterIdentity) -> None:
    """Refuse a record that names another register or store (before any other check).

    Raises:
        NotAllowed: ``transaction.other_register``.
    """
    if not isinstance(record, dict):
        return
    claimed = _claimed_register(record)
    if (claimed is not None and claimed != register.id) or (
        record.get("store_id", register.store_id) != register.store_id
        or record.get("register_number", register.number) != register.number
    ):
        raise NotAllowed(
            f"register {register.number} of store {register.store_id} may only send its own "
            "transactions",
            code="transaction.other_register",
            details={"record_register_id": str(record.get("register_id"))},
        )


def check_fits(txn: Transaction) -> None:
    """Refuse values the channel DB columns cannot hold (``record.out_of_range``; on
    SQLite an id beyond 64 bits overflows, PostgreSQL also enforces text lengths).

    Raises:
        InvalidInput: ``record.out_of_range`` with ``details.field``.
    """
    ids = [("customer_id", txn.customer_id or 0)]
    ids += [("product_id", line.product_id) for line in txn.lines]
    for field, value in ids:
        if not MIN_INT64 <= value <= MAX_INT64:
            raise InvalidInput(f"{field} {value} does not fit in a 64-bit column",
                               code="record.out_of_range", details={"field": field})
    for field in ("operator_id", "receipt_number"):
        column_type = _t[field].type
        limit = column_type.length if isinstance(column_type, String) else None
        if limit is not None and len(getattr(txn, field)) > limit:
            raise InvalidInput(f"{field} is longer than {limit} characters",
                               code="record.out_of_range", details={"field": field})


def parse(record: object, register: RegisterIdentity) -> Transaction:
    """A finished transaction of ``register`` from its record.

    Raises:
        NotAllowed: ``transaction.other_register``.
        InvalidInput: ``record.format``, ``record.invalid``, ``quantity.*``, ``money.*``,
            ``transaction.not_finished``, ``record.out_of_range`` and the other codes of
            ``Transaction.from_record``.
    """
    check_owner(record, register)
    if not isinstance(record, dict):
        raise InvalidInput("a transaction record must be a JSON object", code="record.format")
    txn = Transaction.from_record(record)
    if txn.register_id != register.id:  # record had an unparsable id that parsed differently
        check_owner({"register_id": str(txn.register_id)}, register)
    if txn.status is TransactionStatus.OPEN:
        raise InvalidInput(
            f"transaction {txn.id} is still open; only completed or voided ones are stored",
            code="transaction.not_finished",
        )
    check_fits(txn)
    return txn


def rows_of(txn: Transaction, now: datetime, record: dict[str, Any] | None = None) -> Rows:
    """The ``transactions`` row, ``transaction_lines`` and ``transaction_tenders`` rows;
    ``record``: ``txn.to_record()`` when the caller made it already. ``transactions.record``
    is that record as ``json.dumps(record, sort_keys=True, separators=(",", ":"))`` text
    (:func:`kassa.domain.transaction_record.record_json`, the same bytes)."""
    if record is None:
        record = txn.to_record()
    totals = record["totals"]
    end = txn.completed_at or txn.voided_at
    assert end is not None
    row = {
        "id": txn.id, "store_id": txn.store_id, "register_id": txn.register_id,
        "register_number": txn.register_number, "receipt_number": txn.receipt_number,
        "operator_id": txn.operator_id, "customer_id": txn.customer_id,
        "status": txn.status.value, "mode": txn.mode.value, "started_at": txn.started_at,
        "completed_at": end, "subtotal_cents": totals["subtotal_cents"],
        "tax_cents": totals["tax_total_cents"], "discount_cents": totals["discount_total_cents"],
        "total_cents": totals["total_cents"], "paid_cents": totals["paid_cents"],
        "change_cents": totals["change_due_cents"], "line_count": len(txn.lines),
        "record": record_json(record),
        "prev_hash": None, "hash": None, "received_at": now,
    }
    # the cents the record holds already (the line's and tender's to_record made them)
    lines = [
        {
            "transaction_id": txn.id, "line_no": i, "id": ln.id, "product_id": ln.product_id,
            "quantity": ln.quantity, "unit_price_cents": rec["unit_price_cents"],
            "override_price_cents": rec["price_override_cents"],
            "discount_cents": rec["discount_cents"], "net_cents": rec["net_cents"],
            "tax_cents": rec["tax_cents"], "is_return": ln.is_return, "voided": ln.voided,
        }
        for i, (ln, rec) in enumerate(zip(txn.lines, record["lines"], strict=True), start=1)
    ]
    tenders = [
        {
            "id": t.id, "transaction_id": txn.id, "tender_type": rec["type"],
            "amount_cents": rec["amount_cents"], "reference": t.reference, "voided": t.voided,
        }
        for t, rec in zip(txn.tenders, record["tenders"], strict=True)
    ]
    return row, lines, tenders


def _prepared(txn: Transaction, received: Mapping[str, Any], now: datetime
              ) -> tuple[Rows, str]:
    """``rows_of`` (with the journal columns of ``received``) and ``canonical_json`` of the
    record as received (the journal hash input), from one ``to_record()``."""
    record = txn.to_record()
    rows = rows_of(txn, now, record)
    rows[0].update(journal.columns(received))
    return rows, received_canonical_json(received, record)


def _insert(conn: Connection, batch: list[Rows]) -> set[uuid.UUID]:
    """Insert-or-ignore the transactions of ``batch``; lines and tenders of the new ones.
    Returns the ids inserted now."""
    inserted = {k[0] for k in insert_ignore_keys(conn, transactions, [b[0] for b in batch])}
    lines = [ln for b in batch if b[0]["id"] in inserted for ln in b[1]]
    tenders = [t for b in batch if b[0]["id"] in inserted for t in b[2]]
    insert_rows(conn, transaction_lines, lines)
    insert_rows(conn, transaction_tenders, tenders)
    return inserted


def _seq_of(conn: Connection, txn_id: uuid.UUID) -> int | None:
    value = conn.execute(select(_t.seq).where(_t.id == txn_id)).scalar_one_or_none()
    return None if value is None else int(value)


def _conflict(txn_id: uuid.UUID, exc: IntegrityError) -> InvalidInput:
    first = str(exc.orig).strip().splitlines()[0] if exc.orig else "constraint"
    return InvalidInput(
        f"transaction {txn_id} clashes with stored data ({first}); nothing was written",
        code="transaction.conflict",
    )


def commit(
    engine: Engine, register: RegisterIdentity, record: object, now: datetime
) -> dict[str, Any]:
    """Store one finished transaction (module docstring).

    Returns:
        ``{"id": str, "result": "committed" | "duplicate", "seq": int}``.

    Raises:
        NotAllowed, InvalidInput: see :func:`parse`; InvalidInput ``transaction.conflict``
            when a line or tender id is already used by another transaction.
    """
    txn = parse(record, register)
    raw: dict[str, Any] = record if isinstance(record, dict) else {}  # parse: it is
    rows, canonical = _prepared(txn, raw, now)
    try:
        with engine.begin() as conn:
            inserted = _insert(conn, [rows])
            journal.check(conn, register, [(txn.id, raw)], inserted, upload=False, now=now,
                          canonical={txn.id: canonical})
            seq = _seq_of(conn, txn.id)
    except IntegrityError as exc:
        raise _conflict(txn.id, exc) from exc
    return {"id": str(txn.id), "result": "committed" if inserted else "duplicate", "seq": seq}


def _record_id(record: object) -> str | None:
    if isinstance(record, dict) and isinstance(record.get("id"), str):
        return str(record["id"])
    return None


def upload(
    engine: Engine, register: RegisterIdentity, records: list[Any], now: datetime
) -> dict[str, Any]:
    """Store a batch of offline transactions (module docstring).

    Raises:
        InvalidInput: ``upload.too_many`` (more than :data:`MAX_BATCH` records).
        NotAllowed: ``transaction.other_register`` (any record; nothing is written).
    """
    if len(records) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} transactions per upload",
                           code="upload.too_many")
    for record in records:
        check_owner(record, register)
    rejected: list[dict[str, Any]] = []
    batch: dict[uuid.UUID, Rows] = {}
    chained: list[tuple[uuid.UUID, dict[str, Any]]] = []  # (id, record) in chain order
    canonical: dict[uuid.UUID, str] = {}  # the journal hash inputs
    for record in records:
        try:
            txn = parse(record, register)
        except KassaError as exc:
            rejected.append({"id": _record_id(record),
                             "error": {"code": exc.code, "message": exc.message}})
            continue
        if txn.id not in batch:
            batch[txn.id], canonical[txn.id] = _prepared(txn, record, now)
            chained.append((txn.id, record))
    try:
        with engine.begin() as conn:
            inserted = _insert(conn, list(batch.values()))
            journal.check(conn, register, chained, inserted, upload=True, now=now,
                          canonical=canonical)
            failpoint("store.upload.after_insert")
    except IntegrityError:
        for txn_id, rows in list(batch.items()):  # isolate the record(s) that clash
            try:
                with engine.begin() as conn:
                    inserted = _insert(conn, [rows])
                    journal.check(conn, register, [c for c in chained if c[0] == txn_id],
                                  inserted, upload=True, now=now, canonical=canonical)
            except IntegrityError as exc:
                del batch[txn_id]
                err = _conflict(txn_id, exc)
                rejected.append({"id": str(txn_id),
                                 "error": {"code": err.code, "message": err.message}})
    return {"acknowledged": [str(i) for i in batch], "rejected": rejected}


def hq_batch(conn: Connection, after: int, limit: int) -> dict[str, Any]:
    """Transactions with ``seq > after`` in ``seq`` order, at most ``limit``.

    Returns:
        ``{"transactions": [{"seq": int, "record": dict}], "last_seq": int}`` — ``last_seq``
        is the last ``seq`` returned, or ``after`` when there is nothing new.

    Raises:
        InvalidInput: ``hq_pull.invalid`` for ``after`` < 0 or ``limit`` outside
            1…:data:`MAX_HQ_BATCH`.
    """
    if after < 0 or not 1 <= limit <= MAX_HQ_BATCH:
        raise InvalidInput(f"after must be >= 0 and limit 1..{MAX_HQ_BATCH}",
                           code="hq_pull.invalid")
    rows = conn.execute(
        select(_t.seq, _t.record).where(_t.seq > after).order_by(_t.seq).limit(limit)
    ).all()
    items = [{"seq": int(r.seq), "record": json.loads(r.record)} for r in rows]
    return {"transactions": items, "last_seq": items[-1]["seq"] if items else after}
