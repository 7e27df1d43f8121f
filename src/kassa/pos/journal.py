"""The register's side of its tamper-evident journal (issue 8 §4; :mod:`kassa.domain.journal`).

Rule source: issue 8 §4 — "each offline transaction carries the hash of the previous one on
that register (a chain seeded by the store server while online)". Every finished
transaction the register stores in its offline DB — committed offline (upload state
``pending``) or the journal copy of one the store server committed online — gets
``prev_hash`` / ``hash`` in its ``transactions`` row (:meth:`RegisterJournal.stamp_row`,
called by :class:`kassa.pos.offline_source.OfflineSource` inside the inserting DB
transaction). The chain order is the offline DB's commit order (``transactions.seq``):

* ``prev_hash`` = the ``hash`` of the newest row; for the register's first row the
  :attr:`RegisterJournal.seed` — the head the store server holds for the register
  (``GET /api/me`` ``journal.head``, read when the register starts with an empty offline DB)
  — else the register's genesis value;
* ``hash`` = SHA-256(``prev_hash`` + canonical JSON of the record as stored).

Online commits advance the same chain: :meth:`RegisterJournal.stamped` adds the entry the
commit will have to the record sent to the store server (``"journal"``), which verifies it
(:mod:`kassa.store.journal`). The entry is a function of the offline DB's state and the
record only (``mode`` is outside the hash), so the copy stored after the answer, or the
offline commit of a commit in doubt, gets exactly the entry that was sent. The uploader sends
each row's entry with its record (:mod:`kassa.sync.uploader`). Only the POS engine writes
transactions, one at a time (its lock), so reading the head and inserting cannot interleave.

:func:`verify_rows` checks a chain as stored (the register's own check; tests).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, select

from kassa.db import offline_schema as s
from kassa.domain.journal import (
    JournalEntry,
    genesis,
    hash_of,
    is_hash,
    made_canonical_json,
    with_entry,
)

_t = s.transactions.c


def seed_of(me: Mapping[str, Any]) -> str | None:
    """The store server's chain head for this register from a ``GET /api/me`` answer
    (``journal.head``), or ``None`` when it has none or a malformed one."""
    info = me.get("journal")
    head = info.get("head") if isinstance(info, Mapping) else None
    return head if is_hash(head) else None


class RegisterJournal:
    """The chain of one register's offline DB (module docstring).

    Args:
        engine: the offline DB. seed: the store server's head for an empty journal.
    """

    def __init__(self, engine: Engine, seed: str | None = None) -> None:
        self.engine = engine
        self.seed = seed

    def head(self, conn: Connection) -> str | None:
        """The ``hash`` of the newest row that has one; ``None`` for an empty journal."""
        found = conn.execute(select(_t.hash).where(_t.hash.is_not(None))
                             .order_by(_t.seq.desc()).limit(1)).scalar()
        return None if found is None else str(found)

    def entry(self, conn: Connection, record: Mapping[str, Any]) -> JournalEntry:
        """The entry ``record`` gets when it is stored next."""
        prev = self.head(conn) or self.seed or genesis(str(record["register_id"]))
        # the register's own records come from to_record(): no floats (made_canonical_json)
        return JournalEntry(prev, hash_of(prev, made_canonical_json(record)))

    def stamped(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``record`` with the entry it will have (``"journal"``), for the store server."""
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            return with_entry(record, self.entry(conn, record))

    def stamp_row(self, conn: Connection, row: dict[str, Any]) -> JournalEntry:
        """Set ``prev_hash`` / ``hash`` of a ``transactions`` row about to be inserted in
        ``conn``'s transaction (``row["record"]``: the record's JSON text as stored)."""
        entry = self.entry(conn, json.loads(row["record"]))
        row["prev_hash"], row["hash"] = entry.prev_hash, entry.hash
        return entry


@dataclass(frozen=True)
class ChainProblem:
    """A break found by :func:`verify_rows`: the transaction and what is wrong."""

    transaction_id: UUID
    reason: str


def verify_rows(engine: Engine, register_id: UUID, seed: str | None = None) -> list[ChainProblem]:
    """Check the register's chain as stored in its offline DB, in commit order: every row's
    hash matches its record and follows the previous row (``journal.hash_mismatch``,
    ``journal.broken_link``, ``journal.missing`` for a row without an entry)."""
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        rows = conn.execute(select(_t.id, _t.record, _t.prev_hash, _t.hash)
                            .order_by(_t.seq)).all()
    problems: list[ChainProblem] = []
    prev = seed or genesis(register_id)
    for row in rows:
        if row.hash is None or row.prev_hash is None:
            problems.append(ChainProblem(row.id, "journal.missing"))
            continue
        entry = JournalEntry(str(row.prev_hash), str(row.hash))
        if not entry.matches(json.loads(row.record)):
            problems.append(ChainProblem(row.id, "journal.hash_mismatch"))
        if entry.prev_hash != prev:
            problems.append(ChainProblem(row.id, "journal.broken_link"))
        prev = entry.hash
    return problems
