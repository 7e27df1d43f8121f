"""HQ listings of gift cards and credit memos (DESIGN §6: "HQ lists locked cards with owner
and age"): each card with the store and number of the register holding its lock and the
lock's age in seconds at ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from kassa.db import hq_schema as s
from kassa.db.hq_giftcard_schema import stored_value_cards as cards_t
from kassa.domain.giftcard import CardKind
from kassa.hq.realtime.cards import CardState, state_of

#: Most cards one listing returns.
MAX_LISTING = 1000


@dataclass(frozen=True)
class Listed:
    """A card in an HQ listing with its owner (store, register number) and lock age."""

    card: CardState
    store_id: int | None
    register_number: int | None
    age_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.card.to_dict(),
            "store_id": self.store_id,
            "register_number": self.register_number,
            "age_s": self.age_s,
        }


def list_cards(
    conn: Connection, *, now: datetime, locked: bool | None = None,
    kind: CardKind | None = None, after: str | None = None, limit: int = 100,
    number: str | None = None,
) -> list[Listed]:
    """Cards by number (after ``after``), with owner register and lock age in seconds.

    ``locked=True`` lists only locked cards, oldest lock first (DESIGN §6: "HQ lists locked
    cards with owner and age"); ``False`` only unlocked ones; None all, by number.
    """
    c, r = cards_t.c, s.registers.c
    query = select(cards_t, r.store_id, r.number.label("register_number")).outerjoin(
        s.registers, r.id == c.holder_register_id
    )
    if locked is True:
        query = query.where(c.holder_register_id.is_not(None)).order_by(c.locked_at, c.number)
    else:
        if locked is False:
            query = query.where(c.holder_register_id.is_(None))
        query = query.order_by(c.number)
    if kind is not None:
        query = query.where(c.kind == kind.value)
    if after is not None:
        query = query.where(c.number > after)
    if number is not None:
        query = query.where(c.number == number)
    rows = conn.execute(query.limit(max(1, min(limit, MAX_LISTING)))).mappings().all()
    out = []
    for row in rows:
        st = state_of(row)
        age = None if st.holder is None else round(
            (now - st.holder.locked_at).total_seconds(), 1
        )
        out.append(Listed(st, row["store_id"], row["register_number"], age))
    return out
