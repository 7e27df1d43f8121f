"""Package generation cost vs the number of registers in a data group (DESIGN §4; issue 3
acceptance: "generating a package for a group of 1,000 registers costs ≤ 1.2× the same for
1 register").

Setup (untimed), one fresh SQLite HQ: 5,000 products with prices; data group X = one store
with 1 register; data group Y = one store with 1,000 registers, every one with Support
offline and its offline channel database entity (1,000 targets + the channel DB). Both
groups get their baseline, then 1,000 prices change in one master-data transaction.

Timed: :func:`kassa.hq.distribution.writer.write_group` of the "All jobs" schedule for X
(baseline) and for Y (Kassa) — counter lock, marks, reading the 1,000 changed rows, encoding
both bodies, inserting the package — each in a transaction rolled back afterwards so every
run writes the same package. Alternating, ``RUNS`` times after a warm-up; median.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.domain.clock import FixedClock
from kassa.domain.ids import new_id
from kassa.domain.offline_profile import DEFAULT as DEFAULT_PROFILE
from kassa.hq.distribution.jobs import seed_distribution
from kassa.hq.distribution.setup import reconcile_entities
from kassa.hq.distribution.writer import get_schedule, run_schedule, write_group
from kassa.hq.masterdata import VersionStamp, upsert_rows

RUNS = 21
TARGET = 1.2
PRODUCTS = 5_000
CHANGED = 1_000
GROUP_SMALL, GROUP_LARGE = 1, 2
REGISTERS = {GROUP_SMALL: 1, GROUP_LARGE: 1_000}


def build(engine: Engine) -> None:
    """Fill the HQ (module docstring) and write both baselines and the price change."""
    clock = FixedClock()
    with engine.begin() as conn:
        seed_distribution(conn)
        stamp = VersionStamp(conn)
        groups = list(REGISTERS)
        upsert_rows(conn, s.data_groups, [{"id": g, "name": f"Group {g}"} for g in groups], stamp)
        upsert_rows(
            conn,
            s.offline_profiles,
            [{"id": 1, "name": "Default", **DEFAULT_PROFILE.to_mapping()}],
            stamp,
        )
        upsert_rows(
            conn,
            s.stores,
            [
                {
                    "id": g,
                    "name": f"Store {g}",
                    "data_group_id": g,
                    "offline_profile_id": 1,
                    "currency": "USD",
                    "receipt_header": "Kassa",
                    "receipt_footer": "Thanks",
                }
                for g in groups
            ],
            stamp,
        )
        upsert_rows(
            conn,
            s.registers,
            [
                {
                    "id": new_id(),
                    "store_id": g,
                    "number": n,
                    "name": f"Register {n}",
                    "support_offline": True,
                }
                for g in groups
                for n in range(1, REGISTERS[g] + 1)
            ],
            stamp,
        )
        upsert_rows(conn, s.tax_groups, [{"id": "food", "name": "Food", "rate_bp": 0}], stamp)
        upsert_rows(
            conn,
            s.products,
            [
                {
                    "id": p,
                    "name": f"Product {p}",
                    "barcode": f"{p:013d}",
                    "unit_of_measure": "each",
                    "tax_group_id": "food",
                    "department": "GROCERY",
                }
                for p in range(1, PRODUCTS + 1)
            ],
            stamp,
        )
        upsert_rows(
            conn,
            s.prices,
            [{"product_id": p, "price_cents": 100 + p} for p in range(1, PRODUCTS + 1)],
            stamp,
        )
        reconcile_entities(conn, clock.now())
    run_schedule(engine, "All jobs", clock=clock)  # baselines
    with engine.begin() as conn:
        upsert_rows(
            conn,
            s.prices,
            [{"product_id": p, "price_cents": 200 + p} for p in range(1, CHANGED + 1)],
            VersionStamp(conn),
        )


def time_group(engine: Engine, group: int) -> tuple[float, int]:
    """Seconds to write the group's package (rolled back), and its row count."""
    clock = FixedClock()
    with engine.connect() as conn:
        schedule = get_schedule(conn, "All jobs")
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            started = time.perf_counter()
            outcome = write_group(conn, schedule, group, clock.now())
            elapsed = time.perf_counter() - started
        finally:
            trans.rollback()
    assert outcome.package is not None
    return elapsed, outcome.package.rows


def run() -> list[dict[str, Any]]:
    """Time package generation for 1 vs 1,000 registers (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as tmp:
        engine = prepare_database(sqlite_url(Path(tmp) / "hq.sqlite"), "hq")
        try:
            build(engine)
            time_group(engine, GROUP_SMALL)  # warm-up
            time_group(engine, GROUP_LARGE)
            small: list[float] = []
            large: list[float] = []
            for _ in range(RUNS):
                t, rows_small = time_group(engine, GROUP_SMALL)
                small.append(t)
                t, rows_large = time_group(engine, GROUP_LARGE)
                large.append(t)
        finally:
            engine.dispose()
    assert rows_small == rows_large == CHANGED
    kassa_s, baseline_s = statistics.median(large), statistics.median(small)
    ratio = kassa_s / baseline_s
    return [
        {
            "figure": f"package of {CHANGED:,} price changes: group of 1,000 registers vs 1",
            "kassa_s": round(kassa_s, 4),
            "baseline_s": round(baseline_s, 4),
            "ratio": round(ratio, 3),
            "target": TARGET,
            "met": ratio <= TARGET,
            "rows": CHANGED,
            "registers": REGISTERS[GROUP_LARGE],
        }
    ]


if __name__ == "__main__":
    for fig in run():
        print(json.dumps(fig))
