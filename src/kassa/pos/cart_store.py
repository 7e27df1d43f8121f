"""The open cart on disk and the register's receipt sequence (DESIGN §5; issue 4 §2).

* The cart is written to ``current_cart`` (one row per register: the format-1 record as JSON)
  after every change: a register killed mid-sale (``kill -9``) finds its cart again on
  restart. The register gives this store an engine with ``synchronous=NORMAL`` (WAL): a
  commit is safe from a process crash at once, and from a power cut once the next
  ``FULL`` commit (a finished transaction) hardens the WAL — about 1 ms per change instead
  of an fsync.
* A cart whose record is already *completed* or *voided* is a commit in doubt (the register
  died between "finished" and "stored"); the engine commits it offline on restart — the
  upload is harmless if the store server had it (insert-or-ignore by id).
* Receipt numbers ``{store}-{register}-{seq}`` come from ``receipt_sequence`` in the offline
  DB. The next number is taken in the SAME database transaction that stores the new cart,
  so a crash can neither reuse nor lose a number of a started transaction.

Writes are on the hot path of every cashier action (issue 7), so :class:`CartStore` holds one
DB-API connection of its engine for its lifetime and runs fixed SQL on it (``BEGIN
IMMEDIATE`` … ``COMMIT``, values converted by the columns' own SQLAlchemy bind processors, so
the rows are exactly what a Core statement would write): about a quarter of the cost of a
Core statement through a pooled connection. Reads (:meth:`CartStore.load`, once at start-up)
stay on SQLAlchemy Core.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from kassa.db import offline_schema as s
from kassa.domain.clock import Clock
from kassa.domain.errors import InvalidInput
from kassa.domain.transaction import Transaction
from kassa.pos.transaction_rows import record_json

_CART_UPSERT = (
    "INSERT INTO current_cart (register_id, record, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (register_id) DO UPDATE SET record = excluded.record, "
    "updated_at = excluded.updated_at")
_SEQ_READ = "SELECT last_seq FROM receipt_sequence WHERE register_id = ?"
_SEQ_UPSERT = (
    "INSERT INTO receipt_sequence (register_id, last_seq) VALUES (?, ?) "
    "ON CONFLICT (register_id) DO UPDATE SET last_seq = excluded.last_seq")
_CART_DELETE = "DELETE FROM current_cart WHERE register_id = ?"


class CartStore:
    """``current_cart`` and ``receipt_sequence`` of one register (thread-safe).

    Args:
        engine: the offline DB (SQLite; the register gives an engine with
            ``synchronous=NORMAL``). register_id: the register's UUID. clock: for
            ``updated_at``.
    """

    def __init__(self, engine: Engine, register_id: UUID, clock: Clock) -> None:
        self.engine = engine
        self.register_id = register_id
        self._clock = clock
        dialect = engine.dialect
        uuid_bind = s.current_cart.c.register_id.type.bind_processor(dialect)
        self._rid = uuid_bind(register_id) if uuid_bind is not None else register_id
        at_bind = s.current_cart.c.updated_at.type.bind_processor(dialect)
        self._at: Callable[[Any], Any] = at_bind if at_bind is not None else (lambda v: v)
        self._lock = threading.Lock()
        self._pooled: Any = engine.raw_connection()  # held; returned to the pool by close()
        self._db: Any = self._pooled.driver_connection  # sqlite3.Connection, autocommit

    def close(self) -> None:
        """Give the held connection back to the engine's pool (idempotent)."""
        with self._lock:
            if self._pooled is not None:
                self._pooled.close()
                self._pooled = None

    def _transaction(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(connection)`` in ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on any
        error). Driver errors are raised as SQLAlchemy's (``sqlalchemy.exc.OperationalError``
        for a full disk or a lock timeout …), exactly as a Core statement raises them."""
        with self._lock:
            if self._pooled is None:
                raise InvalidInput("the cart store is closed", code="cart.closed")
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(db)
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise DBAPIError.instance("current_cart", None, exc, sqlite3.Error) from exc
            return result

    def start(self, make: Callable[[int], Transaction]) -> Transaction:
        """Take the next receipt sequence value ``seq`` (>= 1), build the cart with
        ``make(seq)`` and store it — one transaction.

        Raises:
            whatever ``make`` raises (nothing is written then).
        """
        return self.start_recorded(make)[0]

    def start_recorded(
        self, make: Callable[[int], Transaction]
    ) -> tuple[Transaction, dict[str, Any]]:
        """:meth:`start`, also returning the record stored (``Transaction.to_record()``)."""

        def work(db: Any) -> tuple[Transaction, dict[str, Any]]:
            row = db.execute(_SEQ_READ, (self._rid,)).fetchone()
            seq = 1 if row is None else int(row[0]) + 1
            txn = make(seq)
            record = txn.to_record()
            db.execute(_SEQ_UPSERT, (self._rid, seq))
            self._write(db, record)
            return txn, record

        result: tuple[Transaction, dict[str, Any]] = self._transaction(work)
        return result

    def save(self, record: dict[str, Any]) -> None:
        """Store the cart's record (insert or replace); on return it survives a process
        crash (WAL, module docstring)."""
        self._transaction(lambda db: self._write(db, record))

    def _write(self, db: Any, record: dict[str, Any]) -> None:
        db.execute(_CART_UPSERT, (self._rid, record_json(record), self._at(self._clock.now())))

    def load(self) -> dict[str, Any] | None:
        """The stored cart record, or ``None``.

        Raises:
            InvalidInput: ``cart.corrupt`` when the stored JSON does not parse.
        """
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            text = conn.execute(select(s.current_cart.c.record).where(
                s.current_cart.c.register_id == self.register_id)).scalar()
        if text is None:
            return None
        try:
            record = json.loads(text)
        except ValueError as exc:
            raise InvalidInput("the stored cart is not JSON", code="cart.corrupt") from exc
        if not isinstance(record, dict):
            raise InvalidInput("the stored cart is not a record", code="cart.corrupt")
        return record

    def clear(self) -> None:
        """Remove the stored cart."""
        self._transaction(lambda db: db.execute(_CART_DELETE, (self._rid,)))
