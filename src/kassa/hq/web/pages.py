"""The machinery every back-office page shares: templates, sign-in and CSRF checks, errors
as pages (DESIGN §8 "Web pages"; issue 6 §2).

* :class:`WebContext` holds the HQ engine, the clock, the admin token, the session store and
  the Jinja2 environment (``templates/``, autoescaped). :meth:`WebContext.page` renders a
  template inside the layout with the signed-in session's CSRF token and flash messages, and
  the security headers (CSP without inline script, no framing, ``no-store``).
* Dependencies: :meth:`WebContext.session` (a signed-in session or :class:`LoginRequired`)
  and :meth:`WebContext.form` (the POSTed form after the CSRF token, the size and the
  ``Origin`` were checked, else :class:`CsrfRefused`).
* :meth:`WebContext.route_class` — an ``APIRoute`` whose handler turns every error into a
  page: not signed in → 303 to ``/login?next=…`` (401 JSON for ``*.json``), a
  :class:`KassaError` → its message with the status of its class, a bad address parameter →
  422, a database error → 503, anything else → 500 with a generic message; the traceback goes
  to the log, never to the browser.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kassa.domain.clock import Clock
from kassa.domain.errors import KassaError
from kassa.domain.money import format_money, from_cents
from kassa.hq.web.sessions import COOKIE_NAME, LoginThrottle, Session, SessionStore
from kassa.http_errors import error_body, status_for

log = logging.getLogger("kassa.hq.web")

HERE: Final = Path(__file__).resolve().parent
#: Largest accepted form body (bytes).
MAX_FORM_BYTES: Final = 64 * 1024
#: (path, label) of the navigation, in order.
NAV: Final = (
    ("/", "Overview"),
    ("/stores", "Stores & registers"),
    ("/offline-profiles", "Offline profiles"),
    ("/parameters", "Commerce parameters"),
    ("/schedules", "Schedules & packages"),
    ("/dashboard", "Offline status"),
    ("/giftcards", "Gift cards"),
    ("/sales", "Sales"),
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """No live session: the browser goes to ``/login?next=<path>``."""

    def __init__(self, next_path: str = "/") -> None:
        super().__init__("sign in first")
        self.next_path = next_path


class CsrfRefused(Exception):
    """A POST without this session's CSRF token, from another origin, or too large."""


@dataclass(frozen=True)
class Form:
    """A checked POST form: the session and the fields (text values only)."""

    session: Session
    fields: Mapping[str, str]

    def get(self, name: str, default: str = "") -> str:
        """A field, stripped; ``default`` when absent."""
        return self.fields.get(name, default).strip()


# -- formatting filters ------------------------------------------------------------------


def money(cents: int | None) -> str:
    """Integer cents → ``$1,234.50`` (``—`` for None)."""
    return "—" if cents is None else format_money(from_cents(int(cents)))


