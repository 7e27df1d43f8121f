"""journal breaks and chain indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:49:25

The tamper-evident journal of the registers (issue 8 §4; kassa.store.journal):

* ``journal_breaks`` — breaks the store server found in a register's chain (pending or
  confirmed), reported to HQ with the status report;
* ``ix_transactions_hash`` / ``ix_transactions_prev_hash`` — chain lookups (the offline DB
  gets the same indexes in its revision 0002). Plain ``CREATE INDEX``: no table copy, so the
  ``seq`` triggers stay.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "journal_breaks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("register_id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'confirmed')", name=op.f("ck_journal_breaks_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_breaks")),
        sa.UniqueConstraint(
            "transaction_id", "reason", name=op.f("uq_journal_breaks_transaction_id")
        ),
    )
    op.create_index("ix_journal_breaks_register_id", "journal_breaks", ["register_id", "state"])
    op.create_index("ix_transactions_hash", "transactions", ["hash"])
    op.create_index("ix_transactions_prev_hash", "transactions", ["prev_hash"])


def downgrade() -> None:
    op.drop_index("ix_transactions_prev_hash", table_name="transactions")
    op.drop_index("ix_transactions_hash", table_name="transactions")
    op.drop_index("ix_journal_breaks_register_id", table_name="journal_breaks")
    op.drop_table("journal_breaks")
