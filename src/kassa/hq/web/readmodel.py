"""Read models of the back-office pages: paged, so each page costs the same with 457 stores
× 4 registers as with two (issue 6: page loads < 100 ms with the real catalogue).

* :func:`store_page` — stores (filtered by id, or by part of the name), 25 a page, each with
  its registers, Support offline and the register's active offline entity.
* :func:`offline_status` — the register offline status dashboard: per active channel database
  entity (DESIGN §4): store, register, mode, checkpoint, lag in packages (the group's newest
  delta − checkpoint, as :mod:`kassa.hq.distribution.entities` defines it), pending uploads,
  last contact; a summary over *all* entities; rows paged, optionally only those that need
  attention. (:func:`kassa.hq.distribution.entities.channel_databases` returns every
  entity at once, ≈ 0.1 s for 2,285 entities, hence this paged query.)
* :func:`overview` — the counts of the overview page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import channel_db_entities as e
from kassa.db.hq_distribution_schema import data_packages as p
from kassa.db.hq_distribution_schema import distribution_schedules
from kassa.db.hq_giftcard_schema import stored_value_audit, stored_value_cards
from kassa.db.hq_posting_schema import posted_transactions

#: Stores a page of the stores page (≈ 100 register rows) and channel databases a page of the
#: dashboard: sized so that Chromium renders a page well under 100 ms (issue 6).
STORES_PER_PAGE: Final = 25
ENTITIES_PER_PAGE: Final = 50
#: A target whose last contact is older than this is shown as "stale" (seconds).
STALE_S: Final = 300


@dataclass(frozen=True)
class Paging:
    """Page ``page`` (1-based) of ``total`` items, ``per_page`` a page."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def offset(self) -> int:
        """Items before this page."""
        return (min(self.page, self.pages) - 1) * self.per_page


@dataclass(frozen=True)
class RegisterRow:
    """A register on the stores page."""

    id: uuid.UUID
    number: int
    name: str
    support_offline: bool
    entity_id: uuid.UUID | None


@dataclass(frozen=True)
class StoreRow:
    """A store on the stores page with its registers."""

    id: int
    name: str
    data_group_id: int
    offline_profile: str
    registers: list[RegisterRow] = field(default_factory=list)


def _store_filter(query: str | None) -> ColumnElement[bool] | None:
    q = (query or "").strip()
    if not q:
        return None
    if q.isdigit() and len(q) < 10:
        return s.stores.c.id == int(q)
    return s.stores.c.name.icontains(q, autoescape=True)


def store_page(conn: Connection, *, query: str | None, page: int) -> tuple[list[StoreRow], Paging]:
    """Stores matching ``query`` (store id, or part of the name), page ``page``."""
    st = s.stores.c
    where = _store_filter(query)
    count = select(func.count()).select_from(s.stores)
    if where is not None:
        count = count.where(where)
    paging = Paging(max(1, page), STORES_PER_PAGE, int(conn.execute(count).scalar_one()))
    stmt = (
        select(st.id, st.name, st.data_group_id, s.offline_profiles.c.name.label("profile"))
        .join(s.offline_profiles, s.offline_profiles.c.id == st.offline_profile_id)
        .order_by(st.id)
        .limit(paging.per_page)
        .offset(paging.offset)
    )
    if where is not None:
        stmt = stmt.where(where)
    stores = {
        r.id: StoreRow(r.id, r.name, r.data_group_id, r.profile) for r in conn.execute(stmt)
    }
    if stores:
        r = s.registers.c
        offline = and_(e.c.register_id == r.id, e.c.kind == "offline", e.c.active.is_(True))
        regs = conn.execute(
            select(r.id, r.store_id, r.number, r.name, r.support_offline, e.c.id.label("entity"))
            .outerjoin(e, offline)
            .where(r.store_id.in_(list(stores)))
            .order_by(r.store_id, r.number)
        )
        for reg in regs:
            stores[reg.store_id].registers.append(
                RegisterRow(reg.id, reg.number, reg.name, bool(reg.support_offline), reg.entity)
            )
    return list(stores.values()), paging


