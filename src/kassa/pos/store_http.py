"""HTTP to the store server with the request policy of DESIGN §3.1.

:class:`StoreHttp` sends one logical request as ``1 + retry_count_to_offline`` attempts, each
with httpx timeouts of ``timeout_s`` seconds (connect, write, pool and every read), and maps
what went wrong:

===============================================  ==========================================
outcome                                          raised
===============================================  ==========================================
``httpx.TimeoutException`` (any phase)           :class:`StoreUnreachable` ``TIMEOUT``
``httpx.ConnectError`` (refused, no route)       :class:`StoreUnreachable` ``REFUSED``
``ReadError``/``WriteError``/``RemoteProtocol``  :class:`StoreUnreachable` ``RESET``
status 502 / 503 / 504                           :class:`StoreUnreachable` ``BAD_GATEWAY_5XX``
status 4xx                                       the :class:`KassaError` the server described
other status >= 500                              :class:`Unavailable` ``store.server_error``
===============================================  ==========================================

Only :class:`StoreUnreachable` may switch the register offline; a 4xx never does (§3.1). A
cashier waits at most ``(1 + retry_count_to_offline) * timeout_s`` seconds (plus the time a
server that trickles bytes takes between reads, not a case of the loopback tests).

Requests go through an ``httpcore`` connection pool (keep-alive, thread-safe) — the
transport under httpx, without httpx's per-request URL merging, cookie and redirect
machinery, which cost the register half of a store call's CPU on the sale path (issue 7).
The transport errors above are httpx's and httpcore's classes alike.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import httpcore
import httpx

from kassa.domain import errors as e
from kassa.domain.offline_profile import (
    FailureKind,
    RetryPolicy,
    classify_http_status,
    failure_text,
)

#: HTTP status → the error class a 4xx answer becomes on the register.
_CLASS_BY_STATUS: dict[int, type[e.KassaError]] = {
    400: e.InvalidInput, 401: e.NotAuthenticated, 403: e.NotAllowed, 404: e.NotFound,
    409: e.Conflict, 422: e.InvalidInput, 429: e.Unavailable,
}


#: Characters a request path keeps as they are (anything else is percent-encoded, as httpx
#: did; an already quoted path is unchanged).
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"


class StoreUnreachable(e.Unavailable):
    """The store server could not be reached or answered 502/503/504 (DESIGN §3.1).

    Attributes:
        kind: the switch's :class:`FailureKind`.
        detail: short technical text (exception class, status) for the status window.
    """

    default_code = "store.unreachable"

    def __init__(self, kind: FailureKind, detail: str = "") -> None:
        text = failure_text(kind) + (f" ({detail})" if detail else "")
        super().__init__(text, details={"kind": kind.value, "detail": detail})
        self.kind = kind
        self.detail = detail


#: Every error httpcore raises for a request.
_TRANSPORT_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                     httpcore.ProxyError, httpcore.UnsupportedProtocol)
#: Transport errors that mean "the connection broke" (httpx and httpcore classes).
_RESET = (httpx.TransportError, *_TRANSPORT_ERRORS)


def classify_exception(exc: Exception) -> FailureKind | None:
    """The :class:`FailureKind` of a transport error (httpx or httpcore), ``None`` for errors
    that are no outage (e.g. an invalid URL)."""
    if isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException):
        return FailureKind.TIMEOUT
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
        return FailureKind.REFUSED
    if isinstance(exc, _RESET):
        return FailureKind.RESET
    return None


class Answer(Protocol):
    """What :func:`error_from_answer` reads of an HTTP answer (httpx.Response or
    :class:`StoreAnswer`)."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    def json(self) -> Any:
        """The JSON body. Raises ValueError when it is none."""
        ...


@dataclass(frozen=True, slots=True)
class StoreAnswer:
    """A store server answer: ``status_code``, ``headers`` (lower-case names), ``content``
    (the body, bytes) and the request ``path`` (for messages)."""

    status_code: int
    headers: dict[str, str]
    content: bytes
    path: str

    def json(self) -> Any:
        """The body as JSON. Raises ValueError (``json.JSONDecodeError``) when it is not."""
        return json.loads(self.content)


def error_from_answer(response: Answer) -> e.KassaError:
    """The :class:`KassaError` a non-2xx, non-switching answer describes.

    The store server answers ``{"error": {"code", "message", "details"}}``; the code and
    message are kept, the class follows the status (404 → NotFound, 409 → Conflict, …).
    """
    status = response.status_code
    code, message = f"store.http_{status}", f"store server answered {status}"
    details: dict[str, Any] = {}
    try:
        body = response.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            code = str(err.get("code") or code)
            message = str(err.get("message") or message)
            found = err.get("details")
            details = found if isinstance(found, dict) else {}
    except (ValueError, UnicodeDecodeError):
        pass
    if status >= 500:
        return e.Unavailable(message, code="store.server_error",
                             details={"status": status, "store_code": code})
    cls = _CLASS_BY_STATUS.get(status, e.InvalidInput)
    if cls is e.Conflict and code.startswith(("transaction.", "tender.", "rule.")):
        cls = e.RuleViolation
    elif status == 429 and code == "auth.locked_out":  # operator lockout (issue 8 §3)
        cls = e.LockedOut
    return cls(message, code=code, details=details)


