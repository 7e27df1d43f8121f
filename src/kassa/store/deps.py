"""What every store server route shares: the context, register auth and HQ auth (DESIGN §8).

* :class:`StoreContext` — the channel DB engine, settings, clock, cache epoch, parameter
  cache, HQ client and puller of one app (``app.state.ctx``).
* :func:`require_register` — ``Authorization: Bearer <device token>`` → the register
  (:func:`kassa.store.channel.authenticate_register`): missing or malformed header → 401
  ``auth.missing_token``, unknown token → 401 ``auth.bad_token``, a register of another
  store → 403 ``auth.other_store``.
* ``StoreContext.lockout`` — failed operator sign-ins (:mod:`kassa.auth.lockout`).
* :func:`require_hq` — ``Authorization: Bearer <HQ pull token>`` (constant-time compare) for
  the P-job endpoint; wrong → 401 ``auth.bad_token``.

Threads (issue 7): FastAPI runs every plain ``def`` dependency and route in a worker thread,
and each hop costs more CPU than a register's product lookup itself. So the context and the
auth dependencies are ``async`` (the device token check is one indexed read of the channel
DB on the event loop, connection taken and given back without an ``await`` in between), and
the register's hot reads are ``async`` routes that read through :meth:`StoreContext.read`
the same way. Writes and long reads (commit, uploads, packages, search) stay in worker
threads with :data:`ReadConn` or their own transactions.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from kassa.auth.lockout import OperatorLockout
from kassa.auth.tokens import bearer_token
from kassa.domain.clock import Clock
from kassa.domain.errors import NotAuthenticated
from kassa.store.channel import RegisterIdentity, authenticate_register
from kassa.store.hq_client import HQClient
from kassa.store.parameters import CacheEpoch, ParameterCache
from kassa.store.puller import Puller
from kassa.store.settings import StoreSettings

_register_scheme = HTTPBearer(auto_error=False, scheme_name="DeviceToken",
                              description="the register's device token (from activation)")
_hq_scheme = HTTPBearer(auto_error=False, scheme_name="HQPullToken",
                        description="the store server's HQ pull token (P-job)")


@dataclass
class StoreContext:
    """Everything the routes of one store server app use."""

    engine: Engine
    settings: StoreSettings
    clock: Clock
    epoch: CacheEpoch
    parameters: ParameterCache
    hq: HQClient | None
    puller: Puller | None
    #: Operator sign-in lockout (issue 8 §3), made from ``clock``.
    lockout: OperatorLockout = field(init=False)

    def __post_init__(self) -> None:
        self.lockout = OperatorLockout(self.clock)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection of the channel DB (deferred ``BEGIN`` on SQLite), given
        back to the pool when the block ends. Do not ``await`` inside the block."""
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            yield conn


async def context(request: Request) -> StoreContext:
    """The app's :class:`StoreContext` (``async``: no worker thread for an attribute read)."""
    ctx: StoreContext = request.app.state.ctx
    return ctx


Ctx = Annotated[StoreContext, Depends(context)]


def read_conn(ctx: Ctx) -> Iterator[Connection]:
    """A read-only connection (deferred ``BEGIN`` on SQLite) for one request of a route
    that runs in a worker thread."""
    with ctx.read() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(read_conn)]


def _token(request: Request, creds: HTTPAuthorizationCredentials | None) -> str:
    if creds is not None:
        return creds.credentials
    return bearer_token(request.headers.get("authorization"))


async def require_register(
    request: Request,
    ctx: Ctx,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_register_scheme)],
) -> RegisterIdentity:
    """The calling register (module docstring; runs on the event loop)."""
    token = _token(request, creds)
    with ctx.read() as conn:
        return authenticate_register(conn, token, ctx.settings.store_id)


async def require_hq(
    request: Request,
    ctx: Ctx,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_hq_scheme)],
) -> None:
    """HQ with this store server's pull token (module docstring)."""
    token = _token(request, creds)
    if not hmac.compare_digest(token.encode("utf-8"),
                               ctx.settings.hq_pull_token.encode("utf-8")):
        raise NotAuthenticated("wrong HQ pull token", code="auth.bad_token")


Register = Annotated[RegisterIdentity, Depends(require_register)]
HQCaller = Depends(require_hq)
