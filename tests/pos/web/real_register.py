"""A real till for the register UI's browser tests: HQ with the real catalogue → store server
→ fault proxy → register (with its UI), every tier a real app on 127.0.0.1 (issue 6 §3).

``with real_register(data_dir) as till:`` imports The Complete Journey into a fresh HQ
(457 stores, 92,331 products with their real barcodes, the demo operators 1001-1006 with
:data:`PASSWORD`), turns Support offline on for register 1 of the first store, runs the
"All jobs" schedule, lets the store server pull its snapshot, activates the register through
the store server (behind a :class:`FaultProxy`), downloads its offline DB, issues two gift
cards at HQ and serves the register app with the UI. Everything is stopped at the end.

The register runs without background threads (the sync runs when the test or the cashier
asks: the Connection status window's "Download now" / "Upload now"), with a 1.5 s deadline
and no retry, so a blackholed store server switches it to offline within 1.5 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.domain.clock import SystemClock
from kassa.domain.offline_profile import OfflineProfile
from kassa.hq.app import create_app as create_hq
from kassa.hq.distribution import setup
from kassa.hq.distribution.jobs import seed_distribution
from kassa.hq.importer import run_import
from kassa.hq.importer.chain import DEMO_PASSWORD
from kassa.hq.realtime.service import RealtimeService
from kassa.pos.app import create_app as create_register
from kassa.pos.identity import activate
from kassa.pos.runtime import RegisterRuntime
from kassa.pos.web import mount_register_ui
from kassa.store.app import create_app as create_store
from kassa.store.settings import StoreSettings
from support.fault_proxy import FaultProxy
from support.servers import run_app_in_thread

ADMIN = "register-ui-test-admin-token"
PASSWORD = DEMO_PASSWORD
CASHIER = "1003"
SUPERVISOR = "1002"
#: Deadline of one store server request (s); no retry: a blackhole switches within it.
TIMEOUT_S = 1.5


@dataclass(frozen=True)
class Product:
    """A real product of the catalogue with its price at HQ."""

    id: int
    name: str
    barcode: str
    price_cents: int


@dataclass
class Till:
    """Handles on the running till (module docstring)."""

    url: str
    hq_url: str
    store_id: int
    hq: Engine
    proxy: FaultProxy
    runtime: RegisterRuntime
    products: list[Product]
    gift_cards: list[str] = field(default_factory=list)

    def prompt_on_switch(self, dialog: bool) -> None:
        """Tell the cashier about a switch with a dialog (True) or a banner (False)."""
        profile = self.runtime.settings.profile.to_mapping()
        self.runtime.source.configure(profile=OfflineProfile.from_mapping(
            {**profile, "prompt_on_seamless_offline": dialog}))

    def catalogue(self, count: int) -> list[Product]:
        """``count`` real products (the first three are :attr:`products`)."""
        return real_products(self.hq, count)

    def reset(self) -> None:
        """Back to a till at rest: the network passes, the register is online, no open sale,
        no warning, a banner (not a dialog) on a switch."""
        self.proxy.pass_through()
        engine = self.runtime.engine
        source = self.runtime.source
        if not source.online:
            source.connect()
        source.dismiss_warning()
        cart = engine.cart
        if cart is not None:
            session = engine.sign_in(SUPERVISOR, PASSWORD)
            for tender in cart.to_record()["tenders"]:
                if not tender["voided"]:
                    engine.void_tender(session, tender["id"])
            engine.void(session)
            engine.sign_out(session)
        self.prompt_on_switch(False)


def real_products(hq: Engine, count: int = 3) -> list[Product]:
    """``count`` real products with a barcode and a shelf price between $1 and $10."""
    p, price = s.products, s.prices
    query = (select(p.c.id, p.c.name, p.c.barcode, price.c.price_cents)
             .join(price, price.c.product_id == p.c.id)
             .where(p.c.barcode.is_not(None), price.c.price_cents.between(100, 1000),
                    p.c.department == "GROCERY")
             .order_by(p.c.id).limit(count))
    with hq.connect() as conn:
        return [Product(int(r.id), r.name, r.barcode, int(r.price_cents))
                for r in conn.execute(query)]


def register_app(runtime: RegisterRuntime) -> FastAPI:
    """The register app with its UI (mounted here while ``create_app`` does not yet)."""
    return mount_register_ui(create_register(runtime))


@contextmanager
def real_register(data_dir: Path) -> Iterator[Till]:
    """Build and serve the till (module docstring)."""
    clock = SystemClock()
    hq = prepare_database(sqlite_url(data_dir / "hq.sqlite"), "hq")
    with ExitStack() as stack:
        stack.callback(hq.dispose)
        run_import(hq)
        with hq.begin() as conn:
            seed_distribution(conn)
            setup.reconcile_entities(conn, clock.now())
            store = int(conn.execute(select(func.min(s.stores.c.id))).scalar_one())
            rid = conn.execute(select(s.registers.c.id).where(
                s.registers.c.store_id == store, s.registers.c.number == 1)).scalar_one()
        hq_url = stack.enter_context(run_app_in_thread(create_hq(hq, admin_token=ADMIN)))
        admin = stack.enter_context(httpx.Client(
            base_url=hq_url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=120))
        token = _ok(admin.post(f"/api/stores/{store}/server-token"))["token"]
        _ok(admin.put(f"/api/registers/{rid}/support-offline", json={"on": True}))
        code = _ok(admin.post(f"/api/registers/{rid}/activation-code"))["code"]
        schedule = next(x for x in _ok(admin.get("/api/schedules")) if x["name"] == "All jobs")
        _ok(admin.post(f"/api/schedules/{schedule['id']}/run"))
        channel = prepare_database(sqlite_url(data_dir / f"channel-{store}.sqlite"), "channel")
        stack.callback(channel.dispose)
        store_app = create_store(channel, StoreSettings(
            store_id=store, hq_pull_token="register-ui-pull-token-0123", hq_url=hq_url,
            store_token=token), start_puller=False)
        pulled = store_app.state.ctx.puller.pull_once()
        assert pulled.result == "ok", pulled
        store_url = stack.enter_context(run_app_in_thread(store_app))
        proxy = stack.enter_context(FaultProxy("127.0.0.1", int(store_url.rsplit(":", 1)[1])))
        identity = activate(proxy.url, code, store, 1, data_dir)
        runtime = RegisterRuntime(identity, data_dir, background=False, overrides={
            "timeout_s": TIMEOUT_S, "retry_count_to_offline": 0})
        stack.callback(runtime.close)
        downloaded = runtime.sync.download_now()
        assert downloaded.result == "ok", downloaded
        cards = RealtimeService(hq, clock)
        gift_cards = [cards.issue("gift_card", cents).card.number for cents in (5000, 2500)]
        url = stack.enter_context(run_app_in_thread(register_app(runtime)))
        yield Till(url, hq_url, store, hq, proxy, runtime, real_products(hq), gift_cards)


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 400, (response.status_code, response.text)
    return response.json()
