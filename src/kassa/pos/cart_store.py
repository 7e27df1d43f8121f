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
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, delete, select, update

from kassa.db import offline_schema as s
from kassa.domain.clock import Clock
from kassa.domain.errors import InvalidInput
from kassa.domain.transaction import Transaction
from kassa.pos.transaction_rows import record_json


class CartStore:
    """``current_cart`` and ``receipt_sequence`` of one register.

    Args:
        engine: the offline DB. register_id: the register's UUID. clock: for ``updated_at``.
    """

    def __init__(self, engine: Engine, register_id: UUID, clock: Clock) -> None:
        self.engine = engine
        self.register_id = register_id
        self._clock = clock

    def start(self, make: Callable[[int], Transaction]) -> Transaction:
        """Take the next receipt sequence value ``seq`` (>= 1), build the cart with
        ``make(seq)`` and store it — one transaction.

        Raises:
            whatever ``make`` raises (nothing is written then).
        """
        seq_table = s.receipt_sequence
        with self.engine.begin() as conn:
            last = conn.execute(select(seq_table.c.last_seq).where(
                seq_table.c.register_id == self.register_id)).scalar()
            seq = 1 if last is None else int(last) + 1
            txn = make(seq)
            if last is None:
                conn.execute(seq_table.insert().values(register_id=self.register_id,
                                                       last_seq=seq))
            else:
                conn.execute(update(seq_table).where(
                    seq_table.c.register_id == self.register_id).values(last_seq=seq))
            self._write(conn, txn.to_record())
        return txn

    def save(self, record: dict[str, Any]) -> None:
        """Store the cart's record (insert or replace), durable on return."""
        with self.engine.begin() as conn:
            self._write(conn, record)

    def _write(self, conn: Any, record: dict[str, Any]) -> None:
        table = s.current_cart
        values = {"record": record_json(record), "updated_at": self._clock.now()}
        done = conn.execute(update(table).where(table.c.register_id == self.register_id)
                            .values(**values)).rowcount
        if not done:
            conn.execute(table.insert().values(register_id=self.register_id, **values))

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
        with self.engine.begin() as conn:
            conn.execute(delete(s.current_cart).where(
                s.current_cart.c.register_id == self.register_id))
