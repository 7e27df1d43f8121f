"""Catalogue import vs a raw ``sqlite3.executemany`` of the same rows (issue 2 acceptance).

Kassa: ``run_import`` of The Complete Journey into a fresh SQLite HQ database (schema made
by ``prepare_database`` beforehand, untimed): reading the three parquet files, checking
them, deriving and pricing every row (exact medians over 1.47 M sales lines), the diff, the
versioned writes of every entity, the password hashes and the import record, one
transaction.

Baseline: the rows that import wrote to ``products``, ``prices``, ``customers`` and
``stores`` (plus the 2 tax groups, 457 data groups and 1 offline profile their foreign keys
need), already in memory as tuples, inserted with ``sqlite3`` ``executemany`` into a fresh
database of the same schema, same pragmas (WAL, ``synchronous=NORMAL``, foreign keys on),
one ``BEGIN IMMEDIATE`` … ``COMMIT``. It does none of the reading or computing.

Both are timed alternately in the same process, 3 times each after a warm-up; the figure is
the median. Target: Kassa ≤ 3.0 × baseline.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from kassa.config import sqlite_url
from kassa.db.migrate import prepare_database
from kassa.hq.importer import run_import

RUNS = 3
TARGET = 3.0
#: Tables of the baseline, in foreign-key order.
BASELINE_TABLES = (
    "tax_groups",
    "data_groups",
    "offline_profiles",
    "products",
    "prices",
    "customers",
    "stores",
)


def _fresh_hq(path: Path) -> None:
    """Create an empty HQ database at ``path`` with Kassa's schema."""
    prepare_database(sqlite_url(path), "hq").dispose()


def _connect(path: Path) -> sqlite3.Connection:
    """Raw connection with the pragmas of ``kassa.db.engine`` (HQ: synchronous NORMAL)."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        con.execute(f"PRAGMA {pragma}")
    return con


def time_kassa(path: Path) -> tuple[float, dict[str, Any]]:
    """Seconds for ``run_import`` into a fresh database at ``path``, and its report."""
    _fresh_hq(path)
    engine = prepare_database(sqlite_url(path), "hq")
    try:
        started = time.perf_counter()
        report = run_import(engine)
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    return elapsed, report.to_dict()


def load_rows(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The baseline tables' rows from an imported database: ``{table: (columns, rows)}``."""
    con = _connect(path)
    try:
        out = {}
        for table in BASELINE_TABLES:
            cur = con.execute(f"SELECT * FROM {table}")  # fixed table names
            out[table] = ([d[0] for d in cur.description], cur.fetchall())
        return out
    finally:
        con.close()


def time_baseline(path: Path, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> float:
    """Seconds for raw ``executemany`` of ``rows`` into a fresh database at ``path``."""
    _fresh_hq(path)
    con = _connect(path)
    try:
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        for table, (columns, values) in rows.items():
            marks = ", ".join("?" * len(columns))
            con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
        con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        con.close()


def run() -> list[dict[str, Any]]:
    """Time both RUNS times (after one warm-up import) and return the figure."""
    with tempfile.TemporaryDirectory(prefix="kassa-bench-") as tmp:
        root = Path(tmp)
        _, report = time_kassa(root / "warmup.sqlite")
        rows = load_rows(root / "warmup.sqlite")
        kassa, baseline = [], []
        for i in range(RUNS):
            k, report = time_kassa(root / f"kassa-{i}.sqlite")
            kassa.append(k)
            baseline.append(time_baseline(root / f"baseline-{i}.sqlite", rows))
    kassa_s, baseline_s = statistics.median(kassa), statistics.median(baseline)
    ratio = kassa_s / baseline_s
    return [
        {
            "figure": "import catalogue (fresh SQLite HQ)",
            "kassa_s": round(kassa_s, 4),
            "baseline_s": round(baseline_s, 4),
            "ratio": round(ratio, 3),
            "target": TARGET,
            "met": ratio <= TARGET,
            "best_ratio": round(min(kassa) / min(baseline), 3),  # less sensitive to load
            "runs_kassa_s": [round(x, 4) for x in kassa],
            "runs_baseline_s": [round(x, 4) for x in baseline],
            "baseline_rows": {t: len(v) for t, (_, v) in rows.items()},
            "phases_s": report["timings_s"],
        }
    ]
