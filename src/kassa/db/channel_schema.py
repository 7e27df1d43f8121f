"""The store's channel database (DESIGN §2, §4, §5; issue 2 §3).

Tables:

* **Master-data mirrors** — one copy of every HQ table in
  :data:`kassa.db.hq_schema.MASTER_DATA_TABLES` with the same columns, primary keys,
  unique constraints (barcode, loyalty card, register number per store), indexes and
  ``version``. Mirrors carry **no foreign keys**: HQ already enforces referential integrity,
  a package may hold any subset of jobs (jobs can be excluded from offline DBs, DESIGN §4)
  and deletes arrive as tombstones in any order, so a mirror must accept rows in whatever
  order :data:`MASTER_DATA_TABLES` gives without further constraints.
* ``package_checkpoint`` — last data package applied per data group (DESIGN §4).
* ``transactions`` + ``transaction_lines`` + ``transaction_tenders`` — finished
  transactions (DESIGN §5): the full domain record as JSON text in ``transactions.record``,
  normalised lines and tenders for reporting. Money in integer cents, times aware UTC.
* ``register_status`` — what each register last reported (checkpoint, pending uploads).
* ``journal_breaks`` — breaks of registers' tamper-evident journals (issue 8 §4).

``transactions.seq`` is the cursor of HQ's P-job pull (DESIGN §5). It is assigned **by the
database** and strictly increasing in commit order; a row that brings its own ``seq`` (e.g.
copied from a register's offline DB) is refused with ``IntegrityError`` on both dialects —
leave the key out.

* SQLite: an ``AFTER INSERT`` trigger sets ``seq = max(seq) + 1``. SQLite has one writer at
  a time (Kassa writes with ``BEGIN IMMEDIATE``), so assignment order is commit order.
  ``seq`` is NULL only inside the inserting statement (so ``RETURNING seq`` is not useful).
  Deleting the newest row would let its number be reused; transactions are never deleted.
* PostgreSQL: a ``BEFORE INSERT`` trigger takes a transaction-scoped advisory lock and then
  draws ``nextval('transactions_seq_seq')``. The lock is held until commit, so a later
  ``seq`` can never become visible before an earlier one (a plain identity/sequence could
  commit out of order and make the cursor skip rows). The cost: inserts into
  ``transactions`` are serialised per database (negligible for one store); keep DB
  transactions that insert sales short and do the insert late in them.
  Gaps are possible (rolled-back inserts, ignored duplicates); the cursor only needs order.

The offline DB (:mod:`kassa.db.offline_schema`) reuses these table definitions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Dialect,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)

from kassa.db import hq_schema
from kassa.db.hq_schema import NAMING
from kassa.db.types import Cents, UTCDateTime, UUIDType

#: Advisory-lock key that serialises ``transactions`` inserts on PostgreSQL (any constant).
SEQ_LOCK_KEY = 0x6B617373  # "kass"


class DecimalText(TypeDecorator[Decimal]):
    """An exact ``Decimal`` stored as its canonical text (``"1.5"``, ``"-2"``, ``"0.250"``).

    Used for quantities (weights, fuel in thousands of units): exact and identical on every
    dialect. Reports that sum it cast to NUMERIC. ``float`` is refused (``TypeError``).
    """

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, float | bool):
            raise TypeError(f"quantity must be Decimal, int or str, not {type(value).__name__}")
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        if not d.is_finite():
            raise ValueError(f"quantity must be finite: {value!r}")
        return str(d)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


metadata = MetaData(naming_convention=NAMING)


def mirror_table(source: Table, target: MetaData) -> Table:
    """Copy ``source`` into ``target``: same columns, types, nullability, primary key,
    unique constraints, check constraints and indexes — but no foreign keys.

    Raises:
        NotImplementedError: when ``source`` has a constraint kind this copy does not know
            (so a new HQ feature cannot be silently lost in the mirrors).
    """
    columns = [
        Column(
            c.name,
            c.type,
            primary_key=c.primary_key,
            nullable=c.nullable,
            autoincrement=c.autoincrement,
            server_default=c.server_default,
            comment=c.comment,
        )
        for c in source.columns
    ]
    extra: list[Any] = []
    for con in source.constraints:
        if isinstance(con, PrimaryKeyConstraint):
            continue  # from primary_key=True above; PK names follow NAMING
        if isinstance(con, UniqueConstraint):
            extra.append(UniqueConstraint(*[c.name for c in con.columns], name=con.name))
        elif isinstance(con, CheckConstraint):
            extra.append(CheckConstraint(str(con.sqltext), name=con.name))
        elif not isinstance(con, ForeignKeyConstraint):
            raise NotImplementedError(f"cannot mirror {type(con).__name__} of {source.name}")
    table = Table(source.name, target, *columns, *extra)
    for ix in source.indexes:
        Index(ix.name, *[table.c[c.name] for c in ix.columns], unique=ix.unique)
    return table


#: Mirrors of HQ master data, in the same (dependency) order as HQ's tuple.
MASTER_DATA_TABLES: tuple[Table, ...] = tuple(
    mirror_table(t, metadata) for t in hq_schema.MASTER_DATA_TABLES
)

package_checkpoint = Table(
    "package_checkpoint",
    metadata,
    Column("data_group_id", Integer, primary_key=True, autoincrement=False),
    Column("package_number", BigInteger, nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", UUIDType, primary_key=True),  # UUIDv7 made at the register (DESIGN §5)
    # P-job cursor, assigned by a trigger (module docstring); never supplied by callers.
    Column("seq", BigInteger, FetchedValue(), nullable=True, unique=True),
    Column("store_id", Integer, nullable=False),
    Column("register_id", UUIDType, nullable=False),
    Column("register_number", Integer, nullable=False),
    Column("receipt_number", String(40), nullable=False),  # label "{store}-{register}-{seq}"
    Column("operator_id", String(32), nullable=False),
    Column("customer_id", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime, nullable=False),  # finished: completed or voided
    Column("subtotal_cents", Cents, nullable=False),
    Column("tax_cents", Cents, nullable=False),
    Column("discount_cents", Cents, nullable=False),
    Column("total_cents", Cents, nullable=False),
    Column("paid_cents", Cents, nullable=False),
    Column("change_cents", Cents, nullable=False),
    Column("line_count", Integer, nullable=False),
    Column("record", Text, nullable=False),  # JSON of the domain Transaction
    Column("prev_hash", Text, nullable=True),  # tamper-evident chain (issue 8)
    Column("hash", Text, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('completed', 'voided')", name="status"),
    CheckConstraint("mode IN ('online', 'offline')", name="mode"),
)
Index("ix_transactions_receipt_number", transactions.c.receipt_number)
Index("ix_transactions_register_completed", transactions.c.register_id, transactions.c.completed_at)
Index("ix_transactions_completed_at", transactions.c.completed_at)
# Chain lookups of the tamper-evident journal (kassa.store.journal; migrations channel 0003,
# offline 0002).
Index("ix_transactions_hash", transactions.c.hash)
Index("ix_transactions_prev_hash", transactions.c.prev_hash)

transaction_lines = Table(
    "transaction_lines",
    metadata,
    Column(
        "transaction_id",
        UUIDType,
        ForeignKey("transactions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("line_no", Integer, primary_key=True, autoincrement=False),  # 1-based
    Column("id", UUIDType, nullable=False),
    Column("product_id", BigInteger, nullable=False),  # no FK: products may be deleted later
    Column("quantity", DecimalText, nullable=False),
    Column("unit_price_cents", Cents, nullable=False),
    Column("override_price_cents", Cents, nullable=True),
    Column("discount_cents", Cents, nullable=False),
    Column("net_cents", Cents, nullable=False),
    Column("tax_cents", Cents, nullable=False),
    Column("is_return", Boolean, nullable=False),
    Column("voided", Boolean, nullable=False),
)
Index("ix_transaction_lines_product_id", transaction_lines.c.product_id)

transaction_tenders = Table(
    "transaction_tenders",
    metadata,
    Column("id", UUIDType, primary_key=True),
    Column(
        "transaction_id",
        UUIDType,
        ForeignKey("transactions.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("tender_type", String(32), nullable=False),  # tender_types.id: cash, card, …
    Column("amount_cents", Cents, nullable=False),
    Column("reference", String(120), nullable=True),  # card / memo number, auth code
    Column("voided", Boolean, nullable=False),
)

#: Offline-variant package bodies the store server pulled from HQ, served to its registers
#: (DESIGN §4; created by channel migration 0002).
served_packages = Table(
    "served_packages",
    metadata,
    Column("data_group_id", Integer, primary_key=True, autoincrement=False),
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(16), primary_key=True),
    Column("header", Text, nullable=False),  # JSON: kassa.sync.package.make_header keys
    Column("body", LargeBinary, nullable=False),  # offline variant body bytes
    Column("received_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('delta', 'snapshot')", name="kind"),
)

register_status = Table(
    "register_status",
    metadata,
    Column("register_id", UUIDType, primary_key=True),
    Column("checkpoint_package_number", BigInteger, nullable=True),  # None: no package yet
    Column("pending_uploads", Integer, nullable=False),
    Column("last_contact", UTCDateTime, nullable=False),
    Column("mode", String(24), nullable=False),  # switch state reported by the register
    Column("reported_at", UTCDateTime, nullable=False),  # register's clock at the report
)

#: Breaks of the registers' tamper-evident journals found by the store server (issue 8 §4;
#: kassa.store.journal; channel migration 0003). ``state`` ``pending``: the predecessor of an
#: online commit is not here yet (it may still be uploaded); ``confirmed``: a break.
journal_breaks = Table(
    "journal_breaks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("register_id", UUIDType, nullable=False),
    Column("transaction_id", UUIDType, nullable=False),
    Column("reason", String(40), nullable=False),  # journal.* code
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=True),  # the missing predecessor's hash
    Column("state", String(16), nullable=False),
    Column("detected_at", UTCDateTime, nullable=False),
    UniqueConstraint("transaction_id", "reason"),
    CheckConstraint("state IN ('pending', 'confirmed')", name="state"),
)
Index("ix_journal_breaks_register_id", journal_breaks.c.register_id, journal_breaks.c.state)

#: Tables shared with the offline DB, in creation order.
SHARED_TABLES: tuple[Table, ...] = (
    *MASTER_DATA_TABLES,
    package_checkpoint,
    transactions,
    transaction_lines,
    transaction_tenders,
)

# --- seq trigger (module docstring); the migrations carry the same SQL ----------------

SEQ_SUPPLIED_MESSAGE = "transactions.seq is assigned by the database; do not supply it"

SQLITE_SEQ_DDL = (
    f"""\
