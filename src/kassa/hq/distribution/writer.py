"""Running a distribution schedule: one delta package per channel data group (DESIGN §4).

For each data group of the run, in **one** transaction holding the change-counter lock
(:func:`changes.lock_counter`):

1. the group's newest delta number ``L`` and, per job of the schedule, its high-water mark
   ``m_j`` = the ``high_water_version`` of the newest delta package whose jobs include ``j``
   (marks are per job so a "Prices"-only run never hides customer changes from a later
   "All jobs" run);
2. rows of the jobs' tables with ``version > m_j`` and tombstones with ``version > m_j``,
   filtered to the group (:mod:`changes`; O(changes), independent of the number of registers:
   the package is per group, never per target);
3. no changed row → no package (outcome ``"no changes"``); otherwise package ``L+1`` (base
   ``L``) with ``high_water_version`` = the counter value read under the lock, its channel
   ``body`` (all jobs) and ``offline_body`` (without jobs excluded from offline DBs) built in
   the same run.

**Baseline.** A group with no package yet has no mark. Its first run writes an empty delta
``1`` (base 0) covering every job with ``high_water_version`` = the counter: everything up to
then reaches targets through a snapshot (:mod:`snapshot`), never through a replay of the whole
history, and 457 groups do not each get a copy of the whole catalogue as delta 1.

Marks come from deltas only: a snapshot holds a state *later* than its number's mark, so
taking its version as a mark would skip changes that targets at that number have not seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select, update

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import data_packages, distribution_schedules
from kassa.domain.clock import Clock, SystemClock
from kassa.domain.errors import NotFound
from kassa.hq.distribution.changes import ChangeCache, lock_counter, read_changes
from kassa.hq.distribution.jobs import (
    ALL_JOB_IDS,
    JOB_OF_TABLE,
    excluded_tables,
    load_jobs,
    tables_of,
    wire_columns,
)
from kassa.hq.distribution.packages import PackageSummary, insert_package, require_groups
from kassa.sync.package import TableChanges

Outcome = Literal["package", "baseline", "no changes"]
#: Rows read per page when looking for the newest package of each job.
_MARK_PAGE = 64


@dataclass(frozen=True)
class Schedule:
    """A stored distribution schedule."""

    id: int
    name: str
    job_ids: tuple[int, ...]
    interval_s: int | None
    active: bool
    last_run_at: datetime | None


@dataclass(frozen=True)
class GroupOutcome:
    """What one run did for one data group; ``package`` is None for ``"no changes"``."""

    data_group_id: int
    outcome: Outcome
    package: PackageSummary | None

    def describe(self) -> str:
        """One line for people, e.g. ``group 3: package 7 (12 rows, 1,234 bytes)``."""
        p = self.package
        if p is None:
            return f"group {self.data_group_id}: no changes"
        label = "baseline package" if self.outcome == "baseline" else "package"
        return (
            f"group {self.data_group_id}: {label} {p.number} ({p.rows:,} rows, {p.size:,} bytes; "
            f"offline {p.offline_rows:,} rows, {p.offline_size:,} bytes)"
        )


@dataclass
class RunReport:
    """Outcome of :func:`run_schedule`: one :class:`GroupOutcome` per data group."""

    schedule_id: int
    schedule_name: str
    job_ids: tuple[int, ...]
    started_at: datetime
    groups: list[GroupOutcome] = field(default_factory=list)

    @property
    def packages(self) -> list[PackageSummary]:
        """The packages written (deltas and baselines)."""
        return [g.package for g in self.groups if g.package is not None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the API and the CLI."""
        return {
            "schedule_id": self.schedule_id,
            "schedule_name": self.schedule_name,
            "job_ids": list(self.job_ids),
            "started_at": self.started_at.isoformat(),
            "groups": [
                {
                    "data_group_id": g.data_group_id,
                    "outcome": g.outcome,
                    "package": g.package.to_dict() if g.package else None,
                }
                for g in self.groups
            ],
        }


def _schedule_of(rec: Any) -> Schedule:
    return Schedule(
        id=int(rec.id),
        name=str(rec.name),
        job_ids=tuple(int(j) for j in json.loads(rec.job_ids)),
        interval_s=rec.interval_s,
        active=bool(rec.active),
        last_run_at=rec.last_run_at,
    )


def list_schedules(conn: Connection) -> list[Schedule]:
    """Every stored schedule, by id."""
    rows = conn.execute(select(distribution_schedules).order_by(distribution_schedules.c.id))
    return [_schedule_of(r) for r in rows]


def get_schedule(conn: Connection, schedule_id: int | str) -> Schedule:
    """A schedule by id (int) or name (str).

    Raises:
        NotFound: code ``distribution.unknown_schedule``.
    """
    c = distribution_schedules.c
    where = c.id == schedule_id if isinstance(schedule_id, int) else c.name == schedule_id
    rec = conn.execute(select(distribution_schedules).where(where)).first()
    if rec is None:
        raise NotFound(
            f"no distribution schedule {schedule_id!r}", code="distribution.unknown_schedule"
        )
    return _schedule_of(rec)


