"""Journal breaks of registers, flagged at HQ (issue 8 §4: "the store server verifies the
chain on upload and flags breaks at HQ").

A store server reports, with its status (``POST /api/status``, field ``journal_breaks``),
one item per register whose tamper-evident journal has confirmed breaks
(:func:`kassa.store.journal.report`): how many, and the latest with its transaction id and
reason. :func:`record_breaks` writes a one-line summary into ``journal_break`` of the
register's active ``offline`` channel-database entity — or, for a register without Support
offline (no such entity), of the store's ``channel`` entity, prefixed with the register
number. The channel-database view (``GET /api/channel-databases``) shows it; the value is
replaced by each report (the store reports the totals every time, so this is idempotent).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, update

from kassa.db.hq_distribution_schema import channel_db_entities as e
from kassa.domain.errors import NotAllowed
from kassa.hq.distribution.setup import active_offline_entity, ensure_channel_entity, get_register


@dataclass(frozen=True)
class ReportedBreak:
    """What a store server reports for one register (module docstring)."""

    register_id: uuid.UUID
    count: int
    transaction_id: uuid.UUID
    reason: str
    detail: str
    detected_at: datetime


def summary(item: ReportedBreak) -> str:
    """``"3 journal break(s); latest 2017-06-01T09:00:00+00:00: transaction <id>:
    journal.hash_mismatch — <detail>"``."""
    return (f"{item.count} journal break(s); latest {item.detected_at.isoformat()}: "
            f"transaction {item.transaction_id}: {item.reason} — {item.detail}")


def record_breaks(
    conn: Connection, store_id: int, items: Sequence[ReportedBreak], now: datetime
) -> int:
    """Flag the reported breaks on the registers' entities; returns the entities flagged.

    Raises:
        NotFound: ``register.unknown``; NotAllowed: ``status.other_store`` (a register of
        another store: nothing of the report is written, the caller's transaction rolls back).
    """
    flagged = 0
    for item in items:
        reg = get_register(conn, item.register_id)
        if int(reg.store_id) != store_id:
            raise NotAllowed(
                f"register {reg.id} belongs to store {reg.store_id}, not to store {store_id}",
                code="status.other_store",
            )
        text = summary(item)
        entity = active_offline_entity(conn, reg.id)
        if entity is None:
            entity = ensure_channel_entity(conn, store_id, now)
            text = f"register {reg.number}: {text}"
        conn.execute(update(e).where(e.c.id == entity).values(journal_break=text[:2000]))
        flagged += 1
    return flagged
