"""giftcards: stored-value cards, their ledger and the lock audit

Tables of :mod:`kassa.db.hq_giftcard_schema` (DESIGN §6, issue 5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:47:56.890253
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stored_value_cards",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("balance_cents", sa.BigInteger(), nullable=False),
        sa.Column("issued_cents", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("issued_at", _utc(), nullable=False),
        sa.Column("holder_register_id", sa.Uuid(), nullable=True),
        sa.Column("holder_transaction_id", sa.Uuid(), nullable=True),
        sa.Column("locked_at", _utc(), nullable=True),
        sa.CheckConstraint(
            "balance_cents >= 0", name=op.f("ck_stored_value_cards_balance_not_negative")
        ),
        sa.CheckConstraint(
            "kind IN ('gift_card', 'credit_memo')", name=op.f("ck_stored_value_cards_kind")
        ),
        sa.CheckConstraint(
            "(holder_register_id IS NULL AND holder_transaction_id IS NULL AND locked_at IS NULL)"
            " OR (holder_register_id IS NOT NULL AND holder_transaction_id IS NOT NULL"
            " AND locked_at IS NOT NULL)",
            name=op.f("ck_stored_value_cards_one_holder"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_register_id"],
            ["registers.id"],
            name=op.f("fk_stored_value_cards_holder_register_id_registers"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_stored_value_cards")),
    )
    op.create_index(
        "ix_stored_value_cards_locked_at", "stored_value_cards", ["locked_at"], unique=False
    )

    op.create_table(
        "stored_value_ledger",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("register_id", sa.Uuid(), nullable=True),
        sa.Column("issue_key", sa.String(length=120), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_stored_value_ledger_amount_positive")),
        sa.CheckConstraint(
            "kind IN ('issue', 'add', 'redeem')", name=op.f("ck_stored_value_ledger_kind")
        ),
        sa.ForeignKeyConstraint(
            ["number"],
            ["stored_value_cards.number"],
            name=op.f("fk_stored_value_ledger_number_stored_value_cards"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_value_ledger")),
        sa.UniqueConstraint("issue_key", name=op.f("uq_stored_value_ledger_issue_key")),
        sa.UniqueConstraint(
            "number", "transaction_id", "kind", name="uq_stored_value_ledger_movement"
        ),
    )

    op.create_table(
        "stored_value_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("previous_register_id", sa.Uuid(), nullable=True),
        sa.Column("previous_transaction_id", sa.Uuid(), nullable=True),
        sa.Column("previous_locked_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_value_audit")),
    )
    op.create_index(
        op.f("ix_stored_value_audit_number"), "stored_value_audit", ["number"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stored_value_audit_number"), table_name="stored_value_audit")
    op.drop_table("stored_value_audit")
    op.drop_table("stored_value_ledger")
    op.drop_index("ix_stored_value_cards_locked_at", table_name="stored_value_cards")
    op.drop_table("stored_value_cards")
