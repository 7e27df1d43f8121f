"""Product lookups on the real catalogue: by id and by barcode p99 ≤ 1 ms, name search
p99 ≤ 20 ms (issue 4 acceptance), on the store server's channel DB and on the register's
offline DB, each beside a raw ``sqlite3`` SELECT of the same.

Setup (untimed): :mod:`bench._register_world` — The Complete Journey imported at HQ, the
store server's channel DB (SQLite) pulled from HQ and register 1's offline DB downloaded
from the store server: 92,331 products with prices in each. Inputs are drawn from the
catalogue with a fixed seed: ``LOOKUPS`` products (by id, and the same by barcode), and
``SEARCHES`` name searches as a cashier types them — one to three words of a real product
name, each cut to a prefix of 3 letters or more (``"REFRIG PUDD"``); every search asks for
20 answers.

Timed, one call at a time, Kassa and the baseline alternately, after a warm-up pass:

* **store server** (:mod:`kassa.store.catalogue`, what ``GET /api/products/{id}``,
  ``/by-barcode/{code}`` and ``/search?q=`` run behind HTTP): a read-only connection from
  the channel engine's pool as the route's dependency takes it (deferred ``BEGIN``), then
  ``product_by_id`` / ``product_by_barcode`` (product ⟕ price ⟕ tax group, answer dict) /
  ``search_products`` (:mod:`kassa.db.product_search`: FTS5 prefix match on
  ``products_fts``, count of matches up to the rank cap, then bm25-ranked — or, above the
  cap, id-ordered — ids joined to the product answer);
* **register** (:class:`kassa.pos.offline_source.OfflineSource` on the offline DB, what the
  register answers after a switch): ``product`` / ``product_by_barcode`` (one read
  connection each, ``ProductInfo``) and ``search`` (the same search on the offline DB's own
  ``products_fts``, offline migration 0003, ``ProductInfo``);
* **baseline** — the same SQL written by hand, run with the raw ``sqlite3`` driver on a
  connection kept open, rows fetched as tuples (no pool, no transaction, no objects); for
  both searches: the count up to the rank cap, then the ranked or id-ordered FTS5 query
  joined to the product row.

Figures: ``kassa_s`` / ``baseline_s`` are the **99th percentiles** of wall time (the
acceptance bound is on p99; ``met`` = Kassa's p99 ≤ ``target_s``); ``ratio`` is p99 / p99.
Extra keys: ``{kassa,baseline}_p50_s`` / ``_p99_s`` (wall) and ``{kassa,baseline}_cpu_p50_s``
/ ``_cpu_p99_s`` — the calling thread's CPU time (``time.thread_time``) of the same calls,
which leaves out the time the process waited for a CPU: on a shared machine the wall p99 of
a sub-millisecond call is mostly scheduling (one time slice of another process is several
ms), the CPU p99 is what the code costs.
"""

from __future__ import annotations

import random
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bench._register_world import percentile, register_world
from kassa.config import Locations
from kassa.pos.offline_source import OfflineSource
from kassa.store import catalogue

LOOKUPS = 2000
SEARCHES = 300
WARMUP = 100
SEED = 2017
LIMIT = 20
TARGET_LOOKUP_S = 0.001
TARGET_SEARCH_S = 0.020

_PRODUCT_SQL = (
    "SELECT p.id, p.name, p.barcode, pr.price_cents, p.tax_group_id, "
    "coalesce(t.name, p.tax_group_id), coalesce(t.rate_bp, 0), p.department, p.brand, "
    "p.category, p.product_type, p.package_size, p.unit_of_measure "
    "FROM products p LEFT JOIN prices pr ON pr.product_id = p.id "
    "LEFT JOIN tax_groups t ON t.id = p.tax_group_id"
)
_FTS_COUNT = ("SELECT count(*) FROM (SELECT 1 FROM products_fts WHERE products_fts MATCH ? "
              "LIMIT ?)")
_FTS_RANKED = (
    "SELECT p.id, p.name, p.barcode, pr.price_cents, p.tax_group_id, "
    "coalesce(t.name, p.tax_group_id), coalesce(t.rate_bp, 0), p.department, p.brand, "
    "p.category, p.product_type, p.package_size, p.unit_of_measure "
    "FROM (SELECT rowid AS id, rank AS score FROM products_fts WHERE products_fts MATCH ? "
    "ORDER BY rank LIMIT ?) h JOIN products p ON p.id = h.id "
    "LEFT JOIN prices pr ON pr.product_id = p.id LEFT JOIN tax_groups t ON t.id = p.tax_group_id "
    "ORDER BY h.score, p.id"
)
_FTS_UNRANKED = _FTS_RANKED.replace("rank AS score", "0.0 AS score").replace(
    "ORDER BY rank", "ORDER BY rowid")


class Raw:
    """The baseline: hand-written SQL on one open ``sqlite3`` connection to ``path``."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path)

    def by_id(self, product_id: int) -> Any:
        return self.con.execute(f"{_PRODUCT_SQL} WHERE p.id = ?", (product_id,)).fetchone()

    def by_barcode(self, code: str) -> Any:
        return self.con.execute(f"{_PRODUCT_SQL} WHERE p.barcode = ?", (code,)).fetchone()

    def fts(self, q: str) -> list[Any]:
        """Kassa's name search, by hand (same match string, same rank cap)."""
        match = " AND ".join(f'"{w}"*' for w in catalogue.search_words(q))
        count = self.con.execute(_FTS_COUNT, (match, catalogue.RANK_CAP + 1)).fetchone()[0]
        sql = _FTS_RANKED if count <= catalogue.RANK_CAP else _FTS_UNRANKED
        return self.con.execute(sql, (match, LIMIT)).fetchall()

    def close(self) -> None:
        self.con.close()


