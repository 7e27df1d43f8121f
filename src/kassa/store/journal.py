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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, delete, func, select, update

from kassa.db import channel_schema as cs
from kassa.db.upsert import insert_ignore
from kassa.domain.errors import InvalidInput
from kassa.domain.journal import JournalEntry, genesis
from kassa.store.channel import RegisterIdentity

log = logging.getLogger("kassa.store.journal")
_t, _b = cs.transactions.c, cs.journal_breaks.c
#: Registers reported to HQ at most per status report.
MAX_REPORTED: Final = 1000
PENDING: Final = "pending"
CONFIRMED: Final = "confirmed"


@dataclass(frozen=True)
class Break:
    """One break: register, transaction, ``journal.*`` reason, text for people; ``prev_hash``
    of a missing predecessor; ``pending`` until confirmed (module docstring)."""

    register_id: uuid.UUID
    transaction_id: uuid.UUID
    reason: str
    detail: str
    prev_hash: str | None = None
    pending: bool = False


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


def _other_successor(
    conn: Connection, register_id: uuid.UUID, prev_hash: str, but: uuid.UUID
) -> uuid.UUID | None:
    found = conn.execute(
        select(_t.id).where(_t.prev_hash == prev_hash, _t.register_id == register_id,
                            _t.id != but).limit(1)).scalar()
    return None if found is None else uuid.UUID(str(found))


def _check_one(conn: Connection, register: RegisterIdentity, tid: uuid.UUID,
               record: Mapping[str, Any], new: bool, upload: bool) -> list[Break]:
    rid = register.id
    entry = _entry(record)
    if entry is None:
        return [Break(rid, tid, "journal.missing",
                      f"transaction {tid} came without a valid journal entry")]
    if not new:
        stored = conn.execute(select(_t.prev_hash, _t.hash).where(_t.id == tid)).first()
        if stored is not None and stored.hash is not None and (
                stored.prev_hash, stored.hash) != (entry.prev_hash, entry.hash):
            return [Break(rid, tid, "journal.duplicate_mismatch",
                          f"transaction {tid} came again with another journal entry "
                          f"(hash {entry.hash[:12]}…, stored {str(stored.hash)[:12]}…)")]
        return []
    out: list[Break] = []
    if not entry.matches(record):
        out.append(Break(rid, tid, "journal.hash_mismatch",
                         f"transaction {tid} does not match its journal hash "
                         f"{entry.hash[:12]}…: it was changed after it was recorded"))
    conn.execute(delete(cs.journal_breaks).where(  # successors that waited for this entry
        _b.register_id == rid, _b.state == PENDING, _b.prev_hash == entry.hash))
    if entry.prev_hash != genesis(rid) and not _has_hash(conn, rid, entry.prev_hash, tid):
        where = "was never received" if upload else "is not here (yet)"
        out.append(Break(rid, tid, "journal.missing_predecessor",
                         f"the transaction before {tid} (hash {entry.prev_hash[:12]}…) "
                         f"{where}: a transaction is missing from the journal",
                         prev_hash=entry.prev_hash, pending=not upload))
    other = _other_successor(conn, rid, entry.prev_hash, tid)
    if other is not None:
        out.append(Break(rid, tid, "journal.fork",
                         f"transactions {tid} and {other} both follow hash "
                         f"{entry.prev_hash[:12]}…: the journal was rewritten or restarted"))
    return out


def check(
    conn: Connection,
    register: RegisterIdentity,
    items: Sequence[tuple[uuid.UUID, Mapping[str, Any]]],
    inserted: set[uuid.UUID],
    *,
    upload: bool,
    now: datetime,
) -> list[Break]:
    """Check the entries of ``items`` (transaction id, record as received), already inserted
    in ``conn``'s transaction (``inserted``: the ids new now; the others were duplicates),
    in the register's chain order; record and return the breaks (module docstring).
    ``upload``: the records came offline (``POST /api/uploads``). Never raises for bad
    records."""
    found: list[Break] = []
    for tid, record in items:
        found += _check_one(conn, register, tid, record, tid in inserted, upload)
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
