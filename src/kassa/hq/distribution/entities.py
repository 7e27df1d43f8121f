"""HQ's view of channel database entities and what their owners report (DESIGN §4, issue 3 §7).

Per entity: checkpoint (last applied package number), **lag** in packages (the group's newest
delta number − checkpoint; None while the target has no checkpoint), last contact, pending
uploads and mode as last reported. The store server reports its own channel DB and its
registers' offline DBs (``POST /api/status``) through :func:`record_status`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import channel_db_entities as e
from kassa.db.hq_distribution_schema import data_packages as p
from kassa.domain.errors import InvalidInput, NotAllowed
from kassa.hq.distribution.setup import active_offline_entity, ensure_channel_entity, get_register

#: Longest accepted mode text (the column is 40 characters).
MAX_MODE = 40


@dataclass(frozen=True)
class EntityView:
    """One row of the channel-database view."""

    id: uuid.UUID
    kind: str
    data_group_id: int
    store_id: int
    register_id: uuid.UUID | None
    register_number: int | None
    active: bool
    checkpoint: int | None
    latest_number: int | None
    lag: int | None
    last_contact_at: datetime | None
    pending_uploads: int | None
    mode: str | None
    created_at: datetime
    retired_at: datetime | None
    journal_break: str | None = None  # issue 8 §4 (kassa.hq.distribution.journal_flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (ids as text, times as ISO text)."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, uuid.UUID):
                out[key] = str(value)
            elif isinstance(value, datetime):
                out[key] = value.isoformat()
        return out


def latest_numbers(conn: Connection, group_ids: list[int] | None = None) -> dict[int, int]:
    """Newest delta number per data group (groups without packages are absent)."""
    stmt = select(p.c.data_group_id, func.max(p.c.number)).where(p.c.kind == "delta")
    if group_ids is not None:
        stmt = stmt.where(p.c.data_group_id.in_(group_ids))
    return {int(g): int(n) for g, n in conn.execute(stmt.group_by(p.c.data_group_id))}


def channel_databases(
    conn: Connection,
    *,
    data_group_id: int | None = None,
    store_id: int | None = None,
    include_retired: bool = False,
) -> list[EntityView]:
    """The channel-database view, ordered by group, store, kind (channel first), register."""
    stmt = select(e, s.registers.c.number.label("register_number")).outerjoin(
        s.registers, s.registers.c.id == e.c.register_id
    )
    if data_group_id is not None:
        stmt = stmt.where(e.c.data_group_id == data_group_id)
    if store_id is not None:
        stmt = stmt.where(e.c.store_id == store_id)
    if not include_retired:
        stmt = stmt.where(e.c.active.is_(True))
    stmt = stmt.order_by(e.c.data_group_id, e.c.store_id, e.c.kind, s.registers.c.number)
    recs = conn.execute(stmt).mappings().all()
    latest = latest_numbers(conn, sorted({int(r["data_group_id"]) for r in recs}))
    out = []
    for r in recs:
        newest = latest.get(int(r["data_group_id"]))
        checkpoint = r["checkpoint"]
        lag = None if checkpoint is None or newest is None else max(0, newest - int(checkpoint))
        out.append(
            EntityView(
                id=r["id"],
                kind=r["kind"],
                data_group_id=int(r["data_group_id"]),
                store_id=int(r["store_id"]),
                register_id=r["register_id"],
                register_number=r["register_number"],
                active=bool(r["active"]),
                checkpoint=checkpoint,
                latest_number=newest,
                lag=lag,
                last_contact_at=r["last_contact_at"],
                pending_uploads=r["pending_uploads"],
                mode=r["mode"],
                created_at=r["created_at"],
                retired_at=r["retired_at"],
                journal_break=r["journal_break"],
            )
        )
    return out


def record_status(
    conn: Connection,
    *,
    store_id: int,
    register_id: uuid.UUID | str | None,
    checkpoint: int | None,
    pending_uploads: int | None,
    mode: str | None,
    now: datetime,
) -> uuid.UUID | None:
    """Record what a store server reports for its channel DB (``register_id`` None) or for
    one of its registers' offline DBs; ``last_contact_at`` becomes ``now``.

    Returns:
        the entity updated, or None for a register without Support offline (no entity).

    Raises:
        InvalidInput: ``status.invalid`` (negative numbers, mode too long), ``id.invalid``;
        NotFound: ``store.unknown``, ``register.unknown``; NotAllowed: ``status.other_store``
        (a register of another store).
    """
    if (checkpoint is not None and checkpoint < 0) or (
        pending_uploads is not None and pending_uploads < 0
    ):
        raise InvalidInput(
            "checkpoint and pending uploads cannot be negative", code="status.invalid"
        )
    if mode is not None and len(mode) > MAX_MODE:
        raise InvalidInput(f"mode is longer than {MAX_MODE} characters", code="status.invalid")
    if register_id is None:
        entity: uuid.UUID | None = ensure_channel_entity(conn, store_id, now)
    else:
        reg = get_register(conn, register_id)
        if int(reg.store_id) != store_id:
            raise NotAllowed(
                f"register {reg.id} belongs to store {reg.store_id}, not to store {store_id}",
                code="status.other_store",
            )
        entity = active_offline_entity(conn, reg.id)
    if entity is None:
        return None
    conn.execute(
        update(e)
        .where(e.c.id == entity)
        .values(
            checkpoint=checkpoint, pending_uploads=pending_uploads, mode=mode, last_contact_at=now
        )
    )
    return entity
