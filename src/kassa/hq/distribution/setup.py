"""Setup at HQ: Support offline and channel database entities (DESIGN §1, §4; reference
"POS offline functionality", Setup).

* Setting **Support offline** on a register creates a channel database entity of kind
  ``offline`` in its store's channel data group; clearing it retires the entity (kept, with
  ``retired_at``, for history). Setting it again later creates a new entity: a new offline
  DB starts without a checkpoint. Either change takes a new change version for the register
  row (job 1070 carries it to the store's channel DB).
* Each store's channel DB is an entity of kind ``channel`` (:func:`ensure_channel_entity`).
* :func:`reconcile_entities` creates/retires entities so they match the registers' flags
  (for registers imported with ``support_offline`` already set).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import channel_db_entities as e
from kassa.domain.errors import NotFound
from kassa.domain.ids import new_id, parse_id
from kassa.hq.masterdata import next_version


@dataclass(frozen=True)
class SupportOffline:
    """Result of :func:`set_support_offline`; ``entity_id`` is the active offline entity
    (None when switched off); ``changed`` is False when the flag already had that value."""

    register_id: uuid.UUID
    store_id: int
    support_offline: bool
    entity_id: uuid.UUID | None
    changed: bool


def get_register(conn: Connection, register_id: uuid.UUID | str) -> Any:
    """The register row joined with its store's data group (``data_group_id``).

    Raises:
        InvalidInput: ``id.invalid``; NotFound: ``register.unknown``.
    """
    rid = parse_id(register_id, "register id")
    r = s.registers.c
    rec = conn.execute(
        select(r.id, r.store_id, r.number, r.name, r.support_offline, s.stores.c.data_group_id)
        .join(s.stores, s.stores.c.id == r.store_id)
        .where(r.id == rid)
    ).first()
    if rec is None:
        raise NotFound(f"no register {rid}", code="register.unknown")
    return rec


def register_by_number(conn: Connection, store_id: int, number: int) -> uuid.UUID:
    """Id of register ``number`` of store ``store_id``. Raises NotFound ``register.unknown``."""
    r = s.registers.c
    rid = conn.execute(
        select(r.id).where(r.store_id == store_id, r.number == number)
    ).scalar_one_or_none()
    if rid is None:
        raise NotFound(f"store {store_id} has no register {number}", code="register.unknown")
    return rid


def _store_group(conn: Connection, store_id: int) -> int:
    group = conn.execute(
        select(s.stores.c.data_group_id).where(s.stores.c.id == store_id)
    ).scalar_one_or_none()
    if group is None:
        raise NotFound(f"no store {store_id}", code="store.unknown")
    return int(group)


def _new_entity(
    conn: Connection,
    *,
    kind: str,
    group: int,
    store_id: int,
    register_id: uuid.UUID | None,
    now: datetime,
) -> uuid.UUID:
    entity_id = new_id()
    conn.execute(
        insert(e).values(
            id=entity_id,
            data_group_id=group,
            kind=kind,
            store_id=store_id,
            register_id=register_id,
            active=True,
            created_at=now,
        )
    )
    return entity_id


def ensure_channel_entity(conn: Connection, store_id: int, now: datetime) -> uuid.UUID:
    """The active ``channel`` entity of a store, created if missing; its data group is kept
    equal to the store's. Raises NotFound ``store.unknown``."""
    group = _store_group(conn, store_id)
    rec = conn.execute(
        select(e.c.id, e.c.data_group_id).where(
            e.c.store_id == store_id, e.c.kind == "channel", e.c.active.is_(True)
        )
    ).first()
    if rec is None:
        return _new_entity(
            conn, kind="channel", group=group, store_id=store_id, register_id=None, now=now
        )
    if rec.data_group_id != group:
        conn.execute(update(e).where(e.c.id == rec.id).values(data_group_id=group))
    return rec.id


def active_offline_entity(conn: Connection, register_id: uuid.UUID) -> uuid.UUID | None:
    """Id of the register's active ``offline`` entity, or None."""
    return conn.execute(
        select(e.c.id).where(
            e.c.register_id == register_id, e.c.kind == "offline", e.c.active.is_(True)
        )
    ).scalar_one_or_none()


def set_support_offline(
    conn: Connection, register_id: uuid.UUID | str, on: bool, now: datetime
) -> SupportOffline:
    """Set or clear **Support offline** on a register (module docstring), in the caller's
    transaction.

    Raises:
        InvalidInput: ``id.invalid``; NotFound: ``register.unknown``.
    """
    reg = get_register(conn, register_id)
    ensure_channel_entity(conn, reg.store_id, now)
    entity = active_offline_entity(conn, reg.id)
    changed = bool(reg.support_offline) != on
    if changed:
        conn.execute(
            update(s.registers)
            .where(s.registers.c.id == reg.id)
            .values(support_offline=on, version=next_version(conn))
        )
    if on and entity is None:
        entity = _new_entity(
            conn,
            kind="offline",
            group=reg.data_group_id,
            store_id=reg.store_id,
            register_id=reg.id,
            now=now,
        )
    elif not on and entity is not None:
        _retire(conn, [entity], now)
        entity = None
    return SupportOffline(reg.id, reg.store_id, on, entity, changed)


def _retire(conn: Connection, entity_ids: list[uuid.UUID], now: datetime) -> None:
    conn.execute(update(e).where(e.c.id.in_(entity_ids)).values(active=False, retired_at=now))


def reconcile_entities(conn: Connection, now: datetime) -> dict[str, int]:
    """Make entities match master data: a ``channel`` entity per store, an active
    ``offline`` entity exactly for registers with Support offline.

    Returns:
        ``{"channel_created", "offline_created", "offline_retired"}`` counts.
    """
    r = s.registers.c
    counts = {"channel_created": 0, "offline_created": 0, "offline_retired": 0}
    with_channel = set(
        conn.execute(
            select(e.c.store_id).where(e.c.kind == "channel", e.c.active.is_(True))
        ).scalars()
    )
    for store_id in conn.execute(select(s.stores.c.id)).scalars():
        if store_id not in with_channel:
            ensure_channel_entity(conn, store_id, now)
            counts["channel_created"] += 1
    active = e.c.active.is_(True)
    missing = conn.execute(
        select(r.id, r.store_id, s.stores.c.data_group_id)
        .join(s.stores, s.stores.c.id == r.store_id)
        .outerjoin(e, and_(e.c.register_id == r.id, e.c.kind == "offline", active))
        .where(r.support_offline.is_(True), e.c.id.is_(None))
    ).all()
    rows = [
        {
            "id": new_id(),
            "data_group_id": m.data_group_id,
            "kind": "offline",
            "store_id": m.store_id,
            "register_id": m.id,
            "active": True,
            "created_at": now,
        }
        for m in missing
    ]
    if rows:
        conn.execute(insert(e), rows)
    counts["offline_created"] = len(rows)
    stale = list(
        conn.execute(
            select(e.c.id)
            .join(s.registers, s.registers.c.id == e.c.register_id)
            .where(e.c.kind == "offline", active, r.support_offline.is_(False))
        ).scalars()
    )
    if stale:
        _retire(conn, stale, now)
    counts["offline_retired"] = len(stale)
    return counts