def inputs(engine: Engine) -> tuple[list[tuple[int, str]], list[str]]:
    """``LOOKUPS`` ``(id, barcode)`` and ``SEARCHES`` typed searches (module docstring)."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, barcode, name FROM products ORDER BY id")).all()
    rng = random.Random(SEED)
    products = [(int(r.id), str(r.barcode)) for r in rng.sample(rows, LOOKUPS)]
    searches: list[str] = []
    while len(searches) < SEARCHES:
        words = re.findall(r"[A-Za-z]{3,}", rng.choice(rows).name)
        if not words:
            continue
        start = rng.randrange(len(words))
        chosen = words[start:start + rng.choice((1, 1, 2, 2, 3))]
        searches.append(" ".join(w[:rng.randrange(3, len(w) + 1)] for w in chosen))
    return products, searches


Samples = dict[str, list[float]]


def _alternate(kassa: Callable[[Any], Any], raw: Callable[[Any], Any], args: list[Any]
               ) -> Samples:
    """Wall seconds (``kassa``, ``baseline``) and thread CPU seconds (``kassa_cpu``,
    ``baseline_cpu``) per call of ``kassa(arg)`` and ``raw(arg)``, alternately, after a
    warm-up pass."""
    wall, cpu = time.perf_counter, time.thread_time
    for arg in args[:WARMUP]:
        kassa(arg)
        raw(arg)
    out: Samples = {"kassa": [], "baseline": [], "kassa_cpu": [], "baseline_cpu": []}
    for arg in args:
        for name, call in (("kassa", kassa), ("baseline", raw)):
            started, started_cpu = wall(), cpu()
            call(arg)
            out[name].append(wall() - started)
            out[f"{name}_cpu"].append(cpu() - started_cpu)
    return out


def _ids(answer: Any) -> list[int]:
    items = answer if isinstance(answer, list) else [answer]
    return [int(x["id"] if isinstance(x, dict) else x.id if hasattr(x, "id") else x[0])
            for x in items]


def _check_same(kassa: Callable[[Any], Any], raw: Callable[[Any], Any], args: list[Any]) -> None:
    """Kassa and the baseline answer the same products (the baseline does the same work)."""
    for arg in args[:50]:
        assert _ids(kassa(arg)) == _ids(raw(arg)), arg


def _store_calls(engine: Engine) -> dict[str, Callable[[Any], Any]]:
    def read(fn: Callable[..., Any]) -> Callable[[Any], Any]:
        def call(arg: Any) -> Any:
            with engine.connect().execution_options(kassa_readonly=True) as conn:
                return fn(conn, arg)
        return call
    return {"id": read(catalogue.product_by_id), "barcode": read(catalogue.product_by_barcode),
            "search": read(lambda conn, q: catalogue.search_products(conn, q, LIMIT))}


def _figure(where: str, what: str, target_s: float, samples: Samples) -> dict[str, Any]:
    kassa_s = percentile(samples["kassa"], 0.99)
    base_s = percentile(samples["baseline"], 0.99)
    figure: dict[str, Any] = {
        "figure": f"{where}: {what} p99 (92k products)",
        "kassa_s": round(kassa_s, 6),
        "baseline_s": round(base_s, 6),
        "ratio": round(kassa_s / base_s, 2),
        "target": None,
        "target_s": target_s,
        "met": kassa_s <= target_s,
        "statistic": "p99",
        "calls": len(samples["kassa"]),
    }
    for name, values in samples.items():
        figure[f"{name}_p50_s"] = round(percentile(values, 0.5), 6)
        figure[f"{name}_p99_s"] = round(percentile(values, 0.99), 6)
    figure["kassa_max_s"] = round(max(samples["kassa"]), 6)
    return figure


def run() -> list[dict[str, Any]]:
    """The six figures (module docstring)."""
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kassa-bench-lookup-") as tmp:
        root = Path(tmp)
        with register_world(root) as world:
            runtime = world.runtime()
            ident = world.identity
            offline_path = Locations(root).offline_path(ident.store_id, ident.register_number)
            channel_path = Path(str(world.channel.url.database))
            products, searches = inputs(world.channel)
            ids = [p[0] for p in products]
            codes = [p[1] for p in products]
            store = _store_calls(world.channel)
            offline: OfflineSource = runtime.source.offline
            for where, path, calls in (
                ("store server (channel DB)", channel_path, store),
                ("register (offline DB)", offline_path, {
                    "id": offline.product, "barcode": offline.product_by_barcode,
                    "search": lambda q: offline.search(q, LIMIT)}),
            ):
                raw = Raw(path)
                try:
                    _check_same(calls["id"], raw.by_id, ids)
                    _check_same(calls["barcode"], raw.by_barcode, codes)
                    _check_same(calls["search"], raw.fts, searches)
                    figures += [
                        _figure(where, "product by id", TARGET_LOOKUP_S,
                                _alternate(calls["id"], raw.by_id, ids)),
                        _figure(where, "product by barcode", TARGET_LOOKUP_S,
                                _alternate(calls["barcode"], raw.by_barcode, codes)),
                        _figure(where, "name search", TARGET_SEARCH_S,
                                _alternate(calls["search"], raw.fts, searches)),
                    ]
                finally:
                    raw.close()
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure)
