"""``kassa demo`` from start to report: the sequence of the whole demo (issue 7).

1. a fresh data directory (:func:`~kassa.demo.provisioning.fresh_data_dir`) and databases;
2. the catalogue imported into HQ and the demo settings saved there, while the baskets are
   read from the dataset in a second thread;
3. ``kassa hq serve`` (P-job every second);
4. per store (:class:`~kassa.demo.store_run.StoreRun`): store server, registers, gift cards,
   replay with faults, drain, posting — the stores one after the other, or a few at a time
   with ``--all-stores`` (:mod:`kassa.demo.chain`);
5. the reconciliation report (:mod:`kassa.demo.report`), also written to
   ``<data dir>/report.json``;
6. with ``keep_running``: the URLs of HQ, the store server and the cashier UIs, and the
   operators' credentials; everything runs until Ctrl-C.

Every process is stopped at the end, on Ctrl-C and on errors (:class:`~kassa.demo.
orchestrator.Cluster`).
"""

from __future__ import annotations

import json
import resource
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from sqlalchemy import Engine

from kassa.db.engine import make_engine
from kassa.demo import DEFAULT_DATA_DIR, DEFAULT_STORE
from kassa.demo import provisioning as prov
from kassa.demo.dataset import Dataset
from kassa.demo.faults import FaultPlan
from kassa.demo.orchestrator import Cluster, Service
from kassa.demo.outcomes import BasketResult, GiftPlan
from kassa.demo.report import Reconciliation, reconcile
from kassa.demo.store_run import StoreOutcome, StoreRun
from kassa.domain.errors import InvalidInput
from kassa.hq.importer.chain import DEMO_OPERATORS

#: Seconds between two P-job runs of HQ.
POSTING_INTERVAL_S: Final = 1.0


@dataclass
class DemoOptions:
    """Options of one demo run (see ``kassa demo --help``)."""

    store: int = DEFAULT_STORE
    registers: int = 4
    baskets: int | None = None
    all_stores: bool = False
    database_url: str | None = None
    keep_running: bool = False
    faults: FaultPlan | None = field(default_factory=FaultPlan)
    data_dir: Path = DEFAULT_DATA_DIR
    gift_percent: float = 2.0
    parallel_stores: int = 2
    store_limit: int | None = None
    stores: list[int] | None = None
    live: bool = True


def _load(stores: list[int] | None) -> Dataset:
    return Dataset(stores=stores)


def run_demo(opts: DemoOptions, console: Console | None = None) -> Reconciliation:
    """Run the demo (module docstring) → the reconciliation (``.ok`` tells the verdict).

    Raises:
        KassaError: bad options (``demo.*``), an unusable data directory or database, a
            process that does not start. Processes are stopped in every case.
    """
    console = console or Console()
    began = time.monotonic()
    if not 1 <= opts.registers <= 99:
        raise InvalidInput("--registers must be 1..99", code="demo.options")
    if opts.baskets is not None and opts.baskets < 1:
        raise InvalidInput("--baskets must be at least 1", code="demo.options")
    data_dir = prov.fresh_data_dir(opts.data_dir)
    timings: dict[str, float] = {}
    with ThreadPoolExecutor(1, thread_name_prefix="demo-dataset") as pool:
        loading: Future[Dataset] = pool.submit(_load, None if opts.all_stores else [opts.store])
        console.print(f"[bold]Kassa demo[/] in {data_dir}")
        hq_url, store_urls = prov.database_urls(
            data_dir, [opts.store] if not opts.all_stores else [], opts.database_url)
        step = time.monotonic()
        report = prov.import_catalogue(hq_url, opts.registers)
        prov.configure_hq(hq_url)
        timings["import_s"] = time.monotonic() - step
        console.print(f"imported The Complete Journey into HQ in {timings['import_s']:.1f} s: "
                      f"{_counts(report)}; offline profile timeout_s "
                      f"{prov.DEMO_PROFILE.timeout_s:g} s, reconnect "
                      f"{prov.DEMO_PROFILE.reconnect_interval_s:g} s, upload "
                      f"{prov.DEMO_PROFILE.upload_interval_s:g} s, download "
                      f"{prov.DEMO_PROFILE.download_interval_s:g} s; offline gift card "
                      "conclusion on")
        dataset = loading.result()
    with Cluster(data_dir / "logs") as cluster:
        hq = cluster.hq(data_dir, database_url=hq_url, posting_interval_s=POSTING_INTERVAL_S)
        hq.wait_ready()
        admin = prov.HQAdmin(str(hq.url), data_dir)
        hq_engine = make_engine(hq_url)
        try:
            if opts.all_stores:
                from kassa.demo.chain import run_chain

                outcomes = run_chain(cluster, hq, admin, hq_engine, data_dir, dataset, opts,
                                     console, timings)
            else:
                outcomes = [_one_store(cluster, hq, admin, hq_engine, data_dir, dataset, opts,
                                       store_urls.get(opts.store), console, timings)]
            cards, locked = admin.gift_cards(), admin.gift_cards(locked=True)
            rec = _reconcile(outcomes, hq_engine, cards, locked, began,
                             timings.get("chain_s"))
            rec.figures.update(timings)
            rec.figures["cpu_s"] = _cpu(cluster)
            rec.print(console)
            (data_dir / "report.json").write_text(json.dumps(rec.to_dict(), indent=2,
                                                             default=str))
            if opts.keep_running:
                _keep_running(console, str(hq.url), [] if opts.all_stores else outcomes)
            return rec
        finally:
            hq_engine.dispose()
            admin.close()


