"""HQ → store server → register → store server → HQ, all real apps on loopback (DESIGN §2-§5).

HQ makes the packages and the activation code; the store server pulls the packages and
relays the activation; the register activates (identity file 0600), syncs its offline DB,
sells online, meets an outage mid-sale, finishes offline, uploads when the store server is
back; HQ's P-job posts both sales exactly once.
"""

from __future__ import annotations

import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from kassa.auth.passwords import hash_password
from kassa.config import sqlite_url
from kassa.db import hq_schema
from kassa.db.migrate import prepare_database
from kassa.hq.api import posting_routes
from kassa.hq.app import create_app as create_hq
from kassa.pos.identity import RegisterIdentity, activate
from kassa.pos.runtime import RegisterRuntime
from kassa.store.app import create_app as create_store
from kassa.store.settings import StoreSettings
from support.fault_proxy import FaultProxy
from support.hq_world import STORE_A, build_world
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-the-e2e-test"
PASSWORD = "e2e-pass-9001"


@contextmanager
def serve_on_bound_socket(make_app: Callable[[str], Any]) -> Iterator[str]:
    """Serve ``make_app(url)`` on a socket bound first, so the app knows its own URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(make_app(url), log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "store did not start"
            time.sleep(0.01)
        yield url
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def _wait(check: Any, what: str, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_offline_sale_travels_from_the_register_to_hq_exactly_once(data_dir: Path) -> None:
    world = build_world(sqlite_url(data_dir / "hq.sqlite"))
    world.write(hq_schema.operators, [{"id": "9001", "name": "E2E Cashier", "role": "cashier",
                                       "password_hash": hash_password(PASSWORD),
                                       "store_id": STORE_A}])
    rid = world.registers[(STORE_A, 1)]
    hq_app = create_hq(world.engine, admin_token=ADMIN, routers=[posting_routes.router])
    admin = {"Authorization": f"Bearer {ADMIN}"}
    channel = prepare_database(sqlite_url(data_dir / "channel-367.sqlite"), "channel")
    try:
        with run_app_in_thread(hq_app) as hq_url, httpx.Client(base_url=hq_url,
                                                                 headers=admin, timeout=30) as hq:
            # HQ: store token, Support offline, activation code, then the schedule
            token = hq.post(f"/api/stores/{STORE_A}/server-token").json()["token"]
            assert hq.put(f"/api/registers/{rid}/support-offline",
                          json={"on": True}).status_code == 200
            code = hq.post(f"/api/registers/{rid}/activation-code").json()["code"]
            schedule = next(x for x in hq.get("/api/schedules").json()
                            if x["name"] == "All jobs")
            assert hq.post(f"/api/schedules/{schedule['id']}/run").status_code == 200

            def store_app(url: str) -> Any:
                return create_store(channel, StoreSettings(
                    store_id=STORE_A, hq_pull_token="pull-token-e2e-0123456", hq_url=hq_url,
                    store_token=token, public_url=url, pull_interval_s=0.3))

            with serve_on_bound_socket(store_app) as store_url, \
                    FaultProxy("127.0.0.1", int(store_url.rsplit(":", 1)[1])) as proxy:
                _wait(lambda: httpx.get(f"{store_url}/api/health").json()["checkpoint"],
                      "the store server's first pull")
                # the register activates through the store server (relayed to HQ)
                identity = activate(proxy.url, code, STORE_A, 1, data_dir)
                path = RegisterIdentity.path(data_dir, STORE_A, 1)
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
                reg = RegisterRuntime(identity, data_dir, background=False,
                                      overrides={"timeout_s": 1, "reconnect_interval_s": 0})
                try:
                    _sell(reg, proxy)
                finally:
                    reg.close()
                # HQ's P-job (HQ learnt the store's URL from its status reports)
                _wait(lambda: hq.post("/api/posting/run", params={"store_id": STORE_A})
                      .json()["stores"][0]["pulled"], "the P-job")
                again = hq.post("/api/posting/run", params={"store_id": STORE_A}).json()
                assert sum(x["pulled"] for x in again["stores"]) == 0
            # both sales posted once; a record's mode is the mode it was committed in: the
            # sale that switched offline mid-way counts as offline
            report = hq.get("/api/reports/sales", params={"store_id": STORE_A}).json()
            assert (report["total"]["baskets"], report["total"]["online"],
                    report["total"]["offline"]) == (2, 1, 1), report["total"]
            assert report["total"]["total_cents"] == 2 * 349 + 429
    finally:
        channel.dispose()
        world.engine.dispose()


def _sell(reg: RegisterRuntime, proxy: FaultProxy) -> None:
    assert reg.sync.download_now().result == "ok"
    assert reg.settings.support_offline and reg.status()["connection"]["offline_db_ready"]
    pos = reg.engine
    cashier = pos.sign_in("9001", PASSWORD)
    # online sale
    pos.start_transaction(cashier)
    pos.add_line(cashier, product_id=1001)
    pos.add_tender(cashier, "cash", 500)
    assert pos.complete(cashier).outcome.where == "store"
    # the outage in the middle of the next sale
    pos.start_transaction(cashier)
    pos.add_line(cashier, product_id=1001)
    proxy.blackhole()
    pos.add_line(cashier, product_id=1002)
    pos.add_tender(cashier, "card", 349 + 429)
    assert pos.complete(cashier).outcome.where == "offline"
    # back: the upload goes up once
    proxy.pass_through()
    attempt = reg.sync.upload_now()
    assert attempt.result == "ok" and attempt.count == 1, attempt
