"""The register UI's pages over real HTTP (issue 6 §1): sign-in, the transaction screen's
first paint and boot data, sign-out, static files, security headers and readable errors —
against a real store server (:mod:`pos.world`) and a real register runtime."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.pos.app import create_app
from kassa.pos.runtime import RegisterRuntime
from kassa.pos.web import mount_register_ui
from pos.world import PASSWORDS, STORE, StoreWorld, store_world
from support.servers import run_app_in_thread

BOOT = re.compile(r'<script type="application/json" id="boot">(.*?)</script>', re.S)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.S)


@dataclass
class Ui:
    world: StoreWorld
    runtime: RegisterRuntime
    url: str

    def client(self) -> httpx.Client:
        """A client that does not follow redirects (each test looks at them)."""
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)

    @contextmanager
    def signed_in(self, operator: str = "1003") -> Iterator[httpx.Client]:
        """A client signed in through the sign-in form."""
        with self.client() as client:
            answer = client.post("/sign-in", data={"operator_id": operator,
                                                   "password": PASSWORDS[operator]})
            assert answer.status_code == 303, answer.text
            yield client


def serve(world: StoreWorld, **register: Any) -> Iterator[Ui]:
    runtime = world.register(**register)
    app = mount_register_ui(create_app(runtime))
    assert mount_register_ui(app) is app  # mounting twice changes nothing
    with run_app_in_thread(app) as url:
        yield Ui(world, runtime, url)


@pytest.fixture
def ui(data_dir: Path) -> Iterator[Ui]:
    with store_world(data_dir) as world:
        yield from serve(world)


def boot_of(html: str) -> dict[str, Any]:
    found = BOOT.search(html)
    assert found is not None, "no boot data in the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def assert_safe_page(answer: httpx.Response) -> None:
    """CSP without inline script; every <script> is a module file or a JSON data block."""
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    for attributes in SCRIPT.findall(answer.text):
        assert 'type="application/json"' in attributes or 'src="/static/' in attributes
    assert "Traceback" not in answer.text


def test_the_screen_needs_a_sign_in_page_under_the_status_header(ui: Ui) -> None:
    with ui.client() as client:
        # a browser opening the register is sent to the sign-in page
        first = client.get("/")
        assert first.status_code == 303 and first.headers["location"] == "/sign-in"
        page = client.get("/sign-in")
    assert page.status_code == 200
    assert_safe_page(page)
    # the status header is there before anybody signs in: mode, store, register, operator
    assert f"Store {STORE}" in page.text and "Register 1" in page.text
    assert 'class="badge online">Online<' in page.text and "not signed in" in page.text
    assert 'name="operator_id"' in page.text and 'type="password"' in page.text
    assert boot_of(page.text)["status"]["header"]["mode"] == "online"


def test_a_wrong_password_or_an_empty_form_is_a_readable_message(ui: Ui) -> None:
    with ui.client() as client:
        wrong = client.post("/sign-in", data={"operator_id": "1003", "password": "nope"})
        empty = client.post("/sign-in", data={"operator_id": "1003", "password": ""})
        unknown = client.post("/sign-in", data={"operator_id": "9999", "password": "x" * 8})
    assert wrong.status_code == 401 and "Wrong operator id or password." in wrong.text
    assert 'value="1003"' in wrong.text  # the operator id stays filled in
    assert "kassa_session" not in wrong.headers.get("set-cookie", "")
    assert empty.status_code == 422 and "Enter your operator id and your password." in empty.text
    assert unknown.status_code == 401 and "Wrong operator id or password." in unknown.text
    for answer in (wrong, empty, unknown):
        assert_safe_page(answer)


def test_signing_in_opens_the_screen_with_its_boot_data_and_the_api_session(ui: Ui) -> None:
    with ui.client() as client:
        answer = client.post("/sign-in", data={"operator_id": "1003",
                                               "password": PASSWORDS["1003"]})
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"].lower()
        assert "kassa_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        screen = client.get("/")
        # the same cookie opens the register's JSON API
        assert client.post("/api/transactions", json={}).status_code == 201
        assert client.get("/api/cart").json()["cart"]["receipt_number"].startswith(f"{STORE}-1-")
        again = boot_of(client.get("/").text)
        signed_in_page = client.get("/sign-in")
    assert screen.status_code == 200
    assert_safe_page(screen)
    boot = boot_of(screen.text)
    assert boot["page"] == "register" and boot["cart"] is None and boot["last"] is None
    assert boot["status"]["header"]["operator"]["operator_id"] == "1003"
    assert {op["id"] for op in boot["operations"]["items"]} >= {200, 201, 213, 214, 917}
    assert "Cass Hier (1003) · cashier" in screen.text
    for label in ("Cash", "Card", "Gift card", "Credit memo", "Disconnect", "Connection status",
                  "Void sale", "Complete", "Search by name", "Return"):
        assert label in screen.text, label
    assert "<kbd>Alt+C</kbd> cash" in screen.text  # the shortcuts are written on the screen
    # a reload shows the open sale; the sign-in page sends a signed-in operator to the screen
    assert again["cart"]["status"] == "open"
    assert signed_in_page.status_code == 303 and signed_in_page.headers["location"] == "/"


def test_sign_out_ends_the_session_and_the_sale_stays(ui: Ui) -> None:
    with ui.signed_in() as client:
        assert client.post("/api/transactions", json={}).status_code == 201
        out = client.post("/sign-out")
        assert out.status_code == 303 and out.headers["location"] == "/sign-in"
        assert 'kassa_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers[
            "set-cookie"]
    with ui.client() as stale:
        stale.cookies.set("kassa_session", "not-a-session")
        assert stale.get("/").headers["location"] == "/sign-in"
        assert stale.get("/api/cart").status_code == 401
        notice = stale.get("/sign-in", params={"ended": 1})
    assert "Your session has ended. Sign in again." in notice.text
    assert ui.runtime.engine.cart is not None  # the open sale belongs to the register
    with ui.signed_in("1002") as client:
        assert boot_of(client.get("/").text)["cart"]["status"] == "open"


def test_forms_from_another_site_are_refused(ui: Ui) -> None:
    with ui.client() as client:
        answer = client.post("/sign-in", headers={"Origin": "http://evil.example"},
                             data={"operator_id": "1003", "password": PASSWORDS["1003"]})
        big = client.post("/sign-in", content=b"operator_id=" + b"1" * 5000,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 403
    assert "This form must be sent from the register&#39;s own page." in answer.text
    assert "set-cookie" not in answer.headers
    assert big.status_code == 413 and "The form is too large." in big.text


def test_static_files_are_first_party_and_versioned(ui: Ui) -> None:
    with ui.client() as client:
        page = client.get("/sign-in").text
        css = re.search(r'href="(/static/[0-9a-f]+/register\.css)"', page)
        js = re.search(r'src="(/static/[0-9a-f]+/main\.js)"', page)
        assert css and js
        style, script = client.get(css.group(1)), client.get(js.group(1))
        module = client.get(js.group(1).replace("main.js", "api.js"))
        stale = client.get("/static/0000/main.js")
        missing = client.get(js.group(1).replace("main.js", "nope.js"))
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "immutable" in script.headers["cache-control"]
    assert 'from "./api.js"' in script.text and "export async function api" in module.text
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert missing.status_code == 404


def test_the_header_shows_offline_manual_after_disconnect(ui: Ui) -> None:
    with ui.signed_in() as client:
        assert client.post("/api/operations/917", json={"action": "disconnect"}).json()[
            "mode"] == "offline"
        screen = client.get("/").text
        ops = boot_of(screen)["operations"]
    assert 'class="badge manual">Offline · manual<' in screen
    assert '<span class="label">Connect</span>' in screen
    gift = next(op for op in ops["items"] if op["id"] == 214)
    assert not ops["online"] and not gift["enabled"]
    assert gift["reason"].startswith("Not available offline")
    # signing in offline is limited to the operators of the offline DB: the page says so
    with ui.client() as client:
        page = client.get("/sign-in").text
    assert "only operators already in this register&#39;s offline database can sign in" in page


def test_a_store_server_gone_without_support_offline_is_a_readable_sign_in_error(
    data_dir: Path,
) -> None:
    with store_world(data_dir, support_offline=False) as world:
        for ui in serve(world, timeout_s=0.5):
            world.proxy.refuse()
            with ui.client() as client:
                answer = client.post("/sign-in", data={"operator_id": "1003",
                                                       "password": PASSWORDS["1003"]})
            assert answer.status_code == 503
            assert_safe_page(answer)
            message = re.search(r'id="sign-in-error" role="alert">(.*?)</p>', answer.text, re.S)
            assert message and "store server" in message.group(1).lower()
