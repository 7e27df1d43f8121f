"""HQ's real-time service for gift cards and credit memos (DESIGN §6, issue 5 §1, §5).

Balances and locks live only at HQ. Each operation is **one** DB transaction that loads the
card row for update (:func:`kassa.hq.realtime.cards.load_for_update`) and applies the rule of
:mod:`kassa.domain.giftcard`, so concurrent calls from many registers serialise on the card:
never two holders, never a negative balance (a CHECK constraint backs both).

==================  ==============================================  =========================
operation           rule (kassa.domain.giftcard)                    refusals (HTTP status)
==================  ==============================================  =========================
issue               new 16-digit number, ``GiftCard.issue``;         422 amount ≤ 0,
                    idempotent by (kind, transaction, line)          409 max_issue / mismatch
add                 ``GiftCard.add``; idempotent by transaction      404, 409, 422
balance             read only                                        404
lock                ``GiftCard.lock`` → balance                      404, 409 locked (names
                                                                     the holder) / inactive
redeem_and_unlock   ``GiftCard.redeem_and_unlock``; idempotent by    409 over-tender /
                    transaction, other amount → 409                  mismatch, 422 amount ≤ 0
unlock              ``GiftCard.unlock`` by the holder                409 not_lock_holder
force_unlock        ``GiftCard.unlock(force=True)`` + audit row      404
list_locked         locked cards with owner register and age         —
==================  ==============================================  =========================

Conventions: amounts in integer **cents**; ids :class:`uuid.UUID` (text accepted); times from
the injected clock (aware UTC). Functions taking a ``conn`` run inside the caller's
transaction (the posting handler uses them); :class:`RealtimeService` wraps each in its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, exists, insert, select
from sqlalchemy.exc import IntegrityError

from kassa.db import hq_schema as s
from kassa.db.hq_giftcard_schema import stored_value_cards as cards_t
from kassa.db.hq_giftcard_schema import stored_value_ledger as ledger_t
from kassa.domain.clock import Clock, SystemClock
from kassa.domain.errors import CardLocked, Conflict, InvalidInput, NotAllowed
from kassa.domain.giftcard import DEFAULT_LIMITS, CardKind, GiftCard, GiftCardLimits
from kassa.domain.ids import new_id, parse_id
from kassa.domain.money import from_cents, to_cents
from kassa.hq.distribution.setup import get_register
from kassa.hq.realtime.cards import (
    CardState,
    Holder,
    load_for_update,
    parse_kind,
    read_card,
    save,
)
from kassa.hq.realtime.listing import MAX_LISTING, Listed, list_cards
from kassa.hq.realtime.numbers import new_number

T = TypeVar("T")


@dataclass(frozen=True)
class Movement:
    """A balance movement and the card after it; ``replayed`` = an earlier identical call
    already did it and nothing changed now."""

    card: CardState
    movement: str  # issue | add | redeem
    transaction_id: uuid.UUID
    amount_cents: int
    replayed: bool

    def to_dict(self) -> dict[str, Any]:
        """:meth:`CardState.to_dict` plus ``movement``, ``transaction_id``, ``amount_cents``,
        ``replayed``."""
        return {
            **self.card.to_dict(),
            "movement": self.movement,
            "transaction_id": self.transaction_id,
            "amount_cents": self.amount_cents,
            "replayed": self.replayed,
        }


@dataclass(frozen=True)
class Released:
    """Result of an unlock: ``released`` False when no lock was held; ``audit_id`` of a
    forced unlock's audit row."""

    card: CardState
    released: bool
    previous: Holder | None = None
    audit_id: uuid.UUID | None = None


def _after(state: CardState, card: GiftCard) -> CardState:
    held = card.holder
    holder = (
        Holder(parse_id(held.register_id), parse_id(held.transaction_id), held.locked_at)
        if held else None
    )
    return replace(state, balance_cents=to_cents(card.balance), holder=holder)


def _id(value: object, what: str) -> uuid.UUID:
    return parse_id(value, what)


@contextmanager
def _holder_named(conn: Connection) -> Iterator[None]:
    """Name the holder of a :class:`CardLocked` refusal as people know it: "register 2 of
    store 367" (DESIGN §6: the message names that register); details gain ``store_id`` and
    ``register_number``."""
    try:
        yield
    except CardLocked as exc:
        rid = exc.details.get("register_id")
        r = s.registers.c
        rec = None if rid is None else conn.execute(
            select(r.store_id, r.number).where(r.id == parse_id(rid))
        ).first()
        if rec is None:
            raise
        details = {**exc.details, "store_id": rec.store_id, "register_number": rec.number}
        message = exc.message.replace(
            f"register {rid}", f"register {rec.number} of store {rec.store_id}", 1
        )
        raise CardLocked(message, code=exc.code, details=details) from None


