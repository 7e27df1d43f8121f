"""Posting 10,000 baskets at HQ vs a raw ``executemany`` of the same rows (issue 4 §5).

Input (untimed): 10,000 real-looking finished baskets of one store over 4 registers
(``tests/support/posting_baskets.py``: 1-25 lines, ~10 on average, weighed goods, loyalty
discounts, overrides, voided lines, returns, cash with change or card), built through the
domain aggregate, as records (``Transaction.to_record()``) — what the P-job receives.

Kassa (timed): the P-job's posting of those records in pages of 500, each page one DB
transaction exactly as :class:`kassa.hq.posting.Puller` does it without HTTP — lock the
cursor, :func:`kassa.hq.posting.post` (rebuild and check every record with the domain rules,
insert-or-ignore the headers with RETURNING, lines, tenders, quarantine, duplicate check),
advance the cursor — into a fresh HQ database (schema made beforehand, untimed).

Baseline (timed): the rows Kassa wrote (``posted_transactions``, ``posted_lines``,
``posted_tenders``), already in memory as tuples, inserted with the raw driver's
``executemany`` into a fresh database of the same schema, same pragmas, the same pages of
500 baskets per transaction. It does no checking and no JSON at all.

Both on SQLite (WAL, ``synchronous=NORMAL``) and PostgreSQL (``KASSA_TEST_PG_URL`` or
``postgresql://kassa:kassa@127.0.0.1:5432/kassa``; skipped with the reason when not
reachable), alternately, ``RUNS`` times each; the figure is the median. There is no target
for posting (``target`` ``None``, ``met`` true); ``baskets_per_s`` is what the demo's
throughput needs (issue 7: ≥ 500 baskets/s end to end), and ``check_s`` is the part spent
rebuilding and checking the records (the domain rules), for reading the ratio.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bench._postgres import pg_database, psycopg_connect
from kassa.config import sqlite_url
from kassa.db.migrate import prepare_database
from kassa.hq.posting import post
from kassa.hq.posting.cursors import advance_cursor, lock_cursor
from kassa.hq.posting.records import prepare

BASKETS = 10_000
PAGE = 500
RUNS = 3
STORE = 367
NOW = datetime(2017, 12, 31, tzinfo=UTC)
TABLES = ("posted_transactions", "posted_lines", "posted_tenders")
PG_ADMIN = os.environ.get("KASSA_TEST_PG_URL") or "postgresql://kassa:kassa@127.0.0.1:5432/kassa"


def make_records() -> list[dict[str, Any]]:
    """The 10,000 basket records (module docstring)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from support.posting_baskets import random_records

    return random_records(BASKETS, seed=2017, store_id=STORE, registers=4)


def pages(n: int) -> Iterator[range]:
    for start in range(0, n, PAGE):
        yield range(start, min(n, start + PAGE))


def time_kassa(engine: Engine, records: list[dict[str, Any]]) -> float:
    """Seconds to post ``records`` page by page with the cursor (module docstring)."""
    started = time.perf_counter()
    for page in pages(len(records)):
        with engine.begin() as conn:
            lock_cursor(conn, STORE)
            outcome = post(conn, [records[i] for i in page], now=NOW, store_id=STORE,
                           seqs=[i + 1 for i in page])
            advance_cursor(conn, STORE, page[-1] + 1, outcome, NOW)
        assert len(outcome.posted) == len(page), outcome.to_dict()
    return time.perf_counter() - started


def time_checks(records: list[dict[str, Any]]) -> float:
    """Seconds of :func:`prepare` alone (domain rebuild and checks, rows in memory)."""
    started = time.perf_counter()
    for i, record in enumerate(records):
        prepare(record, store_id=STORE, channel_seq=i + 1)
    return time.perf_counter() - started


Rows = dict[str, tuple[list[str], list[list[tuple[Any, ...]]]]]


