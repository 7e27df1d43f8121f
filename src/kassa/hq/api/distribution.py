"""Store-server-facing endpoints (``Authorization: Bearer <store server token>``; DESIGN §4, §8).

A store server sees only its own channel data group.

* ``GET /api/distribution/packages?after=N&variant=&limit=`` — headers of the group's deltas
  numbered after N, ascending; without ``after``: the snapshot header only (a new target
  starts there, then asks ``after=<its number>``).
* ``GET /api/distribution/packages/{number}/body?variant=&kind=`` — the body bytes
  (``application/octet-stream``).
* ``POST /api/activate {"code"}`` — one-time code of a register of this store → device token.
* ``POST /api/status`` — checkpoints, pending uploads and modes of the store and its
  registers, and their journal breaks (:mod:`kassa.hq.distribution.journal_flags`).

``variant`` is ``channel`` (the store's channel DB: every job) or ``offline`` (registers'
offline DBs: without jobs excluded from offline DBs); headers of a variant verify that
variant's body (:func:`kassa.sync.package.verify_and_decode`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from kassa.hq.api.deps import ClockDep, EngineDep, Store, own_group
from kassa.hq.api.models import (
    MAX_ID,
    MAX_NUMBER,
    ActivateIn,
    ActivateOut,
    HeadersOut,
    StatusIn,
    StatusOut,
)
from kassa.hq.distribution import access, entities, journal_flags, packages
from kassa.hq.distribution.snapshot import snapshot_for
from kassa.hq.posting.cursors import record_store_endpoint
from kassa.http_errors import error_responses

router = APIRouter(prefix="/api", tags=["store server"], responses=error_responses(401))

VariantQ = Annotated[Literal["channel", "offline"], Query(description="channel or offline")]
GroupQ = Annotated[int | None, Query(ge=0, le=MAX_ID,
                                     description="optional; must be the store's own group")]


@router.get(
    "/distribution/packages",
    response_model=HeadersOut,
    responses=error_responses(403, 404),
    summary="Package headers of the store's data group",
)
def get_headers(
    store: Store,
    engine: EngineDep,
    clock: ClockDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_NUMBER, description="the caller's checkpoint")
    ] = None,
    variant: VariantQ = "channel",
    limit: Annotated[int, Query(ge=1, le=packages.MAX_LISTING)] = 100,
    data_group_id: GroupQ = None,
) -> dict[str, Any]:
    group = own_group(store, data_group_id)
    if after is None:
        snap = snapshot_for(engine, group, clock=clock)
        with engine.connect().execution_options(kassa_readonly=True) as conn:
            headers = [packages.get_header(conn, group, snap.number, "snapshot", variant)]
            latest = packages.latest_number(conn, group)
    else:
        with engine.connect().execution_options(kassa_readonly=True) as conn:
            headers = packages.list_deltas(conn, group, after, variant, limit)
            latest = packages.latest_number(conn, group)
    return {"data_group_id": group, "latest_number": latest, "packages": headers}


@router.get(
    "/distribution/packages/{number}/body",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **error_responses(403, 404)},
    summary="The body of one package (bytes)",
)
def get_body(
    number: Annotated[int, Path(ge=0, le=MAX_NUMBER)],
    store: Store,
    engine: EngineDep,
    variant: VariantQ = "channel",
    kind: Annotated[Literal["delta", "snapshot"], Query()] = "delta",
    data_group_id: GroupQ = None,
) -> Response:
    group = own_group(store, data_group_id)
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        body = packages.get_body(conn, group, number, kind, variant)
    return Response(content=body, media_type="application/octet-stream")


@router.post("/activate", response_model=ActivateOut, responses=error_responses(403, 404, 409),
             summary="Activate a register of this store")
def post_activate(
    body: ActivateIn, store: Store, engine: EngineDep, clock: ClockDep
) -> ActivateOut:
    with engine.begin() as conn:
        a = access.activate(conn, store, body.code, clock.now())
    return ActivateOut(
        register_id=a.register_id,
        store_id=a.store_id,
        register_number=a.register_number,
        device_token=a.device_token,
        device_token_hash=a.device_token_hash,
    )


@router.post("/status", response_model=StatusOut, responses=error_responses(403, 404),
             summary="Report sync status to HQ")
def post_status(body: StatusIn, store: Store, engine: EngineDep, clock: ClockDep) -> StatusOut:
    now = clock.now()
    recorded, without = 0, []
    with engine.begin() as conn:
        entities.record_status(
            conn,
            store_id=store.store_id,
            register_id=None,
            checkpoint=body.checkpoint,
            pending_uploads=body.pending_uploads,
            mode=body.mode,
            now=now,
        )
        recorded += 1
        for r in body.registers:
            entity = entities.record_status(
                conn,
                store_id=store.store_id,
                register_id=r.register_id,
                checkpoint=r.checkpoint,
                pending_uploads=r.pending_uploads,
                mode=r.mode,
                now=now,
            )
            if entity is None:
                without.append(r.register_id)
            else:
                recorded += 1
        journal_flags.record_breaks(conn, store.store_id, [  # issue 8 §4
            journal_flags.ReportedBreak(**b.model_dump()) for b in body.journal_breaks], now)
        if body.store_server_url and body.hq_pull_token:
            record_store_endpoint(
                conn, store.store_id, body.store_server_url, body.hq_pull_token, now
            )
    return StatusOut(recorded=recorded, without_entity=without)
