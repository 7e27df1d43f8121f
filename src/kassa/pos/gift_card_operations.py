"""Operations 512 Issue gift card, 520 Add to gift card and 519 Gift card balance at the
register (DESIGN §6, §7; issue 5 §2).

All three are online-only in the registry (the balance is kept at HQ): offline they are
refused with the registry's reason (``operation.online_only``) before anything is sent.
Online each is one call of the real-time service through the store server's relay
(:class:`~kassa.pos.stored_value.RealtimeRelay`), with the switch's rules: no answer switches
the register offline and is reported as ``realtime.unreachable``; HQ's refusals come back
with HQ's status, code and message (404 ``giftcard.unknown``, 409 ``giftcard.inactive`` /
``giftcard.max_*``, 422 ``giftcard.amount_not_positive`` …).

Issue and add are idempotent at HQ by ``transaction_id``: the caller may give one (a retry
of the same request then answers the same card, without a second issue or reload); without
it the register takes a new UUIDv7 per request, and its own retries of the request
(``retry_count_to_offline``) reuse it. These operations stand alone: charging the customer
for the card is a sale line of its own (not part of issue 5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kassa.domain.errors import Unavailable
from kassa.domain.giftcard import CardKind
from kassa.domain.ids import new_id, parse_id
from kassa.domain.operations import OpId, check_allowed
from kassa.domain.operator import Permission, require
from kassa.pos.connection import SwitchingSource
from kassa.pos.sessions import Session
from kassa.pos.stored_value import (
    CardInfo,
    RealtimeRelay,
    card_kind,
    card_number,
    no_answer,
    positive_cents,
)

T = TypeVar("T")


class GiftCardOperations:
    """The three operations of :class:`kassa.pos.engine.PosEngine` (module docstring); the
    engine sets ``source`` and ``relay``."""

    source: SwitchingSource
    relay: RealtimeRelay

    def _allowed(self, op: OpId, permission: Permission, session: Session) -> None:
        check_allowed(op, online=self.source.online)
        require(session.operator.role, permission)

    @staticmethod
    def _send(call: Callable[[], T], what: str) -> T:
        try:
            return call()
        except Unavailable as exc:
            raise no_answer(exc, what) from exc

    def issue_gift_card(self, session: Session, amount_cents: object,
                        transaction_id: object | None = None) -> CardInfo:
        """Operation 512: a new gift card with ``amount_cents`` → its number and balance.

        Raises:
            OfflineUnavailable: ``operation.online_only``. InvalidInput:
            ``giftcard.amount_not_positive``, ``money.*``, ``id.invalid``. Conflict: HQ's
            ``giftcard.max_issue``, ``giftcard.issue_mismatch``. Unavailable:
            ``realtime.unreachable``.
        """
        self._allowed(OpId.ISSUE_GIFT_CARD, Permission.ISSUE_GIFT_CARD, session)
        cents = positive_cents(amount_cents, "a gift card's amount",
                               "giftcard.amount_not_positive")
        tx = new_id() if transaction_id is None else parse_id(transaction_id, "transaction id")
        return self._send(lambda: self.relay.issue(CardKind.GIFT_CARD, cents, tx),
                          "a new gift card")

    def add_to_gift_card(self, session: Session, number: object, amount_cents: object,
                         transaction_id: object | None = None) -> CardInfo:
        """Operation 520: add ``amount_cents`` to gift card ``number`` → the card.

        Raises:
            as :meth:`issue_gift_card`; NotFound ``giftcard.unknown``; Conflict
            ``giftcard.locked`` / ``giftcard.inactive`` / ``giftcard.max_*``.
        """
        self._allowed(OpId.ADD_TO_GIFT_CARD, Permission.ADD_TO_GIFT_CARD, session)
        card = card_number(number)
        cents = positive_cents(amount_cents, "the amount to add", "giftcard.amount_not_positive")
        tx = new_id() if transaction_id is None else parse_id(transaction_id, "transaction id")
        return self._send(lambda: self.relay.add(CardKind.GIFT_CARD, card, cents, tx),
                          f"gift card {card}")

    def gift_card_balance(self, session: Session, number: object,
                          kind: object = CardKind.GIFT_CARD) -> CardInfo:
        """Operation 519: the balance of a gift card (or, with ``kind`` ``credit_memo``, of a
        credit memo) → the card; nothing changes.

        Raises:
            OfflineUnavailable: ``operation.online_only``. InvalidInput:
            ``giftcard.number_invalid``, ``giftcard.kind``. NotFound: ``giftcard.unknown``.
            Unavailable: ``realtime.unreachable``.
        """
        self._allowed(OpId.GIFT_CARD_BALANCE, Permission.GIFT_CARD_BALANCE, session)
        card, card_type = card_number(number), card_kind(kind)
        return self._send(lambda: self.relay.balance(card_type, card),
                          f"{card_type.label} {card}")