CREATE TRIGGER trg_transactions_seq_refuse BEFORE INSERT ON transactions
WHEN NEW.seq IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, '{SEQ_SUPPLIED_MESSAGE}');
END""",
    """\
CREATE TRIGGER trg_transactions_seq AFTER INSERT ON transactions
BEGIN
    UPDATE transactions
       SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM transactions)
     WHERE rowid = NEW.rowid;
END""",
)

PG_SEQ_FUNCTION = f"""\
CREATE OR REPLACE FUNCTION kassa_transactions_seq() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq IS NOT NULL THEN
        RAISE EXCEPTION '{SEQ_SUPPLIED_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    PERFORM pg_advisory_xact_lock({SEQ_LOCK_KEY});
    NEW.seq := nextval('transactions_seq_seq');
    RETURN NEW;
END
$$"""

PG_SEQ_DDL = (
    "CREATE SEQUENCE IF NOT EXISTS transactions_seq_seq AS BIGINT",
    "ALTER SEQUENCE transactions_seq_seq OWNED BY transactions.seq",
    PG_SEQ_FUNCTION,
    "CREATE TRIGGER trg_transactions_seq BEFORE INSERT ON transactions "
    "FOR EACH ROW EXECUTE FUNCTION kassa_transactions_seq()",
)


def attach_seq_trigger(table: Table) -> None:
    """Make ``metadata.create_all`` create the ``seq`` trigger for this ``transactions``
    table (events are not copied by ``Table.to_metadata``, so copies call this too)."""
    for statement in SQLITE_SEQ_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in PG_SEQ_DDL:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


attach_seq_trigger(transactions)
