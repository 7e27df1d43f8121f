"""Gift cards and credit memos seen from the register: the real-time service through the
store server's relay (DESIGN §6; issue 5 §2; docs/API.md, kassa.store.realtime_relay).

Balances and locks live only at HQ. The register reaches them through its store server
(``/api/realtime/{kind}/{number}/lock|redeem|unlock|balance``, ``/{kind}/issue``,
``/{kind}/{number}/add``); the store server adds the register id proven by the device
token. Every call is a data request of DESIGN §3.1 — same deadline ``timeout_s``, same
``retry_count_to_offline`` retries (each call is idempotent at HQ by transaction id, so a
retry is harmless) — sent by :meth:`kassa.pos.connection.SwitchingSource.realtime`:

* a timeout, refused/reset connection or 502/503/504 (the relay answers 503
  ``hq.unreachable`` when HQ is gone) switches the register offline, and the call raises
  :class:`~kassa.pos.store_http.StoreUnreachable`: there is **no offline answer**, and the
  caller must treat the outcome as unknown (a lock may have been applied at HQ);
* a refusal of HQ comes back as the :class:`~kassa.domain.errors.KassaError` of its status
  with HQ's code and message (404 ``giftcard.unknown``, 409 ``giftcard.locked`` naming the
  register that holds the card, ``giftcard.inactive``, 422 ``giftcard.number_invalid`` …)
  and never switches.

Money is integer cents; card numbers are the 16 digits HQ gives (spaces and dashes typed by
a cashier are dropped by :func:`card_number`; HQ checks the digits and the check digit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from uuid import UUID

from kassa.domain.errors import InvalidInput, Unavailable
from kassa.domain.giftcard import CardKind
from kassa.domain.money import from_cents
from kassa.pos.connection import SwitchingSource
from kassa.pos.store_http import StoreHttp, StoreUnreachable

#: Longest card number the register accepts (``pending_unlocks.number`` is 40 characters).
MAX_NUMBER = 40


def card_number(text: object) -> str:
    """The card number typed or scanned as ``text``, without spaces and dashes.

    Raises:
        InvalidInput: ``tender.reference_required`` when empty; ``giftcard.number_invalid``
            when it is not 1-40 digits (HQ checks length and check digit further).
    """
    raw = "".join(text.split()).replace("-", "") if isinstance(text, str) else ""
    if not raw:
        raise InvalidInput("a gift card or credit memo tender needs the card number",
                           code="tender.reference_required")
    if not raw.isdigit() or len(raw) > MAX_NUMBER:
        raise InvalidInput(f"a card number is made of digits (got {str(text)[:40]!r})",
                           code="giftcard.number_invalid")
    return raw


def card_kind(value: object) -> CardKind:
    """``"gift_card"`` / ``"credit_memo"`` (or a tender type of those) → :class:`CardKind`.

    Raises:
        InvalidInput: ``giftcard.kind``.
    """
    try:
        return CardKind(str(value))
    except ValueError:
        raise InvalidInput(f"unknown card kind {value!r}; expected gift_card or credit_memo",
                           code="giftcard.kind") from None


def positive_cents(value: object, what: str, code: str) -> int:
    """``value`` as integer cents > 0 (``what`` names it in the message).

    Raises:
        InvalidInput: ``money.cents_type`` for a non-integer; ``code`` for 0 or less;
            ``money.too_large`` beyond what money can hold.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} must be integer cents (got {value!r})",
                           code="money.cents_type")
    if value <= 0:
        raise InvalidInput(f"{what} must be more than 0.00 (got {from_cents(value)})",
                           code=code, details={"amount_cents": value})
    from_cents(value)  # bounds (money.too_large)
    return value


def no_answer(exc: Unavailable, what: str) -> Unavailable:
    """The cashier's error for a real-time call about ``what`` that got no answer: the
    register has switched offline (``realtime.unreachable``), or ``exc`` itself when it is
    no "no answer" (e.g. the register cannot switch, §3.5)."""
    if not isinstance(exc, StoreUnreachable):
        return exc
    return Unavailable(
        f"The real-time service did not answer about {what} ({exc.message}); the register "
        "works offline now. Gift cards and credit memos need the connection: take another "
        "tender.", code="realtime.unreachable", details=exc.details)


