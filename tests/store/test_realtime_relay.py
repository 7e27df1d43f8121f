"""The store server's relay of the real-time service (DESIGN §6, issue 5 §1), end to end over
real HTTP: register → store server → (fault proxy) → HQ. The register id comes from the
device token, HQ's refusals come back with their status and code, and an HQ that is too slow
or gone is a 503 answered within the register's deadline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.domain.errors import Unavailable
from kassa.domain.ids import new_id
from kassa.domain.offline_profile import OfflineProfile
from kassa.store import realtime_relay
from kassa.store.app import create_app
from kassa.store.channel import RegisterIdentity
from kassa.store.settings import StoreSettings
from support.fault_proxy import FaultProxy
from support.hq_world import STORE_A
from support.realtime_hq import RealtimeHq, realtime_hq
from support.servers import run_app_in_thread

PULL_TOKEN = "hq-pull-token-for-relay-tests-0123"
#: The register's deadline (offline profile timeout_s); the relay waits 0.8 of it for HQ.
#: Generous: a busy machine (2 cores, PostgreSQL, the rest of the suite) must not time out.
TIMEOUT_S = 3.0


@dataclass
class Relay:
    hq: RealtimeHq
    proxy: FaultProxy
    url: str
    tokens: dict[int, str]  # register number → device token

    def call(self, method: str, path: str, register: int = 1, token: str | None = None,
             **kw: Any) -> httpx.Response:
        """A call as register ``register`` (0: no token; ``token``: that token instead)."""
        token = token or (self.tokens[register] if register else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=10, **kw)


def store_app(engine: Any, settings: StoreSettings) -> Any:
    app = create_app(engine, settings, start_puller=False)
    if not any(getattr(r, "path", "").startswith("/api/realtime/") for r in app.routes):
        app.include_router(realtime_relay.router)
    return app


@pytest.fixture
def relay(db_url: str, data_dir: Path) -> Iterator[Relay]:
    # HQ (SQLite) with a 0.5 s offline profile, distributed by "All jobs"; the store's
    # channel DB at db_url pulls it through a fault proxy; registers 1 and 2 are activated
    with realtime_hq(sqlite_url(data_dir / "hq.sqlite")) as hq:
        hq.world.write(s.offline_profiles, [{"id": 1, "name": "Default",
                                             **OfflineProfile(timeout_s=TIMEOUT_S).to_mapping()}])
        schedule = next(x for x in hq.admin("GET", "/api/schedules").json()
                        if x["name"] == "All jobs")
        assert hq.admin("POST", f"/api/schedules/{schedule['id']}/run").status_code == 200
        port = int(hq.url.rsplit(":", 1)[1])
        channel = prepare_database(db_url, "channel")
        try:
            with FaultProxy("127.0.0.1", port) as proxy:
                settings = StoreSettings(store_id=STORE_A, hq_pull_token=PULL_TOKEN,
                                         hq_url=proxy.url, store_token=hq.tokens[STORE_A])
                app = store_app(channel, settings)
                assert app.state.ctx.puller.pull_once().result == "ok"
                with run_app_in_thread(app) as url:
                    tokens = {}
                    for n in (1, 2):
                        code = hq.admin(
                            "POST", f"/api/registers/{hq.register(STORE_A, n)}/activation-code"
                        ).json()["code"]
                        answer = httpx.post(url + "/api/activate", json={"code": code})
                        assert answer.status_code == 200, answer.text
                        tokens[n] = answer.json()["device_token"]
                    yield Relay(hq, proxy, url, tokens)
        finally:
            channel.dispose()


def assert_error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    return str(r.json()["error"]["message"])


def test_relay_locks_redeems_and_reads_for_the_token_register(relay: Relay) -> None:
    # given a 40.00 card issued through the relay by register 1
    tx = str(new_id())
    issued = relay.call("POST", "/api/realtime/gift_card/issue",
                        json={"amount_cents": 4000, "transaction_id": tx})
    assert issued.status_code == 200, issued.text
    number = issued.json()["number"]
    sale = str(new_id())
    # when register 1 locks it, reads the balance and redeems 15.00
    locked = relay.call("POST", f"/api/realtime/gift_card/{number}/lock",
                        json={"transaction_id": sale})
    balance = relay.call("GET", f"/api/realtime/gift_card/{number}/balance")
    # then HQ holds the lock for register 1 — the register of the device token
    assert locked.status_code == 200, locked.text
    assert locked.json()["balance_cents"] == 4000
    assert locked.json()["holder_register_id"] == str(relay.hq.register(STORE_A, 1))
    assert balance.json()["locked"] is True
    # and register 2 is refused with HQ's status, code and message naming register 1
    other = relay.call("POST", f"/api/realtime/gift_card/{number}/lock", register=2,
                       json={"transaction_id": str(new_id())})
    assert "register 1 of store 367" in assert_error(other, 409, "giftcard.locked")
    redeemed = relay.call("POST", f"/api/realtime/gift_card/{number}/redeem",
                          json={"transaction_id": sale, "amount_cents": 1500})
    assert redeemed.json()["balance_cents"] == 2500 and redeemed.json()["locked"] is False
    added = relay.call("POST", f"/api/realtime/gift_card/{number}/add", register=2,
                       json={"transaction_id": str(new_id()), "amount_cents": 500})
    assert added.json()["balance_cents"] == 3000 == relay.hq.balance(number)
    # and a void of a tender unlocks
    tx3 = str(new_id())
    relay.call("POST", f"/api/realtime/gift_card/{number}/lock", json={"transaction_id": tx3})
    unlocked = relay.call("POST", f"/api/realtime/gift_card/{number}/unlock",
                          json={"transaction_id": tx3})
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["released"] is True


def test_relay_refusals_keep_hq_status_and_code(relay: Relay) -> None:
    number = relay.hq.issue(1000)
    tx = str(new_id())
    relay.call("POST", f"/api/realtime/gift_card/{number}/lock", json={"transaction_id": tx})
    base = f"/api/realtime/gift_card/{number}"
    assert_error(relay.call("POST", f"{base}/redeem", json={"transaction_id": tx,
                                                            "amount_cents": 1001}),
                 409, "giftcard.insufficient_balance")
    assert_error(relay.call("POST", f"{base}/redeem", json={"transaction_id": tx,
                                                            "amount_cents": 0}),
                 422, "giftcard.amount_not_positive")
    assert_error(relay.call("GET", "/api/realtime/gift_card/6000000000000007/balance"), 404,
                 "giftcard.unknown")
    # a register id in the body is refused: the token says which register calls
    assert_error(relay.call("POST", f"{base}/lock", json={
        "transaction_id": str(new_id()), "register_id": str(relay.hq.register(STORE_A, 2))}),
        422, "request.invalid")
    # no device token / an unknown one
    assert relay.call("GET", f"{base}/balance", register=0).status_code == 401
    assert relay.call("GET", f"{base}/balance", token="nope").status_code == 401
    assert relay.hq.balance(number) == 1000


def test_hq_gone_is_503_within_the_register_deadline(relay: Relay) -> None:
    number = relay.hq.issue(1000)
    path = f"/api/realtime/gift_card/{number}/lock"
    for fault in (relay.proxy.blackhole, relay.proxy.refuse):
        # when HQ stops answering (blackhole) or refuses connections
        fault()
        started = time.monotonic()
        r = relay.call("POST", path, json={"transaction_id": str(new_id())})
        elapsed = time.monotonic() - started
        # then the register gets a 503 it can switch on, before its own deadline
        assert_error(r, 503, "hq.unreachable")
        assert elapsed < TIMEOUT_S, elapsed
    # and once HQ is back the same call works
    relay.proxy.pass_through()
    assert relay.call("POST", path, json={"transaction_id": str(new_id())}).status_code == 200


def test_store_without_hq_refuses_with_503(data_dir: Path) -> None:
    # given a store server configured without HQ
    engine = prepare_database(sqlite_url(data_dir / "channel.sqlite"), "channel")
    try:
        app = store_app(engine, StoreSettings(store_id=STORE_A, hq_pull_token=PULL_TOKEN))
        register = RegisterIdentity(new_id(), STORE_A, 1, "Register 1", True)
        # when a real-time call is relayed, then it is Unavailable (503) hq.not_configured
        with pytest.raises(Unavailable) as refused:
            realtime_relay.relay(app.state.ctx, register, "GET",
                                 "/api/realtime/gift_card/6000000000000007/balance")
        assert refused.value.code == "hq.not_configured"
    finally:
        engine.dispose()
