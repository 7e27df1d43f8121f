"""HQ → store server → register over real HTTP (issue 3 §5, acceptance): the store server
pulls its group's packages from a real HQ app into its channel DB (SQLite or PostgreSQL),
keeps the offline variant for its registers, relays activation, reports status, and
survives HQ being unreachable or cut mid-answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from kassa.config import sqlite_url
from kassa.db import channel_schema as cs
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.hq.app import create_app as create_hq_app
from kassa.hq.distribution import access, entities
from kassa.hq.distribution.jobs import CUSTOMERS, set_job_excluded
from kassa.hq.distribution.setup import set_support_offline
from kassa.hq.distribution.writer import run_schedule
from kassa.hq.posting.cursors import endpoints
from kassa.store.app import create_app
from kassa.store.deps import StoreContext
from kassa.store.settings import StoreSettings
from kassa.sync.apply import apply_package, checkpoint_of
from support.fault_proxy import FaultProxy
from support.hq_world import STORE_A, World, build_world
from support.servers import run_app_in_thread
from support.store_world import PULL_TOKEN

NOW = datetime(2017, 3, 1, tzinfo=UTC)


@dataclass
class Chain:
    """A real HQ and a store server of store ``STORE_A`` talking over HTTP."""

    world: World
    hq_url: str
    proxy: FaultProxy
    store_url: str
    ctx: StoreContext
    channel: Engine
    client: httpx.Client

    def pull(self) -> Any:
        assert self.ctx.puller is not None
        return self.ctx.puller.pull_once()

    def schedule(self) -> None:
        run_schedule(self.world.engine, "All jobs", clock=self.world.clock)

    def activate(self, number: int = 1) -> str:
        with self.world.engine.begin() as conn:
            code = access.issue_activation_code(
                conn, self.world.registers[(STORE_A, number)], NOW).code
        answer = self.client.post("/api/activate", json={"code": code})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["device_token"]
        return token


def _hq(data_dir: Path) -> tuple[World, str]:
    world = build_world(sqlite_url(data_dir / "hq.sqlite"))
    with world.engine.begin() as conn:
        set_job_excluded(conn, CUSTOMERS, True)  # customers never reach offline DBs
        set_support_offline(conn, world.registers[(STORE_A, 1)], True, NOW)
        token = access.issue_store_token(conn, STORE_A, NOW).token
    run_schedule(world.engine, "All jobs", clock=world.clock)  # baselines
    return world, token


def _proxy_to(url: str) -> FaultProxy:
    host, port = url.removeprefix("http://").split(":")
    return FaultProxy(host, int(port))


@pytest.fixture
def chain(db_url: str, data_dir: Path) -> Iterator[Chain]:
    world, store_token = _hq(data_dir)
    channel = prepare_database(db_url, "channel")
    hq_app = create_hq_app(world.engine, admin_token="admin-token-for-tests", clock=world.clock)
    try:
        with run_app_in_thread(hq_app) as hq_url, _proxy_to(hq_url) as proxy:
            settings = StoreSettings(store_id=STORE_A, hq_pull_token=PULL_TOKEN, hq_url=proxy.url,
                                     store_token=store_token, public_url="http://127.0.0.1:1",
                                     hq_timeout_s=4.0, pull_interval_s=0.1)
            app = create_app(channel, settings, start_puller=False)
            with run_app_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as c:
                yield Chain(world, hq_url, proxy, url, app.state.ctx, channel, c)
    finally:
        channel.dispose()
        world.engine.dispose()


def _rows(engine: Engine, table: str, *cols: str) -> list[tuple[Any, ...]]:
    t = cs.metadata.tables[table]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(*[t.c[c] for c in cols]).order_by(*[t.c[c] for c in cols]))]


def _download(chain: Chain, token: str, offline: Engine) -> list[int]:
    """What the register's sync client does: list after its checkpoint, fetch, apply."""
    auth = {"Authorization": f"Bearer {token}"}
    checkpoint = checkpoint_of(offline)
    params = {} if checkpoint is None else {"after": checkpoint}
    headers = chain.client.get("/api/packages", params=params, headers=auth).json()["packages"]
    applied = []
    for h in headers:
        body = chain.client.get(f"/api/packages/{h['number']}/body", params={"kind": h["kind"]},
                                headers=auth)
        assert body.status_code == 200
        applied.append(apply_package(offline, h, body.content, now=NOW).number)
    return applied


