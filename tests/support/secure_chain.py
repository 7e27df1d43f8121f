"""HQ → store server → register over real HTTP, for the security and journal tests (issue 8).

``with secure_chain(data_dir) as chain:`` builds the small HQ of :mod:`support.hq_world`
(stores 367 and 368) with real argon2 operator hashes (:data:`PASSWORDS`), Support offline
on register 1 of store 367, a store server token, and packages of "All jobs"; serves HQ,
then a store server of store 367 (SQLite channel DB, HQ client, puller driven by the test),
pulls the packages, activates register 1 through the store server with a one-time code
from HQ's admin API, starts the register (:class:`~kassa.pos.runtime.RegisterRuntime`,
no background threads) and serves its API; the register's offline DB is provisioned by a
real download. Everything runs on 127.0.0.1 free ports and is always stopped. Clocks are
:class:`FixedClock` s the tests move (HQ ``chain.hq.clock``, store ``store_clock``,
register ``register_clock``).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select

from kassa.auth.passwords import hash_password
from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import channel_db_entities
from kassa.db.migrate import prepare_database
from kassa.domain.clock import FixedClock
from kassa.hq.app import create_app as create_hq_app
from kassa.hq.distribution.setup import set_support_offline
from kassa.hq.distribution.writer import run_schedule
from kassa.pos.app import create_app as create_register_app
from kassa.pos.identity import RegisterIdentity, activate
from kassa.pos.runtime import RegisterRuntime
from kassa.store.app import create_app as create_store_app
from kassa.store.deps import StoreContext
from kassa.store.settings import StoreSettings
from support.hq_world import STORE_A, World, build_world
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-security-tests-0123456789"
PULL_TOKEN = "hq-pull-token-for-security-tests-0123"
PASSWORDS = {"1001": "manager-pass-1001", "367-1": "cashier-pass-367", "368-1": "other-368"}
MILK = 1001  # Whole Milk 1 gal, 3.49
T0 = datetime(2017, 6, 1, 9, 0, tzinfo=UTC)


def bearer(token: str) -> dict[str, str]:
    """``Authorization: Bearer <token>``."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class SecureChain:
    """Handles on the running chain (module docstring)."""

    hq: World
    hq_http: httpx.Client
    store_token: str
    channel: Engine
    store: httpx.Client
    ctx: StoreContext
    store_clock: FixedClock
    data_dir: Path
    identity: RegisterIdentity
    runtime: RegisterRuntime
    register_clock: FixedClock
    register: httpx.Client

    @property
    def register_id(self) -> uuid.UUID:
        return self.identity.register_id

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """An HQ admin API call."""
        return self.hq_http.request(method, path, headers=bearer(ADMIN), **kw)

    def sign_in(self, operator_id: str = "367-1", password: str | None = None) -> str:
        """Sign in at the register; the session token."""
        answer = self.register.post("/api/sign-in", json={
            "operator_id": operator_id, "password": password or PASSWORDS[operator_id]})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def sale(self, session: str, quantity: int = 1) -> dict[str, Any]:
        """A completed cash sale of milk at the register; the committed record."""
        auth = bearer(session)
        started = self.register.post("/api/transactions", headers=auth)
        assert started.status_code == 201, started.text
        line = self.register.post("/api/cart/lines", headers=auth,
                                  json={"product_id": MILK, "quantity": quantity})
        assert line.status_code == 201, line.text
        due = line.json()["cart"]["totals"]["amount_due_cents"]
        paid = self.register.post("/api/cart/tenders", headers=auth,
                                  json={"type": "cash", "amount_cents": due + 1000})
        assert paid.status_code == 201, paid.text
        done = self.register.post("/api/cart/complete", headers=auth)
        assert done.status_code == 200, done.text
        record: dict[str, Any] = done.json()["transaction"]
        return record

    def operation_917(self, session: str, action: str) -> None:
        """Disconnect / Connect the register (operation 917)."""
        answer = self.register.post("/api/operations/917", headers=bearer(session),
                                    json={"action": action})
        assert answer.status_code == 200, answer.text

    def upload(self) -> None:
        """The register's sync uploads now and reports its status to the store server."""
        attempt = self.runtime.sync.upload_now()
        assert attempt.result in ("ok", "nothing_new", "rejected"), attempt

    def report_to_hq(self) -> None:
        """The store server's puller round: pull and report its status to HQ."""
        assert self.ctx.puller is not None
        self.ctx.puller.pull_once()

    def offline_db(self) -> sqlite3.Connection:
        """A plain sqlite3 connection to the register's offline DB file (close it)."""
        path = self.runtime.offline_db.url.database
        assert path is not None
        return sqlite3.connect(path)

    def journal_break_at_hq(self) -> str | None:
        """``channel_db_entities.journal_break`` of the register's offline entity at HQ."""
        e = channel_db_entities.c
        with self.hq.engine.connect() as conn:
            value = conn.execute(select(e.journal_break).where(
                e.register_id == self.register_id, e.kind == "offline",
                e.active.is_(True))).scalar_one()
        return None if value is None else str(value)


