"""Idempotent writes on SQLite and PostgreSQL (ARCHITECTURE "Rules"; DESIGN §4, §5).

* :func:`insert_ignore` — ``INSERT … ON CONFLICT (key) DO NOTHING``: applying anything
  received twice (a transaction upload, a posting) changes nothing the second time.
* :func:`upsert` — ``INSERT … ON CONFLICT (key) DO UPDATE SET … WHERE <changed>``: a row
  whose compared columns are all equal is left alone, so it keeps its ``version`` (HQ change
  versions, DESIGN §4) and does not count as changed.

Both run inside the caller's transaction (``engine.begin()``), send ``rows`` as one
executemany (batched multi-row VALUES) and return the key tuples of the rows they wrote,
obtained with ``RETURNING`` (SQLite ≥ 3.35, PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table, false, or_
from sqlalchemy.dialects import postgresql, sqlite

Key = tuple[Any, ...]


def _insert(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert()`` construct that has ``on_conflict_do_*``."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"insert_ignore/upsert support SQLite and PostgreSQL, not {name}")


def _key_columns(table: Table, key_cols: Sequence[str] | None) -> list[Column[Any]]:
    if key_cols is None:
        cols = list(table.primary_key.columns)
        if not cols:
            raise ValueError(f"table {table.name} has no primary key; pass key_cols")
        return cols
    if not key_cols:
        raise ValueError("key_cols must not be empty")
    return [table.c[name] for name in key_cols]


def _run(conn: Connection, stmt: Any, rows: Sequence[Mapping[str, Any]]) -> list[Key]:
    result = conn.execute(stmt, [dict(r) for r in rows])
    return [tuple(r) for r in result]


def insert_ignore(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key_cols: Sequence[str] | None = None,
) -> list[Key]:
    """Insert ``rows``; a row whose key already exists is skipped silently.

    Args:
        conn: a connection inside a transaction (SQLite or PostgreSQL).
        table: target table.
        rows: mappings column name → value; every row has the same keys.
        key_cols: the conflict target (a primary key or unique constraint); default the
            primary key. Only conflicts on it are ignored: a violation of *another* unique
            constraint (e.g. a duplicate barcode) still raises ``IntegrityError``.

    Returns:
        Key tuples (values of ``key_cols`` in order) of the rows actually inserted, in no
        guaranteed order; ``len()`` is the inserted count. ``[]`` for empty ``rows``.
    """
    if not rows:
        return []
    keys = _key_columns(table, key_cols)
    stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=keys).returning(*keys)
    return _run(conn, stmt, rows)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key_cols: Sequence[str],
    update_cols: Sequence[str],
    only_if_changed: bool = True,
    *,
    compare_cols: Sequence[str] | None = None,
) -> list[Key]:
    """Insert ``rows`` or, on a key conflict, update ``update_cols`` from the new row.

    Args:
        conn: a connection inside a transaction (SQLite or PostgreSQL).
        table: target table.
        rows: mappings column name → value; every row has the same keys, which include
            ``key_cols`` and ``update_cols``. A key may appear only once in ``rows``.
        key_cols: conflict target (primary key or unique constraint column names).
        update_cols: columns overwritten on conflict (``version`` usually among them).
        only_if_changed: when true the update happens only where at least one of
            ``compare_cols`` ``IS DISTINCT FROM`` the new value (NULL-safe), so unchanged rows
            keep their ``version`` and are not reported.
        compare_cols: columns that decide "changed"; default ``update_cols`` without
            ``version`` (a new version alone is not a change).

    Returns:
        Key tuples of the rows inserted or updated (``len()`` = changed count), in no
        guaranteed order. ``[]`` for empty ``rows``.

    Raises:
        ValueError: empty ``update_cols`` or a key repeated within ``rows`` (PostgreSQL
            cannot update one row twice in a statement; refused on both dialects alike).
    """
    if not rows:
        return []
    if not update_cols:
        raise ValueError("update_cols must not be empty; use insert_ignore instead")
    keys = _key_columns(table, key_cols)
    names = [k.name for k in keys]
    seen: set[Key] = set()
    for row in rows:
        key = tuple(row[n] for n in names)
        if key in seen:
            raise ValueError(f"key {key!r} appears twice in the rows for {table.name}")
        seen.add(key)
    ins = _insert(conn, table)
    excluded = ins.excluded
    where = None
    if only_if_changed:
        compare = (
            list(compare_cols)
            if compare_cols is not None
            else [c for c in update_cols if c != "version"]
        )
        if compare:
            where = or_(*[table.c[c].is_distinct_from(excluded[c]) for c in compare])
        else:
            where = false()  # nothing decides "changed": never update
    stmt = ins.on_conflict_do_update(
        index_elements=keys,
        set_={c: excluded[c] for c in update_cols},
        where=where,
    ).returning(*keys)
    return _run(conn, stmt, rows)