def test_master_data_reaches_channel_db_and_offline_db(chain: Chain, data_dir: Path) -> None:
    # given a new store server: it starts from the snapshot
    first = chain.pull()
    assert first.result == "ok" and first.checkpoint == 1
    assert _rows(chain.channel, "prices", "product_id", "price_cents") == [
        (1001, 349), (1002, 429), (1003, 59)]
    assert len(_rows(chain.channel, "customers", "id")) == 2
    # and a register activated through it can read at once, and provision its offline DB
    token = chain.activate()
    me = chain.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["register"]["number"] == 1
    offline = prepare_database(sqlite_url(data_dir / "offline.sqlite"), "offline")
    try:
        assert _download(chain, token, offline) == [1]
        assert _rows(offline, "prices", "product_id") == [(1001,), (1002,), (1003,)]
        assert _rows(offline, "customers", "id") == []  # excluded from offline DBs
        # when HQ changes a price, deletes a product, changes a parameter and runs a schedule
        chain.world.set_price(1002, 449)
        chain.world.delete(s.prices, [1003])
        chain.world.delete(s.products, [1003])
        chain.world.write(s.commerce_parameters,
                          [{"key": "allow_offline_gift_card_conclusion", "value": "true"}])
        chain.world.write(s.customers, [{"id": 1, "name": "Household 1",
                                         "loyalty_card": "400000000001", "age": "55-64"}])
        params = chain.client.get("/api/parameters", headers={"Authorization": f"Bearer {token}"})
        assert params.json()["allow_offline_gift_card_conclusion"] is False
        chain.schedule()
        # then one pull brings all of it to the channel DB, effective on the next request
        assert chain.pull().checkpoint == 2
        assert _rows(chain.channel, "prices", "product_id", "price_cents") == [
            (1001, 349), (1002, 449)]
        assert [r[0] for r in _rows(chain.channel, "products", "id")] == [1001, 1002]
        assert ("55-64",) in _rows(chain.channel, "customers", "age")
        params = chain.client.get("/api/parameters", headers={"Authorization": f"Bearer {token}"})
        assert params.json()["allow_offline_gift_card_conclusion"] is True
        # and the register's next download brings it to the offline DB, without customers
        assert _download(chain, token, offline) == [2]
        assert _rows(offline, "prices", "product_id", "price_cents") == [(1001, 349), (1002, 449)]
        assert _rows(offline, "customers", "id") == []
        assert _download(chain, token, offline) == []
    finally:
        offline.dispose()


def test_store_reports_its_checkpoint_and_pull_access_to_hq(chain: Chain) -> None:
    # given a register that reported its status to the store server
    token = chain.activate()
    chain.pull()
    status = {"checkpoint": 1, "pending_uploads": 2, "mode": "online"}
    assert chain.client.post("/api/status", json=status,
                             headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # when the store server pulls (and reports)
    chain.pull()
    # then HQ shows the channel DB's and the register's checkpoints, and knows how to pull
    # the store's transactions (P-job endpoint: URL + HQ pull token)
    with chain.world.engine.connect() as conn:
        views = entities.channel_databases(conn, store_id=STORE_A)
        endpoint = endpoints(conn, STORE_A)
    channel_entity = next(v for v in views if v.kind == "channel")
    assert channel_entity.checkpoint == 1 and channel_entity.last_contact_at is not None
    offline_entity = next(v for v in views if v.kind == "offline" and v.register_number == 1)
    assert (offline_entity.checkpoint, offline_entity.pending_uploads) == (1, 2)
    assert [(e.base_url, e.pull_token) for e in endpoint] == [("http://127.0.0.1:1",
                                                                PULL_TOKEN)]


def test_hq_unreachable_or_cut_leaves_channel_db_as_it_was(chain: Chain) -> None:
    chain.pull()
    chain.world.set_price(1001, 1)
    chain.schedule()
    proxy = chain.proxy  # every HQ call of the store server goes through it
    for fault in (proxy.refuse, proxy.blackhole, lambda: proxy.cut(200)):
        fault()
        attempt = chain.pull()
        assert attempt.result == "error"
        assert attempt.error_code == "hq.unreachable", attempt.error
        assert checkpoint_of(chain.channel) == 1
        assert (1001, 349) in _rows(chain.channel, "prices", "product_id", "price_cents")
    proxy.pass_through()
    assert chain.pull().checkpoint == 2
    assert (1001, 1) in _rows(chain.channel, "prices", "product_id", "price_cents")


def test_activation_errors_come_back_from_hq(chain: Chain) -> None:
    chain.pull()
    unknown = chain.client.post("/api/activate", json={"code": "ABCD-EFGH-JKLM"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "activation.unknown_code"
    assert chain.client.post("/api/activate", json={}).status_code == 422


def test_background_puller_keeps_the_channel_db_in_step(chain: Chain) -> None:
    assert chain.ctx.puller is not None
    chain.ctx.puller.start()  # a round at once, then every 0.1 s
    try:
        deadline = time.monotonic() + 20
        while chain.client.get("/api/health").json()["checkpoint"] != 1:
            assert time.monotonic() < deadline, "the puller never applied the snapshot"
            time.sleep(0.05)
        chain.world.set_price(1001, 7)
        chain.schedule()
        chain.ctx.puller.wake()
        while chain.client.get("/api/health").json()["checkpoint"] != 2:
            assert time.monotonic() < deadline, "the puller never applied delta 2"
            time.sleep(0.05)
        health = chain.client.get("/api/health").json()
        assert health["last_pull"]["error"] is None
    finally:
        chain.ctx.puller.stop()
