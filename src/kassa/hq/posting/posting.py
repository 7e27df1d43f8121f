"""Posting: finished transactions written into HQ exactly once (DESIGN §5, issue 4 §5).

:func:`post` runs inside the caller's DB transaction (``engine.begin()``), so the P-job
advances its cursor in the *same* transaction as the rows it posts: a crash anywhere leaves
both as they were, and the next run posts the same page again.

Policy, per record (rule source DESIGN §5 "posts them idempotently"):

* **posted** — a new transaction id: one ``posted_transactions`` row, its lines and tenders,
  then every posting handler is called with the :class:`PostedTransaction`.
* **duplicate** — the id is already posted (or appears twice in the batch) with the same
  record: nothing is written, the occurrence is counted. This is the expected case of a
  transaction uploaded offline after an online commit whose answer was lost, or of a page
  pulled again after a crash.
* **rejected** — quarantined once in ``posting_rejections`` (keyed by the SHA-256 of its
  canonical JSON) with a stable code, counted, and it never blocks the records after it:
  a malformed or invalid record (codes in :mod:`kassa.hq.posting.records`), an id already
  posted with a *different* record (``posting.conflicting_duplicate``; the first stays),
  and — only when ``isolate=True`` — a record the database refuses
  (``posting.storage_refused``, e.g. a tender id already used by another transaction) or a
  posting handler refuses with a :class:`~kassa.domain.errors.KassaError` (its own code).

Without ``isolate`` a database refusal or a handler error propagates and the caller's
transaction rolls back: nothing of the batch is posted. The puller then posts the same
batch again with ``isolate=True`` (one SAVEPOINT per record), so one bad record costs one
retry, not the batch. Errors of the database itself (``OperationalError``, lost connection)
always propagate: they are retried on the next run, never quarantined.

Posting handlers (:data:`POSTING_HANDLERS`) are the hook for issue 5 (gift card and credit
memo redemptions, unlocks): ``handler(conn, posted)`` is called once per *newly* posted
transaction, inside the same DB transaction, after its rows are written. The list is empty
for now; :func:`register_posting_handler` adds to it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import DataError, IntegrityError

from kassa.db.hq_posting_schema import (
    posted_lines,
    posted_tenders,
    posted_transactions,
    posting_rejections,
)
from kassa.db.upsert import insert_ignore
from kassa.domain.errors import KassaError
from kassa.hq.posting.records import (
    PostedTransaction,
    canonical_json,
    prepare,
    record_digest,
    record_transaction_id,
)

PostingHandler = Callable[[Connection, PostedTransaction], None]

#: Handlers called per newly posted transaction (issue 5 registers its own); empty now.
POSTING_HANDLERS: list[PostingHandler] = []

#: Database refusals that quarantine one record in isolated posting.
STORAGE_REFUSALS = (IntegrityError, DataError)


def register_posting_handler(handler: PostingHandler) -> PostingHandler:
    """Add ``handler`` to :data:`POSTING_HANDLERS` (once); return it (usable as decorator)."""
    if handler not in POSTING_HANDLERS:
        POSTING_HANDLERS.append(handler)
    return handler


@dataclass
class PostOutcome:
    """What one :func:`post` call did.

    Attributes:
        posted: ids newly posted, in input order.
        duplicates: occurrences of ids already posted with the same record.
        rejected: count per rejection code.
    """

    posted: list[UUID] = field(default_factory=list)
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def rejected_count(self) -> int:
        """Total rejected records."""
        return sum(self.rejected.values())

    def add(self, other: PostOutcome) -> None:
        """Accumulate ``other`` into this outcome."""
        self.posted.extend(other.posted)
        self.duplicates += other.duplicates
        self.rejected.update(other.rejected)

    def to_dict(self) -> dict[str, Any]:
        """``{"posted": int, "duplicates": int, "rejected": int, "rejected_by_code": {}}``."""
        return {"posted": len(self.posted), "duplicates": self.duplicates,
                "rejected": self.rejected_count, "rejected_by_code": dict(self.rejected)}


@dataclass
class _Batch:
    now: datetime
    store_id: int | None
    outcome: PostOutcome = field(default_factory=PostOutcome)
    rejections: dict[str, dict[str, Any]] = field(default_factory=dict)

    def reject(self, record: object, code: str, message: str, seq: int | None,
               record_json: str | None = None) -> None:
        text = record_json if record_json is not None else canonical_json(record)
        digest = record_digest(text)
        self.outcome.rejected[code] += 1
        store = self.store_id
        if store is None and isinstance(record, dict) and isinstance(record.get("store_id"), int):
            store = record["store_id"]
        self.rejections.setdefault(digest, {
            "record_sha256": digest, "store_id": store, "channel_seq": seq,
            "transaction_id": record_transaction_id(record), "code": code[:64],
            "message": message, "record": text, "rejected_at": self.now,
        })


def _write(conn: Connection, items: Sequence[PostedTransaction], now: datetime,
           handlers: Sequence[PostingHandler]) -> set[UUID]:
    """Insert-or-ignore the headers, then the lines and tenders of the new ones, then call
    the handlers; return the ids newly posted."""
    headers = [{**p.header, "posted_at": now} for p in items]
    inserted = {key[0] for key in insert_ignore(conn, posted_transactions, headers)}
    new = [p for p in items if p.id in inserted]
    lines = [row for p in new for row in p.lines]
    tenders = [row for p in new for row in p.tenders]
    if lines:
        conn.execute(insert(posted_lines), lines)
    if tenders:
        conn.execute(insert(posted_tenders), tenders)
    for p in new:
        for handler in handlers:
            handler(conn, p)
    return inserted


def _write_isolated(conn: Connection, batch: _Batch, items: Sequence[PostedTransaction],
                    handlers: Sequence[PostingHandler]) -> set[UUID]:
    """:func:`_write` one record at a time, each in a SAVEPOINT; refusals are quarantined."""
    inserted: set[UUID] = set()
    for p in items:
        savepoint = conn.begin_nested()
        try:
            inserted |= _write(conn, [p], batch.now, handlers)
        except STORAGE_REFUSALS as exc:
            savepoint.rollback()
            batch.reject(p.record, "posting.storage_refused",
                         f"the HQ database refused transaction {p.id}: {exc.orig!r}",
                         p.channel_seq, p.record_json)
            continue
        except KassaError as exc:
            savepoint.rollback()
            batch.reject(p.record, exc.code, exc.message, p.channel_seq, p.record_json)
            continue
        savepoint.commit()
    return inserted


def _stored_records(conn: Connection, ids: Iterable[UUID]) -> dict[UUID, str]:
    wanted = list(set(ids))
    out: dict[UUID, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        query = select(posted_transactions.c.id, posted_transactions.c.record).where(
            posted_transactions.c.id.in_(chunk))
        out.update({row.id: row.record for row in conn.execute(query)})
    return out


def post(
    conn: Connection,
    records: Sequence[object],
    *,
    now: datetime,
    store_id: int | None = None,
    seqs: Sequence[int] | None = None,
    handlers: Sequence[PostingHandler] | None = None,
    isolate: bool = False,
) -> PostOutcome:
    """Post ``records`` idempotently inside ``conn``'s transaction (policy: module docstring).

    Args:
        conn: a connection inside ``engine.begin()`` on the HQ database.
        records: format-1 transaction records (``Transaction.to_record()``), any number.
        now: aware UTC time stamped as ``posted_at`` / ``rejected_at``.
        store_id: the store the records were pulled from (each must belong to it), or
            ``None`` to post records of any store (tests, the demo).
        seqs: the channel DB ``seq`` of each record (same length), or ``None``.
        handlers: posting handlers to call; default :data:`POSTING_HANDLERS`.
        isolate: one SAVEPOINT per record, quarantining database and handler refusals.

    Returns:
        a :class:`PostOutcome` (posted ids, duplicates seen, rejections per code).

    Raises:
        sqlalchemy.exc.IntegrityError, DataError: (``isolate=False``) a record the database
            refuses; the caller's transaction must roll back.
        KassaError: (``isolate=False``) raised by a posting handler.
        sqlalchemy.exc.OperationalError and others: the database itself failed.
        ValueError: ``seqs`` of another length than ``records``.
    """
    if seqs is not None and len(seqs) != len(records):
        raise ValueError("seqs must give one seq per record")
    chosen = POSTING_HANDLERS if handlers is None else handlers
    batch = _Batch(now=now, store_id=store_id)
    first: dict[UUID, PostedTransaction] = {}
    repeats: list[PostedTransaction] = []
    for i, record in enumerate(records):
        seq = None if seqs is None else seqs[i]
        try:
            item = prepare(record, store_id=store_id, channel_seq=seq)
        except KassaError as exc:
            batch.reject(record, exc.code, exc.message, seq)
            continue
        earlier = first.get(item.id)
        if earlier is None:
            first[item.id] = item
        elif earlier.record_json == item.record_json:
            repeats.append(item)
        else:
            batch.reject(item.record, "posting.conflicting_duplicate",
                         f"transaction {item.id} appears twice with different records; "
                         "the first is kept", seq, item.record_json)
    items = list(first.values())
    if isolate:
        inserted = _write_isolated(conn, batch, items, chosen)
    else:
        inserted = _write(conn, items, now, chosen)
    quarantined: dict[UUID, str] = {}
    for p in items:
        entry = batch.rejections.get(record_digest(p.record_json))
        if entry is not None:
            quarantined[p.id] = entry["code"]
    already = [p for p in items if p.id not in inserted and p.id not in quarantined]
    stored = _stored_records(conn, (p.id for p in already))
    for p in already:
        text = stored[p.id]
        if text == p.record_json or json.loads(text) == p.record:
            batch.outcome.duplicates += 1
        else:
            quarantined[p.id] = "posting.conflicting_duplicate"
            batch.reject(p.record, "posting.conflicting_duplicate",
                         f"transaction {p.id} is already posted with a different record; "
                         "the posted one is kept", p.channel_seq, p.record_json)
    for p in repeats:  # the same record twice in this batch: follows its first occurrence
        if p.id in quarantined:
            batch.outcome.rejected[quarantined[p.id]] += 1
        else:
            batch.outcome.duplicates += 1
    batch.outcome.posted = [p.id for p in items if p.id in inserted]
    insert_ignore(conn, posting_rejections, list(batch.rejections.values()))
    return batch.outcome
