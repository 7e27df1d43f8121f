"""The HQ database: system of record (DESIGN §2, §4).

Master-data tables (``MASTER_DATA_TABLES``) each carry ``version``: the value of the one
monotonic change counter (table ``change_counter``) at the transaction that last changed
the row. Deletes remove the row and leave a row in ``tombstones`` with its own version.
Distribution (issue 3) selects rows with ``version > high-water mark``; no timestamps decide
what changed.

Money columns end in ``_cents`` (integer minor units). Times are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kassa.db.types import Cents, UTCDateTime, UUIDType, Version

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

#: Single-row table holding the last issued change version (DESIGN §4).
change_counter = Table(
    "change_counter",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

#: Deleted master-data rows: (table, key) with the version of the delete.
tombstones = Table(
    "tombstones",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("row_key", String(120), primary_key=True),
    Column("version", Version, nullable=False, index=True),
)

# --- master data -----------------------------------------------------------------------

data_groups = Table(
    "data_groups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("version", Version, nullable=False, index=True),
)

offline_profiles = Table(
    "offline_profiles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    # Seconds; fractional values allowed (tests use 0.5 s).
    Column("timeout_s", Float, nullable=False),
    Column("retry_count_to_offline", Integer, nullable=False),
    Column("reconnect_interval_s", Float, nullable=False),
    Column("health_check_interval_s", Float, nullable=True),
    Column("prompt_on_seamless_offline", Boolean, nullable=False),
    Column("download_interval_s", Float, nullable=False),
    Column("upload_interval_s", Float, nullable=False),
    Column("upload_batch_size", Integer, nullable=False),
    Column("pause_offline_sync", Boolean, nullable=False),
    Column("version", Version, nullable=False, index=True),
)

stores = Table(
    "stores",
    metadata,
    Column("id", Integer, primary_key=True),  # The Complete Journey store_id
    Column("name", String(120), nullable=False),
    Column("data_group_id", Integer, ForeignKey("data_groups.id"), nullable=False),
    Column("offline_profile_id", Integer, ForeignKey("offline_profiles.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("receipt_header", String(200), nullable=False),
    Column("receipt_footer", String(200), nullable=False),
    # SHA-256 of the store server's token for calls to HQ (kassa.auth.tokens).
    Column("server_token_hash", String(64), nullable=True),
    Column("version", Version, nullable=False, index=True),
)

registers = Table(
    "registers",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("store_id", Integer, ForeignKey("stores.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("name", String(120), nullable=False),
    Column("support_offline", Boolean, nullable=False),
    # SHA-256 of the device token issued at activation (kassa.auth.tokens); never the token.
    Column("device_token_hash", String(64), nullable=True),
    Column("version", Version, nullable=False, index=True),
    UniqueConstraint("store_id", "number", name="uq_registers_store_number"),
)

tax_groups = Table(
    "tax_groups",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("rate_bp", Integer, nullable=False),  # basis points: 625 = 6.25 %
    Column("version", Version, nullable=False, index=True),
)

products = Table(
    "products",
    metadata,
    Column("id", BigInteger, primary_key=True),  # The Complete Journey product_id
    Column("name", String(200), nullable=False),
    Column("manufacturer_id", BigInteger, nullable=True),
    Column("department", String(80), nullable=True),
    Column("brand", String(80), nullable=True),
    Column("category", String(80), nullable=True),
    Column("product_type", String(120), nullable=True),
    Column("package_size", String(80), nullable=True),
    Column("barcode", String(14), nullable=False, unique=True),
    Column("unit_of_measure", String(16), nullable=False),
    Column("tax_group_id", String(32), ForeignKey("tax_groups.id"), nullable=False),
    Column("version", Version, nullable=False, index=True),
)

prices = Table(
    "prices",
    metadata,
    Column("product_id", BigInteger, ForeignKey("products.id"), primary_key=True),
    Column("price_cents", Cents, nullable=False),
    Column("version", Version, nullable=False, index=True),
)

customers = Table(
    "customers",
    metadata,
    Column("id", BigInteger, primary_key=True),  # The Complete Journey household_id
    Column("name", String(120), nullable=False),
    Column("loyalty_card", String(20), nullable=False, unique=True),
    Column("age", String(16), nullable=True),
    Column("income", String(16), nullable=True),
    Column("home_ownership", String(40), nullable=True),
    Column("marital_status", String(16), nullable=True),
    Column("household_size", String(8), nullable=True),
    Column("household_comp", String(40), nullable=True),
    Column("kids_count", String(8), nullable=True),
    Column("version", Version, nullable=False, index=True),
)

operators = Table(
    "operators",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),  # kassa.domain.operator.Role values
    Column("password_hash", String(200), nullable=False),
    Column("store_id", Integer, ForeignKey("stores.id"), nullable=True),  # NULL = all stores
    Column("version", Version, nullable=False, index=True),
)

tender_types = Table(
    "tender_types",
    metadata,
    Column("id", String(32), primary_key=True),  # cash, card, gift_card, credit_memo
    Column("name", String(80), nullable=False),
    Column("opens_drawer", Boolean, nullable=False),
    Column("allows_change", Boolean, nullable=False),
    Column("version", Version, nullable=False, index=True),
)

commerce_parameters = Table(
    "commerce_parameters",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),  # JSON text
    Column("version", Version, nullable=False, index=True),
)

#: Tables whose rows travel to channel and offline DBs, in dependency order.
MASTER_DATA_TABLES = (
    data_groups,
    offline_profiles,
    stores,
    registers,
    tax_groups,
    products,
    prices,
    customers,
    operators,
    tender_types,
    commerce_parameters,
)

# --- import bookkeeping ----------------------------------------------------------------

import_runs = Table(
    "import_runs",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("source", String(80), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("outcome", Text, nullable=True),  # JSON: per entity imported/unchanged/rejected
)

import_rejections = Table(
    "import_rejections",
    metadata,
    Column("run_id", UUIDType, ForeignKey("import_runs.id"), primary_key=True),
    Column("entity", String(40), primary_key=True),
    Column("reason", String(80), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("example", String(200), nullable=True),
)

Index("ix_products_name", products.c.name)


def _register_distribution_tables() -> None:
    """Import the distribution tables so that ``metadata`` holds the whole HQ schema."""
    import kassa.db.hq_distribution_schema
    import kassa.db.hq_giftcard_schema
    import kassa.db.hq_posting_schema  # noqa: F401


_register_distribution_tables()
