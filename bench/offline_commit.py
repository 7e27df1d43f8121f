"""Offline commit of a 10-line basket at the register, p50 and p99, ≤ 5 × a raw SQLite
insert+commit of the same rows (issue 4 acceptance).

Setup (untimed): :mod:`bench._register_world` — a real HQ with The Complete Journey, the
store server of store 367 (channel DB pulled from HQ) and register 1 in-process
(:class:`~kassa.pos.runtime.RegisterRuntime`) with its offline DB provisioned by a real
download (92,331 products). The cashier signs in (online, through the store server), then
operation 917 Disconnect puts the register offline (manual).

Per basket (``BASKETS`` of them, after ``WARMUP`` discarded ones), alternately:

* **Kassa** — untimed: ``start_transaction``, 10 ``add_line`` by barcode of random priced
  products of the catalogue (quantity 1-3), a cash tender rounded up to the next dollar.
  Timed: :meth:`kassa.pos.engine.PosEngine.complete` — what the cashier waits for after the
  last key: the domain's completion checks, the record, the offline source's commit
  (``rows_of``: the canonical JSON and the normalised rows, one ``BEGIN IMMEDIATE``
  transaction inserting the ``transactions`` row, 10 ``transaction_lines``, the
  ``transaction_tenders`` row, the ``upload_queue`` row in state ``pending``, deleting
  ``current_cart``, ``COMMIT`` with ``synchronous=FULL`` in WAL mode; in a tree with the
  tamper-evident journal of issue 8 also the row's ``prev_hash`` / ``hash``: the chain head
  read and a SHA-256 of the canonical record), then the receipt.
* **Baseline** — the very rows Kassa just wrote (read back untimed, with fresh ids) inserted
  with the raw ``sqlite3`` driver into the same offline DB file over its own connection with
  the same pragmas (WAL, ``synchronous=FULL``, foreign keys on): ``BEGIN IMMEDIATE``, the
  transaction row, ``executemany`` of the lines, the tender, the ``upload_queue`` row, the
  ``DELETE`` of a ``current_cart`` row (written untimed before), ``COMMIT``. It builds,
  checks and serialises nothing.

Figures: the medians (target ratio ≤ :data:`TARGET`) and the 99th percentiles (the same
bound) of both; ``kassa_s`` / ``baseline_s`` are the statistic the figure names. Both
write to the same file in the same run, so both see the same WAL checkpoints (the p99 of
both is mostly those and the disk). Extra keys:

* ``offline_source_commit_s`` — the part of ``complete`` spent in ``OfflineSource.commit``
  (timed by wrapping that method of the instance);
* ``kassa_sqlite_commit_s`` — within that, the SQLite ``COMMIT`` (from SQLAlchemy's
  ``commit`` event to the return): the fsync of the WAL. It also carries the WAL frames of
  the sale's ``current_cart`` saves, written before with ``synchronous=NORMAL`` (the
  register's cart engine) and not yet on disk; the baseline runs right after Kassa's
  commit, on a WAL already synced;
* ``kassa_without_commit_p50_s`` — median of ``complete`` minus its ``COMMIT``: the code
  (domain, record, rows, SQLAlchemy statements, receipt);
* the p90 and max of the distributions, the counts.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench._register_world import (
    CASHIER,
    PASSWORD,
    percentile,
    priced_products,
    register_world,
)
from kassa.config import Locations
from kassa.domain.money import to_cents
from kassa.domain.transaction import Transaction
from kassa.pos.datasource import CommitOutcome
from kassa.pos.runtime import RegisterRuntime
from kassa.pos.sessions import Session

LINES = 10
BASKETS = 300
WARMUP = 10
TARGET = 5.0
SEED = 2017

Rows = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]], tuple[Any, ...]]


def fill_basket(runtime: RegisterRuntime, session: Session, rng: random.Random,
                pool: list[tuple[int, str, str]]) -> Transaction:
    """Start a transaction, scan ``LINES`` random products, pay cash (untimed part)."""
    engine = runtime.engine
    engine.start_transaction(session)
    for _, barcode, _ in rng.sample(pool, LINES):
        engine.add_line(session, barcode=barcode, quantity=str(rng.choice((1, 1, 1, 2, 3))))
    cart = engine.cart
    assert cart is not None
    cash = (cart.amount_due + Decimal("0.99")).quantize(Decimal(1))
    engine.add_tender(session, "cash", to_cents(cash))
    return cart


def _fresh(value: Any) -> Any:
    """A new UUID in the storage form of ``value`` (32 hex digits or 16 bytes)."""
    if isinstance(value, bytes):
        return uuid.uuid4().bytes
    text = str(value)
    return uuid.uuid4().hex if "-" not in text else str(uuid.uuid4())


class Baseline:
    """The raw ``sqlite3`` side (module docstring) on its own connection to ``path``."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       "busy_timeout=10000"):
            self.con.execute(f"PRAGMA {pragma}")
        self.cart_owner = uuid.uuid4().hex  # a current_cart row of its own, not the register's
        self.sql: dict[str, str] = {}

    def _select(self, table: str, where: str, key: str) -> tuple[list[str], list[list[Any]]]:
        """Columns (without ``seq``, which the trigger assigns, as for Kassa) and rows of
        ``table`` where ``where`` = ``key``; remembers the INSERT statement of ``table``."""
        cols = [r[1] for r in self.con.execute(f"PRAGMA table_info({table})") if r[1] != "seq"]
        self.sql[table] = (f"INSERT INTO {table} ({', '.join(cols)}) "
                           f"VALUES ({', '.join('?' * len(cols))})")
        rows = self.con.execute(f"SELECT {', '.join(cols)} FROM {table} WHERE {where} = ?",
                                (key,)).fetchall()
        return cols, [list(r) for r in rows]

    def rows_of(self, transaction_id: uuid.UUID) -> Rows:
        """The rows Kassa wrote for ``transaction_id``, with fresh ids."""
        key = transaction_id.hex
        cols, heads = self._select("transactions", "id", key)
        head = heads[0]
        new_id = _fresh(head[cols.index("id")])
        head[cols.index("id")] = new_id
        renumbered: dict[str, list[tuple[Any, ...]]] = {}
        for table in ("transaction_lines", "transaction_tenders", "upload_queue"):
            tcols, rows = self._select(table, "transaction_id", key)
            for row in rows:
                row[tcols.index("transaction_id")] = new_id
                if "id" in tcols:
                    row[tcols.index("id")] = _fresh(row[tcols.index("id")])
            renumbered[table] = [tuple(r) for r in rows]
        lines, tenders = renumbered["transaction_lines"], renumbered["transaction_tenders"]
        queue = renumbered["upload_queue"]
        assert len(lines) == LINES and len(tenders) == 1 and len(queue) == 1
        return tuple(head), lines, tenders, queue[0]

    def commit(self, rows: Rows) -> float:
        """Write ``rows`` in one transaction; seconds."""
        head, lines, tenders, queue = rows
        con, sql = self.con, self.sql
        con.execute("INSERT OR REPLACE INTO current_cart (register_id, record, updated_at) "
                    "VALUES (?, '{}', '2017-01-01 00:00:00')", (self.cart_owner,))
        started = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.execute(sql["transactions"], head)
        con.executemany(sql["transaction_lines"], lines)
        con.executemany(sql["transaction_tenders"], tenders)
        con.execute(sql["upload_queue"], queue)
        con.execute("DELETE FROM current_cart WHERE register_id = ?", (self.cart_owner,))
        con.execute("COMMIT")
        return time.perf_counter() - started

    def close(self) -> None:
        self.con.close()


