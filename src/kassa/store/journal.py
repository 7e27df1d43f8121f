"""The store server's side of the registers' tamper-evident journal (issue 8 §4; DESIGN §5).

Rule source: issue 8 §4 — "the store server verifies the chain on upload and flags breaks at
HQ"; the chain itself is :mod:`kassa.domain.journal`. Every record a register sends
(``POST /api/transactions`` online, ``POST /api/uploads`` offline) carries its entry
``"journal": {"prev_hash", "hash"}``; the store server keeps it on the channel row
(``transactions.prev_hash`` / ``hash``, as the register sent it: :func:`columns`) and checks
it in the same DB transaction as the insert, after the rows are in (:func:`check`):

==============================  ============================================================
reason (``journal_breaks``)     when
==============================  ============================================================
``journal.missing``             the record has no entry, or a malformed one
``journal.hash_mismatch``       ``hash`` ≠ SHA-256(``prev_hash`` + canonical record): the
                                record changed after its entry was made (edited offline)
``journal.missing_predecessor`` ``prev_hash`` is neither the register's genesis nor the hash
                                of one of its transactions here: one was removed. On upload
                                confirmed at once (the register uploads in chain order, and
                                what it committed online was acknowledged before the next
                                entry existed); on an online commit *pending* (offline
                                predecessors may still be queued): resolved when the
                                predecessor arrives, confirmed by :func:`settle` when the
                                register reports no pending uploads (``POST /api/status``)
``journal.fork``                another transaction of the register names the same
                                predecessor: the chain was rewritten or restarted
``journal.duplicate_mismatch``  a transaction already here comes again with another entry
==============================  ============================================================

A break never refuses the sale (DESIGN §5: sales are never lost): the transaction is stored,
the break is recorded once per transaction and reason in ``journal_breaks`` with the
register, the transaction id and the reason, logged, and reported to HQ per register by the
puller's status report (:func:`report` → HQ ``channel_db_entities.journal_break``).
:func:`head_of` is the register's chain head for ``GET /api/me`` (the seed of a register
that starts with an empty offline DB).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, delete, func, or_, select, update

from kassa.db import channel_schema as cs
from kassa.db.upsert import insert_ignore
from kassa.domain.errors import InvalidInput
from kassa.domain.journal import Break, JournalEntry, Received, genesis, received_breaks
from kassa.store.channel import RegisterIdentity

log = logging.getLogger("kassa.store.journal")
_t, _b = cs.transactions.c, cs.journal_breaks.c
#: Registers reported to HQ at most per status report.
MAX_REPORTED: Final = 1000
PENDING: Final = "pending"
CONFIRMED: Final = "confirmed"


def _entry(record: Mapping[str, Any]) -> JournalEntry | None:
    try:
        return JournalEntry.from_record(record)
    except InvalidInput:
        return None


def columns(record: Mapping[str, Any]) -> dict[str, str | None]:
    """``{"prev_hash", "hash"}`` of the channel row: the entry the record carries (``None``
    values when it has none or a malformed one)."""
    entry = _entry(record)
    if entry is None:
        return {"prev_hash": None, "hash": None}
    return {"prev_hash": entry.prev_hash, "hash": entry.hash}


def _has_hash(conn: Connection, register_id: uuid.UUID, digest: str, but: uuid.UUID) -> bool:
    return conn.execute(
        select(_t.id).where(_t.hash == digest, _t.register_id == register_id, _t.id != but)
        .limit(1)).first() is not None


#: Most values per ``IN (…)`` list (SQLite's limit on bound parameters is 32,766).
_CHUNK: Final = 500


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _chain_state(conn: Connection, rid: uuid.UUID, prevs: Sequence[str]
                 ) -> tuple[dict[str, list[uuid.UUID]], dict[str, list[uuid.UUID]]]:
    """``(holders, successors)`` of :func:`kassa.domain.journal.received_breaks` for the
    predecessors ``prevs``: one indexed read (per :data:`_CHUNK`) of the register's rows."""
    holders: dict[str, list[uuid.UUID]] = {}
    successors: dict[str, list[uuid.UUID]] = {}
    wanted = set(prevs)
    rows: list[Any] = []
    for part in _chunks(prevs):
        # the register is filtered here, not in SQL: so both dialects search the two hash
        # indexes (SQLite without statistics would scan the register's rows instead)
        rows += conn.execute(select(_t.id, _t.register_id, _t.hash, _t.prev_hash, _t.seq)
                             .where(or_(_t.hash.in_(part), _t.prev_hash.in_(part)))).all()
    seen: set[Any] = set()
    for row in sorted(rows, key=lambda r: (r.seq is None, r.seq or 0)):
        if row.register_id != rid or row.id in seen:  # seen: found through two chunks
            continue
        seen.add(row.id)
        if row.hash in wanted:
            holders.setdefault(row.hash, []).append(row.id)
        if row.prev_hash in wanted:
            successors.setdefault(row.prev_hash, []).append(row.id)
    return holders, successors


def _stored_entries(conn: Connection, ids: Sequence[uuid.UUID]
                    ) -> dict[uuid.UUID, tuple[str | None, str | None]]:
    out: dict[uuid.UUID, tuple[str | None, str | None]] = {}
    for part in _chunks(ids):
        for row in conn.execute(select(_t.id, _t.prev_hash, _t.hash).where(_t.id.in_(part))):
            out[row.id] = (row.prev_hash, row.hash)
    return out


