"""Packages the store server serves to its registers (DESIGN §4, issue 3 §5).

The puller keeps the **offline variant** (header + body, exactly as HQ made them) of every
package it pulls in the channel-DB table ``served_packages`` (migration channel 0002):
the snapshot it started from (and newer snapshots it fetches later) and every delta.
Registers list and download them (``GET /api/packages``, ``GET /api/packages/{n}/body``)
and verify them end to end with the header's SHA-256: the store server never re-encodes.

Listing rule (:func:`listing`), for a register at checkpoint ``after``:

* ``after`` None (a new offline DB), or the deltas right after ``after`` are not held here
  (the register is older than anything this store server kept) → the newest snapshot
  header first, then the deltas after it;
* otherwise the deltas numbered after ``after``, ascending.

At most ``limit`` headers (1…1000).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    func,
    select,
)

from kassa.db import channel_schema
from kassa.db.types import UTCDateTime
from kassa.db.upsert import insert_ignore
from kassa.domain.errors import NotFound

#: Most headers one listing returns.
MAX_LISTING: Final = 1000


def _table() -> Table:
    existing = getattr(channel_schema, "served_packages", None)
    if isinstance(existing, Table):
        return existing
    return Table(
        "served_packages",
        channel_schema.metadata,
        Column("data_group_id", Integer, primary_key=True, autoincrement=False),
        Column("number", BigInteger, primary_key=True, autoincrement=False),
        Column("kind", String(16), primary_key=True),
        Column("header", Text, nullable=False),  # JSON: kassa.sync.package.make_header keys
        Column("body", LargeBinary, nullable=False),  # offline variant body bytes
        Column("received_at", UTCDateTime, nullable=False),
        CheckConstraint("kind IN ('delta', 'snapshot')", name="kind"),
    )


#: ``served_packages`` (created by channel migration 0002).
served_packages: Final[Table] = _table()
_s = served_packages.c


def keep(conn: Connection, header: dict[str, Any], body: bytes, now: datetime) -> bool:
    """Store one offline-variant package (insert-or-ignore by (group, number, kind)).

    Returns:
        True when stored now, False when it was already there.
    """
    return bool(
        insert_ignore(
            conn,
            served_packages,
            [
                {
                    "data_group_id": int(header["data_group_id"]),
                    "number": int(header["number"]),
                    "kind": str(header["kind"]),
                    "header": json.dumps(header, sort_keys=True),
                    "body": body,
                    "received_at": now,
                }
            ],
        )
    )


def newest_snapshot(conn: Connection, group: int) -> int | None:
    """Number of the newest snapshot held for ``group``, or None."""
    value = conn.execute(
        select(func.max(_s.number)).where(_s.data_group_id == group, _s.kind == "snapshot")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def newest_delta(conn: Connection, group: int) -> int | None:
    """Number of the newest delta held for ``group``, or None."""
    value = conn.execute(
        select(func.max(_s.number)).where(_s.data_group_id == group, _s.kind == "delta")
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _deltas(conn: Connection, group: int, after: int, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(_s.header)
        .where(_s.data_group_id == group, _s.kind == "delta", _s.number > after)
        .order_by(_s.number)
        .limit(limit)
    ).scalars()
    return [json.loads(h) for h in rows]


def _header(conn: Connection, group: int, number: int, kind: str) -> dict[str, Any] | None:
    raw = conn.execute(
        select(_s.header).where(
            _s.data_group_id == group, _s.number == number, _s.kind == kind
        )
    ).scalar_one_or_none()
    return None if raw is None else dict(json.loads(raw))


def listing(
    conn: Connection, group: int, after: int | None, limit: int = 100
) -> list[dict[str, Any]]:
    """Headers a register at checkpoint ``after`` should apply next (module docstring).

    Returns:
        headers (offline variant), snapshot first when one is needed; ``[]`` when the
        register is up to date or nothing is held yet.
    """
    limit = max(1, min(limit, MAX_LISTING))
    if after is not None:
        deltas = _deltas(conn, group, after, limit)
        if deltas and deltas[0]["base_number"] == after:
            return deltas  # continuous from the register's checkpoint
        if not deltas:
            newest = max(newest_delta(conn, group) or 0, newest_snapshot(conn, group) or 0)
            if after >= newest:
                return []  # up to date (or ahead of anything held here)
    snap = newest_snapshot(conn, group)
    if snap is None:
        return []
    header = _header(conn, group, snap, "snapshot")
    assert header is not None
    return [header, *_deltas(conn, group, snap, limit - 1)] if limit > 1 else [header]


def body(conn: Connection, group: int, number: int, kind: str) -> tuple[dict[str, Any], bytes]:
    """Header and body bytes of one served package.

    Raises:
        NotFound: code ``package.unknown`` (never pulled here, or another data group).
    """
    rec = conn.execute(
        select(_s.header, _s.body).where(
            _s.data_group_id == group, _s.number == number, _s.kind == kind
        )
    ).first()
    if rec is None:
        raise NotFound(
            f"this store server holds no {kind} package {number}",
            code="package.unknown",
            details={"number": number, "kind": kind},
        )
    return dict(json.loads(rec.header)), bytes(rec.body)
