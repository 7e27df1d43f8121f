"""Dependencies shared by the HQ routers: the database, the clock and the two kinds of callers
(DESIGN §8).

* Admin: ``Authorization: Bearer <admin token>`` (:func:`kassa.auth.tokens.admin_token`),
  compared in constant time.
* Store server: ``Authorization: Bearer <store server token>``; HQ looks up the store by the
  token's SHA-256 (``stores.server_token_hash``) and the caller may only see that store's
  channel data group.

Missing or malformed header → 401 ``auth.missing_token``; a wrong token → 401
``auth.bad_token`` (mapped by :mod:`kassa.http_errors`).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from kassa.auth.tokens import bearer_token
from kassa.domain.clock import Clock
from kassa.domain.errors import NotAllowed, NotAuthenticated
from kassa.hq.distribution.access import StoreIdentity, store_for_token

_admin_scheme = HTTPBearer(
    auto_error=False, scheme_name="AdminToken", description="the HQ admin token"
)
_store_scheme = HTTPBearer(
    auto_error=False, scheme_name="StoreServerToken", description="a store server's token"
)


def engine_of(request: Request) -> Engine:
    """The HQ engine given to :func:`kassa.hq.app.create_app`."""
    engine: Engine = request.app.state.engine
    return engine


def clock_of(request: Request) -> Clock:
    """The clock given to :func:`kassa.hq.app.create_app`."""
    clock: Clock = request.app.state.clock
    return clock


def _token(request: Request, creds: HTTPAuthorizationCredentials | None) -> str:
    if creds is not None:
        return creds.credentials
    return bearer_token(request.headers.get("authorization"))


def require_admin(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_scheme)]
) -> None:
    """Admin calls only. Raises NotAuthenticated (``auth.missing_token``, ``auth.bad_token``)."""
    token = _token(request, creds)
    expected: str = request.app.state.admin_token
    if not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        raise NotAuthenticated("wrong admin token", code="auth.bad_token")


def require_store(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_store_scheme)]
) -> StoreIdentity:
    """The calling store server. Raises NotAuthenticated (``auth.missing_token``,
    ``auth.bad_token``)."""
    token = _token(request, creds)
    with engine_of(request).connect().execution_options(kassa_readonly=True) as conn:
        return store_for_token(conn, token)


def own_group(store: StoreIdentity, data_group_id: int | None) -> int:
    """The store's data group; asking for another group is refused.

    Raises:
        NotAllowed: code ``distribution.other_group`` (403).
    """
    if data_group_id is not None and data_group_id != store.data_group_id:
        raise NotAllowed(
            f"store {store.store_id} belongs to data group {store.data_group_id} and may not "
            f"read data group {data_group_id}",
            code="distribution.other_group",
        )
    return store.data_group_id


Admin = Depends(require_admin)
Store = Annotated[StoreIdentity, Depends(require_store)]
EngineDep = Annotated[Engine, Depends(engine_of)]
ClockDep = Annotated[Clock, Depends(clock_of)]
