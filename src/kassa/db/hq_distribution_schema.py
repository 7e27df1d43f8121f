"""HQ tables of distribution (DESIGN §4) and activation; same MetaData as the HQ schema.

* ``channel_db_entities`` — HQ's record of each target database of a channel data group:
  kind ``channel`` (the store's channel DB) or ``offline`` (a register's offline DB, created
  when Support offline is set, retired when cleared), with what its owner reports
  (checkpoint, last contact, pending uploads, mode).
* ``distribution_jobs`` — 1010 customers, 1040 products/prices/barcodes, 1060 staff,
  1070 channel configuration, 1110 global configuration; ``exclude_from_offline``.
* ``distribution_schedules`` — named job lists, optionally run every ``interval_s`` seconds.
* ``data_packages`` — immutable, numbered per data group; one row per run. ``body`` is for the
  channel DB, ``offline_body`` the same package without the jobs excluded from offline DBs.
* ``activation_codes`` — one-time codes that turn into a register's device token.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kassa.db.hq_schema import metadata
from kassa.db.types import UTCDateTime, UUIDType

channel_db_entities = Table(
    "channel_db_entities",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("data_group_id", Integer, ForeignKey("data_groups.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # 'channel' | 'offline'
    Column("store_id", Integer, ForeignKey("stores.id"), nullable=False),
    Column("register_id", UUIDType, ForeignKey("registers.id"), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime, nullable=True),
    Column("checkpoint", BigInteger, nullable=True),  # last applied package number
    Column("last_contact_at", UTCDateTime, nullable=True),
    Column("pending_uploads", Integer, nullable=True),
    Column("mode", String(40), nullable=True),  # register mode as last reported
    Column("journal_break", Text, nullable=True),  # tamper-evidence report (issue 8)
)

distribution_jobs = Table(
    "distribution_jobs",
    metadata,
    Column("id", Integer, primary_key=True),  # 1010, 1040, 1060, 1070, 1110
    Column("name", String(120), nullable=False),
    Column("tables", Text, nullable=False),  # JSON list of master-data table names
    Column("exclude_from_offline", Boolean, nullable=False),
)

distribution_schedules = Table(
    "distribution_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("job_ids", Text, nullable=False),  # JSON list of job ids
    Column("interval_s", Integer, nullable=True),
    Column("active", Boolean, nullable=False),
    Column("last_run_at", UTCDateTime, nullable=True),
)

data_packages = Table(
    "data_packages",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("data_group_id", Integer, ForeignKey("data_groups.id"), nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("base_number", BigInteger, nullable=False),  # applies on top of this number
    Column("kind", String(16), nullable=False),  # 'delta' | 'snapshot'
    Column("format_version", Integer, nullable=False),
    Column("schedule_id", Integer, nullable=True),
    Column("jobs", Text, nullable=False),  # JSON list of job ids
    Column("row_counts", Text, nullable=False),  # JSON {table: {"upserts": n, "deletes": n}}
    Column("high_water_version", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("offline_body", LargeBinary, nullable=False),
    Column("offline_sha256", String(64), nullable=False),
    UniqueConstraint("data_group_id", "number", "kind", name="uq_data_packages_group_number"),
)

activation_codes = Table(
    "activation_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("register_id", UUIDType, ForeignKey("registers.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)
