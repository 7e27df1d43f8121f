"""Full snapshots: how a target with no checkpoint starts (DESIGN §4).

:func:`snapshot_for` returns the group's ``snapshot`` package numbered with the group's
newest delta number ``N``: the **current** full state of every job's tables for the group
(no deletes). A new target (a new register's offline DB, a new channel DB) applies it,
records checkpoint ``N`` and then applies deltas ``N+1, N+2 …`` as usual; it never replays
history.

Why a snapshot of the current state may carry number ``N`` although it was read after delta
``N`` was written (it may already contain changes that only delta ``N+1`` will carry):

* it is read in one consistent read transaction that sees delta ``N`` committed, so it holds
  every change with ``version ≤ high_water(N)`` — delta ``N`` read those under the counter
  lock, when all of them were committed;
* every later change (``version >`` the mark of its job at ``N``, which is ≤
  ``high_water(N)``) is also carried by a delta after ``N`` — as a **full row** at a state at
  least as late as the snapshot's, or as a delete;
* applying an upsert of a full row that the snapshot already holds, at the same or a later
  state, leaves the row as the delta says; deleting a row the snapshot never had changes
  nothing (deletes are idempotent). So snapshot ``N`` + deltas ``N+1 … M`` = the state of
  delta ``M``, exactly as for a target that applied every delta from the start.

Snapshots are cached: one ``data_packages`` row of kind ``snapshot`` per (group, number),
built once and served to every new target until a newer delta exists. Built concurrently,
the first stored wins (unique (group, number, kind)); the other is dropped.

A group with no package yet first gets its baseline (:func:`writer.ensure_baseline`), so the
first snapshot is number 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from kassa.domain.clock import Clock, SystemClock
from kassa.hq.distribution import packages
from kassa.hq.distribution.changes import current_counter, read_full
from kassa.hq.distribution.jobs import ALL_JOB_IDS, excluded_tables, load_jobs, tables_of
from kassa.hq.distribution.packages import PackageSummary
from kassa.hq.distribution.writer import ensure_baseline


@contextmanager
def consistent_read(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction that sees one consistent state of the whole database:
    REPEATABLE READ on PostgreSQL, a deferred ``BEGIN`` (WAL read snapshot) on SQLite."""
    options: dict[str, object] = {"kassa_readonly": True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn


def cached_snapshot(conn: Connection, group_id: int) -> PackageSummary | None:
    """The group's snapshot for its newest delta number if already built, else None."""
    latest = packages.latest_number(conn, group_id)
    if latest is None:
        return None
    rec = packages.find(conn, group_id, latest, "snapshot")
    return None if rec is None else packages.summary_of(rec)


def snapshot_for(engine: Engine, group_id: int, *, clock: Clock | None = None) -> PackageSummary:
    """The group's snapshot package for its newest delta number, built if not cached.

    Cost: reads every row of the group once (92,331 products for the real catalogue) the
    first time per number; afterwards one indexed lookup.

    Returns:
        the summary of the stored snapshot (headers and bodies via :mod:`packages`).

    Raises:
        NotFound: ``distribution.unknown_group``.
    """
    clock = clock or SystemClock()
    with consistent_read(engine) as conn:
        found = cached_snapshot(conn, group_id)
    if found is not None:
        return found
    ensure_baseline(engine, group_id, clock=clock)
    with consistent_read(engine) as conn:
        found = cached_snapshot(conn, group_id)
        if found is not None:
            return found
        number = packages.latest_number(conn, group_id)
        assert number is not None  # ensure_baseline wrote one
        counter = current_counter(conn)
        excluded = excluded_tables(load_jobs(conn))
        tables = read_full(conn, group_id, tables_of(ALL_JOB_IDS))
    with engine.begin() as conn:
        summary = packages.insert_package(
            conn,
            data_group_id=group_id,
            number=number,
            base_number=0,
            kind="snapshot",
            jobs=ALL_JOB_IDS,
            tables=tables,
            excluded=excluded,
            high_water_version=counter,
            schedule_id=None,
            now=clock.now(),
            if_absent=True,
        )
        if summary is None:  # built concurrently: the stored one wins
            rec = packages.find(conn, group_id, number, "snapshot")
            assert rec is not None
            summary = packages.summary_of(rec)
    return summary
