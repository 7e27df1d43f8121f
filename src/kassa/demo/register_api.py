"""The replay's client of one register's HTTP API (docs/API.md "Register").

One keep-alive ``httpcore`` connection pool per register (one worker thread each), the
operator's session token in ``Authorization: Bearer``, a deadline per call. httpcore is the
transport under httpx, used directly (as :mod:`kassa.pos.store_http` does): httpx's
per-request URL merging and cookie/redirect machinery was most of the replay driver's CPU
(issue 7). Every call answers an
:class:`Answer` — the status and the JSON body, or the error's ``code`` and ``message``
(``{"error": {...}}``, :mod:`kassa.http_errors`) — and never raises for an HTTP error status;
a transport failure (the register process itself not answering) raises
:class:`RegisterUnreachable`.

Each call's wall time is kept (:attr:`RegisterApi.slowest_s`, :attr:`RegisterApi.calls`) so
the report can show the longest a cashier waited, e.g. while the store server was frozen.

:data:`REASONS` names the register's refusals of a scanned line the way the report shows
them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpcore

from kassa.demo.provisioning import RegisterHandle

#: Deadline of one call to a register, seconds: far above the register's own deadline to
#: the store server (``timeout_s`` × retries), so an answer always arrives.
CALL_TIMEOUT_S: Final = 60.0

#: Register error code → rejection reason of a scanned line.
REASONS: Final = {
    "product.not_found": "unknown product",
    "product.no_price": "no shelf price (e.g. fuel below one cent)",
    "quantity.not_positive": "zero quantity",
    "quantity.too_large": "quantity beyond the register's limit",
    "quantity.too_precise": "quantity beyond the register's limit",
    "money.too_large": "amount beyond the register's limit",
    "barcode.invalid": "no valid barcode",
    "discount.exceeds_gross": "discount above the line amount",
}


def reason_for(code: str) -> str:
    """The report's reason for a refused line (``refused: <code>`` when not in REASONS)."""
    return REASONS.get(code, f"refused: {code}")


#: Every error httpcore raises for a request (the register process not answering).
_TRANSPORT_ERRORS: Final = (httpcore.TimeoutException, httpcore.NetworkError,
                            httpcore.ProtocolError, httpcore.UnsupportedProtocol)


class RegisterUnreachable(Exception):
    """The register process did not answer (connection refused, reset, deadline)."""


@dataclass(frozen=True)
class Answer:
    """A register's answer: ``status``, JSON ``body`` (``{}`` when none), error ``code`` and
    ``message`` for a status ≥ 400."""

    status: int
    body: dict[str, Any]
    code: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        """2xx."""
        return self.status < 400

    @property
    def cart(self) -> dict[str, Any]:
        """The ``cart`` of the answer (``{}`` when absent)."""
        cart = self.body.get("cart")
        return cart if isinstance(cart, dict) else {}


class RegisterApi:
    """Calls to one register (module docstring)."""

    def __init__(self, handle: RegisterHandle, timeout_s: float = CALL_TIMEOUT_S) -> None:
        self.handle = handle
        url = urlsplit(handle.url)
        self._scheme = url.scheme.encode()
        self._host = (url.hostname or "127.0.0.1").encode()
        self._port = url.port
        self._timeouts = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"),
                                                   timeout_s)}
        self.http = httpcore.ConnectionPool(max_connections=2, max_keepalive_connections=2)
        self.token = handle.token
        self._auth = [(b"Authorization", f"Bearer {handle.token}".encode())]
        self.calls = 0
        self.slowest_s = 0.0
        self.slow_calls = 0  # calls that took longer than one second

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def set_token(self, token: str) -> None:
        """Use a new session token (after the register restarted and the operator signed in
        again)."""
        self.token = token
        self._auth = [(b"Authorization", f"Bearer {token}".encode())]

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        """One call → :class:`Answer` (with the handle's current session token). Raises
        :class:`RegisterUnreachable`."""
        if self.handle.token != self.token:  # signed in again after a restart
            self.set_token(self.handle.token)
        headers = self._auth
        content = b""
        if body is not None:
            content = json.dumps(body).encode()
            headers = [*headers, (b"Content-Type", b"application/json")]
        url = httpcore.URL(scheme=self._scheme, host=self._host, port=self._port,
                           target=path.encode())
        started = time.perf_counter()
        try:
            response = self.http.request(method.encode(), url, headers=headers,
                                         content=content, extensions=self._timeouts)
        except _TRANSPORT_ERRORS as exc:
            raise RegisterUnreachable(f"register {self.handle.name}: {exc!r}") from exc
        finally:
            took = time.perf_counter() - started
            self.calls += 1
            self.slowest_s = max(self.slowest_s, took)
            self.slow_calls += took > 1.0
        raw = response.content
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {"value": data}
        if response.status < 400:
            return Answer(response.status, data)
        found = data.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        return Answer(response.status, data,
                      str(error.get("code") or f"http.{response.status}"),
                      str(error.get("message") or raw[:200].decode("utf-8", "replace")))

    # -- the cashier's actions --------------------------------------------------------------
    def start(self, customer_id: int | None) -> Answer:
        """Start a transaction (with the loyalty customer)."""
        return self.call("POST", "/api/transactions",
                         None if customer_id is None else {"customer_id": customer_id})

    def scan(self, barcode: str, quantity: int) -> Answer:
        """Add a line by barcode with a quantity."""
        return self.call("POST", "/api/cart/lines",
                         {"barcode": barcode, "quantity": str(quantity)})

    def change_line(self, line_id: str, changes: dict[str, int]) -> Answer:
        """Price override and/or line discount of one line."""
        return self.call("PATCH", f"/api/cart/lines/{line_id}", changes)

    def void_line(self, line_id: str) -> Answer:
        """Void a line."""
        return self.call("DELETE", f"/api/cart/lines/{line_id}")

    def tender(self, kind: str, amount_cents: int, reference: str | None = None) -> Answer:
        """Add a tender."""
        body: dict[str, Any] = {"type": kind, "amount_cents": amount_cents}
        if reference is not None:
            body["reference"] = reference
        return self.call("POST", "/api/cart/tenders", body)

    def void_tender(self, tender_id: str) -> Answer:
        """Void a tender."""
        return self.call("DELETE", f"/api/cart/tenders/{tender_id}")

    def complete(self) -> Answer:
        """Complete the sale."""
        return self.call("POST", "/api/cart/complete")

    def void(self) -> Answer:
        """Void the transaction."""
        return self.call("POST", "/api/cart/void")

    def cart(self) -> Answer:
        """The open cart (``{"cart": record | null}``)."""
        return self.call("GET", "/api/cart")

    def operation_917(self, action: str) -> Answer:
        """Database connection status: ``disconnect`` / ``connect``."""
        return self.call("POST", "/api/operations/917", {"action": action})

    def status(self) -> Answer:
        """Status header and Connection status window."""
        return self.call("GET", "/api/status")