def _hq(data_dir: Path) -> World:
    world = build_world(sqlite_url(data_dir / "hq.sqlite"))
    with world.engine.connect() as conn:
        operators = [dict(r._mapping) for r in conn.execute(select(s.operators))]
    for row in operators:
        row.pop("version", None)
        row["password_hash"] = hash_password(PASSWORDS[row["id"]])
    world.write(s.operators, operators)
    with world.engine.begin() as conn:
        set_support_offline(conn, world.registers[(STORE_A, 1)], True, T0)
    run_schedule(world.engine, "All jobs", clock=world.clock)
    return world


@contextmanager
def secure_chain(data_dir: Path, *, register_timeout_s: float = 2.0) -> Iterator[SecureChain]:
    """Build and serve the chain (module docstring)."""
    world = _hq(data_dir)
    with ExitStack() as stack:
        stack.callback(world.engine.dispose)
        hq_app = create_hq_app(world.engine, admin_token=ADMIN, clock=world.clock)
        hq_url = stack.enter_context(run_app_in_thread(hq_app))
        hq_http = stack.enter_context(httpx.Client(base_url=hq_url, timeout=30))
        issued = hq_http.post(f"/api/stores/{STORE_A}/server-token", headers=bearer(ADMIN))
        assert issued.status_code == 201, issued.text
        store_token = str(issued.json()["token"])
        channel = prepare_database(sqlite_url(data_dir / f"channel-{STORE_A}.sqlite"), "channel")
        stack.callback(channel.dispose)
        store_clock = FixedClock(T0)
        settings = StoreSettings(store_id=STORE_A, hq_pull_token=PULL_TOKEN, hq_url=hq_url,
                                 store_token=store_token, public_url="http://127.0.0.1:1")
        store_app = create_store_app(channel, settings, clock=store_clock, start_puller=False)
        ctx: StoreContext = store_app.state.ctx
        store_url = stack.enter_context(run_app_in_thread(store_app))
        store = stack.enter_context(httpx.Client(base_url=store_url, timeout=30))
        assert ctx.puller is not None and ctx.puller.pull_once().result == "ok"
        code = hq_http.post(f"/api/registers/{world.registers[(STORE_A, 1)]}/activation-code",
                            headers=bearer(ADMIN))
        assert code.status_code == 201, code.text
        identity = activate(store_url, str(code.json()["code"]), STORE_A, 1, data_dir)
        register_clock = FixedClock(T0)
        runtime = RegisterRuntime(identity, data_dir, clock=register_clock, background=False,
                                  overrides={"timeout_s": register_timeout_s})
        stack.callback(runtime.close)
        assert runtime.sync.download_now().result == "ok"
        runtime.refresh_settings()
        register_url = stack.enter_context(run_app_in_thread(create_register_app(runtime)))
        register = stack.enter_context(httpx.Client(base_url=register_url, timeout=30))
        yield SecureChain(world, hq_http, store_token, channel, store, ctx, store_clock,
                          data_dir, identity, runtime, register_clock, register)