def when(value: datetime | None) -> str:
    """A UTC time as ``2017-03-01 09:00:05 UTC`` (``—`` for None)."""
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float | None) -> str:
    """Seconds → ``45 s``, ``3 min 4 s``, ``2 h 5 min``, ``3 d 4 h`` (``—`` for None)."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    if s < 86_400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86_400} d {s % 86_400 // 3600} h"


def size(n: int | None) -> str:
    """Bytes → ``812 B``, ``12.3 kB``, ``2.04 MB``."""
    if n is None:
        return "—"
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.2f} MB"


def number(n: int | float | Decimal | None) -> str:
    """``1234567`` → ``1,234,567``; floats keep what they need (``0.5``)."""
    if n is None:
        return "—"
    if isinstance(n, float) and not n.is_integer():
        return f"{n:g}"
    return f"{int(n):,}"


def plain(value: object) -> str:
    """A value for an input field: ``60.0`` → ``60``, ``0.5`` → ``0.5``, None → empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted((HERE / "static").iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def make_environment() -> Environment:
    """The Jinja2 environment of ``templates/`` with the filters above."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        money=money, when=when, duration=duration, size=size, number=number, plain=plain
    )
    env.globals.update(nav=NAV, static_version=_static_version())
    return env


def safe_next(value: str | None) -> str:
    """A local path to go to after sign-in (``/`` for anything that is not one)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


@dataclass
class WebContext:
    """Everything the back-office pages need (module docstring)."""

    engine: Engine
    clock: Clock
    admin_token: str
    sessions: SessionStore
    throttle: LoginThrottle
    env: Environment = field(default_factory=make_environment)

    # -- dependencies -------------------------------------------------------------------

    def session(self, request: Request) -> Session:
        """Dependency: the signed-in session. Raises :class:`LoginRequired`."""
        session = self.sessions.lookup(request.cookies.get(COOKIE_NAME))
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target)
        request.state.session = session
        return session

    async def form(self, request: Request) -> Form:
        """Dependency: the POSTed form of a signed-in session, CSRF-checked.

        Raises:
            LoginRequired: no session. CsrfRefused: wrong/missing token, foreign ``Origin``,
            or a body over :data:`MAX_FORM_BYTES`.
        """
        session = self.session(request)
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
            raise CsrfRefused("the form was sent from another site")
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            raise CsrfRefused("the form is too large")
        data = await request.form(max_files=0, max_fields=200)
        fields = {k: v for k, v in data.multi_items() if isinstance(v, str)}
        if not session.csrf_matches(fields.get("csrf_token")):
            raise CsrfRefused("the form's security token is missing or out of date")
        return Form(session, fields)

    def dep_session(self) -> Any:
        """``Depends`` on :meth:`session` (a handler parameter's default)."""
        return Depends(self.session)

    def dep_form(self) -> Any:
        """``Depends`` on :meth:`form` (a handler parameter's default)."""
        return Depends(self.form)

    # -- answers ------------------------------------------------------------------------

    def page(
        self, request: Request, template: str, *, title: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        """Render ``template`` in the layout (module docstring)."""
        session: Session | None = getattr(request.state, "session", None)
        html = self.env.get_template(template).render(
            request=request,
            title=title,
            path=request.url.path,
            session=session,
            csrf=session.csrf if session else "",
            flashes=session.take_flashes() if session else [],
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def redirect(self, url: str) -> RedirectResponse:
        """303 See Other to a local ``url`` (after a POST)."""
        return RedirectResponse(safe_next(url), status_code=303, headers=SECURITY_HEADERS)

    def error_page(self, request: Request, status: int, message: str, code: str) -> Response:
        """The error as a page (or JSON for ``*.json`` addresses)."""
        if request.url.path.endswith(".json"):
            return JSONResponse(error_body(code, message), status_code=status)
        try:
            return self.page(
                request, "error.html", title="Something went wrong", status=status,
                message=message, code=code, status_code=status,
            )
        except Exception:  # the error page itself failed: plain text, still no traceback
            log.exception("rendering the error page failed")
            return Response(message, status_code=status, media_type="text/plain")

    def route_class(self) -> type[APIRoute]:
        """An ``APIRoute`` subclass that answers every error as a page (module docstring)."""
        ctx = self

        class PageRoute(APIRoute):
            def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
                inner = super().get_route_handler()

                async def handler(request: Request) -> Response:
                    try:
                        return await inner(request)
                    except LoginRequired as exc:
                        if request.url.path.endswith(".json"):
                            return JSONResponse(
                                error_body("auth.required", "signed out: sign in again"), 401
                            )
                        nxt = exc.next_path if request.method == "GET" else "/"
                        target = "/login" if nxt == "/" else f"/login?next={quote(nxt)}"
                        return RedirectResponse(target, status_code=303)
                    except CsrfRefused as exc:
                        return ctx.error_page(
                            request, 403,
                            f"Refused: {exc}. Go back, reload the page and try again.",
                            "auth.csrf",
                        )
                    except KassaError as exc:
                        return ctx.error_page(request, status_for(exc), exc.message, exc.code)
                    except RequestValidationError as exc:
                        return ctx.error_page(request, 422, _describe(exc), "request.invalid")
                    except SQLAlchemyError as exc:
                        log.exception("database error on %s", request.url.path)
                        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                        return ctx.error_page(
                            request, 503, f"The HQ database did not answer: {first[:200]}",
                            "database.error",
                        )
                    except Exception:
                        log.exception("unexpected error on %s", request.url.path)
                        return ctx.error_page(
                            request, 500,
                            "An unexpected error happened; it was written to the HQ log.",
                            "internal",
                        )

                return handler

        return PageRoute


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = " ".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
        parts.append(f"{loc or 'value'}: {err.get('msg', 'invalid')}")
    return "The address has a bad value — " + "; ".join(parts)