def _instrument(runtime: RegisterRuntime, inner: list[float], commits: list[float]) -> None:
    """Time ``OfflineSource.commit`` of this runtime's instance (appends to ``inner``) and,
    within it, its SQLite ``COMMIT`` (from SQLAlchemy's ``commit`` event to the return;
    appends to ``commits``)."""
    offline = runtime.source.offline
    original = offline.commit
    committing: list[float] = []
    event.listen(offline.engine, "commit", lambda _conn: committing.append(time.perf_counter()))

    def timed(record: dict[str, Any], txn: Transaction | None = None) -> CommitOutcome:
        committing.clear()
        started = time.perf_counter()
        try:
            return original(record, txn)
        finally:
            ended = time.perf_counter()
            inner.append(ended - started)
            commits.append(ended - committing[-1] if committing else 0.0)

    offline.commit = timed


def measure(runtime: RegisterRuntime, path: Path) -> dict[str, list[float]]:
    """Per-basket seconds: ``kassa`` (complete), ``baseline``, ``inner`` (offline source
    commit), ``commit`` (its SQLite COMMIT)."""
    session = runtime.engine.sign_in(CASHIER, PASSWORD)
    runtime.source.disconnect()  # operation 917 Disconnect: manual offline
    assert not runtime.source.online
    pool = priced_products(runtime.offline_db, 2000, seed=SEED)
    rng = random.Random(SEED)
    inner: list[float] = []
    commits: list[float] = []
    _instrument(runtime, inner, commits)
    baseline = Baseline(path)
    kassa: list[float] = []
    base: list[float] = []
    try:
        for i in range(WARMUP + BASKETS):
            fill_basket(runtime, session, rng, pool)
            started = time.perf_counter()
            done = runtime.engine.complete(session)
            took = time.perf_counter() - started
            assert done.outcome == CommitOutcome("offline", "committed"), done.outcome
            assert runtime.source.offline.is_pending(done.transaction.id)
            base_took = baseline.commit(baseline.rows_of(done.transaction.id))
            if i >= WARMUP:
                kassa.append(took)
                base.append(base_took)
    finally:
        baseline.close()
    return {"kassa": kassa, "baseline": base, "inner": inner[WARMUP:],
            "commit": commits[WARMUP:]}


