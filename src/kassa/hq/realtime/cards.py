"""Rows of ``stored_value_cards`` ↔ the domain :class:`~kassa.domain.giftcard.GiftCard`.

The real-time service never decides anything here: it loads one card **for update**
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the writer's ``BEGIN IMMEDIATE`` already
serialises), lets :mod:`kassa.domain.giftcard` apply its rule, and :func:`save` writes the
card's new balance and holder, the new ledger entries and audit rows in the same DB
transaction. Only the ledger entries of the *calling* transaction are loaded: that is all
the domain's idempotency rules read (O(1) per call, whatever the card's history).

Shapes: amounts in integer cents, ids as :class:`uuid.UUID`, times aware UTC.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from kassa.db.hq_giftcard_schema import stored_value_audit as audit_t
from kassa.db.hq_giftcard_schema import stored_value_cards as cards_t
from kassa.db.hq_giftcard_schema import stored_value_ledger as ledger_t
from kassa.domain.errors import InvalidInput, NotFound
from kassa.domain.giftcard import CardKind, GiftCard, LedgerEntry, Lock
from kassa.domain.ids import new_id, parse_id
from kassa.domain.money import from_cents, to_cents
from kassa.hq.realtime.numbers import normalise_number

_c = cards_t.c
_l = ledger_t.c


def parse_kind(kind: object) -> CardKind:
    """``"gift_card"`` / ``"credit_memo"`` → :class:`CardKind`.

    Raises:
        InvalidInput: ``giftcard.kind``.
    """
    try:
        return CardKind(str(kind))
    except ValueError:
        raise InvalidInput(
            f"unknown card kind {kind!r}; expected gift_card or credit_memo", code="giftcard.kind"
        ) from None


@dataclass(frozen=True)
class Holder:
    """Who holds a card's lock: a register, for one transaction, since ``locked_at``."""

    register_id: uuid.UUID
    transaction_id: uuid.UUID
    locked_at: datetime


@dataclass(frozen=True)
class CardState:
    """A card as stored: ``balance_cents``/``issued_cents`` in cents, ``holder`` or None."""

    number: str
    kind: CardKind
    balance_cents: int
    issued_cents: int
    active: bool
    issued_at: datetime
    holder: Holder | None

    def to_dict(self) -> dict[str, Any]:
        """``{"number", "kind", "balance_cents", "issued_cents", "active", "issued_at",
        "locked", "holder_register_id", "holder_transaction_id", "locked_at"}``."""
        h = self.holder
        return {
            "number": self.number,
            "kind": self.kind.value,
            "balance_cents": self.balance_cents,
            "issued_cents": self.issued_cents,
            "active": self.active,
            "issued_at": self.issued_at,
            "locked": h is not None,
            "holder_register_id": h.register_id if h else None,
            "holder_transaction_id": h.transaction_id if h else None,
            "locked_at": h.locked_at if h else None,
        }


def state_of(row: Any) -> CardState:
    """A ``stored_value_cards`` row (mapping) → :class:`CardState`."""
    holder = None
    if row["holder_register_id"] is not None:
        holder = Holder(row["holder_register_id"], row["holder_transaction_id"], row["locked_at"])
    return CardState(
        number=row["number"],
        kind=CardKind(row["kind"]),
        balance_cents=int(row["balance_cents"]),
        issued_cents=int(row["issued_cents"]),
        active=bool(row["active"]),
        issued_at=row["issued_at"],
        holder=holder,
    )


def read_card(
    conn: Connection, kind: CardKind | None, number: object, *, for_update: bool = False
) -> CardState:
    """The card ``number`` of ``kind`` (any kind when None), locked for update if asked.

    Raises:
        InvalidInput: ``giftcard.number_invalid`` (not 16 digits / bad check digit).
        NotFound: ``giftcard.unknown`` — no such card, or one of the other kind.
    """
    num = normalise_number(number)
    query = select(cards_t).where(_c.number == num)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None or (kind is not None and row["kind"] != kind.value):
        label = kind.label if kind is not None else "gift card or credit memo"
        raise NotFound(f"there is no {label} with number {num}", code="giftcard.unknown")
    return state_of(row)


