"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:37:33.585381
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# transactions.seq: the P-job cursor, assigned in commit order by the database
# (kassa.db.channel_schema docstring). Frozen copies of the SQL of that module.
SEQ_SUPPLIED = "transactions.seq is assigned by the database; do not supply it"
SQLITE_SEQ_DDL = (
    f"""\
CREATE TRIGGER trg_transactions_seq_refuse BEFORE INSERT ON transactions
WHEN NEW.seq IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, '{SEQ_SUPPLIED}');
END""",
    """\
CREATE TRIGGER trg_transactions_seq AFTER INSERT ON transactions
BEGIN
    UPDATE transactions
       SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM transactions)
     WHERE rowid = NEW.rowid;
END""",
)


def upgrade() -> None:
    op.create_table(
        "commerce_parameters",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_commerce_parameters")),
    )
    op.create_index(
        op.f("ix_commerce_parameters_version"), "commerce_parameters", ["version"], unique=False
    )

    op.create_table(
        "current_cart",
        sa.Column("register_id", sa.Uuid(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("register_id", name=op.f("pk_current_cart")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("loyalty_card", sa.String(length=20), nullable=False),
        sa.Column("age", sa.String(length=16), nullable=True),
        sa.Column("income", sa.String(length=16), nullable=True),
        sa.Column("home_ownership", sa.String(length=40), nullable=True),
        sa.Column("marital_status", sa.String(length=16), nullable=True),
        sa.Column("household_size", sa.String(length=8), nullable=True),
        sa.Column("household_comp", sa.String(length=40), nullable=True),
        sa.Column("kids_count", sa.String(length=8), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("loyalty_card", name=op.f("uq_customers_loyalty_card")),
    )
    op.create_index(op.f("ix_customers_version"), "customers", ["version"], unique=False)

    op.create_table(
        "data_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_data_groups_name")),
    )
    op.create_index(op.f("ix_data_groups_version"), "data_groups", ["version"], unique=False)

    op.create_table(
        "offline_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timeout_s", sa.Float(), nullable=False),
        sa.Column("retry_count_to_offline", sa.Integer(), nullable=False),
        sa.Column("reconnect_interval_s", sa.Float(), nullable=False),
        sa.Column("health_check_interval_s", sa.Float(), nullable=True),
        sa.Column("prompt_on_seamless_offline", sa.Boolean(), nullable=False),
        sa.Column("download_interval_s", sa.Float(), nullable=False),
        sa.Column("upload_interval_s", sa.Float(), nullable=False),
        sa.Column("upload_batch_size", sa.Integer(), nullable=False),
        sa.Column("pause_offline_sync", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_offline_profiles_name")),
    )
    op.create_index(
        op.f("ix_offline_profiles_version"), "offline_profiles", ["version"], unique=False
    )

    op.create_table(
        "operators",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
    )
    op.create_index(op.f("ix_operators_version"), "operators", ["version"], unique=False)

    op.create_table(
        "package_checkpoint",
        sa.Column("data_group_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("package_number", sa.BigInteger(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("data_group_id", name=op.f("pk_package_checkpoint")),
    )
    op.create_table(
        "pending_unlocks",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('gift_card', 'credit_memo')", name=op.f("ck_pending_unlocks_kind")
        ),
        sa.PrimaryKeyConstraint(
            "kind", "number", "transaction_id", name=op.f("pk_pending_unlocks")
        ),
    )
    op.create_table(
        "prices",
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_prices")),
    )
    op.create_index(op.f("ix_prices_version"), "prices", ["version"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("manufacturer_id", sa.BigInteger(), nullable=True),
        sa.Column("department", sa.String(length=80), nullable=True),
        sa.Column("brand", sa.String(length=80), nullable=True),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("product_type", sa.String(length=120), nullable=True),
        sa.Column("package_size", sa.String(length=80), nullable=True),
        sa.Column("barcode", sa.String(length=14), nullable=False),
        sa.Column("unit_of_measure", sa.String(length=16), nullable=False),
        sa.Column("tax_group_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("barcode", name=op.f("uq_products_barcode")),
    )
    op.create_index("ix_products_name", "products", ["name"], unique=False)
    op.create_index(op.f("ix_products_version"), "products", ["version"], unique=False)

    op.create_table(
        "receipt_sequence",
        sa.Column("register_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("register_id", name=op.f("pk_receipt_sequence")),
    )
    op.create_table(
        "registers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("support_offline", sa.Boolean(), nullable=False),
        sa.Column("device_token_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registers")),
        sa.UniqueConstraint("store_id", "number", name="uq_registers_store_number"),
    )
    op.create_index(op.f("ix_registers_version"), "registers", ["version"], unique=False)

    op.create_table(
        "stores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("data_group_id", sa.Integer(), nullable=False),
        sa.Column("offline_profile_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("receipt_header", sa.String(length=200), nullable=False),
        sa.Column("receipt_footer", sa.String(length=200), nullable=False),
        sa.Column("server_token_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
    )
    op.create_index(op.f("ix_stores_version"), "stores", ["version"], unique=False)

    op.create_table(
        "sync_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("package_number", sa.BigInteger(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('download', 'upload')", name=op.f("ck_sync_attempts_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_attempts")),
    )
    op.create_index("ix_sync_attempts_kind_at", "sync_attempts", ["kind", "at"], unique=False)

    op.create_table(
        "tax_groups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_groups")),
    )
    op.create_index(op.f("ix_tax_groups_version"), "tax_groups", ["version"], unique=False)

    op.create_table(
        "tender_types",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("opens_drawer", sa.Boolean(), nullable=False),
        sa.Column("allows_change", sa.Boolean(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tender_types")),
    )
    op.create_index(op.f("ix_tender_types_version"), "tender_types", ["version"], unique=False)

    op.create_table(
        "transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Uuid(), nullable=False),
        sa.Column("register_number", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("discount_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), nullable=False),
        sa.Column("change_cents", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.Text(), nullable=True),
        sa.Column("hash", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode IN ('online', 'offline')", name=op.f("ck_transactions_mode")),
        sa.CheckConstraint(
            "status IN ('completed', 'voided')", name=op.f("ck_transactions_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("seq", name=op.f("uq_transactions_seq")),
    )
    op.create_index("ix_transactions_completed_at", "transactions", ["completed_at"], unique=False)
    op.create_index(
        "ix_transactions_receipt_number", "transactions", ["receipt_number"], unique=False
    )
    op.create_index(
        "ix_transactions_register_completed",
        "transactions",
        ["register_id", "completed_at"],
        unique=False,
    )
    dialect = op.get_context().dialect.name
    if dialect != "sqlite":
        raise NotImplementedError(f"the offline database is SQLite only, not {dialect}")
    for statement in SQLITE_SEQ_DDL:
        op.execute(statement)

    op.create_table(
        "transaction_lines",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
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
            ["transactions.id"],
            name=op.f("fk_transaction_lines_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", "line_no", name=op.f("pk_transaction_lines")),
    )
    op.create_index(
        "ix_transaction_lines_product_id", "transaction_lines", ["product_id"], unique=False
    )

    op.create_table(
        "transaction_tenders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("tender_type", sa.String(length=32), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_transaction_tenders_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_tenders")),
    )
    op.create_index(
        op.f("ix_transaction_tenders_transaction_id"),
        "transaction_tenders",
        ["transaction_id"],
        unique=False,
    )

    op.create_table(
        "upload_queue",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'uploaded')", name=op.f("ck_upload_queue_state")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_upload_queue_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_upload_queue")),
    )
    op.create_index(
        "ix_upload_queue_state_queued_at", "upload_queue", ["state", "queued_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("upload_queue")
    op.drop_table("transaction_tenders")
    op.drop_table("transaction_lines")
    op.drop_table("transactions")
    op.drop_table("tender_types")
    op.drop_table("tax_groups")
    op.drop_table("sync_attempts")
    op.drop_table("stores")
    op.drop_table("registers")
    op.drop_table("receipt_sequence")
    op.drop_table("products")
    op.drop_table("prices")
    op.drop_table("pending_unlocks")
    op.drop_table("package_checkpoint")
    op.drop_table("operators")
    op.drop_table("offline_profiles")
    op.drop_table("data_groups")
    op.drop_table("customers")
    op.drop_table("current_cart")
    op.drop_table("commerce_parameters")
