"""Name search on the real catalogue (92,331 products of The Complete Journey) through the
store server's API, on SQLite FTS5 and PostgreSQL full-text (issue 4 §1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine

from kassa.auth.tokens import new_token, token_hash
from kassa.db.migrate import prepare_database
from kassa.domain.ids import new_id
from kassa.store.app import create_app
from kassa.store.settings import StoreSettings
from kassa.sync.apply import apply_package
from support.package_factory import STORE, channel_tables, package
from support.real_catalogue import real_tables
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