def job_marks(
    conn: Connection, group_id: int, job_ids: tuple[int, ...]
) -> tuple[int, dict[int, int]] | None:
    """``(newest delta number, {job: high-water mark})`` of a group; None with no package.

    Reads the group's deltas newest first until each job is found (usually one row: the
    last run of an "All jobs" schedule covers every job). A job never distributed to the
    group has mark 0.
    """
    p = data_packages.c
    latest: int | None = None
    marks: dict[int, int] = {}
    wanted = set(job_ids)
    before: int | None = None
    while latest is None or wanted:
        stmt = select(p.number, p.jobs, p.high_water_version).where(
            p.data_group_id == group_id, p.kind == "delta"
        )
        if before is not None:
            stmt = stmt.where(p.number < before)
        page = conn.execute(stmt.order_by(p.number.desc()).limit(_MARK_PAGE)).all()
        if not page:
            break
        if latest is None:
            latest = int(page[0].number)
        for rec in page:
            for job in set(json.loads(rec.jobs)) & wanted:
                marks[job] = int(rec.high_water_version)
                wanted.discard(job)
        before = int(page[-1].number)
    if latest is None:
        return None
    return latest, {j: marks.get(j, 0) for j in job_ids}


def _baseline(conn: Connection, group_id: int, counter: int, now: datetime) -> PackageSummary:
    summary = insert_package(
        conn,
        data_group_id=group_id,
        number=1,
        base_number=0,
        kind="delta",
        jobs=ALL_JOB_IDS,
        tables=[
            TableChanges(t.name, [c.name for c in wire_columns(t)], [], [])
            for t in tables_of(ALL_JOB_IDS)
        ],
        excluded=excluded_tables(load_jobs(conn)),
        high_water_version=counter,
        schedule_id=None,
        now=now,
    )
    assert summary is not None
    return summary


def ensure_baseline(engine: Engine, group_id: int, *, clock: Clock | None = None) -> int:
    """Write the group's baseline package if it has no package yet; return its newest
    delta number. Raises NotFound ``distribution.unknown_group``."""
    clock = clock or SystemClock()
    with engine.begin() as conn:
        counter = lock_counter(conn)
        require_groups(conn, [group_id])
        found = job_marks(conn, group_id, ())
        if found is not None:
            return found[0]
        return _baseline(conn, group_id, counter, clock.now()).number


def write_group(
    conn: Connection,
    schedule: Schedule,
    group_id: int,
    now: datetime,
    cache: ChangeCache | None = None,
) -> GroupOutcome:
    """Write the package of ``schedule`` for one group inside the caller's transaction
    (which must not have read master data yet: the counter lock is taken first)."""
    counter = lock_counter(conn)
    found = job_marks(conn, group_id, schedule.job_ids)
    if found is None:
        return GroupOutcome(group_id, "baseline", _baseline(conn, group_id, counter, now))
    latest, marks = found
    tables = tables_of(schedule.job_ids)
    table_marks = {t.name: marks[JOB_OF_TABLE[t.name]] for t in tables}
    changes = read_changes(conn, group_id, tables, table_marks, counter=counter, cache=cache)
    if not any(c.rows or c.deletes for c in changes):
        return GroupOutcome(group_id, "no changes", None)
    summary = insert_package(
        conn,
        data_group_id=group_id,
        number=latest + 1,
        base_number=latest,
        kind="delta",
        jobs=schedule.job_ids,
        tables=changes,
        excluded=excluded_tables(load_jobs(conn)),
        high_water_version=counter,
        schedule_id=schedule.id,
        now=now,
    )
    assert summary is not None
    return GroupOutcome(group_id, "package", summary)


def run_schedule(
    engine: Engine,
    schedule_id: int | str,
    data_group_ids: list[int] | None = None,
    *,
    clock: Clock | None = None,
    on_group: Callable[[GroupOutcome], None] | None = None,
) -> RunReport:
    """Run a distribution schedule: at most one package per data group (module docstring).

    Args:
        schedule_id: the schedule's id, or its name.
        data_group_ids: groups to write for; default every data group.
        clock: source of ``created_at`` and ``last_run_at``.
        on_group: called after each group's transaction committed (progress display).

    Returns:
        a :class:`RunReport` with one outcome per group, in ascending group id.

    Raises:
        NotFound: ``distribution.unknown_schedule``, ``distribution.unknown_group``.
    """
    clock = clock or SystemClock()
    started = clock.now()
    with engine.connect().execution_options(kassa_readonly=True) as conn, conn.begin():
        schedule = get_schedule(conn, schedule_id)
        if data_group_ids is None:
            groups = list(
                conn.execute(select(s.data_groups.c.id).order_by(s.data_groups.c.id)).scalars()
            )
        else:
            groups = sorted(set(data_group_ids))
            require_groups(conn, groups)
    report = RunReport(schedule.id, schedule.name, schedule.job_ids, started)
    cache: ChangeCache = {}
    for group_id in groups:
        with engine.begin() as conn:
            outcome = write_group(conn, schedule, group_id, clock.now(), cache)
        report.groups.append(outcome)
        if on_group is not None:
            on_group(outcome)
    with engine.begin() as conn:
        conn.execute(
            update(distribution_schedules)
            .where(distribution_schedules.c.id == schedule.id)
            .values(last_run_at=started)
        )
    return report