def lock(
    conn: Connection, kind: CardKind, number: object, *, register_id: object,
    transaction_id: object, now: datetime,
) -> CardState:
    """Lock the card for (register, transaction) and return it with its balance."""
    reg, tx = _id(register_id, "register id"), _id(transaction_id, "transaction id")
    state, card = load_for_update(conn, kind, number, tx)
    with _holder_named(conn):
        card.lock(reg, tx, now)
    save(conn, state, card)
    return _after(state, card)


def redeem_and_unlock(
    conn: Connection, kind: CardKind, number: object, amount_cents: int, *,
    transaction_id: object, register_id: object | None, now: datetime,
) -> Movement:
    """Take ``amount_cents`` off the balance and release this transaction's lock."""
    tx = _id(transaction_id, "transaction id")
    reg = None if register_id is None else _id(register_id, "register id")
    amount = from_cents(amount_cents)
    state, card = load_for_update(conn, kind, number, tx)
    with _holder_named(conn):
        out = card.redeem_and_unlock(tx, amount, now=now, register_id=reg)
    save(conn, state, card, movement=None if out.replayed else ("redeem", out.entry))
    return Movement(_after(state, card), "redeem", tx, to_cents(out.entry.amount), out.replayed)


def unlock(
    conn: Connection, kind: CardKind, number: object, *, register_id: object,
    transaction_id: object,
) -> Released:
    """Release the lock held by (register, transaction); ``released`` False if none."""
    reg, tx = _id(register_id, "register id"), _id(transaction_id, "transaction id")
    state, card = load_for_update(conn, kind, number, None)
    with _holder_named(conn):
        released = card.unlock(reg, tx)
    save(conn, state, card)
    return Released(_after(state, card), released, state.holder if released else None)


def force_unlock(
    conn: Connection, number: object, *, actor: str, reason: str | None, now: datetime,
    kind: CardKind | None = None,
) -> Released:
    """HQ back office: release whoever holds the card, with an audit row (DESIGN §6).

    Raises:
        InvalidInput: ``giftcard.force_needs_actor`` for an empty ``actor``.
    """
    who = (actor or "").strip()
    if not who:
        raise InvalidInput("a forced unlock needs the actor's name for the audit record",
                           code="giftcard.force_needs_actor")
    state, card = load_for_update(conn, kind, number, None)
    released = card.unlock(force=True, actor=who, now=now)
    audit_ids = save(conn, state, card, reason=(reason or "").strip() or None)
    audit_id = audit_ids[0] if audit_ids else None
    return Released(_after(state, card), released, state.holder, audit_id)


def add(
    conn: Connection, kind: CardKind, number: object, amount_cents: int, *,
    transaction_id: object, register_id: object, now: datetime,
    limits: GiftCardLimits = DEFAULT_LIMITS,
) -> Movement:
    """Reload a gift card (operation 520), idempotent by transaction."""
    reg, tx = _id(register_id, "register id"), _id(transaction_id, "transaction id")
    amount = from_cents(amount_cents)
    state, card = load_for_update(conn, kind, number, tx)
    with _holder_named(conn):
        out = card.add(amount, transaction_id=tx, register_id=reg, now=now, limits=limits)
    save(conn, state, card, movement=None if out.replayed else ("add", out.entry))
    return Movement(_after(state, card), "add", tx, to_cents(out.entry.amount), out.replayed)


def issue_key(kind: CardKind, transaction_id: uuid.UUID, line_id: uuid.UUID | None) -> str:
    """Idempotency key of an issue: ``"<kind>:<transaction id>:<line id or ->"``."""
    return f"{kind.value}:{transaction_id}:{line_id or '-'}"


def issue(
    conn: Connection, kind: CardKind, amount_cents: int, *, transaction_id: object,
    register_id: object | None, now: datetime, line_id: object | None = None,
    limits: GiftCardLimits = DEFAULT_LIMITS,
) -> Movement:
    """Issue a new card (operation 512; a refund's credit memo; the back office).

    Idempotent by (kind, transaction, line): a retry answers the same card
    (``replayed``); the same key with another amount is 409 ``giftcard.issue_mismatch``.
    """
    tx = _id(transaction_id, "transaction id")
    reg = None if register_id is None else _id(register_id, "register id")
    line = None if line_id is None else _id(line_id, "line id")
    card = GiftCard.issue(new_number(kind), from_cents(amount_cents), kind=kind, limits=limits)
    key = issue_key(kind, tx, line)
    done = conn.execute(
        select(ledger_t.c.number, ledger_t.c.amount_cents).where(ledger_t.c.issue_key == key)
    ).first()
    if done is not None:
        if int(done.amount_cents) != amount_cents:
            raise Conflict(
                f"transaction {tx} already issued {kind.label} {done.number} for "
                f"{from_cents(int(done.amount_cents))}, not {card.balance}",
                code="giftcard.issue_mismatch",
            )
        return Movement(read_card(conn, kind, done.number), "issue", tx, amount_cents, True)
    number = card.number
    while conn.execute(select(exists().where(cards_t.c.number == number))).scalar():
        number = new_number(kind)  # 1 in 10^14 per existing card; never loops in practice
    cents = to_cents(card.balance)
    conn.execute(insert(cards_t).values(
        number=number, kind=kind.value, balance_cents=cents, issued_cents=cents, active=True,
        issued_at=now, holder_register_id=None, holder_transaction_id=None, locked_at=None,
    ))
    conn.execute(insert(ledger_t).values(
        id=new_id(), number=number, transaction_id=tx, kind="issue", amount_cents=cents, at=now,
        register_id=reg, issue_key=key,
    ))
    return Movement(read_card(conn, kind, number), "issue", tx, cents, False)


