"""The store server's HTTP client for HQ (httpx, with deadlines; DESIGN §4, §8).

Every call carries ``Authorization: Bearer <store server token>`` and a deadline
(``timeout_s`` for small calls, :data:`kassa.store.settings.BODY_TIMEOUT_S` for package
bodies). HQ endpoints used (``kassa.hq.api.distribution``):

* ``GET /api/distribution/packages?after=&variant=&limit=`` → ``{"data_group_id",
  "latest_number", "packages": [header, …]}`` (no ``after``: the snapshot header only);
* ``GET /api/distribution/packages/{number}/body?variant=&kind=`` → bytes;
* ``POST /api/activate {"code"}`` → ``{"register_id", "store_id", "register_number",
  "device_token", "device_token_hash"}``;
* ``POST /api/status`` → ``{"recorded", "without_entity"}``.

Errors: no answer in time, refused / reset connection, a broken answer or a 5xx →
:class:`Unavailable` (``hq.unreachable``, ``hq.error``); HQ refusing the store server
token → :class:`Unavailable` ``hq.store_token_rejected`` (a configuration problem of this
server, not the caller's); any other 4xx → the same error class HQ raised (by status) with
HQ's code and message.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from kassa.domain.errors import (
    Conflict,
    InvalidInput,
    KassaError,
    NotAllowed,
    NotFound,
    Unavailable,
)
from kassa.store.settings import BODY_TIMEOUT_S

Variant = Literal["channel", "offline"]
_BY_STATUS: dict[int, type[KassaError]] = {
    403: NotAllowed, 404: NotFound, 409: Conflict, 422: InvalidInput,
}


class HQClient:
    """Calls to one HQ on behalf of one store server. Close with :meth:`close`."""

    def __init__(self, base_url: str, store_token: str, *, timeout_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0))
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {store_token}"},
            timeout=self._timeout,
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _call(self, method: str, path: str, *, timeout: float | None = None,
              **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(
                method, path, timeout=timeout if timeout is not None else self._timeout,
                **kwargs)
        except httpx.TimeoutException as exc:
            raise Unavailable(f"HQ did not answer {method} {path} in time",
                              code="hq.unreachable") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"HQ cannot be reached at {self.base_url}: {exc}",
                              code="hq.unreachable") from exc
        if response.status_code < 400:
            return response
        code, message = _error_of(response)
        if response.status_code == 401:
            raise Unavailable(
                f"HQ refused this store server's token ({message}); check --store-token",
                code="hq.store_token_rejected")
        cls = _BY_STATUS.get(response.status_code)
        if cls is None:
            raise Unavailable(f"HQ answered {response.status_code}: {message}", code="hq.error")
        raise cls(message, code=code)

    def packages(self, after: int | None, variant: Variant, limit: int = 100) -> dict[str, Any]:
        """Headers of the store's data group after ``after`` (None: the snapshot header)."""
        params: dict[str, Any] = {"variant": variant, "limit": limit}
        if after is not None:
            params["after"] = after
        data: dict[str, Any] = self._call(
            "GET", "/api/distribution/packages", params=params).json()
        return data

    def body(self, number: int, kind: str, variant: Variant) -> bytes:
        """The body bytes of one package (checked later against its header)."""
        return self._call(
            "GET", f"/api/distribution/packages/{number}/body",
            params={"variant": variant, "kind": kind},
            timeout=max(BODY_TIMEOUT_S, self._timeout.read or 0),
        ).content

    def activate(self, code: str) -> dict[str, Any]:
        """Relay an activation code; HQ's answer as it is."""
        data: dict[str, Any] = self._call("POST", "/api/activate", json={"code": code}).json()
        return data

    def report_status(self, report: dict[str, Any]) -> dict[str, Any]:
        """Send the status report (:mod:`kassa.store.puller` builds it)."""
        data: dict[str, Any] = self._call("POST", "/api/status", json=report).json()
        return data


def _error_of(response: httpx.Response) -> tuple[str, str]:
    try:
        err = response.json()["error"]
        return str(err["code"]), str(err["message"])
    except (ValueError, KeyError, TypeError):
        return "hq.error", response.text[:200] or f"HTTP {response.status_code}"
