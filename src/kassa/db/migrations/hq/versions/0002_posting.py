"""posting: posted transactions, lines, tenders, cursors, rejections, store endpoints

Tables of :mod:`kassa.db.hq_posting_schema` (DESIGN §5, issue 4 §5).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:46:01.535861
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "posted_transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Uuid(), nullable=False),
        sa.Column("register_number", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("completed_at", _utc(), nullable=False),
        sa.Column("business_day", sa.String(length=10), nullable=False),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("change_cents", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("channel_seq", sa.BigInteger(), nullable=True),
        sa.Column("posted_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posted_transactions")),
    )
    op.create_index(
        "ix_posted_transactions_store_day",
        "posted_transactions",
        ["store_id", "business_day", "register_number"],
        unique=False,
    )

    op.create_table(
        "posted_lines",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("unit_price_cents", sa.BigInteger(), nullable=False),
        sa.Column("override_price_cents", sa.BigInteger(), nullable=True),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("is_return", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["posted_transactions.id"],
            name=op.f("fk_posted_lines_transaction_id_posted_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", "line_no", name=op.f("pk_posted_lines")),
    )
    op.create_index("ix_posted_lines_product_id", "posted_lines", ["product_id"], unique=False)

    op.create_table(
        "posted_tenders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("tender_type", sa.String(length=32), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["posted_transactions.id"],
            name=op.f("fk_posted_tenders_transaction_id_posted_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_posted_tenders")),
    )
    op.create_index(
        op.f("ix_posted_tenders_transaction_id"), "posted_tenders", ["transaction_id"],
        unique=False,
    )

    op.create_table(
        "posting_cursors",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_pull_at", _utc(), nullable=True),
        sa.Column("last_ok_at", _utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", _utc(), nullable=True),
        sa.Column("posted_count", sa.BigInteger(), nullable=False),
        sa.Column("duplicate_count", sa.BigInteger(), nullable=False),
        sa.Column("rejected_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_posting_cursors")),
    )

    op.create_table(
        "posting_rejections",
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("channel_seq", sa.BigInteger(), nullable=True),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("rejected_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("record_sha256", name=op.f("pk_posting_rejections")),
    )
    op.create_index(
        op.f("ix_posting_rejections_store_id"), "posting_rejections", ["store_id"], unique=False
    )

    op.create_table(
        "store_endpoints",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("base_url", sa.String(length=400), nullable=False),
        sa.Column("pull_token", sa.String(length=200), nullable=False),
        sa.Column("reported_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_endpoints")),
    )


def downgrade() -> None:
    op.drop_table("store_endpoints")
    op.drop_index(op.f("ix_posting_rejections_store_id"), table_name="posting_rejections")
    op.drop_table("posting_rejections")
    op.drop_table("posting_cursors")
    op.drop_index(op.f("ix_posted_tenders_transaction_id"), table_name="posted_tenders")
    op.drop_table("posted_tenders")
    op.drop_index("ix_posted_lines_product_id", table_name="posted_lines")
    op.drop_table("posted_lines")
    op.drop_index("ix_posted_transactions_store_day", table_name="posted_transactions")
    op.drop_table("posted_transactions")
