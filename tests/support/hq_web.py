"""A real HQ with the back office on 127.0.0.1 (uvicorn in a thread) and an httpx client.

:func:`back_office` serves :func:`kassa.hq.app.create_app` with
:func:`kassa.hq.web.web_router` over a :class:`support.hq_world.World` and yields
:class:`Web`: the world, a cookie-keeping client that does not follow redirects, and helpers
to sign in and to read a page's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from kassa.hq.app import create_app
from kassa.hq.web import web_router
from support.hq_world import World
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-back-office-tests"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Web:
    """Handles on the running back office."""

    world: World
    http: httpx.Client
    base: str

    def sign_in(self, token: str = ADMIN) -> httpx.Response:
        """POST the sign-in form; the client keeps the session cookie."""
        return self.http.post("/login", data={"token": token, "next": "/"})

    def csrf(self, path: str = "/") -> str:
        """The CSRF token in the forms of ``path`` (signed in)."""
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        found = _CSRF.search(page.text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post_form(self, path: str, data: dict[str, str], *, from_page: str = "/") -> httpx.Response:
        """POST ``data`` plus a valid CSRF token taken from ``from_page``."""
        return self.http.post(path, data={**data, "csrf_token": self.csrf(from_page)})

    def follow(self, answer: httpx.Response) -> httpx.Response:
        """GET the location of a 303 answer."""
        assert answer.status_code == 303, answer.text
        return self.http.get(answer.headers["location"])


@contextmanager
def back_office(world: World) -> Iterator[Web]:
    """Serve HQ with the back office over ``world``; yield a :class:`Web` (not signed in)."""
    app = create_app(
        world.engine,
        admin_token=ADMIN,
        clock=world.clock,
        routers=[web_router(world.engine, ADMIN, world.clock)],
    )
    with run_app_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Web(world, http, base)
