"""schemathesis against the register's OpenAPI over real HTTP (issue 8 §2): zero 5xx, every
answer documented (status, content type, body schema).

The chain of :func:`pos.card_world.card_world` (HQ, store server, register 1 of store 367
with its offline DB) runs once for the module; the register app is served on a free
127.0.0.1 port. The register's session is not an OpenAPI security scheme but a declared
``Authorization`` header (or the ``kassa_session`` cookie), so:

* with a session — every case carries the cashier's session (one sign-in for the module;
  ``POST /api/sign-out`` gets a session of its own, as it ends the one it is given);
* without — whatever the fuzzer puts in ``Authorization`` (nothing, garbage): a documented
  401 everywhere but ``POST /api/sign-in`` and ``GET /api/status``.

The register's answers are free-form (no response models), so response schema conformance
only checks that errors have Kassa's error body.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Final

import httpx
import pytest
import schemathesis

from fuzz.world import MAX_EXAMPLES, fuzz_config, fuzz_settings
from kassa.pos.app import create_app
from pos.card_world import CASHIER, PASSWORD, card_world
from support.hq_world import PRODUCTS
from support.servers import run_app_in_thread

#: The OpenAPI document, from an app around a stand-in runtime (routes use it only when called).
SPEC: Final = create_app(SimpleNamespace(engine=None)).openapi()  # type: ignore[arg-type]
KNOWN: Final = {
    "products": [p for p, _, _, _ in PRODUCTS],
    "barcodes": [b for _, _, b, _ in PRODUCTS],
    "words": ["milk", "bread", "bananas"],
    "amounts": [1, 100, 349],
}
BINDINGS: Final = {
    "body.product_id": "products",
    "body.barcode": "barcodes",
    "query.q": "words",
    "body.amount_cents": "amounts",
}
WITHOUT_EXAMPLES: Final = max(5, MAX_EXAMPLES // 5)
SIGN_OUT: Final = "/api/sign-out"
DATABASE_CONNECTION: Final = "/api/operations/917"

with_session = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={}, known=KNOWN, bindings=BINDINGS))
without_session = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={}, known=KNOWN, bindings=BINDINGS, max_examples=WITHOUT_EXAMPLES))


@dataclass
class Till:
    """The running register app, the cashier's session and a gift card issued at HQ."""

    url: str
    http: httpx.Client
    session: dict[str, str]
    card: str
    cases: int = 0

    def sign_in(self) -> dict[str, str]:
        answer = self.http.post("/api/sign-in", json={"operator_id": CASHIER,
                                                      "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def call(self, method: str, path: str, **kw: Any) -> Any:
        """A set-up call with the session: its JSON, or None when it is refused (4xx) —
        the case then runs as generated. A 5xx is a finding like any other."""
        answer = self.http.request(method, path, headers=self.session, **kw)
        assert answer.status_code < 500, answer.text
        if answer.status_code >= 400:
            return None
        return answer.json() if answer.content else {}

    def unpaid_cart(self) -> dict[str, Any] | None:
        """The open cart with something due (started and filled when needed)."""
        got = self.call("GET", "/api/cart")
        cart = None if got is None else got["cart"]
        if cart is None:
            cart = (self.call("POST", "/api/transactions") or {}).get("cart")
        if cart is not None and cart["totals"]["amount_due_cents"] <= 0:
            cart = (self.call("POST", "/api/cart/lines", json={"product_id": 1001})
                    or {}).get("cart")
        return None if cart is None else dict(cart)

    def prepare(self, case: schemathesis.Case) -> None:
        """Every other case finds the register where its operation can succeed: an open cart
        with something due, paid in full before ``complete``, real line, tender and card
        ids."""
        self.cases += 1
        if self.cases % 2 or case.path == SIGN_OUT:
            return
        if case.path == "/api/transactions":
            got = self.call("GET", "/api/cart")
            if got is not None and got["cart"] is not None:
                self.call("POST", "/api/cart/void")
            return
        if not case.path.startswith("/api/cart") and case.path not in CARD_OPERATIONS:
            return
        cart = self.unpaid_cart()
        if cart is None:
            return
        params = case.path_parameters or {}
        if "line_id" in params:
            params["line_id"] = next(x["id"] for x in cart["lines"] if not x["voided"])
        if "tender_id" in params:
            added = self.call("POST", "/api/cart/tenders",
                              json={"type": "cash", "amount_cents": 1})
            if added is not None:
                params["tender_id"] = added["tender"]["id"]
        if case.path == "/api/cart/complete":
            self.call("POST", "/api/cart/tenders", json={
                "type": "cash", "amount_cents": cart["totals"]["amount_due_cents"]})
        if case.path in CARD_OPERATIONS and isinstance(case.body, dict):
            case.body["number"] = self.card


CARD_OPERATIONS: Final = ("/api/operations/519", "/api/operations/520")


@pytest.fixture(scope="module")
def till(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Till]:
    with card_world(tmp_path_factory.mktemp("pos-fuzz")) as w:
        reg = w.register(1, timeout_s=10.0)  # a busy machine must not switch it offline
        card = w.hq.issue(5000)
        with run_app_in_thread(create_app(reg)) as url, httpx.Client(
            base_url=url, timeout=30
        ) as http:
            till = Till(url, http, {}, card)
            till.session = till.sign_in()
            yield till


@with_session.exclude(path=DATABASE_CONNECTION).parametrize()
@fuzz_settings()
def test_register_api_with_a_session(case: schemathesis.Case, till: Till) -> None:
    till.prepare(case)
    headers: dict[str, Any] = till.sign_in() if case.path == SIGN_OUT else till.session
    case.call_and_validate(base_url=till.url, headers=headers)


@with_session.include(path=DATABASE_CONNECTION).parametrize()
@fuzz_settings()
def test_register_database_connection_last(case: schemathesis.Case, till: Till) -> None:
    # operation 917 may leave the register offline: after every other operation
    case.call_and_validate(base_url=till.url, headers=till.session)


@without_session.parametrize()
@fuzz_settings(WITHOUT_EXAMPLES)
def test_register_api_without_a_session(case: schemathesis.Case, till: Till) -> None:
    case.call_and_validate(base_url=till.url)
