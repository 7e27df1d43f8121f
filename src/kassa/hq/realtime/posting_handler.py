"""The P-job hook of the real-time service: posted tenders redeem and unlock (DESIGN §5, §6).

Registered in :data:`kassa.hq.posting.POSTING_HANDLERS` when this module is imported; the
posting engine calls :func:`stored_value_posting_handler` once per *newly* posted
transaction, inside the posting DB transaction. This is how a transaction concluded offline
(commerce parameter *Allow concluding gift card / credit memo transactions in offline mode*
= yes) debits the card once and unlocks it when its upload reaches HQ.

Per card referenced by a ``gift_card`` / ``credit_memo`` tender of the transaction
(``reference`` = card number), in number order (no deadlock between postings):

* a completed transaction with active (not voided) positive tenders on the card →
  :func:`~kassa.hq.realtime.service.redeem_and_unlock` of their sum, idempotent by
  transaction id: a sale already redeemed online is a replay (no second debit);
* otherwise (the tender was voided, or the transaction voided) → the lock is released when
  this transaction still holds it (the unlock a register queued may arrive later or never);
* negative tenders (a refund that issued a credit memo) change nothing here: issuing is an
  online-only real-time call, already done with this transaction id.

A refusal of the card's rules (``KassaError``: unknown or mistyped number, inactive card,
balance too low, locked by another transaction after a force-unlock …) must not block the
posting of a sale that already happened: it is recorded as a ``posting_refused`` row in
``stored_value_audit`` (actor ``posting``, the error code and message, the transaction and
register) for the back office, and the posting goes on. Database errors propagate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from kassa.domain.errors import KassaError
from kassa.domain.giftcard import CardKind
from kassa.domain.money import to_cents
from kassa.domain.tender import TenderType
from kassa.domain.transaction_record import TransactionStatus
from kassa.hq.posting.posting import register_posting_handler
from kassa.hq.realtime import service
from kassa.hq.realtime.cards import read_card, record_audit

if TYPE_CHECKING:
    from kassa.domain.transaction import Transaction
    from kassa.hq.posting.records import PostedTransaction

#: Actor of the audit rows this handler writes.
ACTOR = "posting"
_KINDS = {TenderType.GIFT_CARD: CardKind.GIFT_CARD, TenderType.CREDIT_MEMO: CardKind.CREDIT_MEMO}


@dataclass(frozen=True)
class CardPosting:
    """What posting did to one card: ``action`` ``redeemed`` | ``replayed`` | ``unlocked`` |
    ``untouched`` | ``refused`` (then ``code`` names the rule), ``amount_cents`` redeemed."""

    kind: CardKind
    number: str
    action: str
    amount_cents: int = 0
    code: str | None = None


def card_tenders(txn: Transaction) -> dict[tuple[CardKind, str], int]:
    """``{(kind, number): cents to redeem}`` for every card the transaction's tenders name;
    0 when nothing is to be redeemed (voided tender, voided transaction, refund)."""
    completed = txn.status is TransactionStatus.COMPLETED
    out: dict[tuple[CardKind, str], int] = defaultdict(int)
    for t in txn.tenders:
        kind = _KINDS.get(t.type)
        if kind is None or t.reference is None:
            continue
        number = "".join(t.reference.split()).replace("-", "")
        out[(kind, number)] += (
            to_cents(t.amount) if completed and not t.voided and t.amount > 0 else 0
        )
    return dict(out)


def _post_card(
    conn: Connection, txn: Transaction, kind: CardKind, number: str, cents: int, now: datetime
) -> CardPosting:
    if cents > 0:
        done = service.redeem_and_unlock(
            conn, kind, number, cents, transaction_id=txn.id, register_id=txn.register_id,
            now=now,
        )
        return CardPosting(kind, number, "replayed" if done.replayed else "redeemed", cents)
    state = read_card(conn, kind, number, for_update=True)
    if state.holder is None or state.holder.transaction_id != txn.id:
        return CardPosting(kind, number, "untouched")
    service.unlock(
        conn, kind, number, register_id=state.holder.register_id, transaction_id=txn.id
    )
    return CardPosting(kind, number, "unlocked")


def post_stored_value(conn: Connection, txn: Transaction, now: datetime) -> list[CardPosting]:
    """Apply the module's rules for one posted transaction inside ``conn``'s transaction;
    ``now`` stamps ledger and audit rows. Returns one :class:`CardPosting` per card.

    A refusal writes nothing but its audit row: the service decides before it writes
    (load for update → domain rule → save)."""
    results = []
    for (kind, number), cents in sorted(card_tenders(txn).items(), key=lambda x: x[0][1]):
        try:
            results.append(_post_card(conn, txn, kind, number, cents, now))
        except KassaError as exc:
            record_audit(
                conn, number, action="posting_refused", actor=ACTOR, at=now,
                reason=f"{exc.code}: {exc.message}", register_id=txn.register_id,
                transaction_id=txn.id,
            )
            results.append(CardPosting(kind, number, "refused", cents, exc.code))
    return results


def stored_value_posting_handler(conn: Connection, posted: PostedTransaction) -> None:
    """The :data:`~kassa.hq.posting.POSTING_HANDLERS` entry: :func:`post_stored_value` at the
    transaction's completion (or void) time."""
    txn = posted.transaction
    when = txn.completed_at or txn.voided_at or txn.started_at
    post_stored_value(conn, txn, when)


register_posting_handler(stored_value_posting_handler)
