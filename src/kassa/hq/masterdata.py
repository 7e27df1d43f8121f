"""Versioned writes of HQ master data (DESIGN §4, ARCHITECTURE "Change versions").

Every transaction that changes master data takes **one** new value of the HQ
``change_counter`` and stamps every row it inserts, updates or deletes with it; rows the
transaction leaves as they were keep their version. Distribution (issue 3) then selects
``version > high-water mark`` per table and ``tombstones`` for deletes.

* :func:`next_version` — ``UPDATE change_counter SET value = value + 1 WHERE id = 1
  RETURNING value``; the row lock also serialises writers on PostgreSQL.
* :class:`VersionStamp` — takes that one version lazily, at the first real change, so a
  transaction that changes nothing does not move the counter at all.
* :func:`upsert_rows` — diff against the stored rows (under that lock), then changed rows
  as ``INSERT … ON CONFLICT (pk) DO UPDATE … WHERE col IS DISTINCT FROM excluded.col OR …``
  (SQLite renders ``IS NOT``) and new rows as ``INSERT … ON CONFLICT (pk) DO NOTHING``;
  unchanged rows are not sent at all. Returns inserted / updated / unchanged counts.
* :func:`delete_rows` — delete by key and leave a tombstone per deleted row.

Works on SQLite and PostgreSQL (the dialect's own ``insert().on_conflict_do_*``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Table, delete, literal_column, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from kassa.db import hq_schema as s

#: Rows per executemany / per ``IN (…)`` chunk (below SQLite's bound-parameter limit).
WRITE_BATCH: Final = 5_000
_KEY_CHUNK: Final = 500
#: From this many incoming rows on, the diff reads the whole table instead of chunks by key.
_FULL_SCAN_FROM: Final = 2_000

Row = Mapping[str, Any]


def _ensure_counter(conn: Connection) -> None:
    """Create the counter row ``(id=1, value=0)`` if a bare schema has none."""
    conn.execute(_insert(conn, s.change_counter).values(id=1, value=0).on_conflict_do_nothing())


def next_version(conn: Connection) -> int:
    """Take the next change version: one per writing transaction (DESIGN §4).

    Must run inside the caller's transaction; the counter row stays locked until it ends,
    which serialises master-data writers on PostgreSQL (SQLite's ``BEGIN IMMEDIATE``
    already does). Creates the counter row if the schema was made without it.

    Returns:
        the new version, an ``int`` ≥ 1, strictly greater than every version issued before.
    """
    stmt = (
        update(s.change_counter)
        .where(s.change_counter.c.id == 1)
        .values(value=s.change_counter.c.value + 1)
        .returning(s.change_counter.c.value)
    )
    value = conn.execute(stmt).scalar_one_or_none()
    if value is None:
        _ensure_counter(conn)
        value = conn.execute(stmt).scalar_one()
    return int(value)


class VersionStamp:
    """The one version of a writing transaction, taken on first use.

    Constructing it locks the counter row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite
    the transaction already holds the write lock), so the diff a writer makes before its
    first change cannot be overtaken by another writer. ``value`` calls
    :func:`next_version` once; later reads return the same number.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._value: int | None = None
        lock = select(s.change_counter.c.value).where(s.change_counter.c.id == 1)
        if conn.execute(lock.with_for_update()).first() is None:
            _ensure_counter(conn)
            conn.execute(lock.with_for_update())

    @property
    def value(self) -> int:
        """The transaction's version (taken now if not yet)."""
        if self._value is None:
            self._value = next_version(self._conn)
        return self._value

    @property
    def taken(self) -> bool:
        """True once the transaction has changed something (a version was taken)."""
        return self._value is not None


@dataclass
class WriteCounts:
    """Outcome of :func:`upsert_rows`: rows ``inserted`` (new), ``updated``, ``unchanged``."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        """Rows that got the transaction's version."""
        return self.inserted + self.updated


