"""One store of the demo from start to posted: store server, registers, replay, drain.

:class:`StoreRun` (with HQ already running and the catalogue imported):

1. store server token at HQ, distribution schedule *All jobs* for the store's data group,
   ``kassa store serve`` on a free port, wait until its channel DB holds the snapshot;
2. activation codes at HQ, activation at the store server, ``kassa pos serve`` per register,
   sign-in, wait until each offline DB holds its snapshot;
3. gift cards issued at HQ to the households of the gift card baskets;
4. the replay (with the fault injector when faults are on) and the live progress;
5. drain: every register has uploaded everything, HQ has posted every finished transaction
   of the store (the P-job is also run on demand to be quick);
6. what the report needs: results, offline time, slowest calls, fault log, gift cards.

Registers and store server are stopped by :meth:`StoreRun.stop` (not with ``keep_running``:
then the cluster stops them at the very end).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
from rich.console import Console
from sqlalchemy import Engine, func, select

from kassa.db import hq_schema as s
from kassa.db.hq_posting_schema import posted_transactions
from kassa.demo.dataset import Basket
from kassa.demo.faults import FaultInjector, FaultPlan
from kassa.demo.orchestrator import Cluster, Service
from kassa.demo.outcomes import COMPLETED, VOIDED, BasketResult, GiftPlan
from kassa.demo.progress import LiveProgress, StatusPoller
from kassa.demo.provisioning import (
    HQAdmin,
    RegisterHandle,
    activate_registers,
    sign_in_and_sync,
)
from kassa.demo.replay import Replay, ReplayState
from kassa.domain.errors import Unavailable

#: Longest wait for uploads and posting after the replay, seconds.
DRAIN_TIMEOUT_S: Final = 120.0
#: Seconds between two pulls of a store server from HQ.
PULL_INTERVAL_S: Final = 2.0


@dataclass
class StoreOutcome:
    """What one store's run leaves for the report."""

    store_id: int
    results: list[BasketResult] = field(default_factory=list)
    offline_s: dict[str, float] = field(default_factory=dict)
    calls: dict[str, tuple[float, int, int]] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    faults_missing: list[str] = field(default_factory=list)
    replay_s: float = 0.0
    registers: list[RegisterHandle] = field(default_factory=list)
    store_url: str = ""
    gift: GiftPlan | None = None


