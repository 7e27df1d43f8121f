"""HQ admin APIs and back-office pages require authentication (issue 8 §3; DESIGN §8 "HQ
admin by an admin token").

Rule source: issue 8 §3 — "HQ admin pages and APIs require authentication; tests for each
refusal". Parametrised over every operation of HQ's OpenAPI that the ``AdminToken`` scheme
guards (and the ``StoreServerToken`` ones), and over every route of the back office: no
token → 401, a wrong token → 401, another kind of token → 401; a page without a signed-in
session → 303 to ``/login``. Real HQ (app + back office) on 127.0.0.1 over a real SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from kassa.config import sqlite_url
from kassa.domain.clock import FixedClock
from kassa.hq.app import create_app
from kassa.hq.web import web_router
from support.hq_world import STORE_A, World, build_world
from support.openapi_ops import operations
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-admin-auth-tests-0123456789"
WRONG = "not-the-admin-token-0123456789abcdef012345"
_spec = create_app(create_engine("sqlite://"), admin_token=ADMIN).openapi()
ADMIN_OPS = operations(_spec, "AdminToken")
STORE_OPS = operations(_spec, "StoreServerToken")
_pages = web_router(create_engine("sqlite://"), ADMIN, FixedClock()).routes
#: Pages open to everybody: the sign-in form and the static files.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/static/{name}")}
PAGES = [pytest.param(method, route.path, id=f"{method} {route.path}")
         for route in _pages for method in sorted(route.methods)
         if (method, route.path) not in PUBLIC]


class Hq:
    def __init__(self, world: World, http: httpx.Client, store_token: str) -> None:
        self.world, self.http, self.store_token = world, http, store_token

    def call(self, method: str, url: str, has_body: bool, token: str | None) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return self.http.request(method, url, headers=headers,
                                 json={} if has_body else None)


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:
    data_dir: Path = tmp_path_factory.mktemp("hq-auth")
    world = build_world(sqlite_url(data_dir / "hq.sqlite"))
    try:
        app = create_app(world.engine, admin_token=ADMIN, clock=world.clock,
                         routers=[web_router(world.engine, ADMIN, world.clock)])
        with run_app_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            issued = http.post(f"/api/stores/{STORE_A}/server-token",
                               headers={"Authorization": f"Bearer {ADMIN}"})
            assert issued.status_code == 201, issued.text
            yield Hq(world, http, str(issued.json()["token"]))
    finally:
        world.engine.dispose()


def _refused(answer: httpx.Response, code: str) -> None:
    assert answer.status_code == 401, answer.text
    body: dict[str, Any] = answer.json()
    assert body["error"]["code"] == code and body["error"]["message"]


def test_the_admin_token_is_accepted(hq: Hq) -> None:
    # given the admin token
    # when an admin endpoint is called with it
    answer = hq.call("GET", "/api/jobs", False, ADMIN)
    # then it answers (so the refusals below are about the token alone)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("method", "url", "has_body"), ADMIN_OPS)
def test_every_admin_endpoint_refuses_a_call_without_token(
        hq: Hq, method: str, url: str, has_body: bool) -> None:
    # given no Authorization header / when the admin endpoint is called / then 401
    _refused(hq.call(method, url, has_body, None), "auth.missing_token")


@pytest.mark.parametrize(("method", "url", "has_body"), ADMIN_OPS)
def test_every_admin_endpoint_refuses_a_wrong_token(
        hq: Hq, method: str, url: str, has_body: bool) -> None:
    # given a token that is not the admin token / when called / then 401
    _refused(hq.call(method, url, has_body, WRONG), "auth.bad_token")


@pytest.mark.parametrize(("method", "url", "has_body"), ADMIN_OPS)
def test_every_admin_endpoint_refuses_a_store_server_token(
        hq: Hq, method: str, url: str, has_body: bool) -> None:
    # given a valid store server token (another kind of caller) / when called / then 401
    _refused(hq.call(method, url, has_body, hq.store_token), "auth.bad_token")


@pytest.mark.parametrize(("method", "url", "has_body"), STORE_OPS)
def test_every_store_server_endpoint_refuses_missing_and_wrong_tokens(
        hq: Hq, method: str, url: str, has_body: bool) -> None:
    # given no token, a wrong one and the admin token (not a store server's)
    # when a store-server-facing endpoint is called / then each is refused with 401
    _refused(hq.call(method, url, has_body, None), "auth.missing_token")
    _refused(hq.call(method, url, has_body, WRONG), "auth.bad_token")
    _refused(hq.call(method, url, has_body, ADMIN), "auth.bad_token")


def _page(hq: Hq, method: str, path: str, cookie: str | None) -> httpx.Response:
    url = path.replace("{", "").replace("}", "")  # e.g. /offline-profiles/profile_id
    url = url.replace("register_id", "01900000-0000-7000-8000-000000000001")
    cookies = {"kassa_hq_session": cookie} if cookie else None
    with httpx.Client(base_url=str(hq.http.base_url), cookies=cookies, timeout=30) as fresh:
        return fresh.request(method, url, data={"csrf_token": "x"} if method == "POST" else None)


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_every_back_office_page_needs_a_signed_in_session(hq: Hq, method: str, path: str) -> None:
    # given a browser without a session, and one with a forged session cookie
    for cookie in (None, "forged-session-id.0123456789abcdef"):
        # when it asks for the page (or posts its form)
        answer = _page(hq, method, path, cookie)
        # then it is sent to the sign-in page (JSON addresses answer 401), nothing done
        if path.endswith(".json"):
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["code"] == "auth.required"
        else:
            assert answer.status_code == 303, answer.text
            assert answer.headers["location"].startswith("/login")
