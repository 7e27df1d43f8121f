"""Gift card and credit memo back office (``Authorization: Bearer <admin token>``; DESIGN §6).

| method | path | what |
|---|---|---|
| GET | ``/api/giftcards?locked=&kind=&after=&limit=`` | cards; ``locked=true``: locked ones, oldest lock first, with owner register (store, number) and age in seconds |
| GET | ``/api/giftcards/{number}`` | one card with its owner and age |
| POST | ``/api/giftcards`` ``{kind, amount_cents, transaction_id?}`` | issue (201), e.g. the demo's per-household cards |
| POST | ``/api/giftcards/{number}/force-unlock`` ``{actor, reason}`` | release any lock; writes an audit row |

Errors as :mod:`kassa.hq.api.realtime_routes` (404 ``giftcard.unknown``, 422
``giftcard.number_invalid`` / ``giftcard.amount_not_positive`` / ``request.invalid``).
"""  # noqa: E501

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from kassa.hq.api.deps import Admin
from kassa.hq.api.realtime_routes import CardOut, Cents, Kind, MovementOut, Service
from kassa.hq.realtime.service import MAX_LISTING
from kassa.http_errors import error_responses

router = APIRouter(prefix="/api/giftcards", tags=["gift cards"], dependencies=[Admin],
                   responses=error_responses(401))


class ListedOut(CardOut):
    """A card with the owner of its lock (``store_id``, ``register_number``) and the lock's
    age in seconds; the three are null when it is not locked."""

    store_id: int | None
    register_number: int | None
    age_s: float | None


class CardsOut(BaseModel):
    cards: list[ListedOut]


class IssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = "gift_card"
    amount_cents: Cents
    transaction_id: uuid.UUID | None = Field(
        None, description="idempotency key; a retry with the same id answers the same card")


class ForceUnlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str = Field(min_length=1, max_length=120, description="who releases the lock")
    reason: str | None = Field(None, max_length=500)


class ForceUnlockOut(CardOut):
    """``released`` False when the card was not locked (no audit row then)."""

    released: bool
    audit_id: uuid.UUID | None
    previous_register_id: uuid.UUID | None
    previous_transaction_id: uuid.UUID | None


@router.get("", response_model=CardsOut, summary="Cards; locked=true lists locks with owner")
def get_cards(
    svc: Service,
    locked: bool | None = None,
    kind: Kind | None = None,
    after: Annotated[str | None, Query(max_length=32, description="last number seen")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTING)] = 100,
) -> Any:
    found = svc.list_cards(locked=locked, kind=kind, after=after, limit=limit)
    return {"cards": [c.to_dict() for c in found]}


@router.get("/{number}", response_model=ListedOut, responses=error_responses(404),
            summary="One card with its lock owner")
def get_card(number: str, svc: Service) -> Any:
    return svc.card(number).to_dict()


@router.post("", response_model=MovementOut, status_code=201, responses=error_responses(409),
             summary="Issue a card from the back office")
def post_card(body: IssueIn, svc: Service) -> Any:
    return svc.issue(body.kind, body.amount_cents, transaction_id=body.transaction_id).to_dict()


@router.post("/{number}/force-unlock", response_model=ForceUnlockOut,
             responses=error_responses(404),
             summary="Release whoever holds the card; writes an audit row")
def post_force_unlock(number: str, body: ForceUnlockIn, svc: Service) -> Any:
    done = svc.force_unlock(number, actor=body.actor, reason=body.reason)
    prev = done.previous
    return {
        **done.card.to_dict(),
        "released": done.released,
        "audit_id": done.audit_id,
        "previous_register_id": prev.register_id if prev else None,
        "previous_transaction_id": prev.transaction_id if prev else None,
    }
