"""Gift card (214) and credit memo (213) tenders in the cart (DESIGN §6, §7; issue 5 §2, §3).

Adding (online only, :meth:`CardTenders.add_tender`): the registry refuses it offline with
its reason (``operation.online_only``). Online, the amount is checked first (integer cents
> 0, at most the amount due — on a copy of the cart, no HQ call), then the card is locked at
HQ for this register and transaction through the store server's relay; the answer is its
balance. A card held by another register is refused with HQ's 409 naming that register; a
tender above the balance is refused (``tender.exceeds_balance``) and the lock released at
once. Only then is the tender (reference = the card number) added to the cart. A lock call
without an answer switches the register offline (DESIGN §3.1) — and the card may have been
locked at HQ all the same, so its unlock is queued (:mod:`kassa.pos.unlock_queue`).

Voiding a card tender (allowed offline) releases the lock: online at once through the relay;
offline, or without an answer, through ``pending_unlocks``. Voiding the transaction voids its
card tenders first, releasing each (the domain refuses to void a transaction with live
tenders); it is checked on a copy first, so a refusal changes nothing.

Completing **online** (:meth:`CardTenders._redeem_cards`, called by the engine): the record
is committed to the store server FIRST, then each card is redeemed-and-unlocked through the
relay (idempotent by transaction id). Why this order: the commit is the one point of no
return. After it the sale exists in the channel DB, and HQ's posting of that record redeems
the same amount with the same transaction id (kassa.hq.realtime.posting_handler) — a replay
when the online redeem got there first. So a crash, a lost answer or a refusal between the
commit and the redeem can neither lose the debit (posting does it) nor double it (same id);
the online redeem only makes the card usable at once instead of after the next P-job.
Redeeming first would leave a debited card behind a sale the cashier could still void.
A commit whose answer is lost is concluded offline whatever the commerce parameter says:
the store server may have it already, so refusing would let the two copies disagree.

Completing **offline** (:meth:`CardTenders._check_offline_conclusion`): a card tender added
online before the switch is allowed only when the commerce parameter *Allow concluding gift
card / credit memo transactions in offline mode* says yes — read from the data source's
parameters, i.e. the offline DB's copy (job 1110), so an HQ change is effective at the next
transaction after it arrived. The record then goes to the offline DB with the other offline
transactions; its upload → store → HQ posting redeems and unlocks. Otherwise completing is
refused (``giftcard.offline_conclusion_not_allowed``); the cashier voids the tender and the
unlock is queued.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from kassa.domain.clock import Clock
from kassa.domain.errors import Conflict, KassaError, RuleViolation, Unavailable
from kassa.domain.giftcard import (
    ALLOW_CREDIT_MEMO_OFFLINE,
    ALLOW_GIFT_CARD_OFFLINE,
    CardKind,
    can_conclude_offline,
)
from kassa.domain.ids import parse_id
from kassa.domain.money import from_cents, to_cents
from kassa.domain.operations import check_allowed
from kassa.domain.operator import require
from kassa.domain.tender import TenderType
from kassa.domain.tender_line import TenderLine
from kassa.domain.transaction import Transaction
from kassa.pos.cart import TENDER_OP, CartOperations
from kassa.pos.sessions import Session
from kassa.pos.stored_value import (
    CardInfo,
    RealtimeRelay,
    card_kind,
    card_number,
    no_answer,
    positive_cents,
)
from kassa.pos.unlock_queue import UnlockQueue

log = logging.getLogger("kassa.pos.cards")
_PARAMETER = {CardKind.GIFT_CARD: ALLOW_GIFT_CARD_OFFLINE,
              CardKind.CREDIT_MEMO: ALLOW_CREDIT_MEMO_OFFLINE}


@dataclass(frozen=True)
class CardRedemption:
    """What completing online did to one card: ``result`` ``"redeemed"`` (balance now
    ``balance_cents``) or ``"at_posting"`` (the relay did not do it now — ``error`` says
    why; HQ's posting of the committed sale redeems and unlocks it)."""

    kind: CardKind
    number: str
    amount_cents: int
    result: str
    balance_cents: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "number", "amount_cents", "result", "balance_cents", "error"}``."""
        return {"kind": self.kind.value, "number": self.number,
                "amount_cents": self.amount_cents, "result": self.result,
                "balance_cents": self.balance_cents, "error": self.error}


def _live_cards(txn: Transaction) -> list[TenderLine]:
    return [t for t in txn.tenders if not t.voided and t.type.needs_realtime]


class CardTenders(CartOperations):
    """Card tenders of :class:`kassa.pos.engine.PosEngine` (module docstring); the engine
    sets ``relay`` and ``unlocks`` besides what :class:`CartOperations` needs."""

    relay: RealtimeRelay
    unlocks: UnlockQueue
    _clock: Clock

    # -- adding ---------------------------------------------------------------------------
    def add_tender(
        self, session: Session, type: object, amount_cents: object, reference: str | None = None
    ) -> TenderLine:
        """Add a tender; gift card / credit memo as in the module docstring, others as
        :meth:`CartOperations.add_tender`.

        Raises (card tenders):
            OfflineUnavailable: ``operation.online_only`` (offline).
            InvalidInput: ``tender.amount_not_positive``, ``money.*``,
                ``tender.reference_required``, ``giftcard.number_invalid`` (also HQ's).
            RuleViolation: ``tender.exceeds_due``, ``tender.nothing_due``,
                ``tender.exceeds_balance``. Conflict: ``tender.card_already_added``, HQ's
                ``giftcard.locked`` (names the holder register), ``giftcard.inactive``,
                ``giftcard.empty``. NotFound: ``giftcard.unknown``.
            Unavailable: ``realtime.unreachable`` (the register switched offline).
        """
        tender_type = TenderType.parse(type)
        if not tender_type.needs_realtime:
            return super().add_tender(session, tender_type, amount_cents, reference)
        with self._lock:
            cart = self._require_cart()
            check_allowed(TENDER_OP[tender_type], online=self.source.online)
            require(session.operator.role, tender_type.permission)
            kind = card_kind(tender_type)
            cents = positive_cents(amount_cents, f"a {kind.label} tender",
                                   "tender.amount_not_positive")
            number = card_number(reference)
            if any(t.type is tender_type and t.reference == number for t in _live_cards(cart)):
                raise Conflict(f"{kind.label.capitalize()} {number} is already a tender of this "
                               "transaction; void that tender to change its amount",
                               code="tender.card_already_added")
            amount = from_cents(cents)
            Transaction.from_record(cart.to_record()).add_tender(tender_type, amount, number)
            card = self._lock_card(kind, number, cart.id)
            if cents > card.balance_cents:
                self._release(kind, card.number, cart.id)
                raise RuleViolation(
                    f"{kind.label.capitalize()} {card.number} has "
                    f"{from_cents(card.balance_cents)} left; the tender {amount} is more "
                    "than that", code="tender.exceeds_balance",
                    details={"balance_cents": card.balance_cents, "amount_cents": cents})
            try:
                return self._mutate(lambda c: c.add_tender(tender_type, amount, card.number))
            except BaseException:
                self._release(kind, card.number, cart.id)
                raise

    def _lock_card(self, kind: CardKind, number: str, transaction_id: UUID) -> CardInfo:
        try:
            card = self.relay.lock(kind, number, transaction_id)
        except Unavailable as exc:  # no answer: HQ may have locked it all the same
            self.unlocks.add(kind, number, transaction_id)
            raise no_answer(exc, f"{kind.label} {number}") from exc
        self.unlocks.drop(kind, card.number, transaction_id)
        return card

    # -- releasing ------------------------------------------------------------------------
    def _release(self, kind: CardKind, number: str, transaction_id: UUID) -> str:
        """Release this transaction's lock on the card: ``"unlocked"`` (online, now),
        ``"queued"`` (offline or no answer: ``pending_unlocks``) or ``"refused"`` (HQ
        refused: the lock is no longer ours)."""
        if self.source.online:
            try:
                self.relay.unlock(kind, number, transaction_id)
                return "unlocked"
            except Unavailable:
                pass  # no answer (the register is offline now): queue it
            except KassaError as exc:
                log.warning("unlock of %s %s refused: %s (%s)", kind.label, number,
                            exc.message, exc.code)
                return "refused"
        self.unlocks.add(kind, number, transaction_id)
        return "queued"

    def void_tender(self, session: Session, tender_id: object) -> TenderLine:
        """Void a tender; a card tender's lock is released (module docstring).

        Raises:
            NotFound: ``tender.not_found``. Conflict: ``tender.voided``, ``cart.none``.
        """
        tid = parse_id(tender_id, "tender id")
        with self._lock:
            cart = self._require_cart()
            tender = next((t for t in cart.tenders if t.id == tid), None)
            if tender is None or tender.voided or not tender.type.needs_realtime:
                return super().void_tender(session, tid)
            voided = self._mutate(lambda c: c.void_tender(tid))
            self._release(card_kind(tender.type), card_number(tender.reference), cart.id)
            return voided

    def _void_card_tenders(self, cart: Transaction) -> None:
        """Before voiding the transaction: void its card tenders, releasing each — only if
        the transaction can then be voided (checked on a copy; else nothing changes).

        Raises:
            RuleViolation: ``transaction.has_tenders`` (other live tenders).
        """
        cards = _live_cards(cart)
        if not cards:
            return
        probe = Transaction.from_record(cart.to_record())
        for tender in cards:
            probe.void_tender(tender.id)
        probe.void(self._clock.now())
        for tender in cards:
            self._void_one(tender.id)
            self._release(card_kind(tender.type), card_number(tender.reference), cart.id)

    def _void_one(self, tender_id: UUID) -> TenderLine:
        return self._mutate(lambda c: c.void_tender(tender_id))

    # -- completing ------------------------------------------------------------------------
    def _check_offline_conclusion(self, cart: Transaction) -> None:
        """Offline: refuse to complete a cart with card tenders unless the commerce
        parameter of each kind allows it (module docstring).

        Raises:
            RuleViolation: ``giftcard.offline_conclusion_not_allowed`` — "Gift card
                transactions can't be concluded offline. Remove the gift card tender to
                continue." (details: ``kind``, ``parameter``, ``tender_ids``).
            InvalidInput: ``giftcard.parameter_type`` for a parameter that is no bool.
        """
        cards = _live_cards(cart)
        if not cards:
            return
        params = self.source.parameters()
        for kind in sorted({card_kind(t.type) for t in cards}):
            if can_conclude_offline(kind, params):
                continue
            label = kind.label
            raise RuleViolation(
                f"{label.capitalize()} transactions can't be concluded offline. Remove the "
                f"{label} tender to continue.",
                code="giftcard.offline_conclusion_not_allowed",
                details={"kind": kind.value, "parameter": _PARAMETER[kind],
                         "tender_ids": [str(t.id) for t in cards if t.type == kind.value]})

    def _redeem_cards(self, done: Transaction) -> tuple[CardRedemption, ...]:
        """After the online commit: redeem-and-unlock each card of ``done`` (the sum of its
        live positive tenders, as HQ's posting sums them). Never raises: what is not done
        now is done by HQ's posting of the committed record (module docstring)."""
        amounts: dict[tuple[CardKind, str], int] = {}
        for tender in _live_cards(done):
            if tender.amount > 0 and tender.reference:
                key = (card_kind(tender.type), tender.reference)
                amounts[key] = amounts.get(key, 0) + to_cents(tender.amount)
        out: list[CardRedemption] = []
        for (kind, number), cents in sorted(amounts.items(), key=lambda x: x[0][1]):
            try:
                card = self.relay.redeem(kind, number, done.id, cents)
                out.append(CardRedemption(kind, number, cents, "redeemed", card.balance_cents))
            except KassaError as exc:
                log.warning("%s %s not redeemed online (%s: %s); HQ's posting of %s does it",
                            kind.label, number, exc.code, exc.message, done.receipt_number)
                out.append(CardRedemption(kind, number, cents, "at_posting",
                                          error=f"{exc.code}: {exc.message}"))
        return tuple(out)