class StoreHttp:
    """A thread-safe HTTP client of one store server for one register.

    Args:
        base_url: ``http://host:port`` of the store server.
        device_token: the register's device token (``Authorization: Bearer``), or ``None``
            before activation.
        policy: the request policy (``timeout_s`` seconds per attempt, retries).
    """

    def __init__(self, base_url: str, device_token: str | None, policy: RetryPolicy) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = device_token
        self._policy = policy
        self._lock = threading.Lock()
        url = urlsplit(self.base_url)
        self._scheme = (url.scheme or "http").encode("ascii")
        self._host = (url.hostname or "127.0.0.1").encode("ascii")
        self._port = url.port
        self._prefix = url.path.rstrip("/")
        self._headers = [(b"Host", url.netloc.encode("ascii")),
                         (b"Accept", b"application/json"), (b"User-Agent", b"kassa-register")]
        if device_token:
            self._headers.append((b"Authorization", f"Bearer {device_token}".encode()))
        self._pool = httpcore.ConnectionPool(max_connections=8, max_keepalive_connections=4)

    @property
    def policy(self) -> RetryPolicy:
        """The request policy in force."""
        return self._policy

    def set_policy(self, policy: RetryPolicy) -> None:
        """Use ``policy`` for later requests (a new offline profile arrived)."""
        with self._lock:
            self._policy = policy

    def close(self) -> None:
        """Close pooled connections."""
        self._pool.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        attempts: int | None = None,
        timeout_s: float | None = None,
    ) -> StoreAnswer:
        """Send a request with the policy; return the 2xx answer (``.content`` bytes,
        ``.headers``, ``.json()``).

        Args:
            path: the path below the base URL, already URL-quoted.
            json_body: sent as JSON when not ``None``. params: the query string.
            attempts: override ``1 + retry_count_to_offline`` (e.g. 1 for a probe).
            timeout_s: override the per-attempt deadline in seconds.

        Raises:
            StoreUnreachable: every attempt failed with a switching failure (the last kind).
            KassaError: a 4xx answer (its class and code), or ``store.server_error``;
                Unavailable ``store.bad_request`` for a request that cannot be sent.
        """
        policy = self._policy
        tries = attempts if attempts is not None else policy.attempts
        deadline = float(timeout_s if timeout_s is not None else policy.per_attempt_deadline_s)
        target = quote(self._prefix + path, safe=_PATH_SAFE)
        target += f"?{urlencode(params)}" if params else ""
        url = httpcore.URL(scheme=self._scheme, host=self._host, port=self._port,
                           target=target.encode("ascii"))
        headers = list(self._headers)
        content = b""
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"),
                                 allow_nan=False).encode("utf-8")
            headers.append((b"Content-Type", b"application/json"))
        if content or method in ("POST", "PUT", "PATCH"):
            headers.append((b"Content-Length", str(len(content)).encode("ascii")))
        timeouts = {"timeout": {"connect": deadline, "read": deadline, "write": deadline,
                                "pool": deadline}}
        last: StoreUnreachable | None = None
        for _ in range(max(1, tries)):
            try:
                raw = self._pool.request(method, url, headers=headers, content=content,
                                         extensions=timeouts)
            except _TRANSPORT_ERRORS as exc:
                kind = classify_exception(exc)
                if kind is None:
                    raise e.Unavailable(f"cannot reach the store server: {exc!r}",
                                        code="store.bad_request") from exc
                last = StoreUnreachable(kind, type(exc).__name__)
                continue
            status = raw.status
            switching = classify_http_status(status)
            if switching is not None:
                last = StoreUnreachable(switching, f"HTTP {status}")
                continue
            answer = StoreAnswer(status, {k.decode("latin-1").lower(): v.decode("latin-1")
                                          for k, v in raw.headers}, raw.content, path)
            if status >= 400:
                raise error_from_answer(answer)
            return answer
        assert last is not None
        raise last

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """``request("GET", path)`` and decode the JSON body.

        Raises:
            as :meth:`request`; InvalidInput ``store.bad_answer`` for a body that is not JSON.
        """
        return _json(self.request("GET", path, **kwargs))

    def post_json(self, path: str, body: Any, **kwargs: Any) -> Any:
        """``request("POST", path, json_body=body)`` and decode the JSON answer."""
        return _json(self.request("POST", path, json_body=body, **kwargs))

    def probe(self, deadline_s: float) -> tuple[bool, str | None]:
        """One ``GET /api/health`` within ``deadline_s`` seconds: ``(ok, error text)``.

        Never raises: any failure is ``(False, reason)`` (DESIGN §3.2-§3.4 probes).
        """
        try:
            body = self.get_json("/api/health", attempts=1, timeout_s=deadline_s)
        except e.KassaError as exc:
            return False, exc.message
        if isinstance(body, dict) and body.get("status") == "ok":
            return True, None
        return False, f"unexpected health answer {body!r}"[:200]


def _json(response: StoreAnswer) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise e.InvalidInput(f"the store server sent no JSON for {response.path}",
                             code="store.bad_answer") from exc
