"""The HQ web application (FastAPI, OpenAPI at ``/openapi.json``, docs at ``/docs``).

:func:`create_app` wires the routers of :mod:`kassa.hq.api` to one HQ database engine, the
admin token and a clock; errors become JSON (:func:`kassa.http_errors.install_error_handlers`).
With ``scheduler_poll_s`` set, a :class:`kassa.hq.distribution.scheduler.Scheduler` runs
interval schedules in the background for the app's lifetime (started and stopped by the
lifespan). Other HQ features add their routers here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine

from kassa.domain.clock import Clock, SystemClock
from kassa.hq.api import (
    admin,
    distribution,
    giftcard_admin_routes,
    posting_routes,
    realtime_routes,
)
from kassa.hq.api.deps import EngineDep
from kassa.hq.api.models import HealthOut
from kassa.hq.distribution.changes import current_counter
from kassa.hq.distribution.scheduler import Scheduler
from kassa.hq.posting import Puller
from kassa.http_errors import install_error_handlers


def create_app(
    engine: Engine,
    *,
    admin_token: str,
    clock: Clock | None = None,
    scheduler_poll_s: float | None = None,
    posting_interval_s: float | None = None,
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """Build the HQ app.

    Args:
        engine: the HQ database, already migrated (:func:`kassa.db.migrate.prepare_database`).
        admin_token: the token admin calls must present (:func:`kassa.auth.tokens.admin_token`).
        clock: time source (default the system clock).
        scheduler_poll_s: when set, run due interval schedules every that many seconds.
        posting_interval_s: when set, run the P-job (pull and post the stores'
            transactions, DESIGN §5) every that many seconds in the background.
        routers: further routers to include (other HQ features), after distribution's.

    Raises:
        ValueError: an empty ``admin_token``.
    """
    if not admin_token:
        raise ValueError("the HQ needs a non-empty admin token")
    clock = clock or SystemClock()
    scheduler = (
        Scheduler(engine, clock=clock, poll_s=scheduler_poll_s) if scheduler_poll_s else None
    )

    puller = Puller(engine, clock=clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if scheduler is not None:
            scheduler.start()
        if posting_interval_s:
            puller.start(posting_interval_s)
        try:
            yield
        finally:
            if posting_interval_s:
                puller.stop()
            if scheduler is not None:
                scheduler.stop()

    app = FastAPI(
        title="Kassa HQ",
        version="1",
        description="Headquarters: master-data distribution to channel and offline databases.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.admin_token = admin_token
    app.state.clock = clock
    app.state.scheduler = scheduler
    app.state.puller = puller
    install_error_handlers(app)
    app.include_router(admin.router)
    app.include_router(distribution.router)
    app.include_router(posting_routes.router)
    app.include_router(realtime_routes.router)
    app.include_router(giftcard_admin_routes.router)
    for router in routers:
        app.include_router(router)

    @app.get("/api/health", response_model=HealthOut, tags=["health"], summary="Liveness")
    def health(engine: EngineDep) -> HealthOut:
        with engine.connect().execution_options(kassa_readonly=True) as conn:
            version = current_counter(conn)
        return HealthOut(status="ok", database="ok", change_version=version)

    return app
