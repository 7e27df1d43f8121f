"""A real store with a real register, for the register benchmarks (not a benchmark itself:
the name starts with ``_``).

:func:`register_world` builds, in a temporary directory:

1. HQ: The Complete Journey imported into a fresh SQLite HQ (``run_import``: 92,331
   products with prices, customers, stores, 4 registers per store, demo operators with
   argon2 hashes), distribution seeded, **Support offline** set on register 1 of
   :data:`STORE`, a store server token and an activation code, the "All jobs" schedule run
   (one snapshot package); the HQ app served on 127.0.0.1;
2. the store server of :data:`STORE` (channel DB on SQLite, ``synchronous=FULL``): one pull
   from HQ (snapshot applied: 92,331 products, FTS5 index), served on 127.0.0.1 behind a
   :class:`support.fault_proxy.FaultProxy` (``tests/support``, added to ``sys.path``);
3. register 1 activated through the proxy (``kassa.pos.identity.activate``); a
   :class:`~kassa.pos.runtime.RegisterRuntime` made by :meth:`RegisterWorld.runtime` gets
   its offline DB by a real download (the snapshot, offline variant) and is ready to switch.

Everything is stopped and disposed when the ``with`` block ends.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, select

from kassa.config import sqlite_url
from kassa.db import offline_schema as off
from kassa.db.migrate import prepare_database
from kassa.domain.clock import SystemClock
from kassa.hq.app import create_app as create_hq_app
from kassa.hq.distribution import access
from kassa.hq.distribution.jobs import seed_distribution
from kassa.hq.distribution.setup import (
    reconcile_entities,
    register_by_number,
    set_support_offline,
)
from kassa.hq.distribution.writer import run_schedule
from kassa.hq.importer import run_import
from kassa.hq.importer.chain import DEMO_PASSWORD
from kassa.pos.identity import RegisterIdentity, activate
from kassa.pos.runtime import RegisterRuntime
from kassa.store.app import create_app as create_store_app
from kassa.store.settings import StoreSettings

TESTS_DIR: Final = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from support.fault_proxy import FaultProxy  # noqa: E402 - needs tests/ on sys.path
from support.servers import run_app_in_thread  # noqa: E402

__all__ = ["FaultProxy", "RegisterWorld", "percentile", "priced_products", "register_world"]

#: The store of The Complete Journey the benchmarks use, and its register.
STORE: Final = 367
REGISTER: Final = 1
#: Demo operators of the import (``kassa.hq.importer.chain.DEMO_OPERATORS``).
CASHIER: Final = "1003"
SUPERVISOR: Final = "1002"
PASSWORD: Final = DEMO_PASSWORD
PULL_TOKEN: Final = "bench-hq-pull-token-0123456789"
ADMIN_TOKEN: Final = "b" * 32


@dataclass
class RegisterWorld:
    """Handles on the running store (module docstring)."""

    root: Path
    hq: Engine
    channel: Engine
    store_url: str  #: the store server itself
    proxy: FaultProxy  #: in front of the store server; registers talk to it
    identity: RegisterIdentity  #: register 1, pointing at the proxy
    stack: ExitStack = field(default_factory=ExitStack)

    def runtime(self, *, sync: bool = True, **overrides: Any) -> RegisterRuntime:
        """Register 1 in-process (``background=False``: no threads, the benchmark drives
        everything), closed with the world. With ``sync`` its offline DB is provisioned by a
        real download first. ``overrides``: offline profile fields (``timeout_s`` …)."""
        runtime = RegisterRuntime(self.identity, self.root, overrides=overrides,
                                  background=False)
        self.stack.callback(runtime.close)
        if sync:
            attempt = runtime.sync.download_now()
            if attempt.result != "ok":
                raise RuntimeError(f"register download failed: {attempt}")
        return runtime


def _hq(root: Path) -> tuple[Engine, int, str, str]:
    """HQ with the import (module docstring, step 1): ``(engine, group, store token,
    activation code of register 1)``."""
    hq = prepare_database(sqlite_url(root / "hq.sqlite"), "hq")
    run_import(hq, registers_per_store=4)
    now = SystemClock().now()
    with hq.begin() as conn:
        seed_distribution(conn)
        reconcile_entities(conn, now)
        register_id = register_by_number(conn, STORE, REGISTER)
        set_support_offline(conn, register_id, True, now)
        token = access.issue_store_token(conn, STORE, now).token
        group = access.store_for_token(conn, token).data_group_id
        code = access.issue_activation_code(conn, register_id, now).code
    run_schedule(hq, "All jobs", [group])
    return hq, group, token, code


@contextmanager
def register_world(root: Path) -> Iterator[RegisterWorld]:
    """Build and serve the store (module docstring); always stops it."""
    with ExitStack() as stack:
        hq, _, store_token, code = _hq(root)
        stack.callback(hq.dispose)
        hq_url = stack.enter_context(run_app_in_thread(create_hq_app(hq,
                                                                     admin_token=ADMIN_TOKEN)))
        channel = prepare_database(sqlite_url(root / f"channel-{STORE}.sqlite"), "channel")
        stack.callback(channel.dispose)
        settings = StoreSettings(store_id=STORE, hq_pull_token=PULL_TOKEN, hq_url=hq_url,
                                 store_token=store_token)
        app = create_store_app(channel, settings, start_puller=False)
        attempt = app.state.ctx.puller.pull_once()
        if attempt.result == "error":
            raise RuntimeError(f"store server pull failed: {attempt.error}")
        store_url = stack.enter_context(run_app_in_thread(app))
        proxy = stack.enter_context(FaultProxy("127.0.0.1", int(store_url.rsplit(":", 1)[1])))
        identity = activate(proxy.url, code, STORE, REGISTER, root)
        world = RegisterWorld(root, hq, channel, store_url, proxy, identity)
        stack.enter_context(world.stack)  # registers close before the servers stop
        yield world


def priced_products(engine: Engine, n: int, *, seed: int = 2017,
                    units: tuple[str, ...] = ("each",)) -> list[tuple[int, str, str]]:
    """``n`` distinct random products that have a price: ``(id, barcode, name)``, from the
    offline or channel DB ``engine`` (same table names), sold by one of ``units``."""
    p, pr = off.metadata.tables["products"], off.metadata.tables["prices"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(p.c.id, p.c.barcode, p.c.name).join(pr, pr.c.product_id == p.c.id)
            .where(p.c.unit_of_measure.in_(units)).order_by(p.c.id)).all()
    picked = random.Random(seed).sample(rows, n)
    return [(int(r.id), str(r.barcode), str(r.name)) for r in picked]


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values`` by nearest rank: the smallest value with at
    least ``q`` of the samples at or below it (p99 of 300 samples is the 297th smallest)."""
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(q * len(ordered) - 1e-9)))
    return ordered[rank - 1]
