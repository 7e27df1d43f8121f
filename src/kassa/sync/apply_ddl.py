"""Secondary database objects around a snapshot apply (DESIGN §4; used by :mod:`.apply`).

A snapshot replaces every row of a table. Maintaining secondary indexes, full-text
triggers and the full-text index row by row for 92,331 products is much slower than
building them once afterwards, so inside the apply transaction:

* :func:`drop_secondary` — saves and drops the table's secondary indexes (SQLite: every
  ``CREATE INDEX`` with SQL, i.e. not the automatic indexes of primary keys and unique
  constraints; PostgreSQL: indexes that back no constraint) and its SQLite triggers;
* :func:`restore_secondary` — re-creates them from the saved SQL;
* :func:`rebuild_fulltext` — SQLite: ``INSERT INTO fts(fts) VALUES('rebuild')`` for every
  FTS5 external-content table whose ``content=`` is one of the tables (PostgreSQL full-text
  is a GIN expression index, re-created by :func:`restore_secondary`).

All of it is transactional DDL: a rollback or a crash brings every object back as it was.
On PostgreSQL ``DROP INDEX`` takes the table's exclusive lock until commit, so readers of
that table wait for a snapshot apply to finish (a new channel DB, or a re-snapshot: rare);
deltas never touch indexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

_CONTENT = re.compile(r"content\s*=\s*['\"]?(\w+)['\"]?", re.IGNORECASE)


@dataclass
class Saved:
    """DDL of the objects dropped by :func:`drop_secondary`, in re-creation order."""

    table: str
    statements: list[str] = field(default_factory=list)


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def drop_secondary(conn: Connection, table: str) -> Saved:
    """Drop the secondary indexes (and SQLite triggers) of ``table``; return their DDL."""
    saved = Saved(table)
    if conn.dialect.name == "sqlite":
        objects = conn.execute(
            text(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :t "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
            ),
            {"t": table},
        ).all()
        for kind, name, sql in objects:
            conn.exec_driver_sql(f"DROP {kind.upper()} {_quote(conn, name)}")
            saved.statements.append(str(sql))
    elif conn.dialect.name == "postgresql":
        objects = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = :t "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "  WHERE c.conindid = (quote_ident(i.schemaname) || '.' || "
                "  quote_ident(i.indexname))::regclass) ORDER BY i.indexname"
            ),
            {"t": table},
        ).all()
        for name, sql in objects:
            conn.exec_driver_sql(f"DROP INDEX {_quote(conn, name)}")
            saved.statements.append(str(sql))
    return saved


def restore_secondary(conn: Connection, saved: Saved) -> None:
    """Re-create what :func:`drop_secondary` dropped (indexes first, then triggers)."""
    for sql in saved.statements:
        conn.exec_driver_sql(sql)


def fulltext_tables(conn: Connection, tables: Iterable[str]) -> list[str]:
    """Names of the SQLite FTS5 external-content tables over any of ``tables``."""
    if conn.dialect.name != "sqlite":
        return []
    wanted = set(tables)
    found = []
    for name, sql in conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND sql LIKE 'CREATE VIRTUAL TABLE%' AND lower(sql) LIKE '%using fts5%'"
        )
    ).all():
        match = _CONTENT.search(str(sql))
        if match and match.group(1) in wanted:
            found.append(str(name))
    return found


def rebuild_fulltext(conn: Connection, tables: Iterable[str]) -> None:
    """Rebuild the SQLite FTS5 external-content indexes over ``tables`` from their content."""
    for fts in fulltext_tables(conn, tables):
        quoted = _quote(conn, fts)
        conn.exec_driver_sql(f"INSERT INTO {quoted}({quoted}) VALUES ('rebuild')")
