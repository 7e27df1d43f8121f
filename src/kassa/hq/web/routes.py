"""The HQ back office: server-rendered pages for the HQ admin (DESIGN §8; issue 6 §2).

:func:`web_router` builds one ``APIRouter`` (mounted by :func:`kassa.hq.app.create_app`
through its ``routers`` argument) with:

=====================  =====================================================================
page                   what
=====================  =====================================================================
``/login``             sign in with the admin token → session cookie; ``/logout`` (POST)
``/``                  overview: counts, attention needed, links
``/stores``            stores and registers (25 stores a page, filter) with Support offline
``/offline-profiles``  offline profiles: list, edit, new (validated by the domain)
``/parameters``        commerce parameters incl. the two offline-conclusion switches
``/schedules``         distribution schedules with "Run now" and the package list
``/dashboard``         register offline status dashboard (refreshes itself from
                       ``/dashboard.json`` every few seconds)
``/giftcards``         gift cards and credit memos, locks with owner and age, force-unlock
``/sales``             sales per store, register and business day (posting)
``/static/…``          the style sheet and the dashboard's script (no sign-in needed)
=====================  =====================================================================

Every page needs a signed-in session (else 303 to ``/login``); every POST form carries the
session's CSRF token. Handlers parse the request, call the HQ services and render; errors
are shown as messages on the page (:mod:`kassa.hq.web.pages`).
"""

from __future__ import annotations

import hmac
from typing import Final

from fastapi import APIRouter, Request, Response
from sqlalchemy import Engine

from kassa.domain.clock import Clock, SystemClock
from kassa.hq.web import distribution_pages, money_pages, settings_pages, stores_pages
from kassa.hq.web.pages import HERE, SECURITY_HEADERS, Form, WebContext, safe_next
from kassa.hq.web.readmodel import overview
from kassa.hq.web.sessions import COOKIE_NAME, LoginThrottle, Session, SessionStore

#: Static files served under ``/static/`` with their media types.
STATIC: Final = {"hq.css": "text/css", "dashboard.js": "text/javascript"}


def web_router(engine: Engine, admin_token: str, clock: Clock | None = None) -> APIRouter:
    """The back-office router (module docstring).

    Args:
        engine: the HQ database (the same the app serves).
        admin_token: the token the admin signs in with (:func:`kassa.auth.tokens.admin_token`).
        clock: time source for service calls and session expiry (default the system clock).

    Raises:
        ValueError: an empty ``admin_token``.
    """
    if not admin_token:
        raise ValueError("the back office needs a non-empty admin token")
    clock = clock or SystemClock()
    ctx = WebContext(engine, clock, admin_token, SessionStore(clock), LoginThrottle(clock))
    router = APIRouter(route_class=ctx.route_class(), include_in_schema=False)
    _account_routes(router, ctx)
    _static_routes(router)
    for module in (stores_pages, settings_pages, distribution_pages, money_pages):
        module.add_routes(router, ctx)
    return router


def _account_routes(router: APIRouter, ctx: WebContext) -> None:
    @router.get("/login")
    def login_page(request: Request, next: str = "/") -> Response:
        if ctx.sessions.lookup(request.cookies.get(COOKIE_NAME)) is not None:
            return ctx.redirect(safe_next(next))
        return ctx.page(request, "login.html", title="Sign in", next=safe_next(next), error=None)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        token = str(form.get("token") or "").strip()
        nxt = safe_next(str(form.get("next") or "/"))
        client = request.client.host if request.client else "unknown"
        wait = ctx.throttle.wait_s(client)
        error = None
        if wait > 0:
            error = f"Too many wrong tokens. Wait {int(wait) + 1} seconds and try again."
        elif not token:
            error = "Enter the admin token."
        elif not hmac.compare_digest(token.encode("utf-8"), ctx.admin_token.encode("utf-8")):
            ctx.throttle.failed(client)
            error = "That is not the admin token of this HQ."
        if error is not None:
            return ctx.page(
                request, "login.html", title="Sign in", status=401, next=nxt, error=error
            )
        ctx.throttle.succeeded(client)
        session = ctx.sessions.create()
        response = ctx.redirect(nxt)
        response.set_cookie(
            COOKIE_NAME,
            ctx.sessions.cookie_value(session),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @router.get("/logout")
    def logout_page(request: Request, session: Session = ctx.dep_session()) -> Response:
        return ctx.page(request, "logout.html", title="Sign out")

    @router.post("/logout")
    def logout(form: Form = ctx.dep_form()) -> Response:
        ctx.sessions.drop(form.session)
        response = ctx.redirect("/login")
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
        return response

    @router.get("/")
    def home(request: Request, session: Session = ctx.dep_session()) -> Response:
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            counts = overview(conn, ctx.clock.now())
        return ctx.page(request, "overview.html", title="Overview", counts=counts)


def _static_routes(router: APIRouter) -> None:
    files = {name: (HERE / "static" / name).read_bytes() for name in STATIC}

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in files:
            return Response("no such file", status_code=404, media_type="text/plain")
        headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=86400"}
        return Response(files[name], media_type=STATIC[name], headers=headers)
