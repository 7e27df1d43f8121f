"""Real-time service endpoints for store servers (``Authorization: Bearer <store server
token>``; DESIGN §6, issue 5 §1). The store server relays its registers' calls
(:mod:`kassa.store.realtime_relay`); the register named in a body must belong to the calling
store (403 ``realtime.other_store``; unknown register 404 ``register.unknown``).

``{kind}`` is ``gift_card`` or ``credit_memo``; ``{number}`` the 16-digit card number.

| method | path | body | answer |
|---|---|---|---|
| POST | ``/api/realtime/{kind}/{number}/lock`` | ``{register_id, transaction_id}`` | card (``balance_cents``) |
| POST | ``/api/realtime/{kind}/{number}/redeem`` | ``{transaction_id, amount_cents, register_id}`` | movement |
| POST | ``/api/realtime/{kind}/{number}/unlock`` | ``{register_id, transaction_id}`` | card + ``released`` |
| GET | ``/api/realtime/{kind}/{number}/balance`` | — | card |
| POST | ``/api/realtime/{kind}/issue`` | ``{amount_cents, transaction_id, register_id, line_id?}`` | movement |
| POST | ``/api/realtime/{kind}/{number}/add`` | ``{amount_cents, transaction_id, register_id}`` | movement |

Errors (``{"error": {"code", "message", "details"}}``): 404 ``giftcard.unknown``; 409
``giftcard.locked`` (names the holder register), ``giftcard.inactive``, ``giftcard.empty``,
``giftcard.insufficient_balance`` (over-tender), ``giftcard.redemption_mismatch`` (same
transaction, other amount), ``giftcard.not_lock_holder``, ``giftcard.max_*``; 422
``giftcard.amount_not_positive``, ``giftcard.number_invalid``, ``money.*``,
``request.invalid``. A refused call changes nothing.
"""  # noqa: E501

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from kassa.hq.api.deps import Store, clock_of, engine_of
from kassa.hq.realtime.service import RealtimeService
from kassa.http_errors import error_responses

router = APIRouter(prefix="/api/realtime", tags=["real-time service"],
                   responses=error_responses(401, 403, 404, 409))

Kind = Literal["gift_card", "credit_memo"]
#: Integer cents on the wire; sign and size are the domain's to judge (422 with its code).
Cents = Annotated[int, Field(strict=True, ge=-(2**53), le=2**53, description="integer cents")]


def service_of(request: Request) -> RealtimeService:
    """The real-time service on the app's engine and clock."""
    return RealtimeService(engine_of(request), clock_of(request))


Service = Annotated[RealtimeService, Depends(service_of)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LockIn(_Body):
    register_id: uuid.UUID
    transaction_id: uuid.UUID


class RedeemIn(_Body):
    transaction_id: uuid.UUID
    amount_cents: Cents
    register_id: uuid.UUID


class AmountIn(_Body):
    amount_cents: Cents
    transaction_id: uuid.UUID
    register_id: uuid.UUID


class IssueIn(AmountIn):
    line_id: uuid.UUID | None = Field(
        None, description="the sale line of the card; makes a second card in one sale a "
        "separate issue (idempotency key: kind, transaction, line)")


class CardOut(BaseModel):
    """A gift card or credit memo; the lock fields are null when it is not locked."""

    number: str
    kind: Kind
    balance_cents: int
    issued_cents: int
    active: bool
    issued_at: datetime
    locked: bool
    holder_register_id: uuid.UUID | None
    holder_transaction_id: uuid.UUID | None
    locked_at: datetime | None


class MovementOut(CardOut):
    """The card after a movement; ``replayed`` = an identical earlier call did it."""

    movement: Literal["issue", "add", "redeem"]
    transaction_id: uuid.UUID
    amount_cents: int
    replayed: bool


class UnlockOut(CardOut):
    """``released`` False when the card was not locked (nothing to do)."""

    released: bool


@router.post("/{kind}/{number}/lock", response_model=CardOut,
             summary="Lock a card for a tender; answers its balance")
def post_lock(kind: Kind, number: str, body: LockIn, store: Store, svc: Service) -> Any:
    return svc.lock(kind, number, register_id=body.register_id,
                    transaction_id=body.transaction_id, store_id=store.store_id).to_dict()


@router.post("/{kind}/{number}/redeem", response_model=MovementOut,
             summary="Redeem and unlock (idempotent by transaction id)")
def post_redeem(kind: Kind, number: str, body: RedeemIn, store: Store, svc: Service) -> Any:
    return svc.redeem_and_unlock(
        kind, number, body.amount_cents, transaction_id=body.transaction_id,
        register_id=body.register_id, store_id=store.store_id).to_dict()


@router.post("/{kind}/{number}/unlock", response_model=UnlockOut,
             summary="Release the lock of this register and transaction (void the tender)")
def post_unlock(kind: Kind, number: str, body: LockIn, store: Store, svc: Service) -> Any:
    done = svc.unlock(kind, number, register_id=body.register_id,
                      transaction_id=body.transaction_id, store_id=store.store_id)
    return {**done.card.to_dict(), "released": done.released}


@router.get("/{kind}/{number}/balance", response_model=CardOut, summary="Balance (operation 519)")
def get_balance(kind: Kind, number: str, store: Store, svc: Service) -> Any:
    return svc.balance(kind, number).to_dict()


@router.post("/{kind}/issue", response_model=MovementOut,
             summary="Issue a card (operation 512; a refund's credit memo)")
def post_issue(kind: Kind, body: IssueIn, store: Store, svc: Service) -> Any:
    return svc.issue(kind, body.amount_cents, transaction_id=body.transaction_id,
                     register_id=body.register_id, line_id=body.line_id,
                     store_id=store.store_id).to_dict()


@router.post("/{kind}/{number}/add", response_model=MovementOut,
             summary="Add to a gift card (operation 520; idempotent by transaction id)")
def post_add(kind: Kind, number: str, body: AmountIn, store: Store, svc: Service) -> Any:
    return svc.add(kind, number, body.amount_cents, transaction_id=body.transaction_id,
                   register_id=body.register_id, store_id=store.store_id).to_dict()