def _cpu(cluster: Cluster) -> dict[str, float]:
    """CPU seconds of the whole demo per tier; ``demo`` is this process (import, replay
    clients, progress, report)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {**cluster.cpu_by_tier(), "demo": own.ru_utime + own.ru_stime}


def _counts(report: prov.ImportReport) -> str:
    return ", ".join(f"{o.read:,} {o.entity}" for o in report.entities.values()
                     if o.entity in ("products", "customers", "stores", "registers"))


def _one_store(cluster: Cluster, hq: Service, admin: prov.HQAdmin, hq_engine: Engine,
               data_dir: Path, dataset: Dataset, opts: DemoOptions, store_url: str | None,
               console: Console, timings: dict[str, float]) -> StoreOutcome:
    baskets = dataset.baskets(opts.store, opts.baskets)
    if not baskets:
        raise InvalidInput(f"store {opts.store} has no baskets in The Complete Journey",
                           code="demo.no_baskets")
    gift = GiftPlan.choose(baskets, opts.gift_percent)
    run = StoreRun(cluster, hq, admin, hq_engine, data_dir, opts.store, opts.registers,
                   baskets, gift, opts.faults, store_url, console, opts.live)
    step = time.monotonic()
    run.provision()
    timings["provision_s"] = time.monotonic() - step
    timings.update(run.timings)
    console.print(f"store {opts.store}: store server and {opts.registers} registers up, "
                  f"offline DBs synced, {len(gift.cards)} gift cards issued in "
                  f"{timings['provision_s']:.1f} s; replaying {len(baskets):,} baskets")
    step = time.monotonic()
    outcome = run.replay()
    timings["replay_and_drain_s"] = time.monotonic() - step
    if not opts.keep_running:
        run.stop()
    return outcome


def _reconcile(outcomes: list[StoreOutcome], hq_engine: Engine, cards: list[dict[str, Any]],
               locked: list[dict[str, Any]], began: float,
               chain_s: float | None) -> Reconciliation:
    """The report over every store; the replay time is the chain's wall time when the
    stores ran side by side."""
    gift = GiftPlan(0.0)
    results: list[BasketResult] = []
    offline: dict[str, float] = {}
    calls: dict[str, tuple[float, int, int]] = {}
    pending: dict[str, int] = {}
    faults: list[str] = []
    missing: list[str] = []
    replay_s = 0.0
    for o in outcomes:
        results.extend(o.results)
        offline.update(o.offline_s)
        calls.update(o.calls)
        pending.update(o.pending)
        faults.extend(o.faults)
        missing.extend(o.faults_missing)
        replay_s += o.replay_s
        if o.gift is not None:
            gift.issued.update(o.gift.issued)
            gift.balance.update(o.gift.balance)
    return reconcile(results, hq_engine, stores=[o.store_id for o in outcomes],
                     gift=gift, gift_cards=cards, locked_cards=locked,
                     pending_uploads=pending, offline_s=offline, calls=calls, faults=faults,
                     faults_missing=missing, replay_s=chain_s or replay_s,
                     wall_s=time.monotonic() - began)


def _keep_running(console: Console, hq_url: str, outcomes: list[StoreOutcome]) -> None:
    """Print where everything runs and wait for Ctrl-C. ``outcomes`` is empty after
    ``--all-stores``: each store's processes stopped when the store was done, HQ (with the
    whole chain's posted data) keeps running."""
    console.print(f"\n[bold]Everything keeps running[/] (Ctrl-C stops it).\n"
                  f"  HQ back office: {hq_url}/  (sign in with the admin token in the data "
                  "directory's admin-token file)")
    if not outcomes:
        console.print("  --all-stores: each store's server and registers stopped when the "
                      "store was done; HQ holds every store's posted sales")
    for o in outcomes:
        console.print(f"  store server {o.store_id}: {o.store_url}/docs")
        for reg in o.registers:
            console.print(f"  cashier UI register {reg.name}: {reg.url}/")
    ops = ", ".join(f"{op} {role.value}" for op, _, role in DEMO_OPERATORS)
    console.print(f"  operators: {ops}; password {prov.PASSWORD}")
    stop = threading.Event()
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        console.print("stopping…")
