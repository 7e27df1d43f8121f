"""The register UI's pages: sign-in, the transaction screen, sign-out, static files
(DESIGN §3.6, §7, §8; issue 6 §1).

=======================  ==================================================================
page                     what
=======================  ==================================================================
``GET /``                the transaction screen (signed in; else 303 to ``/sign-in``)
``GET /sign-in``         operator id + password form, under the status header
``POST /sign-in``        sign in (the engine: store server, or the offline DB's hashes)
                         → 303 to ``/`` with the ``kassa_session`` cookie (HttpOnly,
                         SameSite=Strict), or the form again with a readable message
``POST /sign-out``       end the session (the open sale stays) → 303 to ``/sign-in``
``GET /static/…``        the style sheet and the JS modules (:class:`pages.Static`)
=======================  ==================================================================

The transaction screen is rendered once on the server (status header, layout, boot data)
and then driven by the first-party JS modules through the register's JSON API (same origin,
the session cookie). Forms are refused from a foreign ``Origin`` (403). An unexpected error
is a page with a generic message; the traceback goes to the log, never to the browser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from jinja2 import Environment

from kassa.domain.errors import KassaError, NotAuthenticated
from kassa.http_errors import status_for
from kassa.pos.web.pages import (
    COOKIE,
    MEDIA_TYPES,
    SECURITY_HEADERS,
    Static,
    boot_data,
    header_view,
    make_environment,
    redirect,
    render,
)

if TYPE_CHECKING:
    from kassa.pos.runtime import RegisterRuntime
    from kassa.pos.sessions import Session

log = logging.getLogger("kassa.pos.web")

#: Largest accepted sign-in form (bytes).
MAX_FORM_BYTES: Final = 4096
#: Set on the app once the UI is mounted (mounting twice is a no-op).
MOUNTED: Final = "register_ui_mounted"


def mount_register_ui(app: FastAPI) -> FastAPI:
    """Add the register UI's pages to the register app (``app.state.runtime`` must be the
    :class:`~kassa.pos.runtime.RegisterRuntime`, as :func:`kassa.pos.app.create_app` sets
    it). Idempotent; returns ``app``."""
    if getattr(app.state, MOUNTED, False):
        return app
    app.include_router(ui_router(app.state.runtime))
    setattr(app.state, MOUNTED, True)
    return app


def _foreign_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return bool(origin) and origin != "null" and urlsplit(origin).netloc != request.url.netloc


def ui_router(runtime: RegisterRuntime) -> APIRouter:
    """The pages of the module docstring for ``runtime`` (not in the OpenAPI)."""
    static = Static.load()
    env = make_environment(static)
    router = APIRouter(include_in_schema=False)
    _page_routes(router, runtime, env)
    _static_routes(router, static)
    return router


def _current(runtime: RegisterRuntime, request: Request) -> Session | None:
    try:
        return runtime.engine.sessions.get(request.cookies.get(COOKIE))
    except NotAuthenticated:
        return None


def _safely(env: Environment, handler: Callable[[], Response]) -> Response:
    """``handler()``, or the error page when it fails unexpectedly (logged, no traceback
    for the browser)."""
    try:
        return handler()
    except Exception:
        log.exception("register page failed")
        return render(env, "error.html", status=500, title="Something went wrong",
                      message="The register could not show this page. Try again; if it "
                              "keeps failing, restart the register.")


def _page_routes(router: APIRouter, runtime: RegisterRuntime, env: Environment) -> None:
    engine = runtime.engine

    def sign_in_page(status: int = 200, error: str | None = None,
                     operator_id: str = "", notice: str | None = None) -> Response:
        state = runtime.status()
        limit = None
        if not engine.source.online:  # DESIGN §7: sign-in offline uses the offline DB's hashes
            limit = next((op["reason"] for op in engine.operations() if op["id"] == 700), None)
        return render(env, "sign_in.html", status=status, title="Sign in",
                      head=header_view(state), status_json=state, error=error,
                      operator_id=operator_id, notice=notice, limit=limit)

    @router.get("/")
    def register_page(request: Request) -> Response:
        def show() -> Response:
            if _current(runtime, request) is None:
                return redirect("/sign-in")
            boot = boot_data(runtime)
            return render(env, "register.html", title="Sale", head=header_view(boot["status"]),
                          boot=boot)
        return _safely(env, show)

    @router.get("/sign-in")
    def sign_in_form(request: Request, ended: int = 0) -> Response:
        def show() -> Response:
            if _current(runtime, request) is not None:
                return redirect("/")
            notice = "Your session has ended. Sign in again." if ended else None
            return sign_in_page(notice=notice)
        return _safely(env, show)

    @router.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        if _foreign_origin(request):
            return render(env, "error.html", status=403, title="Refused",
                          message="This form must be sent from the register's own page.")
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            return await run_in_threadpool(sign_in_page, 413, "The form is too large.")
        form = await request.form(max_files=0, max_fields=10)
        operator_id = str(form.get("operator_id") or "").strip()
        password = str(form.get("password") or "")
        if not operator_id or not password:
            return await run_in_threadpool(
                sign_in_page, 422, "Enter your operator id and your password.", operator_id)
        try:
            session = await run_in_threadpool(engine.sign_in, operator_id, password)
        except KassaError as exc:
            message = exc.message
            if isinstance(exc, NotAuthenticated):
                message = "Wrong operator id or password."
            return await run_in_threadpool(sign_in_page, status_for(exc), message, operator_id)
        except Exception:
            log.exception("sign-in failed")
            return await run_in_threadpool(
                sign_in_page, 500, "The register could not sign you in. Try again.",
                operator_id)
        response = redirect("/")
        response.set_cookie(COOKIE, session.token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
        return response

    @router.post("/sign-out")
    def sign_out(request: Request) -> Response:
        if _foreign_origin(request):
            return render(env, "error.html", status=403, title="Refused",
                          message="This form must be sent from the register's own page.")
        session = _current(runtime, request)
        if session is not None:
            try:
                engine.sign_out(session)
            except KassaError as exc:  # sign-out is allowed in every mode; keep it safe
                log.warning("sign-out refused: %s", exc.message)
        response = redirect("/sign-in")
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response


def _static_routes(router: APIRouter, static: Static) -> None:
    @router.get("/static/{version}/{name}")
    def static_file(version: str, name: str) -> Response:
        body = static.files.get(name)
        if body is None:
            return Response("no such file", status_code=404, media_type="text/plain",
                            headers=SECURITY_HEADERS)
        cache = ("public, max-age=31536000, immutable" if version == static.version
                 else "no-cache")
        headers: dict[str, Any] = {**SECURITY_HEADERS, "Cache-Control": cache}
        return Response(body, media_type=MEDIA_TYPES[name], headers=headers)
