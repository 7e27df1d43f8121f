"""Apply a verified data package to a channel DB or an offline DB (DESIGN §4, issue 3 §5-§6).

:func:`apply_package` is the one way master data enters a store's channel database or a
register's offline database. In order:

1. :func:`kassa.sync.package.verify_and_decode` — format, size (truncated body), SHA-256,
   decoding, identity. Done before any lock is taken.
2. Every table and column of the package is checked against the mirror schema
   (:data:`kassa.db.channel_schema.MASTER_DATA_TABLES`; the offline DB has the same columns)
   and every wire value is converted back by column type: UUID hex → ``uuid.UUID``, ISO text
   → aware ``datetime``, decimal text → ``Decimal`` (package format v1), then to the
   database's value (:mod:`kassa.sync.apply_plan`). Rows are written with one compiled
   ``INSERT`` per table through the driver's ``executemany`` (tuples, no per-row SQLAlchemy
   parameter processing: 92,331 products in ~0.4 s instead of ~1.5 s).
3. In **one** database transaction (``engine.begin()``: ``BEGIN IMMEDIATE`` on SQLite, a
   transaction-scoped advisory lock per data group on PostgreSQL):
   :func:`kassa.sync.package.check_sequence` against ``package_checkpoint`` → the rows →
   the new checkpoint. A package already applied is skipped (applying twice changes
   nothing); a gap or a delta without a checkpoint is refused.

   * **delta**: per table in package (dependency) order, delete the keys of its deletes and
     of its upserts, then insert the full rows (executemany). Deleting first means rows that
     swap a unique value (a barcode moving between two products) never collide midway.
   * **snapshot**: per table, drop its secondary indexes and triggers, delete every row,
     insert the rows, re-create the indexes and triggers (bulk index builds are much faster
     than per-row maintenance), then rebuild every SQLite FTS5 external-content index over
     the table (:mod:`kassa.sync.apply_ddl`). Tables not in the package are left alone.

Any refusal raises :class:`PackageError` and, the transaction being rolled back, leaves the
database exactly as it was; a crash (kill) at any point has the same effect, since SQLite
(WAL) and PostgreSQL roll back an uncommitted transaction. The next attempt succeeds.

Errors (all :class:`kassa.domain.errors.PackageError`, HTTP 422): the codes of
``verify_and_decode`` and ``check_sequence``, plus ``package.unknown_table``,
``package.bad_columns``, ``package.bad_value``, ``package.wrong_group`` (the database
holds another data group's checkpoint), ``package.conflict`` (a row breaks a constraint of
the mirror, e.g. a barcode still used by a row the package does not touch).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.exc import DataError, IntegrityError

from kassa.db.channel_schema import package_checkpoint
from kassa.db.upsert import upsert
from kassa.domain.errors import PackageError
from kassa.failpoints import failpoint
from kassa.sync import apply_ddl
from kassa.sync.apply_plan import TablePlan, plan
from kassa.sync.package import check_sequence, verify_and_decode

#: First key of the PostgreSQL advisory lock ``(key, data_group_id)`` held while applying.
APPLY_LOCK_KEY: Final = 0x6B61  # "ka"

#: Called after each table is applied: ``(table name, rows applied so far in the package)``.
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class ApplyResult:
    """What :func:`apply_package` did.

    Attributes:
        number: the package number (the checkpoint afterwards, unless skipped).
        kind: ``"delta"`` or ``"snapshot"``.
        data_group_id: the package's channel data group.
        rows: upserts plus deletes applied; 0 when skipped.
        skipped: True when the package was already applied (nothing changed).
    """

    number: int
    kind: str
    data_group_id: int
    rows: int
    skipped: bool


# --- checkpoint --------------------------------------------------------------------------


def read_checkpoint(conn: Connection, data_group_id: int | None = None) -> int | None:
    """The package number the database is at for ``data_group_id`` (default: its only
    group); None when it has no checkpoint (a new target starts from a snapshot)."""
    c = package_checkpoint.c
    stmt = select(c.package_number)
    if data_group_id is not None:
        stmt = stmt.where(c.data_group_id == data_group_id)
    value = conn.execute(stmt.order_by(c.data_group_id).limit(1)).scalar_one_or_none()
    return None if value is None else int(value)


def read_group(conn: Connection) -> int | None:
    """The data group whose packages this database receives; None before the first one."""
    c = package_checkpoint.c
    value = conn.execute(
        select(c.data_group_id).order_by(c.data_group_id).limit(1)
    ).scalar_one_or_none()
    return None if value is None else int(value)


def checkpoint_of(engine: Engine, data_group_id: int | None = None) -> int | None:
    """:func:`read_checkpoint` in its own read transaction."""
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        return read_checkpoint(conn, data_group_id)


def _checkpoint_for_apply(conn: Connection, group: int) -> int | None:
    c = package_checkpoint.c
    others = conn.execute(
        select(c.data_group_id).where(c.data_group_id != group).limit(1)
    ).scalar_one_or_none()
    if others is not None:
        raise PackageError(
            f"this database receives the packages of data group {others}, not of {group}",
            code="package.wrong_group", details={"database_group": others, "package_group": group},
        )
    return read_checkpoint(conn, group)


def _set_checkpoint(conn: Connection, group: int, number: int, now: datetime) -> None:
    upsert(conn, package_checkpoint,
           [{"data_group_id": group, "package_number": number, "applied_at": now}],
           key_cols=["data_group_id"], update_cols=["package_number", "applied_at"],
           only_if_changed=False)


# --- writing -----------------------------------------------------------------------------


def _marker(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"


def _insert_rows(conn: Connection, p: TablePlan) -> None:
    """Driver-level executemany of the converted rows (one compiled statement, tuples)."""
    if not p.rows:
        return
    q = conn.dialect.identifier_preparer
    sql = (f"INSERT INTO {q.format_table(p.table)} ({', '.join(q.quote(c) for c in p.columns)})"
           f" VALUES ({', '.join([_marker(conn)] * len(p.columns))})")
    conn.exec_driver_sql(sql, p.rows)


def _delete_keys(conn: Connection, p: TablePlan, keys: list[Sequence[Any]]) -> None:
    if not keys:
        return
    q = conn.dialect.identifier_preparer
    where = " AND ".join(f"{q.quote(p.columns[i])} = {_marker(conn)}" for i in p.key_positions)
    conn.exec_driver_sql(f"DELETE FROM {q.format_table(p.table)} WHERE {where}",
                         list(keys))


def _apply_delta(conn: Connection, plans: list[tuple[str, TablePlan]],
                 on_table: Progress | None) -> int:
    done = 0
    for name, p in plans:
        upserted = [tuple(row[i] for i in p.key_positions) for row in p.rows]
        _delete_keys(conn, p, [*p.delete_keys, *upserted])
        _insert_rows(conn, p)
        done += len(p.rows) + len(p.delete_keys)
        if on_table is not None:
            on_table(name, done)
    return done


def _apply_snapshot(conn: Connection, plans: list[tuple[str, TablePlan]],
                    on_table: Progress | None) -> int:
    done = 0
    for name, p in plans:
        saved = apply_ddl.drop_secondary(conn, name)
        conn.execute(delete(p.table))
        _insert_rows(conn, p)
        apply_ddl.restore_secondary(conn, saved)
        done += len(p.rows)
        if on_table is not None:
            on_table(name, done)
    apply_ddl.rebuild_fulltext(conn, [name for name, _ in plans])
    return done


def apply_package(
    engine: Engine,
    header: dict[str, Any],
    body: bytes,
    *,
    now: datetime,
    on_table: Progress | None = None,
) -> ApplyResult:
    """Verify ``body`` against ``header`` and apply it in one transaction (module docstring).

    Args:
        engine: a channel DB (SQLite or PostgreSQL) or an offline DB (SQLite), migrated.
        header: the package header (``kassa.sync.package.make_header`` keys).
        body: the body bytes as received.
        now: aware UTC time recorded as ``package_checkpoint.applied_at``.
        on_table: optional progress callback, called inside the transaction after each table.

    Returns:
        :class:`ApplyResult`; ``skipped`` when the package was already applied.

    Raises:
        PackageError: see the module docstring; the database is unchanged.
    """
    with _gc_paused():
        content = verify_and_decode(header, body)
        group, number, kind = content.data_group_id, content.number, content.kind
        if _already_applied(engine, header, group):
            return ApplyResult(number, kind, group, 0, True)
        plans = plan(content, engine.dialect)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(APPLY_LOCK_KEY, group)))
            if not check_sequence(header, _checkpoint_for_apply(conn, group)):
                return ApplyResult(number, kind, group, 0, True)
            if kind == "snapshot":
                rows = _apply_snapshot(conn, plans, on_table)
            else:
                rows = _apply_delta(conn, plans, on_table)
            _set_checkpoint(conn, group, number, now)
            failpoint("sync.apply.before_commit")
    except (IntegrityError, DataError) as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise PackageError(
            f"package {number} breaks a rule of this database ({first}); nothing was applied",
            code="package.conflict", details={"number": number},
        ) from exc
    return ApplyResult(number, kind, group, rows, False)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a body becomes rows: hundreds of thousands of
    acyclic lists and tuples would otherwise trigger repeated full scans of the decoded
    body (measured: converting the real snapshot 0.39 s → 0.05 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _already_applied(engine: Engine, header: dict[str, Any], group: int) -> bool:
    """Cheap pre-check without the write lock (the decision is made again under it)."""
    try:
        with engine.connect().execution_options(kassa_readonly=True) as conn:
            checkpoint = read_checkpoint(conn, group)
        return checkpoint is not None and not check_sequence(header, checkpoint)
    except PackageError:
        return False  # decided (and raised) under the lock
