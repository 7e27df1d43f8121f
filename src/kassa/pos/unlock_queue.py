"""Unlocks of gift cards and credit memos still to send to HQ (DESIGN §6; issue 5 §3).

A card is locked at HQ for (register, transaction) when it is added as a tender. When the
register cannot tell HQ that the lock is no longer needed — the tender was voided while
offline, or the lock call itself got no answer (the lock may have been applied) — it puts
``(kind, number, transaction_id)`` in ``pending_unlocks`` of its offline DB, so that the card
does not stay unusable at every other register:

* :meth:`UnlockQueue.add` is durable on return (offline DB, ``synchronous=FULL``); adding
  again an unlock that was already sent makes it pending again;
* :meth:`UnlockQueue.drop` removes a pending unlock when the same transaction locks the same
  card again (the register reconnected with operation 917 mid-sale), so a late delivery
  cannot release a lock that a live tender needs;
* :meth:`UnlockQueue.deliver` is a step of the sync client's upload round: it sends each
  pending unlock (``POST /api/realtime/{kind}/{number}/unlock``, the store server relays it
  to HQ) and marks it sent (``sent_at``) **only after** an answer that settles it: 2xx
  (``released`` or not — HQ's unlock is idempotent), or a definite refusal 404/409/422
  (unknown card; the lock is already someone else's after a force-unlock: nothing of ours
  is left to release). No answer, 401/403 or 5xx: it stays pending and is sent again at the
  next round. A crash between the answer and the mark sends it once more: harmless.

An unlock that never arrives is still covered by HQ's posting of the transaction (a voided
tender or transaction releases this transaction's lock, kassa.hq.realtime.posting_handler);
the queue makes the card usable as soon as the register reconnects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, delete, func, select, update

from kassa.db import offline_schema as s
from kassa.db.upsert import insert_ignore
from kassa.domain.clock import Clock
from kassa.domain.errors import Conflict, InvalidInput, KassaError, NotFound
from kassa.domain.giftcard import CardKind
from kassa.pos.store_http import StoreHttp
from kassa.pos.stored_value import send_unlock

log = logging.getLogger("kassa.pos.unlocks")
_u = s.pending_unlocks
#: Refusals that settle an unlock for good (unknown card, lock held by another
#: transaction after a force-unlock, invalid number): sending again cannot change them.
SETTLED_BY = (NotFound, Conflict, InvalidInput)


@dataclass(frozen=True)
class PendingUnlock:
    """One queued unlock: card ``kind`` and ``number``, the ``transaction_id`` that held it."""

    kind: CardKind
    number: str
    transaction_id: UUID


@dataclass(frozen=True)
class Delivery:
    """Result of one :meth:`UnlockQueue.deliver`: unlocks ``sent`` (settled now), ``left``
    pending, and the ``error`` that stopped the round (``"<code>: <message>"``) or None."""

    sent: int
    left: int
    error: str | None = None


class UnlockQueue:
    """``pending_unlocks`` of one register's offline DB (module docstring).

    Args:
        engine: the offline DB. clock: time of ``queued_at`` / ``sent_at``.
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self._clock = clock

    def add(self, kind: CardKind, number: str, transaction_id: UUID) -> None:
        """Queue the unlock (pending again if it was sent before)."""
        now = self._clock.now()
        with self.engine.begin() as conn:
            row = {"kind": kind.value, "number": number, "transaction_id": transaction_id,
                   "queued_at": now, "sent_at": None}
            if not insert_ignore(conn, _u, [row]):
                conn.execute(update(_u).where(*_key(kind, number, transaction_id))
                             .values(queued_at=now, sent_at=None))
        log.info("unlock of %s %s queued (transaction %s)", kind.label, number, transaction_id)

    def drop(self, kind: CardKind, number: str, transaction_id: UUID) -> None:
        """Forget a pending unlock: the same transaction holds the card again."""
        with self.engine.begin() as conn:
            conn.execute(delete(_u).where(*_key(kind, number, transaction_id),
                                          _u.c.sent_at.is_(None)))

    def pending(self, limit: int = 100) -> list[PendingUnlock]:
        """The oldest pending unlocks (at most ``limit``)."""
        stmt = (select(_u.c.kind, _u.c.number, _u.c.transaction_id)
                .where(_u.c.sent_at.is_(None))
                .order_by(_u.c.queued_at, _u.c.number).limit(limit))
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            return [PendingUnlock(CardKind(r.kind), r.number, r.transaction_id)
                    for r in conn.execute(stmt)]

    def count(self) -> int:
        """How many unlocks wait to be sent (status window)."""
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            return int(conn.execute(select(func.count()).select_from(_u)
                                    .where(_u.c.sent_at.is_(None))).scalar_one())

    def mark_sent(self, unlock: PendingUnlock) -> None:
        """Record that HQ settled ``unlock`` (only after its answer)."""
        with self.engine.begin() as conn:
            conn.execute(update(_u).where(*_key(unlock.kind, unlock.number,
                                                unlock.transaction_id),
                                          _u.c.sent_at.is_(None))
                         .values(sent_at=self._clock.now()))

    def deliver(self, http: StoreHttp, batch: int = 100) -> Delivery:
        """Send the pending unlocks through the store server (module docstring); stop at
        the first one without an answer. Never raises a :class:`KassaError`."""
        sent, error = 0, None
        for unlock in self.pending(batch):
            try:
                send_unlock(http, unlock.kind, unlock.number, unlock.transaction_id)
            except SETTLED_BY as exc:
                log.warning("unlock of %s %s settled by a refusal: %s (%s)",
                            unlock.kind.label, unlock.number, exc.message, exc.code)
            except KassaError as exc:
                error = f"{exc.code}: {exc.message}"
                log.info("unlocks not delivered: %s", error)
                break
            self.mark_sent(unlock)
            sent += 1
        return Delivery(sent, self.count(), error)


def _key(kind: CardKind, number: str, transaction_id: UUID) -> tuple[ColumnElement[bool], ...]:
    return (_u.c.kind == kind.value, _u.c.number == number,
            _u.c.transaction_id == transaction_id)