def require_register(conn: Connection, register_id: object, store_id: int) -> uuid.UUID:
    """The register, which must belong to the calling store.

    Raises:
        NotFound: ``register.unknown``; NotAllowed: ``realtime.other_store`` (403).
    """
    reg = get_register(conn, _id(register_id, "register id"))
    if int(reg.store_id) != store_id:
        raise NotAllowed(
            f"register {reg.id} belongs to store {reg.store_id}, not to store {store_id}",
            code="realtime.other_store",
        )
    rid: uuid.UUID = reg.id
    return rid


class RealtimeService:
    """The operations above, each in its own DB transaction on ``engine``.

    ``store_id`` (store-server callers) makes the register of the call prove it belongs to
    that store first (403 ``realtime.other_store``), in the same transaction.
    """

    def __init__(
        self, engine: Engine, clock: Clock | None = None, limits: GiftCardLimits = DEFAULT_LIMITS
    ) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.limits = limits

    def _run(
        self, work: Callable[[Connection], T], register_id: object = None,
        store_id: int | None = None, retries: int = 0,
    ) -> T:
        for attempt in range(retries + 1):
            try:
                with self.engine.begin() as conn:
                    if store_id is not None:
                        require_register(conn, register_id, store_id)
                    return work(conn)
            except IntegrityError:
                if attempt == retries:  # a concurrent identical issue won: replay it
                    raise
        raise AssertionError("unreachable")

    def issue(self, kind: object, amount_cents: int, *, transaction_id: object | None = None,
              register_id: object | None = None, line_id: object | None = None,
              store_id: int | None = None) -> Movement:
        """Issue a card; ``transaction_id`` defaults to a new id (back office)."""
        k, tx = parse_kind(kind), transaction_id or new_id()
        return self._run(lambda c: issue(
            c, k, amount_cents, transaction_id=tx, register_id=register_id, line_id=line_id,
            now=self.clock.now(), limits=self.limits), register_id, store_id, retries=2)

    def add(self, kind: object, number: object, amount_cents: int, *, transaction_id: object,
            register_id: object, store_id: int | None = None) -> Movement:
        k = parse_kind(kind)
        return self._run(lambda c: add(
            c, k, number, amount_cents, transaction_id=transaction_id, register_id=register_id,
            now=self.clock.now(), limits=self.limits), register_id, store_id)

    def balance(self, kind: object, number: object) -> CardState:
        k = parse_kind(kind)
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            return read_card(conn, k, number)

    def lock(self, kind: object, number: object, *, register_id: object,
             transaction_id: object, store_id: int | None = None) -> CardState:
        k = parse_kind(kind)
        return self._run(lambda c: lock(
            c, k, number, register_id=register_id, transaction_id=transaction_id,
            now=self.clock.now()), register_id, store_id)

    def redeem_and_unlock(self, kind: object, number: object, amount_cents: int, *,
                          transaction_id: object, register_id: object,
                          store_id: int | None = None) -> Movement:
        k = parse_kind(kind)
        return self._run(lambda c: redeem_and_unlock(
            c, k, number, amount_cents, transaction_id=transaction_id, register_id=register_id,
            now=self.clock.now()), register_id, store_id)

    def unlock(self, kind: object, number: object, *, register_id: object,
               transaction_id: object, store_id: int | None = None) -> Released:
        k = parse_kind(kind)
        return self._run(lambda c: unlock(
            c, k, number, register_id=register_id, transaction_id=transaction_id),
            register_id, store_id)

    def force_unlock(self, number: object, *, actor: str, reason: str | None = None) -> Released:
        return self._run(lambda c: force_unlock(
            c, number, actor=actor, reason=reason, now=self.clock.now()))

    def list_cards(self, *, locked: bool | None = None, kind: object | None = None,
                   after: str | None = None, limit: int = 100) -> list[Listed]:
        k = None if kind is None else parse_kind(kind)
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            return list_cards(conn, now=self.clock.now(), locked=locked, kind=k, after=after,
                              limit=limit)

    def card(self, number: object) -> Listed:
        """One card of any kind with its lock owner and age. Raises as :func:`read_card`."""
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            found = read_card(conn, None, number)
            return list_cards(conn, now=self.clock.now(), number=found.number)[0]

    def list_locked(self, now: datetime | None = None) -> list[Listed]:
        """Locked cards with owner register (store, number) and age at ``now``."""
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            return list_cards(conn, now=now or self.clock.now(), locked=True,
                              limit=MAX_LISTING)