def _insert(conn: Connection, table: Table) -> Any:
    """The dialect's ``insert`` construct (with ``on_conflict_do_*``)."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise NotImplementedError(f"master-data upserts support SQLite and PostgreSQL, not {name}")


@dataclass(frozen=True)
class RowSet:
    """Rows as one column list and value tuples (cheaper than dicts for 100k rows).

    Attributes:
        columns: column names: the primary key and the columns the writer owns.
        values: one tuple per row, in ``columns`` order.
    """

    columns: tuple[str, ...]
    values: Sequence[tuple[Any, ...]]

    @classmethod
    def of(cls, rows: Sequence[Row]) -> RowSet:
        """From dicts sharing one set of keys.

        Raises:
            ValueError: if the rows do not share one set of keys.
        """
        if not rows:
            return cls((), [])
        columns = tuple(rows[0].keys())
        if any(len(row) != len(columns) for row in rows):
            raise ValueError("rows do not share one set of columns")
        return cls(columns, [tuple(row[c] for c in columns) for row in rows])

    def __len__(self) -> int:
        return len(self.values)


def _key_columns(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def row_key(table: Table, row: Row) -> str:
    """Text key of ``row`` for ``tombstones.row_key``: the primary-key value(s) as ``str``,
    joined by ``|`` for composite keys (UUIDs in their hyphenated form)."""
    return "|".join(str(row[c]) for c in _key_columns(table))


def _existing(conn: Connection, table: Table, rows: RowSet, key_idx: list[int]) -> dict:
    """Stored values of ``rows.columns`` for the keys in ``rows``: ``{key: value tuple}``
    (key = the value for one-column keys, else a tuple)."""
    cols = [table.c[c] for c in rows.columns]
    found: dict[Any, tuple[Any, ...]] = {}

    def take(stmt: Any) -> None:
        for rec in conn.execute(stmt):
            if len(key_idx) == 1:
                found[rec[key_idx[0]]] = tuple(rec)
            else:
                found[tuple(rec[i] for i in key_idx)] = tuple(rec)

    if len(key_idx) > 1 or len(rows) >= _FULL_SCAN_FROM:
        take(select(*cols))
        return found
    wanted = [v[key_idx[0]] for v in rows.values]
    key_col = cols[key_idx[0]]
    for i in range(0, len(wanted), _KEY_CHUNK):
        take(select(*cols).where(key_col.in_(wanted[i : i + _KEY_CHUNK])))
    return found


def _upsert_statement(
    conn: Connection, table: Table, columns: Sequence[str], seed: bool, version: int
) -> Insert:
    """``INSERT … ON CONFLICT (pk)``: ``DO NOTHING`` when ``seed`` (or nothing to update),
    else ``DO UPDATE SET <columns>, version WHERE <any column> IS DISTINCT FROM excluded``.
    ``version`` (an ``int``) is rendered into the statement, not bound per row."""
    stmt = _insert(conn, table).values(version=literal_column(str(int(version))))
    keys = _key_columns(table)
    changing = [c for c in columns if c not in keys]
    if seed or not changing:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    set_ = {c: stmt.excluded[c] for c in changing}
    set_["version"] = stmt.excluded["version"]
    where = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in changing))
    return stmt.on_conflict_do_update(index_elements=keys, set_=set_, where=where)


def _executemany(
    conn: Connection, stmt: Insert, table: Table, columns: Sequence[str], values: Sequence[tuple]
) -> int:
    """Run ``stmt`` for every tuple of ``values`` (in ``columns`` order) as one driver
    ``executemany``; return the rowcount (-1 when the driver cannot sum it).

    The statement is compiled once by SQLAlchemy; the columns' bind processors (UUID to
    text, booleans on SQLite, UTC datetimes) are applied column by column here, which is
    several times cheaper than SQLAlchemy's per-row parameter processing and made a raw
    ``sqlite3`` baseline reachable (bench/import_catalogue.py).
    """
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    rows: Sequence[tuple] = values
    processors = [
        (i, table.c[c].type.dialect_impl(dialect).bind_processor(dialect))
        for i, c in enumerate(columns)
    ]
    if any(p is not None for _, p in processors):
        cols = [list(col) for col in zip(*values, strict=True)]
        for i, process in processors:
            if process is not None:
                cols[i] = [None if v is None else process(v) for v in cols[i]]
        rows = list(zip(*cols, strict=True))
    params: Sequence[Any]
    if compiled.positional and compiled.positiontup is not None:
        order = [columns.index(name) for name in compiled.positiontup]
        same = order == list(range(len(columns)))
        params = rows if same else [tuple(v[i] for i in order) for v in rows]
    else:
        params = [dict(zip(columns, v, strict=True)) for v in rows]
    result = conn.exec_driver_sql(str(compiled), params)
    return result.rowcount if dialect.supports_sane_multi_rowcount else -1


def upsert_rows(
    conn: Connection,
    table: Table,
    rows: RowSet | Sequence[Row],
    stamp: VersionStamp,
    *,
    seed: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> WriteCounts:
    """Insert new rows and update changed ones, stamping both with ``stamp.value``.

    The stored rows are read first and compared in Python, so unchanged rows cost no write
    and a run that changes nothing takes no version. New rows are sent as ``INSERT … ON
    CONFLICT DO NOTHING`` (on SQLite an ``ON CONFLICT DO UPDATE`` statement costs about
    twice a plain insert, measured on 92k products); should a row have appeared meanwhile
    (only a writer bypassing the counter lock could do that) the batch is re-sent as the
    ``DO UPDATE … WHERE IS DISTINCT FROM`` upsert that changed rows use.

    Args:
        rows: :class:`RowSet` or dicts sharing one set of keys: the primary key and the
            columns this writer owns, never ``version``. Columns not given (e.g. a register's
            device token hash) are neither compared nor touched. Values must have the types
            the columns return (``int``, ``str``, ``bool``, ``uuid.UUID``, ``None``).
        stamp: the transaction's :class:`VersionStamp`; no version is taken if nothing changes.
        seed: insert missing rows only; existing rows are kept as they are and count as
            unchanged (for defaults that the back office owns once created).
        on_batch: called with the number of rows of each written or skipped batch (progress).

    Returns:
        :class:`WriteCounts`; ``inserted + updated + unchanged == len(rows)``.

    Raises:
        ValueError: if a row carries ``version``, lacks the key, or rows differ in keys.
        sqlalchemy.exc.IntegrityError: on a clash with another unique constraint.
    """
    rs = rows if isinstance(rows, RowSet) else RowSet.of(rows)
    counts = WriteCounts()
    if not rs.values:
        return counts
    if "version" in rs.columns:
        raise ValueError("rows must not carry 'version'; the stamp sets it")
    keys = _key_columns(table)
    if any(k not in rs.columns for k in keys):
        raise ValueError(f"rows for {table.name} must include the key {keys}")
    key_idx = [rs.columns.index(k) for k in keys]
    stored = _existing(conn, table, rs, key_idx)
    new: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    one_key = key_idx[0] if len(key_idx) == 1 else None
    for values in rs.values:
        key = values[one_key] if one_key is not None else tuple(values[i] for i in key_idx)
        old = stored.get(key)
        if old is None:
            new.append(values)
        elif seed or old == values:
            counts.unchanged += 1
        else:
            changed.append(values)
    counts.inserted, counts.updated = len(new), len(changed)
    if on_batch is not None and counts.unchanged:
        on_batch(counts.unchanged)
    if not new and not changed:
        return counts
    version = stamp.value
    insert_new = _upsert_statement(conn, table, rs.columns, True, version)
    update_changed = _upsert_statement(conn, table, rs.columns, seed, version)
    for rows_, stmt in ((new, insert_new), (changed, update_changed)):
        for i in range(0, len(rows_), WRITE_BATCH):
            batch = rows_[i : i + WRITE_BATCH]
            done = _executemany(conn, stmt, table, rs.columns, batch)
            if stmt is insert_new and 0 <= done < len(batch) and not seed:
                _executemany(conn, update_changed, table, rs.columns, batch)
            if on_batch is not None:
                on_batch(len(batch))
    _forget_tombstones(conn, table, RowSet(rs.columns, new))
    return counts


def _forget_tombstones(conn: Connection, table: Table, rows: RowSet) -> None:
    """Drop tombstones of rows that exist again (the new row's version supersedes them)."""
    t = s.tombstones
    any_stone = select(t.c.row_key).where(t.c.table_name == table.name).limit(1)
    if not rows.values or conn.execute(any_stone).first() is None:
        return
    keys = [row_key(table, dict(zip(rows.columns, v, strict=True))) for v in rows.values]
    for i in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[i : i + _KEY_CHUNK]
        conn.execute(delete(t).where(t.c.table_name == table.name, t.c.row_key.in_(chunk)))


def delete_rows(conn: Connection, table: Table, keys: Iterable[Any], stamp: VersionStamp) -> int:
    """Delete rows by primary key and leave a tombstone (table, key, version) for each.

    Args:
        keys: primary-key values (scalars for one-column keys, tuples for composite keys).
            Keys that do not exist are ignored and leave no tombstone.
        stamp: the transaction's :class:`VersionStamp` (taken only if a row is deleted).

    Returns:
        the number of rows deleted. Delete dependants first (e.g. prices before products).
    """
    key_names = _key_columns(table)
    key_cols = [table.c[k] for k in key_names]
    wanted = [k if isinstance(k, tuple) else (k,) for k in keys]
    deleted = 0
    for i in range(0, len(wanted), _KEY_CHUNK):
        chunk = wanted[i : i + _KEY_CHUNK]
        if len(key_cols) == 1:
            cond = key_cols[0].in_([k[0] for k in chunk])
        else:
            cond = tuple_(*key_cols).in_(chunk)
        present = [
            dict(zip(key_names, rec, strict=True))
            for rec in conn.execute(select(*key_cols).where(cond))
        ]
        if not present:
            continue
        version = stamp.value
        conn.execute(delete(table).where(cond))
        stones = [
            {"table_name": table.name, "row_key": row_key(table, r), "version": version}
            for r in present
        ]
        ins = _insert(conn, s.tombstones)
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=["table_name", "row_key"], set_={"version": ins.excluded.version}
            ),
            stones,
        )
        deleted += len(present)
    return deleted


__all__ = [
    "RowSet",
    "VersionStamp",
    "WriteCounts",
    "delete_rows",
    "next_version",
    "row_key",
    "upsert_rows",
]
