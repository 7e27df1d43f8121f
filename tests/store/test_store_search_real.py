"""Name search on the real catalogue (92,331 products of The Complete Journey) through the
store server's API, on SQLite FTS5 and PostgreSQL full-text (issue 4 §1)."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from kassa.auth.tokens import new_token, token_hash
from kassa.config import sqlite_url
from kassa.db.migrate import prepare_database
from kassa.domain.clock import FixedClock
from kassa.domain.ids import new_id
from kassa.pos.offline_source import OfflineSource
from kassa.store.app import create_app
from kassa.store.catalogue import RANK_CAP, search_products
from kassa.store.settings import StoreSettings
from kassa.sync.apply import apply_package
from support.package_factory import STORE, channel_tables, package
from support.real_catalogue import real_products, real_tables
from support.servers import run_app_in_thread
from support.store_world import PULL_TOKEN

pytestmark = pytest.mark.slow


@pytest.fixture
def real_store(db_url: str) -> Iterator[tuple[httpx.Client, dict[str, str], Engine]]:
    engine = prepare_database(db_url, "channel")
    token = new_token()
    tables = {**channel_tables(new_id(), token_hash(token)), **real_tables()}
    header, body = package(1, kind="snapshot", **tables)
    apply_package(engine, header, body, now=datetime(2017, 3, 1, tzinfo=UTC))
    app = create_app(engine, StoreSettings(store_id=STORE, hq_pull_token=PULL_TOKEN))
    try:
        with run_app_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            yield client, {"Authorization": f"Bearer {token}"}, engine
    finally:
        engine.dispose()


def _search(client: httpx.Client, auth: dict[str, str], q: str, limit: int = 20) -> list[dict]:
    answer = client.get("/api/products/search", params={"q": q, "limit": limit}, headers=auth)
    assert answer.status_code == 200, answer.text
    items: list[dict] = answer.json()["items"]
    return items


def test_search_finds_real_product_names(
    real_store: tuple[httpx.Client, dict[str, str], Engine],
) -> None:
    client, auth, _ = real_store
    # a whole name, typed in lower case and in another order
    hits = _search(client, auth, "crushed ice 22 lb")
    assert hits[0]["id"] == 25671
    assert hits[0]["name"] == "ICE - CRUSHED/CUBED 22 LB (National)"
    # every word must match, as a prefix
    cereal = _search(client, auth, "cold cere", limit=50)
    assert len(cereal) == 50
    assert all("COLD" in p["name"] and "CERE" in p["name"] for p in cereal)
    assert _search(client, auth, "zzzzqqq") == []
    # the answer carries price and tax rate
    assert {"price_cents", "tax_rate_bp", "barcode"} <= set(hits[0])
    # and stays fast on the whole catalogue (p99 budget 20 ms; generous here)
    took = []
    for q in ("milk", "bread", "soft drinks", "frzn", "bananas", "yogurt", "dog food", "co"):
        started = time.perf_counter()
        _search(client, auth, q)
        took.append(time.perf_counter() - started)
    assert max(took) < 0.5, took


def _typed_searches(names: list[str], n: int) -> list[str]:
    """``n`` searches as a cashier types them: 1-3 words of a real name, each cut to a
    prefix of 1 letter or more (fixed seed)."""
    rng = random.Random(2017)
    out: list[str] = []
    while len(out) < n:
        words = re.findall(r"\w+", rng.choice(names))
        start = rng.randrange(len(words))
        chosen = words[start:start + rng.choice((1, 2, 3))]
        out.append(" ".join(w[:rng.randrange(1, len(w) + 1)] for w in chosen))
    return out


def test_the_offline_db_searches_the_real_catalogue_like_the_store_server(
    data_dir: Path,
) -> None:
    # given the same snapshot (92,331 real products) in a channel DB and in an offline DB
    token = new_token()
    tables = {**channel_tables(new_id(), token_hash(token)), **real_tables()}
    header, body = package(1, kind="snapshot", **tables)
    channel = prepare_database(sqlite_url(data_dir / "channel.sqlite"), "channel")
    offline_db = prepare_database(sqlite_url(data_dir / "offline.sqlite"), "offline")
    try:
        for engine in (channel, offline_db):
            apply_package(engine, header, body, now=datetime(2017, 3, 1, tzinfo=UTC))
        offline = OfflineSource(offline_db, STORE, FixedClock(datetime(2017, 3, 1, tzinfo=UTC)))
        names = [str(r[1]) for r in real_products()]
        searches = [*_typed_searches(names, 300), "national", "nat", "c", "private", "co",
                    "milk", "soft drinks", "ice crushed 22", "zzzzqqq", "100 %"]
        # when both answer every search, then the same products in the same order
        with channel.connect() as conn:
            for q in searches:
                online = search_products(conn, q, 20)
                offline_hits = offline.search(q, 20)
                assert [p["id"] for p in online] == [p.id for p in offline_hits], q
                assert [{k: v for k, v in p.items() if k != "tax_group_name"}
                        for p in online] == [p.to_dict() for p in offline_hits], q
    finally:
        channel.dispose()
        offline_db.dispose()


def test_broad_and_narrow_searches_on_the_real_catalogue(db_url: str) -> None:
    """More than RANK_CAP matches: the first by id; fewer: ranked, every match found
    (checked against the words of the names), on SQLite FTS5 and PostgreSQL full-text."""
    engine = prepare_database(db_url, "channel")
    try:
        header, body = package(1, kind="snapshot", **real_tables())
        apply_package(engine, header, body, now=datetime(2017, 3, 1, tzinfo=UTC))
        names = {int(r[0]): str(r[1]).lower() for r in real_products()}

        def matching(*prefixes: str) -> list[int]:
            return sorted(pid for pid, name in names.items()
                          if all(any(w.startswith(p) for w in re.findall(r"[a-z0-9]+", name))
                                 for p in prefixes))

        with engine.connect() as conn:
            broad = matching("national")
            assert len(broad) > RANK_CAP
            assert [p["id"] for p in search_products(conn, "National", 30)] == broad[:30]
            narrow = matching("dog", "food", "can")
            assert 20 < len(narrow) <= 100
            got = [p["id"] for p in search_products(conn, "dog food can", 100)]
            assert sorted(got) == narrow
            assert [p["id"] for p in search_products(conn, "Dog Food Can", 5)] == got[:5]
    finally:
        engine.dispose()