@dataclass(frozen=True)
class CardInfo:
    """A card as HQ answered: ``balance_cents`` (integer cents), ``active``, ``locked``.

    ``released`` is set by an unlock (False when no lock was held); ``replayed`` by a
    redeem, issue or add that an identical earlier call had already done.
    """

    kind: CardKind
    number: str
    balance_cents: int
    active: bool
    locked: bool
    released: bool | None = None
    replayed: bool | None = None

    @classmethod
    def from_answer(cls, body: Any) -> CardInfo:
        """Parse HQ's card / movement answer.

        Raises:
            InvalidInput: ``store.bad_answer`` for a missing or mistyped field.
        """
        try:
            return cls(card_kind(body["kind"]), str(body["number"]), int(body["balance_cents"]),
                       bool(body["active"]), bool(body["locked"]), body.get("released"),
                       body.get("replayed"))
        except (KeyError, TypeError, ValueError, InvalidInput) as exc:
            raise InvalidInput(f"the real-time service sent a bad card: {str(body)[:200]}",
                               code="store.bad_answer") from exc

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "number", "balance_cents", "active", "locked"}`` (+ ``released`` /
        ``replayed`` when set)."""
        out: dict[str, Any] = {"kind": self.kind.value, "number": self.number,
                               "balance_cents": self.balance_cents, "active": self.active,
                               "locked": self.locked}
        if self.released is not None:
            out["released"] = self.released
        if self.replayed is not None:
            out["replayed"] = self.replayed
        return out


def _path(kind: CardKind, number: str, action: str) -> str:
    return f"/api/realtime/{kind.value}/{quote(number, safe='')}/{action}"


def send_unlock(http: StoreHttp, kind: CardKind, number: str, transaction_id: UUID,
                **kwargs: Any) -> CardInfo:
    """``POST …/unlock`` on ``http`` (also used by the sync client for queued unlocks)."""
    body = http.post_json(_path(kind, number, "unlock"),
                          {"transaction_id": str(transaction_id)}, **kwargs)
    return CardInfo.from_answer(body)


class RealtimeRelay:
    """The real-time calls of one register, sent through its switching source.

    Every method raises :class:`~kassa.pos.store_http.StoreUnreachable` (the register has
    just switched offline; outcome unknown), ``Unavailable`` (§3.5: the register cannot
    switch, or it is offline already: ``realtime.offline``) or HQ's refusal (module
    docstring).
    """

    def __init__(self, source: SwitchingSource) -> None:
        self.source = source

    def _post(self, path: str, body: dict[str, Any]) -> CardInfo:
        return CardInfo.from_answer(self.source.realtime(lambda h: h.post_json(path, body)))

    def lock(self, kind: CardKind, number: str, transaction_id: UUID) -> CardInfo:
        """Lock the card for this register and transaction; the answer has the balance."""
        return self._post(_path(kind, number, "lock"), {"transaction_id": str(transaction_id)})

    def unlock(self, kind: CardKind, number: str, transaction_id: UUID) -> CardInfo:
        """Release this transaction's lock (``released`` False when none was held)."""
        return self.source.realtime(lambda h: send_unlock(h, kind, number, transaction_id))

    def redeem(self, kind: CardKind, number: str, transaction_id: UUID,
               amount_cents: int) -> CardInfo:
        """Redeem ``amount_cents`` and unlock, idempotent by transaction id."""
        return self._post(_path(kind, number, "redeem"),
                          {"transaction_id": str(transaction_id), "amount_cents": amount_cents})

    def balance(self, kind: CardKind, number: str) -> CardInfo:
        """The card's balance (operation 519); nothing changes."""
        path = _path(kind, number, "balance")
        return CardInfo.from_answer(self.source.realtime(lambda h: h.get_json(path)))

    def issue(self, kind: CardKind, amount_cents: int, transaction_id: UUID) -> CardInfo:
        """Issue a new card with ``amount_cents`` (operation 512), idempotent by
        transaction id: a retry answers the same card."""
        return self._post(f"/api/realtime/{kind.value}/issue",
                          {"amount_cents": amount_cents, "transaction_id": str(transaction_id)})

    def add(self, kind: CardKind, number: str, amount_cents: int,
            transaction_id: UUID) -> CardInfo:
        """Add ``amount_cents`` to a gift card (operation 520), idempotent by transaction."""
        return self._post(_path(kind, number, "add"),
                          {"amount_cents": amount_cents, "transaction_id": str(transaction_id)})
