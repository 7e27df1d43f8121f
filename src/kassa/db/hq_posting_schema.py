"""HQ tables of posting (DESIGN §5, issue 4 §5); same MetaData as the HQ schema.

HQ pulls finished transactions from each store's channel DB after a per-store cursor (the
channel DB's monotonic ``seq``, never a time) and posts them idempotently:

* ``posted_transactions`` — one row per transaction id (UUIDv7 made at the register), the
  header with its totals in integer cents, the business day (UTC date of completion or void,
  ``"YYYY-MM-DD"``) and the whole format-1 record as canonical JSON text. ``channel_seq`` is
  the channel DB ``seq`` it was pulled at (``NULL`` when posted directly, e.g. by the demo).
  ``line_count`` counts the active (not voided) lines.
* ``posted_lines`` — lines of a posted transaction, 1-based ``line_no`` in record order
  (voided ones kept with ``voided`` true); money signed (negative for returns), quantity as
  exact decimal text.
* ``posted_tenders`` — tenders (tender id is the key; voided ones kept).
* ``posting_cursors`` — per store: ``last_seq`` (advanced in the same DB transaction as
  the rows it covers), last pull time and result, and counters of rows posted, duplicates
  seen (a transaction already posted) and records rejected.
* ``posting_rejections`` — quarantine: a record that cannot be posted (malformed, open,
  another store's, out of range, conflicting with what is posted) is kept here once, keyed by
  the SHA-256 of its canonical JSON, with a stable ``code`` and a message; it never blocks the
  records after it.
* ``store_endpoints`` — where HQ pulls from: the store server's base URL and its HQ pull
  token (a bearer credential HQ must present, hence kept as given), as last reported by the
  store server (``POST /api/status``).

``store_id`` columns carry no foreign key to ``stores``: posting keeps what the stores sold
even if master data changes later (the same choice as product ids in channel lines).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from kassa.db.hq_schema import metadata
from kassa.db.types import Cents, UTCDateTime, UUIDType

posted_transactions = Table(
    "posted_transactions",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column("store_id", Integer, nullable=False),
    Column("register_id", UUIDType, nullable=False),
    Column("register_number", Integer, nullable=False),
    Column("receipt_number", String(40), nullable=False),
    Column("operator_id", String(32), nullable=False),
    Column("customer_id", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),  # completed | voided
    Column("mode", String(8), nullable=False),  # online | offline
    Column("started_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=False),  # completion or void time
    Column("business_day", String(10), nullable=False),  # UTC date of completed_at
    Column("subtotal_cents", Cents, nullable=False),
    Column("tax_cents", Cents, nullable=False),
    Column("discount_cents", Cents, nullable=False),
    Column("total_cents", Cents, nullable=False),
    Column("paid_cents", Cents, nullable=False),
    Column("change_cents", Cents, nullable=False),
    Column("line_count", Integer, nullable=False),  # active lines
    Column("record", Text, nullable=False),  # canonical JSON of the format-1 record
    Column("channel_seq", BigInteger, nullable=True),
    Column("posted_at", UTCDateTime, nullable=False),
)
Index(
    "ix_posted_transactions_store_day",
    posted_transactions.c.store_id,
    posted_transactions.c.business_day,
    posted_transactions.c.register_number,
)

posted_lines = Table(
    "posted_lines",
    metadata,
    Column(
        "transaction_id",
        UUIDType,
        ForeignKey("posted_transactions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("line_no", Integer, primary_key=True, autoincrement=False),  # 1-based
    Column("line_id", UUIDType, nullable=False),
    Column("product_id", BigInteger, nullable=False),
    Column("quantity", String(40), nullable=False),  # exact decimal text, e.g. "1.5"
    Column("unit_price_cents", Cents, nullable=False),
    Column("override_price_cents", Cents, nullable=True),
    Column("discount_cents", Cents, nullable=False),  # signed like the line
    Column("net_cents", Cents, nullable=False),
    Column("tax_cents", Cents, nullable=False),
    Column("is_return", Boolean, nullable=False),
    Column("voided", Boolean, nullable=False),
)
Index("ix_posted_lines_product_id", posted_lines.c.product_id)

posted_tenders = Table(
    "posted_tenders",
    metadata,
    Column("id", UUIDType, primary_key=True),  # tender id
    Column(
        "transaction_id",
        UUIDType,
        ForeignKey("posted_transactions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("tender_type", String(32), nullable=False),  # cash, card, gift_card, credit_memo
    Column("amount_cents", Cents, nullable=False),  # signed: < 0 refunds
    Column("reference", String(120), nullable=True),
    Column("voided", Boolean, nullable=False),
)

posting_cursors = Table(
    "posting_cursors",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),  # channel DB seq posted through
    Column("last_pull_at", UTCDateTime, nullable=True),
    Column("last_ok_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),  # NULL after a successful pull
    Column("last_error_at", UTCDateTime, nullable=True),
    Column("posted_count", BigInteger, nullable=False),
    Column("duplicate_count", BigInteger, nullable=False),
    Column("rejected_count", BigInteger, nullable=False),
)

posting_rejections = Table(
    "posting_rejections",
    metadata,
    Column("record_sha256", String(64), primary_key=True),
    Column("store_id", Integer, nullable=True, index=True),  # pulling store, else the record's
    Column("channel_seq", BigInteger, nullable=True),
    Column("transaction_id", String(64), nullable=True),  # as found in the record, if any
    Column("code", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("record", Text, nullable=False),  # canonical JSON as received
    Column("rejected_at", UTCDateTime, nullable=False),
)

store_endpoints = Table(
    "store_endpoints",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("base_url", String(400), nullable=False),
    Column("pull_token", String(200), nullable=False),
    Column("reported_at", UTCDateTime, nullable=False),
)

#: Posting tables in creation order (the migration 0002 creates exactly these).
POSTING_TABLES = (
    posted_transactions,
    posted_lines,
    posted_tenders,
    posting_cursors,
    posting_rejections,
    store_endpoints,
)
