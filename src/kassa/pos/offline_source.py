"""The offline DB as a :class:`~kassa.pos.datasource.DataSource` (DESIGN §2, §5).

Reads the master-data mirrors that the async sync client keeps current (SQLAlchemy Core,
read-only connections); sign-in checks the argon2 hashes of the ``operators`` mirror (DESIGN
§8). A commit writes the finished transaction, its lines and tenders and an ``upload_queue``
row in state ``pending`` in ONE transaction of the offline DB (``synchronous=FULL``), and
clears the register's ``current_cart`` in the same transaction: after the commit returns the
sale survives a power cut and is uploaded later exactly once (DESIGN §5). Every stored
transaction gets its link of the tamper-evident journal in the same transaction (issue 8 §4,
:mod:`kassa.pos.journal`); offline sign-in has a lockout (issue 8 §3).
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Connection, Engine, delete, func, select

from kassa.auth.lockout import OperatorLockout
from kassa.auth.passwords import hash_password, verify_password
from kassa.db import offline_schema as s
from kassa.db import product_search
from kassa.db.bulk_insert import insert_rows
from kassa.db.upsert import insert_ignore
from kassa.domain.clock import Clock
from kassa.domain.errors import NotAuthenticated, NotFound
from kassa.domain.operator import Role
from kassa.domain.transaction import Transaction
from kassa.failpoints import failpoint
from kassa.pos.datasource import (
    CommitOutcome,
    OperatorInfo,
    ProductInfo,
    TaxGroupInfo,
    check_search,
)
from kassa.pos.journal import RegisterJournal
from kassa.pos.transaction_rows import finished_transaction, rows_of

_products, _prices, _tax = s.metadata.tables["products"], s.metadata.tables["prices"], \
    s.metadata.tables["tax_groups"]
_customers, _operators = s.metadata.tables["customers"], s.metadata.tables["operators"]
_parameters = s.metadata.tables["commerce_parameters"]

_PRODUCT_COLUMNS = (
    _products.c.id, _products.c.name, _products.c.barcode, _prices.c.price_cents,
    _products.c.tax_group_id, func.coalesce(_tax.c.rate_bp, 0).label("tax_rate_bp"),
    _products.c.department, _products.c.brand, _products.c.category,
    _products.c.product_type, _products.c.package_size, _products.c.unit_of_measure,
)
_PRODUCT_FROM = _products.outerjoin(_prices, _prices.c.product_id == _products.c.id).outerjoin(
    _tax, _tax.c.id == _products.c.tax_group_id
)
_dummy_hash: list[str] = []
_BAD_CREDENTIALS = "unknown operator or wrong password"


def _dummy() -> str:
    """An argon2 hash of a random password, made once: verified against when the operator
    is unknown, so that an unknown id takes as long as a wrong password."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password(secrets.token_urlsafe(16)))
    return _dummy_hash[0]


def _product(row: Any) -> ProductInfo:
    return ProductInfo(
        id=int(row.id), name=row.name, barcode=row.barcode, price_cents=row.price_cents,
        tax_group_id=row.tax_group_id, tax_rate_bp=int(row.tax_rate_bp),
        department=row.department, brand=row.brand, category=row.category,
        product_type=row.product_type, package_size=row.package_size,
        unit_of_measure=row.unit_of_measure,
    )


