"""Text no Kassa API accepts: the NUL character (U+0000), refused before any route runs.

PostgreSQL cannot store NUL in a text column (psycopg raises ``DataError`` deep inside a
transaction) and SQLite truncates it in some drivers and indexes, so a NUL in a name,
number or search term would either crash a request (500) or store something other than
what was sent. No real input — a product name, a card number, a query typed by a
cashier — contains it, so every Kassa app refuses it at the door with the same clear
answer as any other invalid input (issue 8 §2, found by schemathesis on PostgreSQL)::

    422 {"error": {"code": "request.invalid",
                   "message": "text must not contain the NUL character (U+0000) …",
                   "details": {"where": "path" | "query" | "body"}}}

:class:`RefuseNulText` is a pure ASGI middleware (no per-request thread hop). It looks at
the decoded path, the raw query string (``%00``), and — for requests with a body — the
whole body once: a raw ``0x00`` byte, a JSON escape ``\\u0000`` (an escape, not an escaped
backslash followed by ``u0000``) or a form-encoded ``%00``. The body it read is handed to
the app unchanged. :func:`kassa.http_errors.install_error_handlers` installs it on every
app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: A JSON ``\u0000`` escape: preceded by an even number (0, 2 …) of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Bodies that are bytes, not text: passed through unread.
_BINARY = (b"multipart/", b"application/octet-stream")
MESSAGE = "text must not contain the NUL character (U+0000)"


def nul_in_body(body: bytes, *, form: bool = False) -> bool:
    """True when a request body carries NUL: a raw ``0x00`` byte, a JSON ``\\u0000``
    escape, or — when ``form`` (``application/x-www-form-urlencoded``) — a ``%00``."""
    return b"\x00" in body or (form and b"%00" in body) or (
        b"\\u0000" in body and _JSON_NUL.search(body) is not None)


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value).lower()
    return b""


def nul_in_target(scope: Scope) -> str | None:
    """``"path"`` or ``"query"`` when the request line carries NUL, else None."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        return "query"
    return None


class RefuseNulText:
    """ASGI middleware answering 422 ``request.invalid`` to any request carrying NUL
    (see the module docstring); other requests reach ``app`` untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = nul_in_target(scope)
        kind = _content_type(scope)
        if where is None and scope.get("method") in _BODY_METHODS and not kind.startswith(
                _BINARY):
            chunks: list[bytes] = []
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            if nul_in_body(body, form=kind.startswith(b"application/x-www-form-urlencoded")):
                where = "body"
            receive = _replay(body, receive)
        if where is None:
            await self.app(scope, receive, send)
        else:
            await _refuse(where, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the already-read body once, then waits on the
    real one (for the disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


async def _refuse(where: str, send: Send) -> None:
    payload = json.dumps({"error": {
        "code": "request.invalid",
        "message": f"{MESSAGE}: remove it from the {where}",
        "details": {"where": where},
    }}).encode()
    await send({"type": "http.response.start", "status": 422, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
    ]})
    await send({"type": "http.response.body", "body": payload})
