"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:37:33.514641
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_counter")),
    )
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
        "distribution_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("tables", sa.Text(), nullable=False),
        sa.Column("exclude_from_offline", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_jobs")),
    )
    op.create_table(
        "distribution_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("job_ids", sa.Text(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_distribution_schedules_name")),
    )
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
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
        "tombstones",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=120), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "row_key", name=op.f("pk_tombstones")),
    )
    op.create_index(op.f("ix_tombstones_version"), "tombstones", ["version"], unique=False)

    op.create_table(
        "data_packages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("data_group_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("base_number", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("jobs", sa.Text(), nullable=False),
        sa.Column("row_counts", sa.Text(), nullable=False),
        sa.Column("high_water_version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("offline_body", sa.LargeBinary(), nullable=False),
        sa.Column("offline_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_group_id"],
            ["data_groups.id"],
            name=op.f("fk_data_packages_data_group_id_data_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_packages")),
        sa.UniqueConstraint(
            "data_group_id", "number", "kind", name="uq_data_packages_group_number"
        ),
    )
    op.create_table(
        "import_rejections",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("example", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["import_runs.id"], name=op.f("fk_import_rejections_run_id_import_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "entity", "reason", name=op.f("pk_import_rejections")),
    )
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
        sa.ForeignKeyConstraint(
            ["tax_group_id"], ["tax_groups.id"], name=op.f("fk_products_tax_group_id_tax_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("barcode", name=op.f("uq_products_barcode")),
    )
    op.create_index("ix_products_name", "products", ["name"], unique=False)
    op.create_index(op.f("ix_products_version"), "products", ["version"], unique=False)

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
        sa.ForeignKeyConstraint(
            ["data_group_id"], ["data_groups.id"], name=op.f("fk_stores_data_group_id_data_groups")
        ),
        sa.ForeignKeyConstraint(
            ["offline_profile_id"],
            ["offline_profiles.id"],
            name=op.f("fk_stores_offline_profile_id_offline_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
    )
    op.create_index(op.f("ix_stores_version"), "stores", ["version"], unique=False)

    op.create_table(
        "operators",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_operators_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
    )
    op.create_index(op.f("ix_operators_version"), "operators", ["version"], unique=False)

    op.create_table(
        "prices",
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_prices_product_id_products")
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_prices")),
    )
    op.create_index(op.f("ix_prices_version"), "prices", ["version"], unique=False)

    op.create_table(
        "registers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("support_offline", sa.Boolean(), nullable=False),
        sa.Column("device_token_hash", sa.String(length=64), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_registers_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registers")),
        sa.UniqueConstraint("store_id", "number", name="uq_registers_store_number"),
    )
    op.create_index(op.f("ix_registers_version"), "registers", ["version"], unique=False)

    op.create_table(
        "activation_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("register_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registers.id"],
            name=op.f("fk_activation_codes_register_id_registers"),
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_activation_codes")),
    )
    op.create_table(
        "channel_db_entities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("data_group_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkpoint", sa.BigInteger(), nullable=True),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_uploads", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=40), nullable=True),
        sa.Column("journal_break", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["data_group_id"],
            ["data_groups.id"],
            name=op.f("fk_channel_db_entities_data_group_id_data_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registers.id"],
            name=op.f("fk_channel_db_entities_register_id_registers"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_channel_db_entities_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_db_entities")),
    )
    op.create_index(
        op.f("ix_channel_db_entities_data_group_id"),
        "channel_db_entities",
        ["data_group_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("channel_db_entities")
    op.drop_table("activation_codes")
    op.drop_table("registers")
    op.drop_table("prices")
    op.drop_table("operators")
    op.drop_table("stores")
    op.drop_table("products")
    op.drop_table("import_rejections")
    op.drop_table("data_packages")
    op.drop_table("tombstones")
    op.drop_table("tender_types")
    op.drop_table("tax_groups")
    op.drop_table("offline_profiles")
    op.drop_table("import_runs")
    op.drop_table("distribution_schedules")
    op.drop_table("distribution_jobs")
    op.drop_table("data_groups")
    op.drop_table("customers")
    op.drop_table("commerce_parameters")
    op.drop_table("change_counter")
