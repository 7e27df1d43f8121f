"""The register's offline database — always SQLite (DESIGN §2, §3, §5, §6; issue 2 §3).

A **subset** of the channel database: the tables in
:data:`kassa.db.channel_schema.SHARED_TABLES` (master-data mirrors, ``package_checkpoint``,
``transactions`` with lines and tenders) copied with ``Table.to_metadata`` so that their
columns are identical to the channel DB's and a data package applies the same way to both.
``transactions.seq`` here is the register's local commit order (same trigger).

Product name search: the FTS5 table ``products_fts`` over ``products`` with its triggers
(offline migration 0003, raw DDL: no SQLAlchemy ``Table``), the same index as the channel
DB's, so that :mod:`kassa.db.product_search` answers alike online and offline.

Offline-only tables:

* ``upload_queue`` — one row per offline transaction: ``state`` ``'pending'`` until the
  store server acknowledged it, then ``'uploaded'`` (DESIGN §5); ``attempts`` and
  ``last_error`` of the failed tries.
* ``receipt_sequence`` — the register's receipt counter (``{store}-{register}-{seq}``,
  DESIGN §5); taken in the same DB transaction as the sale it numbers.
* ``sync_attempts`` — history of download/upload attempts for the Connection status window
  (DESIGN §3.6): time, result, package number, rows, count, error.
* ``current_cart`` — the open cart's JSON record, so a crash loses no sale in progress.
* ``pending_unlocks`` — gift card / credit memo unlocks to send when the real-time service
  is reachable again (DESIGN §6).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from kassa.db import channel_schema
from kassa.db.hq_schema import NAMING
from kassa.db.types import UTCDateTime, UUIDType

metadata = MetaData(naming_convention=NAMING)

#: Copies of the channel tables, same names and columns (``Table.to_metadata``).
SHARED_TABLES: tuple[Table, ...] = tuple(
    t.to_metadata(metadata) for t in channel_schema.SHARED_TABLES
)
MASTER_DATA_TABLES: tuple[Table, ...] = SHARED_TABLES[: len(channel_schema.MASTER_DATA_TABLES)]
package_checkpoint = metadata.tables["package_checkpoint"]
transactions = metadata.tables["transactions"]
transaction_lines = metadata.tables["transaction_lines"]
transaction_tenders = metadata.tables["transaction_tenders"]
channel_schema.attach_seq_trigger(transactions)

upload_queue = Table(
    "upload_queue",
    metadata,
    Column(
        "transaction_id",
        UUIDType,
        ForeignKey("transactions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=True),
    CheckConstraint("state IN ('pending', 'uploaded')", name="state"),
)
# Pending count for the status header and the oldest pending for the status window.
Index("ix_upload_queue_state_queued_at", upload_queue.c.state, upload_queue.c.queued_at)

receipt_sequence = Table(
    "receipt_sequence",
    metadata,
    Column("register_id", UUIDType, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

sync_attempts = Table(
    "sync_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("result", String(16), nullable=False),  # "ok", "error", "nothing_new", …
    Column("package_number", BigInteger, nullable=True),  # download: last package applied
    Column("rows", Integer, nullable=True),  # download: rows applied
    Column("count", Integer, nullable=True),  # upload: transactions acknowledged
    Column("error", Text, nullable=True),
    CheckConstraint("kind IN ('download', 'upload')", name="kind"),
)
Index("ix_sync_attempts_kind_at", sync_attempts.c.kind, sync_attempts.c.at)

current_cart = Table(
    "current_cart",
    metadata,
    Column("register_id", UUIDType, primary_key=True),
    Column("record", Text, nullable=False),  # JSON of the open domain Transaction
    Column("updated_at", UTCDateTime, nullable=False),
)

pending_unlocks = Table(
    "pending_unlocks",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("number", String(40), primary_key=True),  # gift card / credit memo number
    # The transaction that held the lock; never completed, so no FK to transactions.
    Column("transaction_id", UUIDType, primary_key=True),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),  # None: still to send
    CheckConstraint("kind IN ('gift_card', 'credit_memo')", name="kind"),
)

#: Tables that exist only in the offline DB.
OFFLINE_ONLY_TABLES: tuple[Table, ...] = (
    upload_queue,
    receipt_sequence,
    sync_attempts,
    current_cart,
    pending_unlocks,
)