def _figure(label: str, q: float, samples: dict[str, list[float]]) -> dict[str, Any]:
    kassa_s = percentile(samples["kassa"], q)
    base_s = percentile(samples["baseline"], q)
    ratio = kassa_s / base_s
    return {
        "figure": f"offline commit, {LINES}-line basket, {label}",
        "kassa_s": round(kassa_s, 5),
        "baseline_s": round(base_s, 5),
        "ratio": round(ratio, 2),
        "target": TARGET,
        "met": ratio <= TARGET,
        "statistic": label,
        "offline_source_commit_s": round(percentile(samples["inner"], q), 5),
        "kassa_sqlite_commit_s": round(percentile(samples["commit"], q), 5),
        "kassa_without_commit_p50_s": round(statistics.median(
            k - c for k, c in zip(samples["kassa"], samples["commit"], strict=True)), 5),
        "kassa_p90_s": round(percentile(samples["kassa"], 0.9), 5),
        "baseline_p90_s": round(percentile(samples["baseline"], 0.9), 5),
        "kassa_max_s": round(max(samples["kassa"]), 5),
        "baseline_max_s": round(max(samples["baseline"]), 5),
        "baskets": len(samples["kassa"]),
        "lines": LINES,
    }


def run() -> list[dict[str, Any]]:
    """The p50 and p99 figures (module docstring)."""
    with tempfile.TemporaryDirectory(prefix="kassa-bench-offline-commit-") as tmp:
        root = Path(tmp)
        with register_world(root) as world:
            runtime = world.runtime()
            ident = world.identity
            path = Locations(root).offline_path(ident.store_id, ident.register_number)
            samples = measure(runtime, path)
    assert statistics.median(samples["kassa"]) > 0
    return [_figure("p50", 0.5, samples), _figure("p99", 0.99, samples)]


if __name__ == "__main__":
    for figure in run():
        print(figure)
