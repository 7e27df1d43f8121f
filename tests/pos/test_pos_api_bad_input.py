"""Bad input on the register API: a clear 4xx, and the cart unchanged (issue 4 acceptance)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.pos.app import create_app
from kassa.pos.runtime import RegisterRuntime
from pos.world import PASSWORDS, StoreWorld, barcode, store_world
from support.servers import run_app_in_thread


@dataclass
class Till:
    world: StoreWorld
    reg: RegisterRuntime
    http: httpx.Client
    auth: dict[str, str]
    line_id: str

    def cart(self) -> Any:
        return self.http.get("/api/cart", headers=self.auth).json()["cart"]


@pytest.fixture
def till(data_dir: Path) -> Iterator[Till]:
    """A signed-in cashier with an open cart of one milk, over real HTTP."""
    with store_world(data_dir) as world:
        reg = world.register()
        with run_app_in_thread(create_app(reg)) as url, httpx.Client(base_url=url) as http:
            token = http.post("/api/sign-in", json={"operator_id": "1003",
                                                    "password": PASSWORDS["1003"]}).json()
            auth = {"Authorization": f"Bearer {token['token']}"}
            assert http.post("/api/transactions", headers=auth).status_code == 201
            line = http.post("/api/cart/lines", headers=auth, json={"product_id": 1001})
            assert line.status_code == 201, line.text
            yield Till(world, reg, http, auth, line.json()["line"]["id"])


BAD_LINES = [
    ({"product_id": 999999}, 404, "product.not_found"),
    ({"product_id": 2**70}, 422, "request.invalid"),
    ({"barcode": "400009999990"}, 404, "product.not_found"),
    ({"barcode": "400000010012"}, 422, "barcode.invalid"),
    ({"barcode": "12ab"}, 422, "barcode.invalid"),
    ({"product_id": 1001, "quantity": "-1"}, 422, "quantity.not_positive"),
    ({"product_id": 1001, "quantity": "0"}, 422, "quantity.not_positive"),
    ({"product_id": 1001, "quantity": "1000000"}, 422, "quantity.too_large"),
    ({"product_id": 1001, "quantity": "1.2345"}, 422, "quantity.too_precise"),
    ({"product_id": 1001, "quantity": "lots"}, 422, "quantity.invalid"),
    ({"product_id": 1001, "quantity": 1.5}, 422, "request.invalid"),
    ({"product_id": 1001, "barcode": barcode(1002)}, 422, "line.product_missing"),
    ({}, 422, "line.product_missing"),
    ({"product_id": 1004}, 409, "product.no_price"),
    ({"product_id": 1001, "is_return": True}, 403, "auth.role"),
    ({"product_id": 1001, "colour": "red"}, 422, "request.invalid"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_LINES)
def test_a_bad_line_is_refused_and_the_cart_is_unchanged(
    till: Till, body: dict[str, Any], status: int, code: str
) -> None:
    before, on_disk = till.cart(), till.reg.engine.carts.load()
    answer = till.http.post("/api/cart/lines", headers=till.auth, json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    assert till.cart() == before and till.reg.engine.carts.load() == on_disk


def test_bad_changes_and_requests_are_refused_clearly(till: Till) -> None:
    before = till.cart()
    cases: list[tuple[str, str, Any, int, str]] = [
        ("PATCH", f"/api/cart/lines/{till.line_id}", {"price_cents": 100}, 403, "auth.role"),
        ("PATCH", f"/api/cart/lines/{till.line_id}", {"discount_cents": 10}, 403, "auth.role"),
        ("PATCH", f"/api/cart/lines/{till.line_id}", {"quantity": "-3"}, 422,
         "quantity.not_positive"),
        ("PATCH", f"/api/cart/lines/{till.line_id}", {}, 422, "line.no_change"),
        ("PATCH", "/api/cart/lines/not-a-uuid", {"quantity": "2"}, 422, "id.invalid"),
        ("PATCH", "/api/cart/lines/0190a1b2-0000-7000-8000-000000000000", {"quantity": "2"},
         404, "line.not_found"),
        ("DELETE", "/api/cart/lines/0190a1b2-0000-7000-8000-000000000000", None, 404,
         "line.not_found"),
        ("POST", "/api/cart/tenders", {"type": "card", "amount_cents": 100000}, 409,
         "tender.exceeds_due"),
        ("POST", "/api/cart/tenders", {"type": "cash", "amount_cents": -5}, 409,
         "tender.wrong_sign"),
        ("POST", "/api/cart/tenders", {"type": "cheque", "amount_cents": 5}, 422,
         "request.invalid"),
        ("POST", "/api/cart/tenders", {"type": "cash", "amount_cents": 1.5}, 422,
         "request.invalid"),
        ("POST", "/api/cart/complete", None, 409, "transaction.unpaid"),
        ("POST", "/api/transactions", None, 409, "cart.open"),
    ]
    for method, path, body, status, code in cases:
        answer = till.http.request(method, path, headers=till.auth, json=body)
        assert answer.status_code == status, (path, body, answer.text)
        assert answer.json()["error"]["code"] == code, (path, body, answer.text)
    assert till.cart() == before


def test_malformed_json_and_missing_sessions_are_refused(till: Till) -> None:
    before = till.cart()
    answer = till.http.post("/api/cart/lines", headers={**till.auth,
                                                          "Content-Type": "application/json"},
                            content=b'{"product_id": 10')
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "request.invalid"
    till.http.cookies.clear()  # the sign-in cookie would authenticate the browser
    answer = till.http.post("/api/cart/lines", json={"product_id": 1002})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "auth.session"
    answer = till.http.post("/api/cart/lines", json={"product_id": 1002},
                            headers={"Authorization": "Bearer forged"})
    assert answer.status_code == 401
    answer = till.http.post("/api/sign-in", json={"operator_id": "1003", "password": "nope"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "auth.bad_credentials"
    assert till.cart() == before


def test_online_only_tenders_are_refused_offline_with_the_registry_reason(till: Till) -> None:
    till.http.post("/api/operations/917", headers=till.auth, json={"action": "disconnect"})
    answer = till.http.post("/api/cart/tenders", headers=till.auth,
                            json={"type": "gift_card", "amount_cents": 100, "reference": "GC1"})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "operation.online_only"
    assert "Pay gift card (214) is not available offline" in error["message"]
