"""Full provisioning of a new offline DB with the real catalogue (issue 3 acceptance: ≤ 3× a
raw ``executemany`` of the same rows).

Setup (untimed): a fresh SQLite HQ with The Complete Journey imported (``run_import``: 92,331
products, their prices, customers, stores, registers, staff), the "All jobs" baseline of one
store's data group and its snapshot package as HQ builds it; the HQ app and that store's
server (channel DB on SQLite) on 127.0.0.1; the store server pulls (snapshot applied to its
channel DB, offline variant kept for registers); a register activated through it.

Timed, per run, into a new offline DB file whose schema was made beforehand (untimed, the
same for both):

* **Kassa** — what a new register's sync client does: ``GET /api/packages`` (snapshot header)
  and ``GET /api/packages/{n}/body`` over real HTTP, then
  :func:`kassa.sync.apply.apply_package`: size + SHA-256 check, zstd + msgpack decode,
  schema check and value conversion, one transaction that drops the secondary indexes,
  inserts every row (SQLAlchemy Core executemany), re-creates the indexes and records the
  checkpoint.
* **Baseline** — the same rows (decoded beforehand, as tuples), ``sqlite3.executemany``
  per table into a new offline DB of the same schema with the same pragmas (WAL,
  ``synchronous=FULL``, foreign keys on), one ``BEGIN IMMEDIATE … COMMIT``, with the same
  bulk-load steps written by hand (secondary indexes and triggers dropped and re-created,
  the FTS5 product-name index rebuilt once). It downloads, verifies, decodes and converts
  nothing.

One warm-up, then ``RUNS`` alternating runs of each; medians.
"""

from __future__ import annotations

import re
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._real_hq import STORE, real_hq
from kassa.config import sqlite_url
from kassa.db.migrate import prepare_database
from kassa.domain.clock import SystemClock
from kassa.hq.app import create_app as create_hq_app
from kassa.hq.distribution import access
from kassa.hq.distribution.setup import register_by_number
from kassa.store.app import create_app
from kassa.store.settings import StoreSettings
from kassa.sync.apply import apply_package
from kassa.sync.package import PackageContent, verify_and_decode

RUNS = 3
TARGET = 3.0
PULL_TOKEN = "bench-hq-pull-token-0123456789"


