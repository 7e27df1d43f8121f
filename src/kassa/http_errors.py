"""The one place where error classes become HTTP statuses (ARCHITECTURE "Errors").

Every FastAPI app of Kassa calls :func:`install_error_handlers`. A :class:`KassaError`
becomes ``{"error": {"code", "message", "details"}}`` with the status of its class;
request validation errors become 422 with a readable message; anything else becomes a
500 with a generic message (the traceback goes to the server log, never to the client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa.domain import errors as e

log = logging.getLogger("kassa.http")

#: Most specific class first.
STATUS_BY_CLASS: tuple[tuple[type[e.KassaError], int], ...] = (
    (e.CardLocked, 409),
    (e.RuleViolation, 409),
    (e.InvalidInput, 422),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.NotAuthenticated, 401),
    (e.NotAllowed, 403),
    (e.OfflineUnavailable, 409),
    (e.Unavailable, 503),
    (e.PackageError, 422),
    (e.DataFileError, 422),
)


def status_for(error: e.KassaError) -> int:
    """HTTP status for a Kassa error (500 for an unmapped class)."""
    for cls, status in STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 500


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into clear JSON answers."""

    @app.exception_handler(e.KassaError)
    async def _kassa(_: Request, exc: e.KassaError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_for(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body("request.invalid", _describe_validation(exc)), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "auth.required"}.get(
            exc.status_code, "http.error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal", "internal error; the server log has the details"),
            status_code=500,
        )
