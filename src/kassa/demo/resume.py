"""How the replay's cashier goes on after the register process died (issue 8 §1).

When a call to the register gets no answer (:class:`~kassa.demo.register_api.
RegisterUnreachable`) and the replay has a :class:`Recovery` (the fault matrix gives one),
the worker asks it to bring the register back (:meth:`Recovery.revive`: restarted and signed
in again) and then does what a cashier does at a restarted till (:func:`resume`), never
ringing a basket twice:

* the register shows the basket's cart again (``GET /api/cart``, recovered from
  ``current_cart``): lines the cashier has not seen accepted (the scan whose answer never
  came) are voided and scanned again; tenders stay when nothing is due any more, else they
  are voided and the payment starts again; then the sale goes on;
* no cart, and the basket's transaction is in the register's journal (the offline DB holds
  every transaction it finished: offline commits, journal copies of online commits, and the
  commit in doubt the register concluded offline at restart): the basket is done, with the
  outcome of that record;
* no cart and no record (the register died before its first answer of the basket): the basket
  starts again from its first line.

:class:`BasketProgress` is what the worker knows of the basket so far.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select

from kassa.config import sqlite_url
from kassa.db import offline_schema
from kassa.db.engine import make_engine
from kassa.demo.outcomes import COMPLETED, NO_SELLABLE_LINE, VOIDED, BasketResult

if TYPE_CHECKING:
    from kassa.demo.dataset import Basket
    from kassa.demo.replay import Worker

#: Most restarts of the register one basket may see before it fails.
MAX_RESUMES = 5


class Recovery(Protocol):
    """Brings a dead register back for the replay (the fault matrix implements it)."""

    def revive(self, worker: Worker) -> None:
        """Return when the worker's register answers again and the worker holds a valid
        session token (restart it if it is dead; sign in again after a restart)."""

    def journal_record(self, worker: Worker, transaction_id: str) -> dict[str, Any] | None:
        """The record of a transaction the worker's register finished, or ``None``."""


@dataclass
class BasketProgress:
    """The cashier's view of one basket: next line to ring, the cart line ids of the
    accepted lines (parallel to ``BasketResult.accepted``), whether payment is complete,
    and the last cart seen."""

    next_line: int = 0
    line_ids: list[str] = field(default_factory=list)
    paid: bool = False
    cart: dict[str, Any] = field(default_factory=dict)
    resumes: int = 0

    def restart(self, result: BasketResult) -> None:
        """Forget everything: the basket starts again (its transaction never finished)."""
        self.next_line, self.line_ids, self.paid, self.cart = 0, [], False, {}
        result.transaction_id = result.receipt_number = None
        result.accepted, result.rejected = [], []
        result.adjusted = result.overrides = result.gift_cents = 0
        result.gift_card = result.gift_refused = None


def journal_record(offline_db: Path, transaction_id: str) -> dict[str, Any] | None:
    """Read one transaction's record from a register's offline DB file (read-only; the
    register may be running). ``None`` when it is not there."""
    engine = make_engine(sqlite_url(offline_db))
    t = offline_schema.transactions
    try:
        with engine.connect().execution_options(kassa_readonly=True) as conn:
            text = conn.execute(select(t.c.record).where(
                t.c.id == uuid.UUID(transaction_id))).scalar()
    finally:
        engine.dispose()
    return None if text is None else dict(json.loads(text))


def _active(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [x for x in items or [] if not x.get("voided")]


def _finished(worker: Worker, result: BasketResult, record: dict[str, Any]) -> None:
    """The basket ended as ``record`` (found in the register's journal)."""
    completed = record.get("status") == "completed"
    result.status = COMPLETED if completed else VOIDED
    result.committed_to = "offline" if record.get("mode") == "offline" else "store"
    result.total_cents = int((record.get("totals") or {}).get("total_cents", 0))
    if not completed:
        result.error = NO_SELLABLE_LINE
    gift = [t for t in _active(record.get("tenders")) if t.get("type") == "gift_card"]
    result.gift_cents = sum(int(t["amount_cents"]) for t in gift)
    result.gift_card = str(gift[0]["reference"]) if gift else None
    if completed and result.gift_card and result.gift_cents:
        worker.gift.redeemed(result.gift_card, result.gift_cents)


def _keep_cart(worker: Worker, result: BasketResult, progress: BasketProgress,
               cart: dict[str, Any]) -> None:
    """Go on with the recovered open cart (module docstring)."""
    result.transaction_id, result.receipt_number = cart.get("id"), cart.get("receipt_number")
    known = set(progress.line_ids)
    for line in _active(cart.get("lines")):
        if str(line["id"]) not in known:  # its answer never came: ring it again
            answer = worker.api.void_line(str(line["id"]))
            cart = answer.cart or cart
    tenders = _active(cart.get("tenders"))
    due = int((cart.get("totals") or {}).get("amount_due_cents", 0))
    if tenders and due <= 0 and progress.next_line >= len(result.basket.lines):
        progress.paid = True
        gift = [t for t in tenders if t.get("type") == "gift_card"]
        result.gift_cents = sum(int(t["amount_cents"]) for t in gift)
        result.gift_card = str(gift[0]["reference"]) if gift else None
    else:
        for tender in tenders:
            answer = worker.api.void_tender(str(tender["id"]))
            cart = answer.cart or cart
        progress.paid = False
        result.gift_card, result.gift_cents = None, 0
    progress.cart = worker.api.cart().cart or cart


def resume(worker: Worker, basket: Basket, result: BasketResult,
           progress: BasketProgress) -> bool:
    """After :meth:`Recovery.revive`: pick the basket up where the register is (module
    docstring) → ``True`` when the basket is already finished.

    Raises:
        RegisterUnreachable: the register died again (the caller revives it again).
    """
    cart = worker.api.cart().cart
    ours = result.transaction_id
    if cart and cart.get("status") == "open" and (ours is None or cart.get("id") == ours):
        _keep_cart(worker, result, progress, cart)
        return False
    if cart:  # an open cart that is not this basket's: clear it, as after any failure
        worker.abandon()
    if ours is not None and worker.recovery is not None:
        record = worker.recovery.journal_record(worker, ours)
        if record is not None:
            _finished(worker, result, record)
            return True
    progress.restart(result)
    return False
