"""product full-text search: prefix indexes of 2…8 characters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:00:00

Name search (issue 4 §1; kassa.db.product_search) matches every typed word as a prefix.
FTS5 answers a prefix longer than its longest prefix index by merging the doclists of every
term with that prefix, in full: ``"nation"*`` copies the ~78,000 entries of ``national``
each time (~2 ms, twice per search). With prefix indexes of 2…8 characters every prefix of
up to 8 characters is one doclist that FTS5 can skip through: name search on the real
catalogue costs about half (CPU p99 ~10 ms → ~5 ms). Results do not change (bm25 counts the
same rows and instances), so the register's offline DB (offline revision 0003, built with
the same prefixes) gives the same answers.

SQLite only: the table is re-created with its triggers and rebuilt from ``products``.
PostgreSQL (GIN index on ``to_tsvector('simple', name)``) is unchanged.
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_TRIGGERS = (
    """\
CREATE TRIGGER trg_products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts(rowid, name) VALUES (new.id, new.name);
END""",
    """\
CREATE TRIGGER trg_products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.id, old.name);
END""",
    """\
CREATE TRIGGER trg_products_fts_update AFTER UPDATE OF id, name ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO products_fts(rowid, name) VALUES (new.id, new.name);
END""",
)


def _recreate(prefix: str) -> None:
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_products_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS products_fts")
    op.execute(
        "CREATE VIRTUAL TABLE products_fts USING fts5(name, content='products', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='{prefix}')"
    )
    for statement in _TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO products_fts(products_fts) VALUES ('rebuild')")


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _recreate("2 3 4 5 6 7 8")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _recreate("2 3")