def check(
    conn: Connection,
    register: RegisterIdentity,
    items: Sequence[tuple[uuid.UUID, Mapping[str, Any]]],
    inserted: set[uuid.UUID],
    *,
    upload: bool,
    now: datetime,
    canonical: Mapping[uuid.UUID, str] | None = None,
) -> list[Break]:
    """Check the entries of ``items`` (transaction id, record as received), already inserted
    in ``conn``'s transaction (``inserted``: the ids new now; the others were duplicates),
    in the register's chain order; record and return the breaks (module docstring).
    ``upload``: the records came offline (``POST /api/uploads``). ``canonical``: per id,
    ``canonical_json`` of its record when the caller made it already
    (:func:`kassa.domain.journal.received_canonical_json`). Never raises for bad records.

    A whole batch costs at most three statements (stored entries of duplicates, pending
    breaks the new entries resolve, the chain rows around the new entries) plus the insert
    of the breaks found; the rule itself is :func:`kassa.domain.journal.received_breaks`.
    """
    rid = register.id
    parsed = [(tid, record, _entry(record)) for tid, record in items]
    new = [e for tid, _, e in parsed if e is not None and tid in inserted]
    dups = [tid for tid, _, e in parsed if e is not None and tid not in inserted]
    stored = _stored_entries(conn, dups) if dups else {}
    for part in _chunks([e.hash for e in new]):  # successors that waited for these entries
        conn.execute(delete(cs.journal_breaks).where(
            _b.register_id == rid, _b.state == PENDING, _b.prev_hash.in_(part)))
    holders, successors = _chain_state(conn, rid, list(dict.fromkeys(e.prev_hash
                                                                     for e in new)))
    known = canonical or {}
    received = [Received(tid, record, e, tid in inserted, stored.get(tid), known.get(tid))
                for tid, record, e in parsed]
    found = received_breaks(rid, received, holders, successors, upload=upload)
    _record(conn, found, now)
    return found


def _record(conn: Connection, found: list[Break], now: datetime) -> None:
    if not found:
        return
    rows = [{"register_id": b.register_id, "transaction_id": b.transaction_id,
             "reason": b.reason, "detail": b.detail[:2000], "prev_hash": b.prev_hash,
             "state": PENDING if b.pending else CONFIRMED, "detected_at": now} for b in found]
    insert_ignore(conn, cs.journal_breaks, rows, key_cols=["transaction_id", "reason"])
    for b in found:
        log.warning("journal break of register %s at transaction %s: %s (%s)",
                    b.register_id, b.transaction_id, b.reason,
                    "pending" if b.pending else b.detail)


def settle(conn: Connection, register: RegisterIdentity, pending_uploads: int) -> int:
    """After the register reported ``pending_uploads``: with none left, every pending
    missing predecessor that is still missing is confirmed (a resolved one is dropped).
    Returns the breaks confirmed now."""
    if pending_uploads != 0:
        return 0
    rid = register.id
    confirmed = 0
    pending = conn.execute(select(_b.id, _b.transaction_id, _b.prev_hash).where(
        _b.register_id == rid, _b.state == PENDING)).all()
    for row in pending:
        if row.prev_hash is not None and _has_hash(conn, rid, row.prev_hash,
                                                   row.transaction_id):
            conn.execute(delete(cs.journal_breaks).where(_b.id == row.id))
            continue
        conn.execute(update(cs.journal_breaks).where(_b.id == row.id).values(
            state=CONFIRMED, detail=_b.detail + "; the register has nothing left to upload"))
        confirmed += 1
    return confirmed


def breaks_of(conn: Connection, register_id: uuid.UUID) -> list[dict[str, Any]]:
    """The register's recorded breaks, oldest first: ``{"transaction_id", "reason",
    "detail", "state", "detected_at"}``."""
    rows = conn.execute(select(_b.transaction_id, _b.reason, _b.detail, _b.state,
                               _b.detected_at).where(_b.register_id == register_id)
                        .order_by(_b.id)).all()
    return [dict(r._mapping) for r in rows]


def report(conn: Connection) -> list[dict[str, Any]]:
    """Confirmed breaks per register for the status report to HQ: ``{"register_id",
    "count", "transaction_id", "reason", "detail", "detected_at"}`` (the latest break; JSON
    ready: ids and ISO-8601 times as text)."""
    per = conn.execute(
        select(_b.register_id, func.count().label("n"), func.max(_b.id).label("last"))
        .where(_b.state == CONFIRMED).group_by(_b.register_id)
        .order_by(func.max(_b.id).desc()).limit(MAX_REPORTED)).all()
    if not per:
        return []
    latest = {int(r.id): r for r in conn.execute(
        select(_b.id, _b.transaction_id, _b.reason, _b.detail, _b.detected_at)
        .where(_b.id.in_([int(p.last) for p in per])))}
    out = []
    for p in per:
        last = latest[int(p.last)]
        out.append({"register_id": str(p.register_id), "count": int(p.n),
                    "transaction_id": str(last.transaction_id), "reason": last.reason,
                    "detail": str(last.detail)[:400],
                    "detected_at": last.detected_at.isoformat()})
    return out


def head_of(conn: Connection, register: RegisterIdentity) -> dict[str, Any]:
    """``{"head", "entries"}`` for ``GET /api/me``: the hash of the register's newest entry
    that no other entry follows (its genesis when the store has none) and how many of its
    transactions carry an entry here."""
    rid = register.id
    later = cs.transactions.alias("later")
    followed = select(later.c.id).where(later.c.register_id == rid,
                                        later.c.prev_hash == _t.hash).exists()
    head = conn.execute(select(_t.hash).where(_t.register_id == rid, _t.hash.is_not(None),
                                              ~followed).order_by(_t.seq.desc()).limit(1)
                        ).scalar()
    entries = conn.execute(select(func.count()).where(_t.register_id == rid,
                                                      _t.hash.is_not(None))).scalar_one()
    return {"head": str(head) if head is not None else genesis(rid), "entries": int(entries)}
