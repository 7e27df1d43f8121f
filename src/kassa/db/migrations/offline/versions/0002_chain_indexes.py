"""chain indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:49:28

Chain lookups of the register's tamper-evident journal (issue 8 §4; kassa.pos.journal): the
same indexes on ``transactions.hash`` / ``prev_hash`` as the channel DB's revision 0003 (the
offline DB's ``transactions`` has the channel DB's columns and indexes). Plain
``CREATE INDEX``: no table copy, so the ``seq`` triggers stay.
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_transactions_hash", "transactions", ["hash"])
    op.create_index("ix_transactions_prev_hash", "transactions", ["prev_hash"])


def downgrade() -> None:
    op.drop_index("ix_transactions_prev_hash", table_name="transactions")
    op.drop_index("ix_transactions_hash", table_name="transactions")