def _serve(app: Any) -> tuple[Any, str]:
    import threading

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("bench server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return (server, thread), f"http://127.0.0.1:{port}"


def _stop(handle: Any) -> None:
    server, thread = handle
    server.should_exit = True
    thread.join(15)


def kassa_provision(store_url: str, token: str, offline_path: Path) -> tuple[float, int]:
    """Provision one new offline DB through the store server; (seconds, rows)."""
    engine = prepare_database(sqlite_url(offline_path), "offline")
    auth = {"Authorization": f"Bearer {token}"}
    rows = 0
    try:
        with httpx.Client(base_url=store_url, headers=auth, timeout=60) as client:
            started = time.perf_counter()
            for header in client.get("/api/packages").json()["packages"]:
                body = client.get(f"/api/packages/{header['number']}/body",
                                  params={"kind": header["kind"]}).content
                rows += apply_package(engine, header, body, now=datetime.now(UTC)).rows
            took = time.perf_counter() - started
    finally:
        engine.dispose()
    return took, rows


def baseline_provision(content: PackageContent, offline_path: Path) -> float:
    """Raw sqlite3 executemany of the same rows into the same schema and pragmas, the bulk
    way by hand: secondary indexes and triggers dropped, rows inserted, indexes and
    triggers re-created, full-text indexes rebuilt — what a raw loader would do too."""
    prepare_database(sqlite_url(offline_path), "offline").dispose()
    data = [
        (t.name, f'INSERT INTO "{t.name}" ({", ".join(t.columns)}) '
         f'VALUES ({", ".join("?" * len(t.columns))})', [tuple(r) for r in t.rows])
        for t in content.tables if t.rows
    ]
    tables = [name for name, _, _ in data]
    marks = ", ".join("?" * len(tables))
    conn = sqlite3.connect(offline_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        secondary = conn.execute(
            f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type",
            tables).fetchall()
        for kind, name, _ in secondary:
            conn.execute(f'DROP {kind.upper()} "{name}"')
        for _, sql, rows in data:
            conn.executemany(sql, rows)
        for _, _, ddl in secondary:
            conn.execute(ddl)
        for name, ddl in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"
                " AND lower(sql) LIKE '%using fts5%'").fetchall():
            found = re.search(r"content\s*=\s*['\"]?(\w+)", ddl)
            if found and found.group(1) in tables:
                conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
        conn.execute(
            "INSERT INTO package_checkpoint (data_group_id, package_number, applied_at) "
            "VALUES (?, ?, ?)", (content.data_group_id, content.number, "2017-01-01 00:00:00"))
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def _world(root: Path) -> tuple[Any, Any, str, str, PackageContent, int]:
    """Set up HQ and the store server (module docstring); returns their handles, the store
    URL, the register's token, the decoded offline snapshot and its body size."""
    hq, _, store_token = real_hq(root)
    now = SystemClock().now()
    hq_handle, hq_url = _serve(create_hq_app(hq, admin_token="b" * 32))
    channel = prepare_database(sqlite_url(root / "channel.sqlite"), "channel")
    settings = StoreSettings(store_id=STORE, hq_pull_token=PULL_TOKEN, hq_url=hq_url,
                             store_token=store_token)
    app = create_app(channel, settings, start_puller=False)
    attempt = app.state.ctx.puller.pull_once()
    if attempt.result == "error":
        raise RuntimeError(f"store server pull failed: {attempt.error}")
    store_handle, store_url = _serve(app)
    with hq.begin() as conn:
        code = access.issue_activation_code(conn, register_by_number(conn, STORE, 1), now).code
    token = httpx.post(f"{store_url}/api/activate", json={"code": code}).json()["device_token"]
    auth = {"Authorization": f"Bearer {token}"}
    header = httpx.get(f"{store_url}/api/packages", headers=auth).json()["packages"][0]
    body = httpx.get(f"{store_url}/api/packages/{header['number']}/body",
                     params={"kind": header["kind"]}, headers=auth, timeout=60).content
    return (hq_handle, hq), (store_handle, channel), store_url, token, verify_and_decode(
        header, body), len(body)


def run() -> list[dict[str, Any]]:
    """The figure (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="kassa-bench-provisioning-") as tmp:
        root = Path(tmp)
        (hq_handle, hq), (store_handle, channel), store_url, token, content, size = _world(root)
        try:
            kassa_provision(store_url, token, root / "warm.sqlite")
            kassa_runs, base_runs, rows = [], [], 0
            for i in range(RUNS):
                took, rows = kassa_provision(store_url, token, root / f"kassa-{i}.sqlite")
                kassa_runs.append(took)
                base_runs.append(baseline_provision(content, root / f"base-{i}.sqlite"))
        finally:
            _stop(store_handle)
            _stop(hq_handle)
            channel.dispose()
            hq.dispose()
    kassa_s, base_s = statistics.median(kassa_runs), statistics.median(base_runs)
    ratio = kassa_s / base_s
    counts = {t.name: len(t.rows) for t in content.tables}
    return [{
        "figure": f"provision offline DB ({counts.get('products', 0):,} products, HTTP)",
        "kassa_s": round(kassa_s, 4),
        "baseline_s": round(base_s, 4),
        "ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio <= TARGET,
        "rows": rows,
        "rows_by_table": counts,
        "body_bytes": size,
        "kassa_runs_s": [round(x, 4) for x in kassa_runs],
        "baseline_runs_s": [round(x, 4) for x in base_runs],
    }]


if __name__ == "__main__":
    for figure in run():
        print(figure)