@dataclass(frozen=True)
class StatusRow:
    """One channel database entity on the dashboard; ``state`` is ``ok``, ``warn``,
    ``bad`` or ``muted`` (the colour) and ``notes`` says why."""

    kind: str
    store_id: int
    store_name: str
    data_group_id: int
    register_number: int | None
    mode: str | None
    checkpoint: int | None
    latest_number: int | None
    lag: int | None
    pending_uploads: int | None
    last_contact_at: datetime | None
    contact_age_s: float | None
    state: str
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (times as ISO text)."""
        out = dict(self.__dict__)
        out["last_contact_at"] = self.last_contact_at.isoformat() if self.last_contact_at else None
        out["notes"] = list(self.notes)
        return out


@dataclass(frozen=True)
class StatusSummary:
    """Counts over every active entity."""

    targets: int
    registers: int
    offline: int
    lagging: int
    no_checkpoint: int
    stale: int
    pending_uploads: int


def _latest() -> Any:
    return (
        select(p.c.data_group_id, func.max(p.c.number).label("latest"))
        .where(p.c.kind == "delta")
        .group_by(p.c.data_group_id)
        .subquery()
    )


def _attention(latest: Any, stale_before: datetime) -> ColumnElement[bool]:
    return or_(
        e.c.mode.like("offline%"),
        e.c.checkpoint.is_(None),
        latest.c.latest > e.c.checkpoint,
        e.c.pending_uploads > 0,
        e.c.last_contact_at.is_(None),
        e.c.last_contact_at < stale_before,
        e.c.journal_break.is_not(None),
    )


def _judge(row: Any, contact_age: float | None) -> tuple[str, tuple[str, ...]]:
    notes = []
    state = "ok"
    mode = row.mode or ""
    lag = None if row.checkpoint is None or row.latest is None else row.latest - row.checkpoint
    if mode.startswith("offline"):
        notes.append(mode)
        state = "bad" if "automatic" in mode else "warn"
    if row.journal_break:  # the offline journal of this register was edited (issue 8 §4)
        notes.insert(0, f"journal break: {row.journal_break}")
        state = "bad"
    if row.checkpoint is None:
        notes.append("no checkpoint yet")
        state = "muted" if state == "ok" else state
    elif lag:
        notes.append(f"{lag} package{'s' if lag != 1 else ''} behind")
        state = "warn" if state in ("ok", "muted") else state
    if row.pending_uploads:
        notes.append(f"{row.pending_uploads} waiting for upload")
        state = "warn" if state in ("ok", "muted") else state
    if contact_age is None:
        notes.append("never reported")
        state = "muted" if state == "ok" else state
    elif contact_age > STALE_S:
        notes.append("no contact for a while")
        state = "warn" if state in ("ok", "muted") else state
    return state, tuple(notes)


def status_summary(conn: Connection, now: datetime) -> StatusSummary:
    """Counts over every active channel database entity (the dashboard's summary)."""
    latest = _latest()
    stale_before = now - timedelta(seconds=STALE_S)
    base = e.outerjoin(latest, latest.c.data_group_id == e.c.data_group_id)

    def count(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    row = conn.execute(
        select(
            func.count(),
            count(e.c.kind == "offline"),
            count(e.c.mode.like("offline%")),
            count(latest.c.latest > e.c.checkpoint),
            count(e.c.checkpoint.is_(None)),
            count(or_(e.c.last_contact_at.is_(None), e.c.last_contact_at < stale_before)),
            func.coalesce(func.sum(e.c.pending_uploads), 0),
        ).select_from(base).where(e.c.active.is_(True))
    ).one()
    return StatusSummary(*(int(x) for x in row))


def offline_status(
    conn: Connection,
    *,
    now: datetime,
    store_id: int | None = None,
    attention_only: bool = False,
    page: int = 1,
) -> tuple[StatusSummary, list[StatusRow], Paging]:
    """The dashboard (module docstring): summary over all, rows of page ``page``."""
    latest = _latest()
    stale_before = now - timedelta(seconds=STALE_S)
    base = e.outerjoin(latest, latest.c.data_group_id == e.c.data_group_id)
    active = e.c.active.is_(True)
    summary = status_summary(conn, now)
    where: list[ColumnElement[bool]] = [active]
    if store_id is not None:
        where.append(e.c.store_id == store_id)
    if attention_only:
        where.append(_attention(latest, stale_before))
    total = conn.execute(select(func.count()).select_from(base).where(*where)).scalar_one()
    paging = Paging(max(1, page), ENTITIES_PER_PAGE, int(total))
    rows = conn.execute(
        select(
            e.c.kind, e.c.store_id, s.stores.c.name.label("store_name"), e.c.data_group_id,
            s.registers.c.number.label("register_number"), e.c.mode, e.c.checkpoint,
            latest.c.latest, e.c.pending_uploads, e.c.last_contact_at, e.c.journal_break,
        )
        .select_from(
            base.join(s.stores, s.stores.c.id == e.c.store_id).outerjoin(
                s.registers, s.registers.c.id == e.c.register_id
            )
        )
        .where(*where)
        .order_by(e.c.store_id, e.c.kind, s.registers.c.number)
        .limit(paging.per_page)
        .offset(paging.offset)
    )
    out = []
    for r in rows:
        age = None if r.last_contact_at is None else (now - r.last_contact_at).total_seconds()
        state, notes = _judge(r, age)
        lag = None if r.checkpoint is None or r.latest is None else max(0, r.latest - r.checkpoint)
        out.append(StatusRow(
            r.kind, r.store_id, r.store_name, r.data_group_id, r.register_number, r.mode,
            r.checkpoint, r.latest, lag, r.pending_uploads, r.last_contact_at, age, state, notes,
        ))
    return summary, out, paging


def overview(conn: Connection, now: datetime) -> dict[str, Any]:
    """Counts for the overview page: stores, registers, packages, schedules, cards, posting."""
    reg = s.registers.c
    stores = conn.execute(select(func.count()).select_from(s.stores)).scalar_one()
    registers, with_offline = conn.execute(
        select(func.count(), func.coalesce(func.sum(case((reg.support_offline, 1), else_=0)), 0))
    ).one()
    packages, last_package = conn.execute(select(func.count(), func.max(p.c.created_at))).one()
    last_run = conn.execute(select(func.max(distribution_schedules.c.last_run_at))).scalar()
    sv = stored_value_cards.c
    cards, locked = conn.execute(
        select(func.count(),
               func.coalesce(func.sum(case((sv.holder_register_id.is_not(None), 1), else_=0)), 0))
    ).one()
    posted, last_posted = conn.execute(
        select(func.count(), func.max(posted_transactions.c.posted_at))
    ).one()
    summary = status_summary(conn, now)
    return {
        "stores": int(stores), "registers": int(registers), "support_offline": int(with_offline),
        "packages": int(packages), "last_package_at": last_package, "last_run_at": last_run,
        "cards": int(cards), "locked": int(locked), "posted": int(posted),
        "last_posted_at": last_posted, "status": summary,
    }


def recent_audit(conn: Connection, limit: int = 10) -> list[dict[str, Any]]:
    """The newest gift card audit rows (forced unlocks, refused postings), newest first."""
    a = stored_value_audit.c
    rows = conn.execute(
        select(a.number, a.action, a.actor, a.reason, a.at, a.previous_register_id,
               s.registers.c.store_id, s.registers.c.number.label("register_number"))
        .outerjoin(s.registers, s.registers.c.id == a.previous_register_id)
        .order_by(a.at.desc())
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]
