"""Reading master-data changes for one channel data group (DESIGN §4).

* :func:`lock_counter` — ``SELECT value FROM change_counter WHERE id = 1 FOR UPDATE``: while a
  package is read, no master-data writer can hold an issued-but-uncommitted version (writers
  take the same row lock for their whole transaction, :mod:`kassa.hq.masterdata`), so every
  change with ``version ≤ value`` is committed and visible, and none can appear later below
  the high-water mark. On SQLite ``engine.begin()`` (``BEGIN IMMEDIATE``) already serialises.
* :func:`read_changes` — rows with ``version > mark`` (full rows) and tombstones with
  ``version > mark`` (keys), per table, filtered to the group (:func:`jobs.group_filter`).
  Cost: O(changed rows) through the ``version`` indexes; it never reads registers or channel
  database entities it does not send, so it is independent of how many registers the group has.
* :func:`read_full` — the whole current state of the group's tables (for snapshots).

Tombstones of group-scoped tables (stores, registers, operators) cannot be attributed to a
group once the row is gone; they go to every group (a delete of an absent row changes
nothing). A ``data_groups`` tombstone goes only to that group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, select

from kassa.db import hq_schema as s
from kassa.hq.distribution.jobs import (
    group_filter,
    row_converter,
    wire_columns,
    wire_key,
)
from kassa.sync.package import TableChanges

#: Cache of global-table reads within one run: (table, mark, counter value) → changes.
#: Valid across transactions because every master-data write moves the counter.
ChangeCache = dict[tuple[str, int, int], TableChanges]


def lock_counter(conn: Connection) -> int:
    """Lock the change counter row for the rest of the transaction; return its value
    (0 when the row is missing, i.e. nothing was ever versioned)."""
    value = conn.execute(
        select(s.change_counter.c.value).where(s.change_counter.c.id == 1).with_for_update()
    ).scalar_one_or_none()
    return int(value or 0)


def current_counter(conn: Connection) -> int:
    """The counter value without locking (consistent-read transactions)."""
    value = conn.execute(
        select(s.change_counter.c.value).where(s.change_counter.c.id == 1)
    ).scalar_one_or_none()
    return int(value or 0)


def _select_rows(conn: Connection, t: Table, group_id: int, mark: int | None) -> TableChanges:
    cols = wire_columns(t)
    stmt = select(*cols)
    if mark is not None:
        stmt = stmt.where(t.c.version > mark)
    where = group_filter(t, group_id)
    if where is not None:
        stmt = stmt.where(where)
    stmt = stmt.order_by(*t.primary_key.columns)
    convert = row_converter(cols)
    rows = [convert(r) for r in conn.execute(stmt)]
    return TableChanges(t.name, [c.name for c in cols], rows, [])


def _deletes(
    conn: Connection, t: Table, group_id: int, mark: int, alive: set[Any]
) -> list[list[Any]]:
    ts = s.tombstones.c
    stmt = select(ts.row_key).where(ts.table_name == t.name, ts.version > mark)
    if t is s.data_groups:
        stmt = stmt.where(ts.row_key == str(group_id))
    out = []
    for row_key in conn.execute(stmt.order_by(ts.row_key)).scalars():
        key = wire_key(t, row_key)
        if key[0] not in alive:  # a row that exists again is sent as an upsert only
            out.append(key)
    return out


def _key_index(t: Table, columns: Sequence[str]) -> int:
    (key_col,) = list(t.primary_key.columns)
    return list(columns).index(key_col.name)


def read_changes(
    conn: Connection,
    group_id: int,
    tables: Sequence[Table],
    marks: dict[str, int],
    *,
    counter: int,
    cache: ChangeCache | None = None,
) -> list[TableChanges]:
    """Changes of ``tables`` for group ``group_id`` since each table's mark.

    Args:
        tables: in dependency order; every one appears in the result, empty or not.
        marks: table name → high-water version; rows/tombstones with a greater version count.
        counter: the change counter value read under :func:`lock_counter` (cache key).
        cache: shared by the groups of one run for global tables (same result for the same
            mark while the counter has not moved).

    Returns:
        one :class:`TableChanges` per table: full rows (wire values, ordered by key) and
        delete keys (never a key that is also upserted).
    """
    out: list[TableChanges] = []
    for t in tables:
        mark = marks[t.name]
        scoped = group_filter(t, group_id) is not None
        key = (t.name, mark, counter)
        if not scoped and cache is not None and key in cache:
            out.append(cache[key])
            continue
        changes = _select_rows(conn, t, group_id, mark)
        idx = _key_index(t, changes.columns)
        changes.deletes = _deletes(conn, t, group_id, mark, {r[idx] for r in changes.rows})
        if not scoped and cache is not None:
            cache[key] = changes
        out.append(changes)
    return out


def read_full(conn: Connection, group_id: int, tables: Sequence[Table]) -> list[TableChanges]:
    """Every current row of ``tables`` for group ``group_id`` (no deletes): snapshot content."""
    return [_select_rows(conn, t, group_id, None) for t in tables]
