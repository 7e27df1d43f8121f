"""HQ real-time service over real HTTP (uvicorn on 127.0.0.1, SQLite and PostgreSQL):
lock / redeem / unlock / balance / issue / add, the store token and register scoping, and
bad input — every refusal leaves the balance as it was (DESIGN §6, issue 5)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import update

from kassa.db.hq_giftcard_schema import stored_value_cards
from kassa.domain.giftcard import CardKind
from kassa.domain.ids import new_id
from kassa.hq.realtime.numbers import luhn_check_digit, new_number
from support.hq_world import STORE_A, STORE_B
from support.realtime_hq import RealtimeHq, bearer, realtime_hq


@pytest.fixture
def hq(db_url: str) -> Iterator[RealtimeHq]:
    with realtime_hq(db_url) as running:
        yield running


def error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code, body
    assert body["message"]
    return str(body["message"])


def lock(hq: RealtimeHq, number: str, register: object, tx: object,
         kind: str = "gift_card", store_id: int = STORE_A) -> httpx.Response:
    return hq.store("POST", f"/api/realtime/{kind}/{number}/lock", store_id,
                    json={"register_id": str(register), "transaction_id": str(tx)})


def redeem(hq: RealtimeHq, number: str, register: object, tx: object, cents: object,
           kind: str = "gift_card") -> httpx.Response:
    return hq.store("POST", f"/api/realtime/{kind}/{number}/redeem",
                    json={"register_id": str(register), "transaction_id": str(tx),
                          "amount_cents": cents})


def test_lock_redeem_unlock_cycle_online(hq: RealtimeHq) -> None:
    # given a 25.00 gift card and register 1 of store 367
    number, reg, tx = hq.issue(2500), hq.register(), new_id()
    # when the register locks it for a tender
    r = lock(hq, number, reg, tx)
    # then the answer carries the balance and the lock
    assert r.status_code == 200, r.text
    assert r.json()["balance_cents"] == 2500 and r.json()["locked"] is True
    assert r.json()["holder_register_id"] == str(reg)
    # when the sale completes: redeem 10.00 (and unlock)
    done = redeem(hq, number, reg, tx, 1000)
    assert done.status_code == 200, done.text
    assert done.json().items() >= {"balance_cents": 1500, "locked": False, "replayed": False,
                                   "movement": "redeem", "amount_cents": 1000}.items()
    # then the balance endpoint agrees and the card is free for another register
    assert hq.store("GET", f"/api/realtime/gift_card/{number}/balance").json()[
        "balance_cents"] == 1500
    assert lock(hq, number, hq.register(STORE_A, 2), new_id()).status_code == 200


def test_card_locked_elsewhere_is_refused_naming_the_register(hq: RealtimeHq) -> None:
    number, tx = hq.issue(2500), new_id()
    assert lock(hq, number, hq.register(STORE_A, 1), tx).status_code == 200
    # when register 2 tries the same card
    r = lock(hq, number, hq.register(STORE_A, 2), new_id())
    # then it is refused with a message naming register 1 of store 367
    message = error(r, 409, "giftcard.locked")
    assert "register 1 of store 367" in message
    assert r.json()["error"]["details"]["register_number"] == 1
    # and the holder is unchanged: register 1 may still unlock (void the tender)
    u = hq.store("POST", f"/api/realtime/gift_card/{number}/unlock",
                 json={"register_id": str(hq.register(STORE_A, 1)), "transaction_id": str(tx)})
    assert u.status_code == 200 and u.json()["released"] is True and u.json()["locked"] is False


def test_bad_input_is_refused_and_balances_stay(hq: RealtimeHq) -> None:
    # given a locked 20.00 card and an inactive 5.00 card
    number, reg, tx = hq.issue(2000), hq.register(), new_id()
    inactive = hq.issue(500)
    with hq.world.engine.begin() as conn:
        conn.execute(update(stored_value_cards).where(
            stored_value_cards.c.number == inactive).values(active=False))
    assert lock(hq, number, reg, tx).status_code == 200
    body = new_number(CardKind.GIFT_CARD)[:-1]
    unknown = body + luhn_check_digit(body)
    # then: unknown card 404, inactive card 409, mistyped number 422
    error(lock(hq, unknown, reg, new_id()), 404, "giftcard.unknown")
    error(lock(hq, inactive, reg, new_id()), 409, "giftcard.inactive")
    error(redeem(hq, inactive, reg, new_id(), 100), 409, "giftcard.inactive")
    error(lock(hq, number[:-1] + str((int(number[-1]) + 1) % 10), reg, new_id()), 422,
          "giftcard.number_invalid")
    # a gift card number asked as a credit memo is not found
    error(lock(hq, number, reg, new_id(), kind="credit_memo"), 404, "giftcard.unknown")
    # over-tender 409; zero and negative amounts 422; fractions of a cent 422
    error(redeem(hq, number, reg, tx, 2001), 409, "giftcard.insufficient_balance")
    error(redeem(hq, number, reg, tx, 0), 422, "giftcard.amount_not_positive")
    error(redeem(hq, number, reg, tx, -500), 422, "giftcard.amount_not_positive")
    error(redeem(hq, number, reg, tx, 10.5), 422, "request.invalid")
    error(redeem(hq, number, reg, tx, "100"), 422, "request.invalid")
    # every refusal left both balances and the lock as they were
    assert (hq.balance(number), hq.balance(inactive)) == (2000, 500)
    assert hq.store("GET", f"/api/realtime/gift_card/{number}/balance").json()["locked"]


def test_redeeming_twice_is_idempotent_and_another_amount_conflicts(hq: RealtimeHq) -> None:
    number, reg, tx = hq.issue(3000), hq.register(), new_id()
    assert lock(hq, number, reg, tx).status_code == 200
    first = redeem(hq, number, reg, tx, 1200)
    # when the same redemption is sent again (the answer was lost)
    again = redeem(hq, number, reg, tx, 1200)
    # then it answers the same, marked replayed, and debits nothing more
    assert first.json()["replayed"] is False and again.json()["replayed"] is True
    assert again.json()["balance_cents"] == 1800 == hq.balance(number)
    # and the same transaction with another amount is a conflict, balance unchanged
    error(redeem(hq, number, reg, tx, 1100), 409, "giftcard.redemption_mismatch")
    assert hq.balance(number) == 1800 and hq.ledger(number) == [1200]
    # and the redeemed transaction cannot lock the card again (late duplicate)
    error(lock(hq, number, reg, tx), 409, "giftcard.already_redeemed")


def test_issue_and_add_are_idempotent_by_transaction(hq: RealtimeHq) -> None:
    reg, tx = hq.register(), new_id()
    body = {"amount_cents": 5000, "transaction_id": str(tx), "register_id": str(reg)}
    first = hq.store("POST", "/api/realtime/gift_card/issue", json=body)
    again = hq.store("POST", "/api/realtime/gift_card/issue", json=body)
    assert first.status_code == 200, first.text
    number = first.json()["number"]
    assert again.json()["number"] == number and again.json()["replayed"] is True
    assert len(number) == 16 and number.isdigit()
    error(hq.store("POST", "/api/realtime/gift_card/issue", json={**body, "amount_cents": 10}),
          409, "giftcard.issue_mismatch")
    # a second card in the same sale is another line
    other = hq.store("POST", "/api/realtime/gift_card/issue",
                     json={**body, "line_id": str(new_id())})
    assert other.json()["number"] != number
    add = {"amount_cents": 700, "transaction_id": str(new_id()), "register_id": str(reg)}
    assert hq.store("POST", f"/api/realtime/gift_card/{number}/add", json=add).json()[
        "balance_cents"] == 5700
    assert hq.store("POST", f"/api/realtime/gift_card/{number}/add", json=add).json()[
        "replayed"] is True
    assert hq.balance(number) == 5700
    # a credit memo (a refund's) cannot be reloaded
    memo = hq.store("POST", "/api/realtime/credit_memo/issue",
                    json={**body, "transaction_id": str(new_id())}).json()["number"]
    assert memo.startswith("7")
    error(hq.store("POST", f"/api/realtime/credit_memo/{memo}/add", json=add), 409,
          "giftcard.not_reloadable")


def test_store_token_and_register_scoping(hq: RealtimeHq) -> None:
    number = hq.issue(1000)
    path = f"/api/realtime/gift_card/{number}/lock"
    body = {"register_id": str(hq.register(STORE_B, 1)), "transaction_id": str(new_id())}
    # no token, a wrong token, the admin token: 401
    for headers in ({}, bearer("nope"), bearer("admin-token-for-realtime-tests")):
        assert hq.http.post(path, json=body, headers=headers).status_code == 401
    # store 367 may not act for a register of store 368
    error(hq.store("POST", path, STORE_A, json=body), 403, "realtime.other_store")
    # an unknown register is 404; extra fields are refused
    error(hq.store("POST", path, json={**body, "register_id": str(new_id())}), 404,
          "register.unknown")
    error(hq.store("POST", path, json={**body, "extra": 1}), 422, "request.invalid")
    assert hq.balance(number) == 1000
    assert hq.store("GET", f"/api/realtime/gift_card/{number}/balance").json()["locked"] is False
