"""The store server's relay of the real-time service: registers' gift card and credit memo
calls go to HQ (DESIGN §2, §6; issue 5 §1: "the store server relays the calls; every call
has the register's deadline").

Routes mirror HQ's (:mod:`kassa.hq.api.realtime_routes`) under ``/api/realtime`` with the
register's device token (``Authorization: Bearer``). The register id sent to HQ is the one
the token proves, **never** one from the body (bodies refuse unknown fields: 422).

| method | path | body | answer (HQ's, as it is) |
|---|---|---|---|
| POST | ``/api/realtime/{kind}/{number}/lock`` | ``{transaction_id}`` | card: ``balance_cents``, lock |
| POST | ``/api/realtime/{kind}/{number}/redeem`` | ``{transaction_id, amount_cents}`` | movement |
| POST | ``/api/realtime/{kind}/{number}/unlock`` | ``{transaction_id}`` | card + ``released`` |
| GET | ``/api/realtime/{kind}/{number}/balance`` | — | card |
| POST | ``/api/realtime/{kind}/issue`` | ``{amount_cents, transaction_id, line_id?}`` | movement |
| POST | ``/api/realtime/{kind}/{number}/add`` | ``{amount_cents, transaction_id}`` | movement |

Deadline: each HQ call gets :data:`DEADLINE_SHARE` of the store's offline profile
``timeout_s`` (channel DB, job 1070), so the store server gives its definite answer before
the register's own deadline runs out. Outcomes (the register's switch, DESIGN §3.1):

* HQ too slow, unreachable, 5xx, or refusing this server's token → **503** ``hq.unreachable``
  / ``hq.error`` / ``hq.store_token_rejected`` (switching: the register may go offline);
  no HQ configured → 503 ``hq.not_configured``;
* a refusal of HQ (404 unknown card, 409 locked / inactive / over-tender / mismatch, 422
  amount, 403 other store) → the same status with HQ's code and message (never switches).

A lock that timed out here may still have been applied at HQ; the register treats a failed
lock like an added-then-lost card and sends the unlock later (DESIGN §6).
"""  # noqa: E501

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final, Literal
from urllib.parse import quote

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from kassa.db import channel_schema as cs
from kassa.domain.errors import Unavailable
from kassa.domain.offline_profile import OfflineProfile
from kassa.http_errors import error_responses
from kassa.store.channel import RegisterIdentity
from kassa.store.deps import Ctx, Register, StoreContext

router = APIRouter(prefix="/api/realtime", tags=["register: gift cards and credit memos"],
                   responses=error_responses(401, 403, 404, 409, 503))

#: Share of the register's ``timeout_s`` the store server waits for HQ.
DEADLINE_SHARE: Final = 0.8
_STORES = cs.metadata.tables["stores"]
_PROFILES = cs.metadata.tables["offline_profiles"]

Kind = Literal["gift_card", "credit_memo"]
Cents = Annotated[int, Field(strict=True, ge=-(2**53), le=2**53, description="integer cents")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransactionIn(_Body):
    transaction_id: uuid.UUID


class RedeemIn(TransactionIn):
    amount_cents: Cents


class AmountIn(TransactionIn):
    amount_cents: Cents


class IssueIn(AmountIn):
    line_id: uuid.UUID | None = None


def deadline_s(ctx: StoreContext, store_id: int) -> float:
    """Seconds this server waits for HQ: :data:`DEADLINE_SHARE` × the store's offline profile
    ``timeout_s`` (the default profile's before the first package)."""
    with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
        timeout = conn.execute(
            select(_PROFILES.c.timeout_s)
            .join(_STORES, _STORES.c.offline_profile_id == _PROFILES.c.id)
            .where(_STORES.c.id == store_id)
        ).scalar_one_or_none()
    return DEADLINE_SHARE * float(timeout if timeout is not None else OfflineProfile().timeout_s)


def relay(
    ctx: StoreContext, register: RegisterIdentity, method: str, path: str,
    body: dict[str, Any] | None = None,
) -> Any:
    """Send one real-time call to HQ for ``register`` and return HQ's JSON answer.

    ``body`` gets ``register_id`` = the authenticated register.

    Raises:
        Unavailable: ``hq.not_configured``, ``hq.unreachable``, ``hq.error``,
            ``hq.store_token_rejected`` (503).
        NotFound, Conflict, InvalidInput, NotAllowed: HQ's refusal with its code.
    """
    if ctx.hq is None:
        raise Unavailable("this store server is not connected to HQ", code="hq.not_configured")
    payload = None if body is None else {**body, "register_id": str(register.id)}
    answer = ctx.hq._call(  # the HQ client's one mapping of HQ errors (module docstring)
        method, path, json=payload, timeout=deadline_s(ctx, register.store_id)
    )
    return answer.json()


def _card(kind: str, number: str, action: str) -> str:
    return f"/api/realtime/{kind}/{quote(number, safe='')}/{action}"


def _json(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude_none=True)


@router.post("/{kind}/{number}/lock", summary="Lock a card for a tender; answers its balance")
def post_lock(kind: Kind, number: str, body: TransactionIn, register: Register,
              ctx: Ctx) -> Any:
    return relay(ctx, register, "POST", _card(kind, number, "lock"), _json(body))


@router.post("/{kind}/{number}/redeem", summary="Redeem and unlock (idempotent by transaction)")
def post_redeem(kind: Kind, number: str, body: RedeemIn, register: Register, ctx: Ctx) -> Any:
    return relay(ctx, register, "POST", _card(kind, number, "redeem"), _json(body))


@router.post("/{kind}/{number}/unlock", summary="Release this transaction's lock")
def post_unlock(kind: Kind, number: str, body: TransactionIn, register: Register,
                ctx: Ctx) -> Any:
    return relay(ctx, register, "POST", _card(kind, number, "unlock"), _json(body))


@router.get("/{kind}/{number}/balance", summary="Balance (operation 519)")
def get_balance(kind: Kind, number: str, register: Register, ctx: Ctx) -> Any:
    return relay(ctx, register, "GET", _card(kind, number, "balance"))


@router.post("/{kind}/issue", summary="Issue a card (operation 512; a refund's credit memo)")
def post_issue(kind: Kind, body: IssueIn, register: Register, ctx: Ctx) -> Any:
    return relay(ctx, register, "POST", f"/api/realtime/{kind}/issue", _json(body))


@router.post("/{kind}/{number}/add", summary="Add to a gift card (operation 520)")
def post_add(kind: Kind, number: str, body: AmountIn, register: Register, ctx: Ctx) -> Any:
    return relay(ctx, register, "POST", _card(kind, number, "add"), _json(body))
