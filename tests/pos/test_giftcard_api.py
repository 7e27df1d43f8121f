"""Gift cards over the register's HTTP API: bad input gives a clear 4xx with the cart (and the
card at HQ) unchanged; operations 512 / 520 / 519 online, refused offline with the
registry's reason (issue 5 acceptance; DESIGN §6, §7; docs/API.md "Register").

Real HQ, store server and register (:mod:`pos.card_world`); the register's API is served
by uvicorn on 127.0.0.1. The open cart holds milk (3.49).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.hq.realtime.numbers import luhn_check_digit
from kassa.pos.app import create_app
from pos.card_world import CASHIER, PASSWORD, CardWorld, card_world
from support.servers import run_app_in_thread

#: A well-formed number (valid check digit) that HQ never issued.
UNKNOWN = "600000000000000" + luhn_check_digit("600000000000000")
MISTYPED = UNKNOWN[:-1] + str((int(UNKNOWN[-1]) + 1) % 10)


@dataclass
class Till:
    w: CardWorld
    http: httpx.Client
    auth: dict[str, str]

    def cart(self) -> Any:
        return self.http.get("/api/cart", headers=self.auth).json()["cart"]

    def tender(self, kind: str, cents: Any, reference: Any) -> httpx.Response:
        return self.http.post("/api/cart/tenders", headers=self.auth,
                              json={"type": kind, "amount_cents": cents, "reference": reference})

    def op(self, op_id: int, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"/api/operations/{op_id}", headers=self.auth, json=body)


@pytest.fixture
def till(data_dir: Path) -> Iterator[Till]:
    with card_world(data_dir) as w:
        reg = w.register(1)
        with run_app_in_thread(create_app(reg)) as url, httpx.Client(base_url=url) as http:
            token = http.post("/api/sign-in", json={"operator_id": CASHIER,
                                                    "password": PASSWORD}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            assert http.post("/api/transactions", headers=auth).status_code == 201
            assert http.post("/api/cart/lines", headers=auth,
                             json={"product_id": 1001}).status_code == 201
            yield Till(w, http, auth)


def error_of(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_bad_card_tenders_are_clear_4xx_and_change_nothing(till: Till) -> None:
    w = till.w
    card = w.hq.issue(300)
    blocked = w.hq.issue(1000)
    w.deactivate(blocked)
    before = till.cart()
    cases = [
        (("gift_card", 100, UNKNOWN), 404, "giftcard.unknown"),
        (("gift_card", 100, MISTYPED), 422, "giftcard.number_invalid"),
        (("gift_card", 100, "not a number"), 422, "giftcard.number_invalid"),
        (("gift_card", 100, None), 422, "tender.reference_required"),
        (("gift_card", 100, blocked), 409, "giftcard.inactive"),
        (("gift_card", 340, card), 409, "tender.exceeds_balance"),
        (("gift_card", 5000, card), 409, "tender.exceeds_due"),
        (("gift_card", -100, card), 422, "tender.amount_not_positive"),
        (("gift_card", 0, card), 422, "tender.amount_not_positive"),
        (("credit_memo", 100, card), 404, "giftcard.unknown"),  # a gift card is no memo
    ]
    for (kind, cents, reference), status, code in cases:
        error = error_of(till.tender(kind, cents, reference), status)
        assert error["code"] == code, (reference, cents, error)
        assert error["message"], error
        assert till.cart() == before, (reference, cents)
    over = error_of(till.tender("gift_card", 340, card), 409)
    assert "has 3.00 left" in over["message"] and over["details"]["balance_cents"] == 300
    # no card stays locked by a refused tender, and nothing is queued
    assert not w.card(card)["locked"] and not w.card(blocked)["locked"]
    assert till.http.get("/api/status").json()["connection"]["pending_unlocks"] == 0
    # and the good tender still works, answering the cart with the card number as reference
    answer = till.tender("gift_card", 300, card)
    assert answer.status_code == 201, answer.text
    assert answer.json()["tender"]["reference"] == card and w.card(card)["locked"]


def test_operations_512_520_519_online(till: Till) -> None:
    # when the cashier issues a 25.00 gift card
    issued = till.op(512, {"amount_cents": 2500})
    assert issued.status_code == 200, issued.text
    card = issued.json()["card"]
    number = card["number"]
    assert len(number) == 16 and card["balance_cents"] == 2500 and card["kind"] == "gift_card"
    assert till.w.card(number)["balance_cents"] == 2500
    # adds 10.00 to it and asks its balance
    added = till.op(520, {"number": number, "amount_cents": 1000})
    assert added.status_code == 200 and added.json()["card"]["balance_cents"] == 3500
    balance = till.op(519, {"number": number})
    assert balance.status_code == 200, balance.text
    assert balance.json()["card"] == {"kind": "gift_card", "number": number,
                                      "balance_cents": 3500, "active": True, "locked": False}
    # an issue repeated with the same transaction id answers the same card (no second card)
    key = "01890a5d-ac96-774b-bcce-b302099a8057"
    first = till.op(512, {"amount_cents": 700, "transaction_id": key}).json()["card"]
    again = till.op(512, {"amount_cents": 700, "transaction_id": key}).json()["card"]
    assert again["number"] == first["number"] and again["replayed"] is True
    # bad input: clear 4xx
    assert error_of(till.op(512, {"amount_cents": 0}), 422)["code"] == \
        "giftcard.amount_not_positive"
    assert error_of(till.op(520, {"number": number, "amount_cents": -5}), 422)["code"] == \
        "giftcard.amount_not_positive"
    assert error_of(till.op(519, {"number": UNKNOWN}), 404)["code"] == "giftcard.unknown"
    assert error_of(till.op(512, {"amount_cents": 1.5}), 422)["code"] == "request.invalid"
    assert error_of(till.op(512, {"amount_cents": 10**9}), 409)["code"] == "giftcard.max_issue"
    assert till.w.card(number)["balance_cents"] == 3500


def test_operations_512_520_519_and_card_tenders_are_refused_offline(till: Till) -> None:
    number = till.w.hq.issue(1000)
    before = till.cart()
    answer = till.http.post("/api/operations/917", headers=till.auth,
                            json={"action": "disconnect"})
    assert answer.status_code == 200, answer.text
    for op_id, body, name in [
        (512, {"amount_cents": 1000}, "Issue gift card (512)"),
        (520, {"number": number, "amount_cents": 1000}, "Add to gift card (520)"),
        (519, {"number": number}, "Gift card balance (519)"),
    ]:
        error = error_of(till.op(op_id, body), 409)
        assert error["code"] == "operation.online_only"
        assert error["message"].startswith(f"{name} is not available offline"), error
    error = error_of(till.tender("credit_memo", 100, number), 409)
    assert error["message"].startswith("Pay credit memo (213) is not available offline")
    operations = till.http.get("/api/operations", headers=till.auth).json()["items"]
    disabled = {x["id"] for x in operations if not x["enabled"]}
    assert {512, 519, 520, 213, 214} <= disabled
    assert till.cart() == before and till.w.card(number)["balance_cents"] == 1000
