"""HQ + store server + registers, all real, for the gift card and credit memo tests (issue 5).

``with card_world(data_dir) as w:`` serves

* a real HQ (:func:`support.realtime_hq.realtime_hq`: real-time service, gift card admin,
  distribution, P-job posting) with a cashier ``9001`` (real argon2 hash), Support offline
  on for registers 1 and 2 of store 367, an offline profile with ``timeout_s`` =
  :data:`TIMEOUT_S`, and the commerce parameters given; "All jobs" has run once;
* the real store server app of store 367 on its own channel DB, connected to HQ (the
  relay of the real-time service; the first pull done), known to HQ for the P-job;
* a :class:`FaultProxy` in front of the store server: registers reach it only through
  :attr:`CardWorld.proxy` (blackhole = the store server is gone);

and :meth:`CardWorld.register` activates a register through the proxy and gives it its
offline DB by the real async sync. Everything is stopped at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, update

from kassa.auth.passwords import hash_password
from kassa.config import sqlite_url
from kassa.db import hq_schema
from kassa.db.hq_giftcard_schema import stored_value_cards
from kassa.db.migrate import prepare_database
from kassa.domain.offline_profile import OfflineProfile
from kassa.hq.posting.cursors import record_store_endpoint
from kassa.pos.identity import RegisterIdentity, activate
from kassa.pos.runtime import RegisterRuntime
from kassa.store.app import create_app
from kassa.store.settings import StoreSettings
from support.fault_proxy import FaultProxy
from support.hq_world import STORE_A
from support.realtime_hq import RealtimeHq, realtime_hq
from support.servers import run_app_in_thread

CASHIER, PASSWORD = "9001", "card-tests-9001"
PULL_TOKEN = "hq-pull-token-for-card-tests-0123"
#: The register's deadline (and the offline profile's), seconds: generous, so that a busy
#: machine never switches by accident; the store server waits 0.8 × this for HQ.
TIMEOUT_S = 3.0
GIFT_CARD_PARAMETER = "allow_offline_gift_card_conclusion"
CREDIT_MEMO_PARAMETER = "allow_offline_credit_memo_conclusion"
PARAMETER = {"gift_card": GIFT_CARD_PARAMETER, "credit_memo": CREDIT_MEMO_PARAMETER}


@dataclass
class CardWorld:
    """Handles on the running chain (module docstring)."""

    data_dir: Path
    hq: RealtimeHq
    store_app: Any
    store_url: str
    proxy: FaultProxy
    channel: Engine
    stack: ExitStack = field(default_factory=ExitStack)
    identities: dict[int, RegisterIdentity] = field(default_factory=dict)

    def register(self, number: int = 1, **overrides: Any) -> RegisterRuntime:
        """Register ``number`` of store 367 (activated once), synced; closed with the world.
        No background threads: tests drive the sync."""
        if number not in self.identities:
            rid = self.hq.register(STORE_A, number)
            code = self.hq.admin("POST", f"/api/registers/{rid}/activation-code").json()["code"]
            self.identities[number] = activate(self.proxy.url, code, STORE_A, number,
                                               self.data_dir)
        settings = {"timeout_s": TIMEOUT_S, "retry_count_to_offline": 0,
                    "reconnect_interval_s": 0, **overrides}
        reg = RegisterRuntime(self.identities[number], self.data_dir, overrides=settings,
                              background=False)
        self.stack.callback(reg.close)
        attempt = reg.sync.download_now()
        assert attempt.result in ("ok", "nothing_new"), attempt
        assert reg.status()["connection"]["offline_db_ready"]
        return reg

    def run_schedule(self) -> None:
        """HQ runs "All jobs" and the store server pulls the packages at once."""
        schedule = next(x for x in self.hq.admin("GET", "/api/schedules").json()
                        if x["name"] == "All jobs")
        answer = self.hq.admin("POST", f"/api/schedules/{schedule['id']}/run")
        assert answer.status_code == 200, answer.text
        assert self.store_app.state.ctx.puller.pull_once().result in ("ok", "nothing_new")

    def set_parameter(self, key: str, on: bool) -> None:
        """Change a commerce parameter at HQ (not distributed yet)."""
        self.hq.world.write(hq_schema.commerce_parameters,
                            [{"key": key, "value": "true" if on else "false"}])

    def post(self) -> dict[str, Any]:
        """Run HQ's P-job for store 367 → its result for the store."""
        answer = self.hq.admin("POST", "/api/posting/run", params={"store_id": STORE_A})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()["stores"][0]
        assert result["error"] is None, result
        return result

    def card(self, number: str) -> dict[str, Any]:
        """The card at HQ: ``balance_cents``, ``locked``, ``register_number`` …"""
        answer = self.hq.admin("GET", f"/api/giftcards/{number}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def deactivate(self, number: str) -> None:
        """Make the card inactive at HQ (what a blocked card looks like)."""
        with self.hq.world.engine.begin() as conn:
            conn.execute(update(stored_value_cards).where(stored_value_cards.c.number == number)
                         .values(active=False))


@contextmanager
def card_world(data_dir: Path, *, parameters: dict[str, bool] | None = None
               ) -> Iterator[CardWorld]:
    """Build and serve the chain (module docstring); ``parameters`` = commerce parameters
    to set before the first schedule run."""
    with ExitStack() as stack:
        hq = stack.enter_context(realtime_hq(sqlite_url(data_dir / "hq.sqlite")))
        world = hq.world
        world.write(hq_schema.operators, [{"id": CASHIER, "name": "Card Cashier",
                                           "role": "cashier",
                                           "password_hash": hash_password(PASSWORD),
                                           "store_id": STORE_A}])
        profile = OfflineProfile(timeout_s=TIMEOUT_S, retry_count_to_offline=0,
                                 reconnect_interval_s=0)
        world.write(hq_schema.offline_profiles,
                    [{"id": 1, "name": "Default", **profile.to_mapping()}])
        for key, on in {GIFT_CARD_PARAMETER: False, CREDIT_MEMO_PARAMETER: False,
                        **(parameters or {})}.items():
            world.write(hq_schema.commerce_parameters,
                        [{"key": key, "value": "true" if on else "false"}])
        for n in (1, 2):
            answer = hq.admin("PUT", f"/api/registers/{hq.register(STORE_A, n)}/support-offline",
                              json={"on": True})
            assert answer.status_code == 200, answer.text
        channel = prepare_database(sqlite_url(data_dir / "channel-367.sqlite"), "channel")
        stack.callback(channel.dispose)
        settings = StoreSettings(store_id=STORE_A, hq_pull_token=PULL_TOKEN, hq_url=hq.url,
                                 store_token=hq.tokens[STORE_A])
        app = create_app(channel, settings, start_puller=False)
        store_url = stack.enter_context(run_app_in_thread(app))
        proxy = stack.enter_context(FaultProxy("127.0.0.1", int(store_url.rsplit(":", 1)[1])))
        with world.engine.begin() as conn:
            record_store_endpoint(conn, STORE_A, store_url, PULL_TOKEN, datetime.now(UTC))
        chain = CardWorld(data_dir, hq, app, store_url, proxy, channel)
        stack.enter_context(chain.stack)
        chain.run_schedule()
        yield chain


def sign_in(reg: RegisterRuntime) -> Any:
    """The cashier's session on ``reg``."""
    return reg.engine.sign_in(CASHIER, PASSWORD)


def cart_record(reg: RegisterRuntime) -> dict[str, Any]:
    """The open cart of ``reg`` as its record (there must be one)."""
    cart = reg.engine.cart
    assert cart is not None
    record: dict[str, Any] = cart.to_record()
    return record