def load_for_update(
    conn: Connection, kind: CardKind | None, number: object, transaction_id: uuid.UUID | None
) -> tuple[CardState, GiftCard]:
    """Lock the card row and build its domain aggregate with the ledger entries of
    ``transaction_id`` (redemptions and reloads). Raises as :func:`read_card`."""
    state = read_card(conn, kind, number, for_update=True)
    h = state.holder
    card = GiftCard(
        number=state.number,
        kind=state.kind,
        balance=from_cents(state.balance_cents),
        initial=from_cents(state.issued_cents),
        active=state.active,
        holder=Lock(str(h.register_id), str(h.transaction_id), h.locked_at) if h else None,
    )
    if transaction_id is not None:
        rows = conn.execute(
            select(_l.kind, _l.amount_cents, _l.register_id, _l.at).where(
                _l.number == state.number, _l.transaction_id == transaction_id
            )
        ).all()
        for r in rows:
            entry = LedgerEntry(
                str(transaction_id),
                from_cents(int(r.amount_cents)),
                None if r.register_id is None else str(r.register_id),
                r.at,
            )
            if r.kind == "redeem":
                card.redemptions[entry.transaction_id] = entry
            elif r.kind == "add":
                card.reloads[entry.transaction_id] = entry
    return state, card


def _optional_id(value: str | None, what: str) -> uuid.UUID | None:
    return None if value is None else parse_id(value, what)


def save(
    conn: Connection,
    before: CardState,
    card: GiftCard,
    *,
    movement: tuple[str, LedgerEntry] | None = None,
    reason: str | None = None,
) -> list[uuid.UUID]:
    """Write what the domain changed: balance and holder (only when they changed), the new
    ledger ``movement`` (``("redeem"|"add", entry)``) and audit rows appended to
    ``card.audit`` by this call (a forced unlock, with ``reason``). Returns the audit ids."""
    held = card.holder
    values: dict[str, Any] = {}
    balance = to_cents(card.balance)
    if balance != before.balance_cents:
        values["balance_cents"] = balance
    new_holder = (
        Holder(parse_id(held.register_id, "register id"),
               parse_id(held.transaction_id, "transaction id"), held.locked_at)
        if held else None
    )
    if new_holder != before.holder:
        values.update(
            holder_register_id=new_holder.register_id if new_holder else None,
            holder_transaction_id=new_holder.transaction_id if new_holder else None,
            locked_at=new_holder.locked_at if new_holder else None,
        )
    if values:
        conn.execute(update(cards_t).where(_c.number == before.number).values(**values))
    if movement is not None:
        kind, entry = movement
        conn.execute(
            insert(ledger_t).values(
                id=new_id(),
                number=before.number,
                transaction_id=parse_id(entry.transaction_id, "transaction id"),
                kind=kind,
                amount_cents=to_cents(entry.amount),
                at=entry.at,
                register_id=_optional_id(entry.register_id, "register id"),
            )
        )
    return [
        record_audit(
            conn,
            before.number,
            action="force_unlock",
            actor=forced.actor,
            at=forced.at,
            reason=reason,
            register_id=parse_id(forced.released.register_id, "register id"),
            transaction_id=parse_id(forced.released.transaction_id, "transaction id"),
            locked_at=forced.released.locked_at,
        )
        for forced in card.audit
    ]


def record_audit(
    conn: Connection,
    number: str,
    *,
    action: str,
    actor: str,
    at: datetime,
    reason: str | None,
    register_id: uuid.UUID | None = None,
    transaction_id: uuid.UUID | None = None,
    locked_at: datetime | None = None,
) -> uuid.UUID:
    """Append one ``stored_value_audit`` row and return its id: ``action`` ``force_unlock``
    (the released holder's register, transaction and lock time) or ``posting_refused`` (the
    posted transaction and its register)."""
    audit_id = new_id()
    conn.execute(
        insert(audit_t).values(
            id=audit_id,
            number=number[:32],
            action=action,
            actor=actor[:120],
            reason=reason,
            at=at,
            previous_register_id=register_id,
            previous_transaction_id=transaction_id,
            previous_locked_at=locked_at,
        )
    )
    return audit_id