class StoreRun:
    """Runs one store (module docstring).

    Args:
        cluster: owns the processes. hq: the HQ process. admin: HQ's admin API.
        hq_engine: HQ's database (register ids, posted transactions).
        data_dir: the demo's data directory. store_id: the store. registers: how many.
        baskets: the store's baskets in time order. gift: the store's gift card plan.
        faults: the fault plan, or ``None`` for no faults. database_url: the channel DB
        URL (``None``: SQLite in the data directory). console: where progress goes.
        live: draw the live register table (else plain lines / nothing).
    """

    def __init__(self, cluster: Cluster, hq: Service, admin: HQAdmin, hq_engine: Engine,
                 data_dir: Path, store_id: int, registers: int, baskets: list[Basket],
                 gift: GiftPlan, faults: FaultPlan | None, database_url: str | None,
                 console: Console, live: bool = True) -> None:
        self.cluster, self.hq, self.admin, self.hq_engine = cluster, hq, admin, hq_engine
        self.data_dir, self.store_id, self.count = data_dir, store_id, registers
        self.baskets, self.gift, self.faults = baskets, gift, faults
        self.database_url, self.console, self.live = database_url, console, live
        self.store: Service | None = None
        self.registers: list[RegisterHandle] = []
        self.services: list[Service] = []
        self.timings: dict[str, float] = {}
        self.replay_state: ReplayState | None = None

    # -- provisioning ------------------------------------------------------------------------
    def provision(self) -> None:
        """Steps 1-3 of the module docstring (phase seconds in :attr:`timings`)."""
        began = time.monotonic()
        token = self.admin.store_token(self.store_id)
        with self.hq_engine.connect() as conn:
            group = conn.execute(select(s.stores.c.data_group_id).where(
                s.stores.c.id == self.store_id)).scalar_one()
        self.admin.run_schedule([int(group)])
        store = self.cluster.store(self.store_id, self.data_dir, hq_url=str(self.hq.url),
                                   store_token=token, database_url=self.database_url,
                                   pull_interval_s=PULL_INTERVAL_S)
        self.store = store
        store.wait_ready(ready=lambda a: bool(a.json().get("checkpoint")))
        self.timings["store_server_s"] = time.monotonic() - began
        activate_registers(self.admin, self.hq_engine, self.store_id, str(store.url),
                           self.count, self.data_dir)
        services = [self.cluster.register(self.store_id, n, self.data_dir)
                    for n in range(1, self.count + 1)]
        self.services = services
        for n, service in enumerate(services, start=1):
            service.wait_ready()
            self.registers.append(RegisterHandle(self.store_id, n, str(service.url)))
        self.timings["registers_start_s"] = time.monotonic() - began
        sign_in_and_sync(self.registers)
        self.timings["registers_synced_s"] = time.monotonic() - began
        for household in sorted(self.gift.households):
            value = GiftPlan.card_value(household)
            key = uuid.uuid5(uuid.NAMESPACE_URL, f"kassa-demo:{self.store_id}:{household}")
            number = self.admin.issue_gift_card(value, key)
            self.gift.cards[household] = number
            self.gift.issued[number] = value
            self.gift.balance[number] = value

    # -- replay ----------------------------------------------------------------------------------
    def replay(self) -> StoreOutcome:
        """Steps 4-6: replay, drain, collect."""
        out = StoreOutcome(self.store_id, registers=list(self.registers),
                           store_url=str(self.store.url if self.store else ""), gift=self.gift)
        replay = Replay(self.registers, self.baskets, self.gift)
        self.replay_state = replay.state
        poller = StatusPoller(self.registers)
        injector = None
        if self.faults is not None and self.store is not None:
            injector = FaultInjector(self.store, self.hq, replay.state, self.gift, self.faults)
            for worker in replay.workers:
                worker.hooks = injector
        poller.start()
        try:
            events = injector.lines if injector is not None else list
            title = f"store {self.store_id}"
            if self.live:
                with LiveProgress(replay.state, poller, title, events, self.console):
                    if injector is not None:
                        injector.start()
                    out.results = replay.run()
                    if injector is not None:
                        injector.finish(replay.workers)
            else:
                if injector is not None:
                    injector.start()
                out.results = replay.run()
                if injector is not None:
                    injector.finish(replay.workers)
            out.replay_s = replay.state.elapsed_s
            key = f"{self.store_id}/"
            out.offline_s = {key + str(n): v for n, v in poller.offline_seconds().items()}
            out.pending = self._drain(poller)
        finally:
            if injector is not None:
                injector.stop()
                out.faults = injector.lines()
                out.faults_missing = _missing(injector)
            poller.stop()
            replay.close()
        key = f"{self.store_id}/"
        out.calls = {key + str(n): v for n, v in replay.slowest_calls().items()}
        self._wait_posted(out.results)
        return out

    def _drain(self, poller: StatusPoller) -> dict[str, int]:
        """Wait until no register has a transaction waiting for upload → pending per register."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        pending: dict[str, int] = {}
        with httpx.Client(timeout=10.0) as client:
            while True:
                for reg in self.registers:
                    try:
                        header = client.get(f"{reg.url}/api/status").json()["header"]
                        pending[reg.name] = int(header["pending_uploads"])
                    except (httpx.HTTPError, ValueError, KeyError, TypeError):
                        pending[reg.name] = -1
                if all(v == 0 for v in pending.values()) or time.monotonic() > deadline:
                    return {k: max(v, 0) for k, v in pending.items()}
                time.sleep(0.25)

    def _posted(self) -> int:
        t = posted_transactions
        with self.hq_engine.connect().execution_options(kassa_readonly=True) as conn:
            return int(conn.execute(select(func.count()).where(
                t.c.store_id == self.store_id)).scalar_one())

    def _wait_posted(self, results: list[BasketResult]) -> None:
        """Run the P-job until HQ holds every finished transaction of the store (or the
        deadline passes: the report then shows what is lost)."""
        finished = sum(1 for r in results if r.status in (COMPLETED, VOIDED))
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while self._posted() < finished and time.monotonic() < deadline:
            try:
                self.admin.run_posting(self.store_id)
            except Unavailable:
                time.sleep(0.5)

    def stop(self) -> None:
        """Stop the store's registers and store server."""
        for service in self.services:
            self.cluster.remove(service.name)
        if self.store is not None:
            self.cluster.remove(self.store.name)

    def gift_cards(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(every gift card at HQ, the locked ones)."""
        return self.admin.gift_cards(), self.admin.gift_cards(locked=True)


def _missing(injector: FaultInjector) -> list[str]:
    from kassa.demo.faults import FaultSummary

    return FaultSummary(injector.events).missing()
