"""product full-text search

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:00:00

Product name search on the register (issue 4 §1; kassa.db.product_search), the same index as
the channel DB's (channel revisions 0002 and 0004): FTS5 external-content table
``products_fts(name)`` over ``products`` (``content_rowid = id``; tokenizer ``unicode61
remove_diacritics 2``; prefix indexes of 2…8 characters, so that every typed prefix of up to
8 characters reads one doclist), kept in step by three triggers; snapshots drop the
triggers and rebuild the index in one go (kassa.sync.apply_ddl). An existing offline DB gets
its index filled from the rows it already holds (``'rebuild'``).
"""

from __future__ import annotations

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

#: Frozen copy of the SQL (kassa.db.product_search queries it; channel revision 0004 has
#: the same).
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, content='products', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6 7 8')",
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
    "INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    for statement in SQLITE_FTS:
        op.execute(statement)


def downgrade() -> None:
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_products_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS products_fts")
