"""The store server web application (FastAPI; OpenAPI at ``/openapi.json``, docs at ``/docs``).

:func:`create_app` wires the routers to one channel database, the store's settings and a
clock. With ``settings.hq_url`` set, it holds an :class:`~kassa.store.hq_client.HQClient`
and (``start_puller``) a :class:`~kassa.store.puller.Puller` started and stopped by the app's
lifespan; every package the puller applies bumps the cache epoch, so a changed commerce
parameter is effective on the next request.

Routes (docs/API.md "Store server"): ``GET /api/health`` and ``POST /api/activate`` (no
auth) here; register routes in :mod:`kassa.store.routes_catalogue` and
:mod:`kassa.store.routes_sync`; HQ's P-job route in :mod:`kassa.store.routes_sync`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kassa.auth.tokens import token_hash
from kassa.domain.clock import Clock, SystemClock
from kassa.domain.errors import Unavailable
from kassa.http_errors import error_responses, install_error_handlers
from kassa.store import channel, realtime_relay, routes_catalogue, routes_sync
from kassa.store.deps import Ctx, StoreContext
from kassa.store.hq_client import HQClient
from kassa.store.models import ActivateIn, ActivateOut, HealthOut
from kassa.store.parameters import CacheEpoch, ParameterCache
from kassa.store.puller import Puller
from kassa.store.settings import StoreSettings
from kassa.sync.apply import read_checkpoint

log = logging.getLogger("kassa.store")


def create_app(
    engine: Engine,
    settings: StoreSettings,
    *,
    clock: Clock | None = None,
    start_puller: bool = True,
    hq_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """Build the store server app.

    Args:
        engine: the channel DB, migrated (``prepare_database(url, "channel")``).
        settings: store id, secrets, HQ location and intervals.
        clock: time source (default the system clock).
        start_puller: run the background puller while the app runs (needs ``hq_url``).
        hq_transport: an httpx transport for the HQ client (e.g. in-process ASGI).
    """
    clock = clock or SystemClock()
    epoch = CacheEpoch()
    hq = (
        HQClient(settings.hq_url, settings.store_token or "", timeout_s=settings.hq_timeout_s,
                 transport=hq_transport)
        if settings.hq_url else None
    )
    puller = (
        Puller(engine, settings, hq, clock=clock, on_applied=epoch.bump) if hq is not None
        else None
    )
    ctx = StoreContext(engine, settings, clock, epoch, ParameterCache(epoch), hq, puller)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if puller is not None and start_puller:
            puller.start()
        try:
            yield
        finally:
            if puller is not None:
                puller.stop()
            if hq is not None:
                hq.close()

    app = FastAPI(
        title=f"Kassa store server — store {settings.store_id}",
        version="1",
        description="The store's API for its registers (catalogue, sales, packages) and "
        "HQ's transaction pull, backed by the channel database.",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.include_router(routes_catalogue.router)
    app.include_router(routes_sync.router)
    app.include_router(routes_sync.hq_router)
    app.include_router(realtime_relay.router)

    @app.get("/api/health", response_model=HealthOut, tags=["health"],
             responses=error_responses(503),
             summary="Liveness probe of the switch (no auth)")
    async def health(ctx: Ctx) -> dict[str, Any]:  # one row read: on the event loop
        try:
            with ctx.read() as conn:
                checkpoint = read_checkpoint(conn)
        except SQLAlchemyError as exc:
            raise Unavailable("the channel database is not available",
                              code="store.database_unavailable") from exc
        last = ctx.puller.last if ctx.puller is not None else None
        return {"status": "ok", "store_id": ctx.settings.store_id, "checkpoint": checkpoint,
                "last_pull": None if last is None else last.to_dict()}

    @app.post("/api/activate", response_model=ActivateOut, tags=["register: activation"],
              responses=error_responses(403, 404, 409, 503),
              summary="Activate a register with a one-time code (relayed to HQ; no auth)")
    def activate(body: ActivateIn, ctx: Ctx) -> dict[str, Any]:
        if ctx.hq is None:
            raise Unavailable("this store server is not connected to HQ",
                              code="hq.not_configured")
        answer = ctx.hq.activate(body.code)
        register_id, token = answer["register_id"], answer["device_token"]
        rid = uuid.UUID(str(register_id))
        with ctx.engine.begin() as conn:
            known = channel.set_device_token_hash(conn, rid, token_hash(token))
        if not known and ctx.puller is not None:
            ctx.puller.wake()  # the register row comes with the next package
        return {"register_id": rid, "store_id": answer["store_id"],
                "register_number": answer["register_number"], "device_token": token}

    return app
