"""Bulk writes of the upload path and of the register's offline commit (DESIGN §5; issue 4:
≥ 2,000 baskets/s into SQLite and ≥ 1,000 baskets/s into PostgreSQL, batches of
``upload_batch_size``; an offline commit ≤ 5 × a raw insert+commit of the same rows).

* :func:`insert_rows` — plain ``INSERT`` of every row of a batch (the lines and tenders of the
  transactions inserted now): one psycopg ``COPY … FROM STDIN`` on PostgreSQL, one driver
  ``executemany`` elsewhere (sqlite3).
* :func:`insert_ignore_keys` — insert-or-ignore by primary key, returning the keys inserted
  now (the ``transactions`` rows): on PostgreSQL one pipelined psycopg ``executemany`` of
  ``INSERT … ON CONFLICT (key) DO NOTHING RETURNING key``; elsewhere
  :func:`kassa.db.upsert.insert_ignore` (one multi-row statement with ``RETURNING``).

Both run in the caller's DB transaction (``engine.begin()``) and send every value through
its column type's bind processor for the connection's dialect — the values
``conn.execute(table.insert(), rows)`` would send (tests/store/test_upload_batch.py
compares the stored bytes) — without SQLAlchemy's per-row parameter handling, which costs
more than the database on these batches (measured: bench/upload.py). A driver error is
raised as SQLAlchemy's (``sqlalchemy.exc.IntegrityError`` for a clashing row), as
``conn.execute`` would raise it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Final

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import DBAPIError

from kassa.db.upsert import insert_ignore

#: Rows per multi-row ``INSERT`` on SQLite (at most 32,766 bound parameters).
_SQLITE_ROWS: Final = 500
#: Per dialect and (table, columns): the quoted table and columns, and ``(position, bind
#: processor)`` of the columns whose type has one.
_Plan = tuple[str, str, list[tuple[int, Any]]]
_PLANS: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...]], _Plan]] = (
    weakref.WeakKeyDictionary())


def _plan(dialect: Dialect, table: Table, cols: tuple[str, ...]) -> _Plan:
    plans = _PLANS.setdefault(dialect, {})
    plan = plans.get((table.name, cols))
    if plan is None:
        quote = dialect.identifier_preparer
        procs = [(i, table.c[c].type.dialect_impl(dialect).bind_processor(dialect))
                 for i, c in enumerate(cols)]
        plan = plans[(table.name, cols)] = (
            quote.format_table(table), ", ".join(quote.quote(c) for c in cols),
            [(i, p) for i, p in procs if p is not None])
    return plan


def _values(rows: Sequence[Mapping[str, Any]], cols: tuple[str, ...],
            procs: list[tuple[int, Any]]) -> list[tuple[Any, ...]]:
    """The rows as tuples in ``cols`` order, bind-processed."""
    get = itemgetter(*cols) if len(cols) > 1 else (lambda row: (row[cols[0]],))
    columns = list(zip(*map(get, rows), strict=True))
    for i, process in procs:
        columns[i] = tuple(map(process, columns[i]))
    return list(zip(*columns, strict=True))


def _psycopg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _cursor(conn: Connection) -> Any:
    """A psycopg cursor of ``conn``'s connection: inside its DB transaction."""
    dbapi_connection: Any = conn.connection.dbapi_connection
    return dbapi_connection.cursor()


@contextmanager
def _driver_errors(conn: Connection, statement: str) -> Iterator[None]:
    """Re-raise a DB driver error as SQLAlchemy's (``IntegrityError``, …)."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, dbapi.Error,
                                  dialect=conn.dialect) from exc


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``INSERT`` every row of ``rows`` (each with the keys of the first) into ``table``.

    Raises:
        sqlalchemy.exc.IntegrityError: a row clashes with a stored one (nothing of the
            caller's DB transaction should then be kept).
    """
    if not rows:
        return
    cols = tuple(rows[0])
    name, names, procs = _plan(conn.dialect, table, cols)
    values = _values(rows, cols, procs)
    if _psycopg(conn):
        sql = f"COPY {name} ({names}) FROM STDIN"
        with (_driver_errors(conn, sql), _cursor(conn) as cur,
              cur.copy(sql) as copy):
            for row in values:
                copy.write_row(row)
        return
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(cols))
    conn.exec_driver_sql(f"INSERT INTO {name} ({names}) VALUES ({marks})", values)


def insert_ignore_keys(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
                       ) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (each with the keys of the first); a row whose primary key is stored
    already is skipped. Returns the primary-key tuples of the rows inserted now, in no
    guaranteed order (``[]`` for no rows).

    Raises:
        sqlalchemy.exc.IntegrityError: a row breaks another constraint.
    """
    if not rows or conn.dialect.name not in ("sqlite", "postgresql") or (
            conn.dialect.name == "postgresql" and not _psycopg(conn)):
        return insert_ignore(conn, table, rows)
    cols = tuple(rows[0])
    name, names, procs = _plan(conn.dialect, table, cols)
    quote = conn.dialect.identifier_preparer
    keys = ", ".join(quote.quote(c.name) for c in table.primary_key.columns)
    values = _values(rows, cols, procs)
    out: list[tuple[Any, ...]] = []
    if conn.dialect.name == "sqlite":  # one multi-row statement per _SQLITE_ROWS rows
        row = f"({', '.join(['?'] * len(cols))})"
        for i in range(0, len(values), _SQLITE_ROWS):
            part = values[i:i + _SQLITE_ROWS]
            sql = (f"INSERT INTO {name} ({names}) VALUES {', '.join([row] * len(part))} "
                   f"ON CONFLICT ({keys}) DO NOTHING RETURNING {keys}")
            out += conn.exec_driver_sql(sql, tuple(v for r in part for v in r)).all()
        return _keys_read(conn.dialect, table, out)
    sql = (f"INSERT INTO {name} ({names}) VALUES ({', '.join(['%s'] * len(cols))}) "
           f"ON CONFLICT ({keys}) DO NOTHING RETURNING {keys}")
    with _driver_errors(conn, sql), _cursor(conn) as cur:
        cur.executemany(sql, values, returning=True)
        while True:
            out += cur.fetchall()
            if not cur.nextset():
                break
    return _keys_read(conn.dialect, table, out)


def _keys_read(dialect: Dialect, table: Table, rows: Sequence[Sequence[Any]]
               ) -> list[tuple[Any, ...]]:
    """Key tuples as the driver returned them → as SQLAlchemy reads them (each key
    column type's result processor: e.g. a UUID stored as hex text on SQLite)."""
    procs = [c.type.dialect_impl(dialect).result_processor(dialect, None)
             for c in table.primary_key.columns]
    return [tuple(v if p is None else p(v) for p, v in zip(procs, row, strict=True))
            for row in rows]