def read_rows(fetch: Callable[[str], tuple[list[str], list[tuple[Any, ...]]]]) -> Rows:
    """Rows Kassa wrote, grouped into the same pages of baskets: ``{table: (columns,
    [page rows, …])}``; ``fetch(sql)`` answers ``(columns, rows)`` with the raw driver."""
    cols, headers = fetch("SELECT * FROM posted_transactions ORDER BY channel_seq")
    id_at = cols.index("id")
    page_of = {row[id_at]: i // PAGE for i, row in enumerate(headers)}
    n_pages = (len(headers) + PAGE - 1) // PAGE
    out: Rows = {"posted_transactions": (cols, [headers[p.start:p.stop]
                                                for p in pages(len(headers))])}
    for table in TABLES[1:]:
        tcols, rows = fetch(f"SELECT * FROM {table}")  # fixed table names
        at = tcols.index("transaction_id")
        grouped: list[list[tuple[Any, ...]]] = [[] for _ in range(n_pages)]
        for row in rows:
            grouped[page_of[row[at]]].append(row)
        out[table] = (tcols, grouped)
    return out


def _insert_sql(table: str, cols: list[str], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"


# --- SQLite -----------------------------------------------------------------------------

def _sqlite(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                   "busy_timeout=10000"):
        con.execute(f"PRAGMA {pragma}")
    return con


def sqlite_rows(path: Path) -> Rows:
    con = _sqlite(path)
    try:
        def fetch(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            cur = con.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()
        return read_rows(fetch)
    finally:
        con.close()


def time_sqlite_baseline(path: Path, rows: Rows) -> float:
    con = _sqlite(path)
    try:
        started = time.perf_counter()
        for p in range(len(rows["posted_transactions"][1])):
            con.execute("BEGIN IMMEDIATE")
            for table in TABLES:
                cols, grouped = rows[table]
                con.executemany(_insert_sql(table, cols, "?"), grouped[p])
            con.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        con.close()


def bench_sqlite(records: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    kassa: list[float] = []
    base: list[float] = []
    rows: Rows | None = None
    for run in range(RUNS):
        path = tmp / f"kassa-{run}.sqlite"
        engine = prepare_database(sqlite_url(path), "hq")
        try:
            kassa.append(time_kassa(engine, records))
        finally:
            engine.dispose()
        rows = rows or sqlite_rows(path)
        raw = tmp / f"raw-{run}.sqlite"
        prepare_database(sqlite_url(raw), "hq").dispose()
        base.append(time_sqlite_baseline(raw, rows))
    return _figure("SQLite", kassa, base, rows)


# --- PostgreSQL -------------------------------------------------------------------------

def pg_rows(url: str) -> Rows:
    with psycopg_connect(url) as con, con.cursor() as cur:
        def fetch(sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
            cur.execute(sql)
            return [d.name for d in cur.description], cur.fetchall()
        return read_rows(fetch)


def time_pg_baseline(url: str, rows: Rows) -> float:
    with psycopg_connect(url) as con:
        started = time.perf_counter()
        for p in range(len(rows["posted_transactions"][1])):
            with con.transaction(), con.cursor() as cur:
                for table in TABLES:
                    cols, grouped = rows[table]
                    cur.executemany(_insert_sql(table, cols, "%s"), grouped[p])
        return time.perf_counter() - started


def bench_pg(records: list[dict[str, Any]]) -> dict[str, Any]:
    kassa: list[float] = []
    base: list[float] = []
    rows: Rows | None = None
    for _ in range(RUNS):
        with pg_database(PG_ADMIN) as url:
            engine = prepare_database(url, "hq")
            try:
                kassa.append(time_kassa(engine, records))
            finally:
                engine.dispose()
            rows = rows or pg_rows(url)
        with pg_database(PG_ADMIN) as url:
            prepare_database(url, "hq").dispose()
            base.append(time_pg_baseline(url, rows))
    return _figure("PostgreSQL", kassa, base, rows)


def _figure(name: str, kassa: list[float], base: list[float], rows: Rows | None
            ) -> dict[str, Any]:
    assert rows is not None
    kassa_s, baseline_s = statistics.median(kassa), statistics.median(base)
    return {
        "figure": f"posting {BASKETS:,} baskets, pages of {PAGE} ({name} HQ)",
        "kassa_s": round(kassa_s, 4),
        "baseline_s": round(baseline_s, 4),
        "ratio": round(kassa_s / baseline_s, 3),
        "target": None,
        "met": True,
        "baskets_per_s": round(BASKETS / kassa_s),
        "baseline_baskets_per_s": round(BASKETS / baseline_s),
        "rows": {t: sum(len(p) for p in rows[t][1]) for t in TABLES},
        "runs_s": [round(x, 4) for x in kassa],
    }


def run() -> list[dict[str, Any]]:
    """Both figures (module docstring); PostgreSQL skipped with its reason when absent."""
    records = make_records()
    check_s = time_checks(records)
    with tempfile.TemporaryDirectory(prefix="kassa-bench-posting-") as tmp:
        figures = [bench_sqlite(records, Path(tmp))]
    try:
        figures.append(bench_pg(records))
    except Exception as exc:  # no server: say so instead of failing the whole bench run
        figures.append({"figure": f"posting {BASKETS:,} baskets (PostgreSQL HQ)",
                        "kassa_s": None, "baseline_s": None, "ratio": None, "target": None,
                        "met": True, "skipped": f"PostgreSQL not reachable: {exc!r}"[:300]})
    for fig in figures:
        fig["check_s"] = round(check_s, 4)
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure)
