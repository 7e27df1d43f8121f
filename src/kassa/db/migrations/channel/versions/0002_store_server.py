"""store server: served packages and product full-text search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:00:00

* ``served_packages`` — the offline variant of every package the store server pulled from HQ
  (header JSON + body bytes), served to its registers (issue 3 §5; kassa.store.served).
* Product name search (issue 4 §1), dialect-conditional:

  - SQLite: FTS5 external-content table ``products_fts(name)`` over ``products``
    (``content_rowid = id``), kept in step by three triggers; snapshots drop the triggers
    and rebuild the index in one go (kassa.sync.apply_ddl).
  - PostgreSQL: GIN index on ``to_tsvector('simple', name)`` (kassa.store.catalogue uses the
    same expression).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

#: Frozen copies of the SQL in kassa.store.search_schema.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE products_fts USING fts5(name, content='products', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
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
PG_FTS = (
    "CREATE INDEX ix_products_name_fts ON products USING gin (to_tsvector('simple', name))",
)


def upgrade() -> None:
    op.create_table(
        "served_packages",
        sa.Column("data_group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("header", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('delta', 'snapshot')", name=op.f("ck_served_packages_kind")
        ),
        sa.PrimaryKeyConstraint(
            "data_group_id", "number", "kind", name=op.f("pk_served_packages")
        ),
    )
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in PG_FTS:
            op.execute(statement)
    else:
        raise NotImplementedError(f"channel database on {dialect}")


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_products_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS products_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_products_name_fts")
    op.drop_table("served_packages")
