"""``kassa demo --all-stores``: the whole year of the chain, 457 stores, 155,848 baskets.

One HQ for the chain; the stores run ``parallel_stores`` at a time (default 2), each as a
:class:`~kassa.demo.store_run.StoreRun` with its own store server process and registers
(``--registers`` at most, fewer for a small store: one per :data:`BASKETS_PER_REGISTER`
baskets), provisioned, replayed, drained, posted and stopped before the next store starts
in its slot; its databases are then deleted (the whole year would otherwise need about
70 GB; the report needs only HQ's data). Faults are injected into the first store only (HQ
down then also hits the stores running beside it, as a real outage would). One progress
bar counts the chain's baskets; each finished store prints one line. The report reconciles
every store at once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from kassa.demo.dataset import Dataset
from kassa.demo.orchestrator import Cluster, Service
from kassa.demo.outcomes import GiftPlan
from kassa.demo.provisioning import HQAdmin, discard_store_databases, store_database_url
from kassa.demo.store_run import StoreOutcome, StoreRun

if TYPE_CHECKING:
    from kassa.demo.run import DemoOptions

#: A store gets one register per this many baskets (at most ``--registers``).
BASKETS_PER_REGISTER: Final = 250


def registers_for(baskets: int, most: int) -> int:
    """Registers a store with ``baskets`` baskets gets (1 … ``most``)."""
    return max(1, min(most, -(-baskets // BASKETS_PER_REGISTER)))


class _Chain:
    """Progress and results of the chain run (shared by the store threads)."""

    def __init__(self, total: int, stores: int, console: Console) -> None:
        self.console = console
        self.stores = stores
        self.finished: list[StoreOutcome] = []
        self.done_before = 0  # baskets of finished stores
        self.active: dict[int, StoreRun] = {}
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                            TimeElapsedColumn(), console=console,
                            disable=not console.is_terminal)
        self.task = self.bar.add_task("chain baskets", total=total, rate="")

    def done(self) -> int:
        with self.lock:
            running = sum(r.replay_state.done_total for r in self.active.values()
                          if r.replay_state is not None)
            return self.done_before + running

    def refresh(self) -> None:
        done = self.done()
        rate = done / max(1e-9, time.monotonic() - self.started)
        self.bar.update(self.task, completed=done,
                        rate=f"{rate:6.1f} baskets/s, {len(self.finished)}/{self.stores} stores")


def run_chain(cluster: Cluster, hq: Service, admin: HQAdmin, hq_engine: Engine,
              data_dir: Path, dataset: Dataset, opts: DemoOptions, console: Console,
              timings: dict[str, float]) -> list[StoreOutcome]:
    """Replay every store (module docstring) → one outcome per store, by store id.

    ``opts.baskets`` limits the baskets per store; ``opts.stores`` (when set) names the
    stores, ``opts.store_limit`` the number of stores, the busiest first (samples for
    measurements).
    """
    counts = dataset.basket_counts()
    stores = sorted(counts, key=lambda sid: (-counts[sid], sid))
    if opts.stores:
        stores = [sid for sid in opts.stores if sid in counts]
    if opts.store_limit:
        stores = stores[:opts.store_limit]
    plans = {sid: dataset.baskets(sid, opts.baskets) for sid in stores}
    chain = _Chain(sum(len(b) for b in plans.values()), len(stores), console)
    console.print(f"replaying {chain.bar.tasks[0].total:,} baskets of {len(stores)} stores, "
                  f"{opts.parallel_stores} at a time")
    began = time.monotonic()

    def one(index: int, store_id: int) -> StoreOutcome:
        baskets = plans[store_id]
        url = store_database_url(opts.database_url, store_id) if opts.database_url else None
        run = StoreRun(cluster, hq, admin, hq_engine, data_dir, store_id,
                       registers_for(len(baskets), opts.registers), baskets,
                       GiftPlan.choose(baskets, opts.gift_percent, minimum=0),
                       opts.faults if index == 0 else None, url, console, live=False)
        try:
            run.provision()
            with chain.lock:
                chain.active[store_id] = run
            outcome = run.replay()
        finally:
            with chain.lock:
                chain.active.pop(store_id, None)
            run.stop()  # also with --keep-running: HQ alone stays up after the chain
        # a finished store's databases go; a failed one's stay for a look (the chain ends)
        discard_store_databases(data_dir, store_id, opts.database_url)
        with chain.lock:
            chain.finished.append(outcome)
            chain.done_before += len(outcome.results)
        rate = len(outcome.results) / outcome.replay_s if outcome.replay_s else 0.0
        up = run.timings.get("registers_synced_s", 0.0)
        console.print(f"store {store_id}: {len(outcome.results):,} baskets on {run.count} "
                      f"register(s) in {outcome.replay_s:.1f} s ({rate:.1f}/s), set up in "
                      f"{up:.1f} s; "
                      f"{len(chain.finished)}/{len(stores)} stores", highlight=False)
        return outcome

    pool = ThreadPoolExecutor(opts.parallel_stores, thread_name_prefix="demo-store")
    pending: set[Future[StoreOutcome]] = set()
    queue = list(enumerate(stores))
    try:
        with chain.bar:
            while queue or pending:
                while queue and len(pending) < opts.parallel_stores:
                    index, store_id = queue.pop(0)
                    pending.add(pool.submit(one, index, store_id))
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()  # an error ends the chain (processes are stopped)
                chain.refresh()
    except BaseException:
        with chain.lock:  # stop the running replays after their current basket
            for run in chain.active.values():
                if run.replay_state is not None:
                    run.replay_state.stopping.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    timings["chain_s"] = time.monotonic() - began
    return sorted(chain.finished, key=lambda o: o.store_id)
