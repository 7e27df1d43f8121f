"""Register-facing writes and sync, and HQ's P-job pull (docs/API.md "Store server";
DESIGN §4, §5).

* ``POST /api/transactions`` — commit one finished transaction (idempotent by id);
* ``POST /api/uploads`` — a batch of offline transactions;
* ``GET /api/packages?after=N`` / ``GET /api/packages/{number}/body?kind=`` — packages for
  the register's offline DB (offline variant, :mod:`kassa.store.served`);
* ``POST /api/status`` — the register's sync status (``register_status``);
* ``GET /api/hq/transactions?after=SEQ&limit=N`` — HQ's P-job (HQ pull token).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response

from kassa.http_errors import error_responses
from kassa.store import channel, journal, served, transactions
from kassa.store.deps import Ctx, HQCaller, ReadConn, Register
from kassa.store.models import (
    CommitOut,
    HQTransactionsOut,
    PackagesOut,
    StatusIn,
    StatusOut,
    UploadIn,
    UploadOut,
)
from kassa.sync.apply import read_group

router = APIRouter(prefix="/api", tags=["register: sales and sync"],
                   responses=error_responses(401, 403))
hq_router = APIRouter(prefix="/api/hq", tags=["HQ: P-job"], responses=error_responses(401))
#: Largest checkpoint or cursor accepted (BigInteger).
MAX_CURSOR = 2**63 - 1


@router.post("/transactions", response_model=CommitOut,
             summary="Commit a finished transaction (insert-or-ignore by id)")
def post_transaction(
    register: Register,
    ctx: Ctx,
    record: Annotated[dict[str, Any], Body(description="Transaction.to_record(), format 1")],
) -> dict[str, Any]:
    return transactions.commit(ctx.engine, register, record, ctx.clock.now())


@router.post("/uploads", response_model=UploadOut,
             summary="Upload offline transactions; duplicates are acknowledged")
def post_uploads(body: UploadIn, register: Register, ctx: Ctx) -> dict[str, Any]:
    return transactions.upload(ctx.engine, register, list(body.transactions), ctx.clock.now())


@router.get("/packages", response_model=PackagesOut,
            summary="Package headers for the register's offline DB")
def get_packages(
    register: Register,
    conn: ReadConn,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_CURSOR, description="the register's checkpoint")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=served.MAX_LISTING)] = 100,
) -> dict[str, Any]:
    group = read_group(conn)
    if group is None:
        return {"packages": []}
    return {"packages": served.listing(conn, group, after, limit)}


@router.get(
    "/packages/{number}/body",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **error_responses(404)},
    summary="The body of one package (offline variant, bytes)",
)
def get_package_body(
    number: Annotated[int, Path(ge=0, le=2**62)],
    register: Register,
    conn: ReadConn,
    kind: Annotated[Literal["delta", "snapshot"], Query()] = "delta",
) -> Response:
    group = read_group(conn)
    header, body = served.body(conn, -1 if group is None else group, number, kind)
    return Response(content=body, media_type="application/octet-stream",
                    headers={"X-Kassa-Package-Sha256": str(header["sha256"])})


@router.post("/status", response_model=StatusOut, summary="Report the register's sync status")
def post_status(body: StatusIn, register: Register, ctx: Ctx) -> dict[str, Any]:
    now = ctx.clock.now()
    with ctx.engine.begin() as conn:
        channel.record_register_status(
            conn, register, checkpoint=body.checkpoint, pending_uploads=body.pending_uploads,
            mode=body.mode, now=now, reported_at=body.reported_at,
        )
        journal.settle(conn, register, body.pending_uploads)  # issue 8 §4
    return {"register_id": register.id, "recorded_at": now}


@hq_router.get("/transactions", response_model=HQTransactionsOut, dependencies=[HQCaller],
               summary="Transactions after a cursor, in commit order (P-job)")
def get_hq_transactions(
    conn: ReadConn,
    after: Annotated[
        int, Query(ge=0, le=MAX_CURSOR, description="HQ's cursor: last seq it posted")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=transactions.MAX_HQ_BATCH)] = 500,
) -> dict[str, Any]:
    return transactions.hq_batch(conn, after, limit)

