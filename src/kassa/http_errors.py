"""The one place where error classes become HTTP statuses (ARCHITECTURE "Errors").

Every FastAPI app of Kassa calls :func:`install_error_handlers`. A :class:`KassaError`
becomes ``{"error": {"code", "message", "details"}}`` with the status of its class;
request validation errors become 422 with a readable message; anything else becomes a
500 with a generic message (the traceback goes to the server log, never to the client).

:class:`ErrorBody` is that body as a model and :func:`error_responses` documents it in the
OpenAPI (``responses=error_responses(401, 404)`` on a router or route); the 422 that FastAPI
documents by itself (``{"detail": [...]}``) is rewritten to :class:`ErrorBody` too, since
:func:`install_error_handlers` answers request validation errors with it.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kassa.domain import errors as e
from kassa.http_text import RefuseNulText

log = logging.getLogger("kassa.http")

#: Most specific class first.
STATUS_BY_CLASS: tuple[tuple[type[e.KassaError], int], ...] = (
    (e.CardLocked, 409),
    (e.RuleViolation, 409),
    (e.InvalidInput, 422),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.LockedOut, 429),
    (e.NotAuthenticated, 401),
    (e.NotAllowed, 403),
    (e.OfflineUnavailable, 409),
    (e.Unavailable, 503),
    (e.PackageError, 422),
    (e.DataFileError, 422),
)


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine code, e.g. giftcard.locked")
    message: str = Field(description="what went wrong, for people")
    details: dict[str, Any] = Field(description="facts of the error (may be empty)")


class ErrorBody(BaseModel):
    """Every error answer of every Kassa app."""

    error: ErrorDetail


#: What each error status means in Kassa (the classes of :data:`STATUS_BY_CLASS`).
ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "Not authenticated: missing, malformed or unknown token",
    403: "Not allowed for this caller",
    404: "Unknown",
    409: "Conflict with the current state or a business rule",
    422: "Invalid input",
    429: "Locked out after too many failed sign-ins; retry after details.retry_after_s",
    503: "Unavailable (a dependency cannot be reached); retry later",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error ``statuses``, each with :class:`ErrorBody`."""
    return {
        status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


def status_for(error: e.KassaError) -> int:
    """HTTP status for a Kassa error (500 for an unmapped class)."""
    for cls, status in STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return 500


#: The answer when a write failed because the disk is full (SQLite ``SQLITE_FULL``).
DISK_FULL_MESSAGE = ("the disk of this server's database is full: nothing of this request was "
                     "saved (the open sale is kept); free disk space and try again")


def disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" (``SQLITE_FULL``), raw or wrapped by
    SQLAlchemy: the write was rolled back as a whole."""
    orig = getattr(exc, "orig", None) or exc
    return isinstance(orig, sqlite3.OperationalError) and (
        getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or "database or disk is full" in str(orig))


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _document_validation_errors(schema: dict[str, Any]) -> None:
    """Point every 422 FastAPI documents by itself (``HTTPValidationError``) at
    :class:`ErrorBody`, the body :func:`install_error_handlers` really answers."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in body.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault("ErrorBody", body)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            content = answer.get("content", {}).get("application/json", {})
            if str(content.get("schema", {}).get("$ref", "")).endswith("/HTTPValidationError"):
                content["schema"] = {"$ref": "#/components/schemas/ErrorBody"}
                answer["description"] = ERROR_DESCRIPTIONS[422]
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into clear JSON answers, and document their
    422 body in the app's OpenAPI."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document_validation_errors(FastAPI.openapi(app))
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(RefuseNulText)  # NUL in any text: 422 request.invalid (kassa.http_text)

    @app.exception_handler(e.KassaError)
    async def _kassa(_: Request, exc: e.KassaError) -> JSONResponse:
        retry = exc.details.get("retry_after_s") if isinstance(exc, e.LockedOut) else None
        headers = {"Retry-After": str(retry)} if isinstance(retry, int) else None
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_for(exc),
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            error_body("request.invalid", _describe_validation(exc)), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "There was an error parsing the body" (e.g. not UTF-8): invalid input,
            # like a body that is not JSON at all (422 request.invalid).
            return JSONResponse(error_body("request.invalid", str(exc.detail)), status_code=422)
        code = {404: "not_found", 405: "method_not_allowed", 401: "auth.required"}.get(
            exc.status_code, "http.error"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(OperationalError)
    async def _storage(request: Request, exc: OperationalError) -> JSONResponse:
        if disk_full(exc):  # issue 8 §1: a clear answer, not "internal error"
            log.error("disk full on %s %s: %s", request.method, request.url.path, exc.orig)
            return JSONResponse(error_body("storage.full", DISK_FULL_MESSAGE), status_code=507)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal", "internal error; the server log has the details"),
            status_code=500,
        )