class OfflineSource:
    """Reads and commits against the register's offline DB.

    Args:
        engine: the offline DB (``kassa.db.migrate.prepare_database(url, "offline")``).
        store_id: the register's store (operators of other stores cannot sign in).
        clock: time source for ``received_at`` / ``queued_at``.
    """

    def __init__(self, engine: Engine, store_id: int, clock: Clock) -> None:
        self.engine = engine
        self.store_id = store_id
        self._clock = clock
        self.chain = RegisterJournal(engine)  # tamper-evident journal (issue 8 §4)
        self.lockout = OperatorLockout(clock)  # failed offline sign-ins (issue 8 §3)

    def _read(self) -> Connection:
        return self.engine.connect().execution_options(kassa_readonly=True)

    def _one_product(self, where: Any, what: str) -> ProductInfo:
        with self._read() as conn:
            row = conn.execute(select(*_PRODUCT_COLUMNS).select_from(_PRODUCT_FROM)
                               .where(where)).first()
        if row is None:
            raise NotFound(f"unknown product {what}", code="product.not_found",
                           details={"product": what})
        return _product(row)

    def product(self, product_id: int) -> ProductInfo:
        """Product by dataset id. Raises NotFound ``product.not_found``."""
        return self._one_product(_products.c.id == int(product_id), f"id {product_id}")

    def product_by_barcode(self, code: str) -> ProductInfo:
        """Product by barcode. Raises NotFound ``product.not_found``."""
        return self._one_product(_products.c.barcode == code, f"barcode {code}")

    def search(self, q: str, limit: int = 20) -> list[ProductInfo]:
        """Products whose name holds every word of ``q`` as a prefix, best first: the store
        server's search on the offline DB's ``products_fts`` (offline migration 0003), so
        the same ids in the same order as online (:mod:`kassa.db.product_search`).

        Raises:
            InvalidInput: ``search.invalid`` (``q`` not 1..100 characters, bad ``limit``),
                ``search.empty`` (no letter or digit in ``q``).
        """
        q, limit = check_search(q, limit)
        with self._read() as conn:
            found = product_search.hits(conn, q, limit)
            rows = conn.execute(select(*_PRODUCT_COLUMNS).select_from(
                _PRODUCT_FROM.join(found, found.c.id == _products.c.id))
                .order_by(found.c.score, _products.c.id))
            return [_product(r) for r in rows]

    def _customer(self, where: Any, what: str) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute(select(_customers).where(where)).mappings().first()
        if row is None:
            raise NotFound(f"unknown customer {what}", code="customer.not_found")
        return {k: v for k, v in row.items() if k != "version"}

    def customer(self, customer_id: int) -> dict[str, Any]:
        """Customer (household) by id. Raises NotFound ``customer.not_found``."""
        return self._customer(_customers.c.id == int(customer_id), f"id {customer_id}")

    def customer_by_card(self, loyalty_card: str) -> dict[str, Any]:
        """Customer by loyalty card. Raises NotFound ``customer.not_found``."""
        return self._customer(_customers.c.loyalty_card == loyalty_card, f"card {loyalty_card}")

    def parameters(self) -> dict[str, Any]:
        """Commerce parameters ``{key: decoded JSON value}`` (values that are no JSON are
        returned as text)."""
        out: dict[str, Any] = {}
        with self._read() as conn:
            for key, value in conn.execute(select(_parameters.c.key, _parameters.c.value)):
                try:
                    out[key] = json.loads(value)
                except ValueError:
                    out[key] = value
        return out

    def tax_groups(self) -> list[TaxGroupInfo]:
        """All tax groups, ordered by id."""
        with self._read() as conn:
            rows = conn.execute(select(_tax.c.id, _tax.c.name, _tax.c.rate_bp).order_by(_tax.c.id))
            return [TaxGroupInfo(r.id, r.name, int(r.rate_bp)) for r in rows]

    def sign_in(self, operator_id: str, password: str) -> OperatorInfo:
        """Check ``password`` against the operator's argon2 hash in the offline DB.

        Operators of another store cannot sign in here. 5 failures of one operator id within
        5 minutes lock it for 5 minutes (:mod:`kassa.auth.lockout`).

        Raises:
            NotAuthenticated: ``auth.bad_credentials`` (unknown id, wrong password, other store).
            LockedOut: ``auth.locked_out`` (429).
        """
        return self.lockout.attempt(operator_id, lambda: self._sign_in(operator_id, password))

    def _sign_in(self, operator_id: str, password: str) -> OperatorInfo:
        with self._read() as conn:
            row = conn.execute(select(_operators).where(_operators.c.id == operator_id)).first()
        if row is None or (row.store_id is not None and row.store_id != self.store_id):
            verify_password(_dummy(), password)  # same cost as a wrong password
            raise NotAuthenticated(_BAD_CREDENTIALS, code="auth.bad_credentials")
        if not verify_password(row.password_hash, password):
            raise NotAuthenticated(_BAD_CREDENTIALS, code="auth.bad_credentials")
        return OperatorInfo(row.id, row.name, Role.parse(row.role))

    # -- transactions ------------------------------------------------------------------------

    def commit(self, record: dict[str, Any], txn: Transaction | None = None) -> CommitOutcome:
        """Commit a finished record with upload state ``pending`` and clear the register's
        current cart, in one transaction (DESIGN §5). Idempotent by id (``"duplicate"``).
        ``txn``: the record already parsed (must be the same transaction; spares a parse).

        Raises:
            InvalidInput: a record that is not a finished format-1 transaction.
        """
        return CommitOutcome("offline", self._store(record, pending=True, txn=txn))

    def stamped(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record`` with the journal entry it gets when stored next (``"journal"``), for
        an online commit (issue 8 §4, :mod:`kassa.pos.journal`)."""
        return self.chain.stamped(record)

    def journal(self, record: dict[str, Any], txn: Transaction | None = None) -> None:
        """Keep a copy of a transaction the store server committed (no upload needed) and
        clear the current cart, in one transaction: the register's own journal (offline
        returns look here, DESIGN §7)."""
        self._store(record, pending=False, txn=txn)

    def _store(
        self, record: dict[str, Any], *, pending: bool, txn: Transaction | None = None
    ) -> Literal["committed", "duplicate"]:
        if txn is None or txn.is_open or str(txn.id) != record.get("id"):
            txn = finished_transaction(record)
        now = self._clock.now()
        head, lines, tenders = rows_of(txn, now)
        with self.engine.begin() as conn:
            self.chain.stamp_row(conn, head)  # issue 8 §4: prev_hash / hash
            inserted = insert_ignore(conn, s.transactions, [head])
            if inserted:
                insert_rows(conn, s.transaction_lines, lines)  # one driver executemany
                insert_rows(conn, s.transaction_tenders, tenders)
                if pending:
                    conn.execute(s.upload_queue.insert().values(
                        transaction_id=txn.id, state="pending", attempts=0, queued_at=now))
            conn.execute(delete(s.current_cart).where(s.current_cart.c.register_id
                                                      == txn.register_id))
            failpoint("pos.commit.after_offline_insert" if pending else "pos.journal.after_insert")
        failpoint("pos.commit.after_offline_commit" if pending else "pos.journal.after_commit")
        return "committed" if inserted else "duplicate"

    def is_pending(self, transaction_id: UUID) -> bool:
        """True when the transaction waits in the upload queue."""
        with self._read() as conn:
            state = conn.execute(select(s.upload_queue.c.state).where(
                s.upload_queue.c.transaction_id == transaction_id)).scalar()
        return state == "pending"
