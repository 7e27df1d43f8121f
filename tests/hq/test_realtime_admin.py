"""HQ back office for gift cards (DESIGN §6 "HQ lists locked cards with owner and age and can
force-unlock with an audit record"): the admin API over real HTTP and ``kassa giftcard``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kassa.cli.giftcard_commands import giftcard_app
from kassa.config import sqlite_url
from kassa.db.hq_giftcard_schema import stored_value_audit
from kassa.domain.ids import new_id
from kassa.hq.realtime.numbers import format_number
from kassa.hq.realtime.service import RealtimeService
from support.hq_world import STORE_A, STORE_B, build_world
from support.realtime_hq import RealtimeHq, realtime_hq


@pytest.fixture
def hq(db_url: str) -> Iterator[RealtimeHq]:
    with realtime_hq(db_url) as running:
        yield running


def lock(hq: RealtimeHq, number: str, store_id: int, register_number: int) -> str:
    tx = str(new_id())
    r = hq.store("POST", f"/api/realtime/gift_card/{number}/lock", store_id,
                 json={"register_id": str(hq.register(store_id, register_number)),
                       "transaction_id": tx})
    assert r.status_code == 200, r.text
    return tx


def test_locked_cards_list_owner_register_and_age(hq: RealtimeHq) -> None:
    # given three cards: one locked at register 367-2, one 90 s later at 368-1, one free
    old, new, free = hq.issue(1000), hq.issue(2000), hq.issue(3000)
    old_tx = lock(hq, old, STORE_A, 2)
    hq.world.clock.advance(90)
    lock(hq, new, STORE_B, 1)
    hq.world.clock.advance(30)
    # when the back office lists locked cards
    r = hq.admin("GET", "/api/giftcards", params={"locked": "true"})
    # then both locks are there, oldest first, with owner register and age in seconds
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    assert [c["number"] for c in cards] == [old, new]
    assert [(c["store_id"], c["register_number"], c["age_s"]) for c in cards] == [
        (STORE_A, 2, 120.0), (STORE_B, 1, 30.0)]
    assert cards[0]["holder_transaction_id"] == old_tx and cards[0]["balance_cents"] == 1000
    # and the full listing has the free card without an owner
    every = {c["number"]: c for c in hq.admin("GET", "/api/giftcards").json()["cards"]}
    assert every[free]["locked"] is False and every[free]["store_id"] is None
    assert hq.admin("GET", f"/api/giftcards/{old}").json()["register_number"] == 2
    # and the admin endpoints need the admin token
    assert hq.http.get("/api/giftcards").status_code == 401
    assert hq.store("GET", "/api/giftcards").status_code == 401


def test_force_unlock_writes_an_audit_row(hq: RealtimeHq) -> None:
    number = hq.issue(1500)
    tx = lock(hq, number, STORE_A, 1)
    # when the back office forces the lock open
    r = hq.admin("POST", f"/api/giftcards/{number}/force-unlock",
                 json={"actor": "Dana (HQ)", "reason": "register 1 broke down"})
    # then the card is free, and an audit row names the actor, reason and former holder
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["released"] is True and body["locked"] is False
    assert body["previous_transaction_id"] == tx
    with hq.world.engine.connect() as conn:
        rows = list(conn.execute(select(stored_value_audit)).mappings())
    assert len(rows) == 1
    row = rows[0]
    assert (row["action"], row["actor"], row["reason"]) == (
        "force_unlock", "Dana (HQ)", "register 1 broke down")
    assert str(row["id"]) == body["audit_id"]
    assert row["previous_register_id"] == hq.register(STORE_A, 1)
    assert hq.admin("GET", "/api/giftcards", params={"locked": "true"}).json()["cards"] == []
    # and another register can lock it now; the balance is untouched
    lock(hq, number, STORE_A, 2)
    assert hq.balance(number) == 1500
    # and an unlock of a free card, or one without an actor, writes nothing
    free = hq.issue(100)
    again = hq.admin("POST", f"/api/giftcards/{free}/force-unlock", json={"actor": "Dana"})
    assert again.json()["released"] is False and again.json()["audit_id"] is None
    assert hq.admin("POST", f"/api/giftcards/{number}/force-unlock",
                    json={"actor": ""}).status_code == 422
    assert hq.admin("POST", "/api/giftcards/6000000000000007/force-unlock",
                    json={"actor": "x"}).json()["error"]["code"] == "giftcard.unknown"
    assert hq.admin("POST", "/api/giftcards/6000000000000008/force-unlock",
                    json={"actor": "x"}).json()["error"]["code"] == "giftcard.number_invalid"


def test_back_office_issue_refuses_bad_amounts(hq: RealtimeHq) -> None:
    for cents, code in ((0, "giftcard.amount_not_positive"), (-100, "giftcard.amount_not_positive"),
                        (600_000, "giftcard.max_issue")):
        r = hq.admin("POST", "/api/giftcards", json={"amount_cents": cents})
        assert r.json()["error"]["code"] == code, r.text
    assert hq.admin("GET", "/api/giftcards").json()["cards"] == []
    memo = hq.admin("POST", "/api/giftcards", json={"kind": "credit_memo", "amount_cents": 999})
    assert memo.status_code == 201 and memo.json()["kind"] == "credit_memo"


def test_cli_issue_list_locked_and_force_unlock(data_dir: Path) -> None:
    # given an HQ database with stores and registers
    url = sqlite_url(data_dir / "hq.sqlite")
    world = build_world(url)
    runner, opts = CliRunner(), ["--data-dir", str(data_dir)]
    try:
        # when two 25.00 cards are issued
        issued = runner.invoke(giftcard_app, ["issue", "--amount", "25.00", "--count", "2", *opts])
        assert issued.exit_code == 0, issued.output
        shown = [line.split("  ")[0] for line in issued.output.splitlines()]
        assert len(shown) == 2 and all(len(s.replace(" ", "")) == 16 for s in shown)
        number = shown[0].replace(" ", "")
        RealtimeService(world.engine, world.clock).lock(
            "gift_card", number, register_id=world.registers[(STORE_A, 1)],
            transaction_id=new_id())
        # then the locked list shows it with its owner register 367-1
        listed = runner.invoke(giftcard_app, ["list", "--locked", *opts])
        assert listed.exit_code == 0 and format_number(number) in listed.output
        assert "367-1" in listed.output and shown[1] not in listed.output
        # and force-unlock releases it with an audit id; a bad number is one error line
        freed = runner.invoke(giftcard_app, ["force-unlock", shown[0], "--actor", "Dana", *opts])
        assert freed.exit_code == 0 and "unlocked" in freed.output and "audit" in freed.output
        assert "no locked cards" in runner.invoke(giftcard_app, ["list", "--locked", *opts]).output
        bad = runner.invoke(giftcard_app, ["force-unlock", "123", "--actor", "Dana", *opts])
        assert bad.exit_code == 2 and "giftcard.number_invalid" in bad.output
        negative = runner.invoke(giftcard_app, ["issue", "--amount", "-5", *opts])
        assert negative.exit_code == 2 and "money.negative" in negative.output
    finally:
        world.engine.dispose()
