"""An incremental package of 1,000 price changes applies in ≤ 50 ms (issue 3 acceptance).

Setup (untimed): a real HQ (:mod:`bench._real_hq`: The Complete Journey imported, baseline
of store 367's data group); its snapshot applied to an offline DB (92,331 products); then
1,000 prices changed at HQ in one master-data transaction and the "Prices" schedule run:
the delta package as HQ writes it (offline variant), 1,000 ``prices`` upserts.

Timed, per run, on a fresh copy of the provisioned offline DB (copied untimed):

* **Kassa** — :func:`kassa.sync.apply.apply_package` of the delta: size + SHA-256 check,
  decode, schema check, one transaction: ``BEGIN IMMEDIATE``, gap check against the
  checkpoint, delete the 1,000 keys and insert the 1,000 rows, new checkpoint, ``COMMIT``
  with ``synchronous=FULL``.
* **Baseline** — the same 1,000 rows (decoded beforehand, as tuples), raw ``sqlite3``:
  ``BEGIN IMMEDIATE``, ``executemany`` of ``INSERT … ON CONFLICT (product_id) DO UPDATE``,
  checkpoint ``UPDATE``, ``COMMIT``, same pragmas.

Kassa is timed with the engine as :func:`kassa.db.engine.make_engine` makes it (``NullPool``:
the apply's connection is closed at the end; being the last connection to the file, its
close makes SQLite checkpoint the WAL into the database and fsync it — about half of the
time measured here) and, as ``kassa_other_connection_open_s``, with a second connection
open meanwhile (what a pooled engine, or any other open connection, gives).

Alternating, ``RUNS`` times after a warm-up; medians. The acceptance bound is absolute:
``met`` = Kassa's median ≤ :data:`TARGET_S`; ``target`` (a ratio) is None, ``ratio`` is
reported for information.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench._real_hq import real_hq
from kassa.config import sqlite_url
from kassa.db import hq_schema as s
from kassa.db.engine import make_engine
from kassa.db.migrate import prepare_database
from kassa.hq.distribution import packages
from kassa.hq.distribution.snapshot import snapshot_for
from kassa.hq.distribution.writer import run_schedule
from kassa.hq.masterdata import VersionStamp, upsert_rows
from kassa.sync.apply import apply_package
from kassa.sync.package import verify_and_decode

RUNS = 15
TARGET_S = 0.050
CHANGED = 1_000


def _package(hq: Any, group: int, number: int, kind: str) -> tuple[dict[str, Any], bytes]:
    with hq.connect() as conn:
        return (packages.get_header(conn, group, number, kind, "offline"),
                packages.get_body(conn, group, number, kind, "offline"))


def _provisioned(root: Path) -> tuple[Path, dict[str, Any], bytes]:
    """The offline DB file at the snapshot, and the delta of 1,000 price changes."""
    hq, group, _ = real_hq(root)
    snap = snapshot_for(hq, group)
    path = root / "provisioned.sqlite"
    offline = prepare_database(sqlite_url(path), "offline")
    apply_package(offline, *_package(hq, group, snap.number, "snapshot"),
                  now=datetime.now(UTC))
    offline.dispose()
    raw = sqlite3.connect(path)  # fold the WAL into the file, so one file is the whole DB
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    with hq.begin() as conn:
        prices = conn.execute(
            select(s.prices.c.product_id, s.prices.c.price_cents)
            .order_by(s.prices.c.product_id).limit(CHANGED)).all()
        changed = upsert_rows(conn, s.prices, [
            {"product_id": pid, "price_cents": cents + 1} for pid, cents in prices
        ], VersionStamp(conn))
        assert changed.written == CHANGED
    report = run_schedule(hq, "Prices", [group])
    number = report.groups[0].package.number  # type: ignore[union-attr]
    header, body = _package(hq, group, number, "delta")
    hq.dispose()
    return path, header, body


def _copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def kassa_apply(path: Path, header: dict[str, Any], body: bytes, *,
                other_connection: bool = False) -> float:
    """Apply the delta to the offline DB at ``path``; seconds. With ``other_connection`` a
    second connection stays open meanwhile (as with a pooled engine), so closing the
    apply's connection is not the last close and SQLite does not checkpoint the WAL then."""
    engine = make_engine(sqlite_url(path))
    other = sqlite3.connect(path) if other_connection else None
    if other is not None:  # a connection takes part in WAL only once it has read
        other.execute("SELECT count(*) FROM package_checkpoint").fetchall()
    try:
        started = time.perf_counter()
        result = apply_package(engine, header, body, now=datetime.now(UTC))
        took = time.perf_counter() - started
        assert result.rows == CHANGED and not result.skipped
        return took
    finally:
        engine.dispose()
        if other is not None:
            other.close()


def baseline_apply(path: Path, rows: list[tuple[Any, ...]], number: int) -> float:
    """Raw sqlite3 upsert of the same rows plus the checkpoint; seconds."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO prices (product_id, price_cents, version) VALUES (?, ?, ?) "
            "ON CONFLICT (product_id) DO UPDATE SET price_cents = excluded.price_cents, "
            "version = excluded.version", rows)
        conn.execute("UPDATE package_checkpoint SET package_number = ?", (number,))
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def run() -> list[dict[str, Any]]:
    """The figure (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="kassa-bench-incremental-") as tmp:
        root = Path(tmp)
        source, header, body = _provisioned(root)
        content = verify_and_decode(header, body)
        rows = [tuple(r) for t in content.tables if t.name == "prices" for r in t.rows]
        assert len(rows) == CHANGED
        kassa_apply(_copy(source, root / "warm-k.sqlite"), header, body)
        baseline_apply(_copy(source, root / "warm-b.sqlite"), rows, header["number"])
        kassa_runs, pooled_runs, base_runs = [], [], []
        for i in range(RUNS):
            kassa_runs.append(kassa_apply(_copy(source, root / f"k{i}.sqlite"), header, body))
            pooled_runs.append(kassa_apply(_copy(source, root / f"p{i}.sqlite"), header, body,
                                           other_connection=True))
            base_runs.append(baseline_apply(_copy(source, root / f"b{i}.sqlite"), rows,
                                            header["number"]))
    kassa_s, base_s = statistics.median(kassa_runs), statistics.median(base_runs)
    return [{
        "figure": f"apply a package of {CHANGED:,} price changes (offline DB, 92k products)",
        "kassa_s": round(kassa_s, 4),
        "baseline_s": round(base_s, 4),
        "ratio": round(kassa_s / base_s, 3),
        "target": None,
        "target_s": TARGET_S,
        "met": kassa_s <= TARGET_S,
        "p90_kassa_s": round(sorted(kassa_runs)[int(0.9 * (RUNS - 1))], 4),
        "kassa_other_connection_open_s": round(statistics.median(pooled_runs), 4),
        "body_bytes": len(body),
        "kassa_runs_s": [round(x, 4) for x in kassa_runs],
        "baseline_runs_s": [round(x, 4) for x in base_runs],
    }]


if __name__ == "__main__":
    for figure in run():
        print(figure)
