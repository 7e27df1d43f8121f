"""The P-job over real HTTP: a real store server app on a real channel DB filled through its
own commit function, behind a fault-injecting TCP proxy; HQ on SQLite and PostgreSQL
(DESIGN §5, issue 4 §5)."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Connection, Engine, func, select

from kassa.config import sqlite_url
from kassa.db import channel_schema
from kassa.db.hq_posting_schema import posted_transactions, posting_rejections
from kassa.db.migrate import prepare_database
from kassa.domain.clock import FixedClock
from kassa.hq.posting import PostedTransaction, Puller, post, posting_status
from kassa.hq.posting.cursors import record_store_endpoint
from kassa.hq.posting.puller import RETRY_FIRST_S, RETRY_MAX_S, retry_delay_s
from kassa.store.app import create_app
from kassa.store.channel import RegisterIdentity
from kassa.store.settings import StoreSettings
from kassa.store.transactions import commit, upload
from support.fault_proxy import FaultProxy
from support.posting_baskets import REGISTER_IDS, basket, random_records
from support.servers import run_app_in_thread

STORE = 367
PULL_TOKEN = "pull-token-" + "x" * 24
NOW = datetime(2017, 3, 5, 12, 0, tzinfo=UTC)


@dataclass
class Store:
    """A running store server (behind ``proxy``) and its channel DB."""

    engine: Engine
    proxy: FaultProxy

    def commit(self, records: list[dict[str, Any]]) -> None:
        for r in records:
            number = r["register_number"]
            reg = RegisterIdentity(REGISTER_IDS[number], STORE, number, f"R{number}", True)
            commit(self.engine, reg, r, NOW)

    def max_seq(self) -> int:
        with self.engine.connect() as conn:
            t = channel_schema.transactions
            return int(conn.execute(select(func.max(t.c.seq))).scalar_one())


@pytest.fixture
def hq(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "hq")
    yield engine
    engine.dispose()


@pytest.fixture
def store(data_dir: Path, hq: Engine) -> Iterator[Store]:
    engine = prepare_database(sqlite_url(data_dir / "channel.sqlite"), "channel")
    app = create_app(engine, StoreSettings(store_id=STORE, hq_pull_token=PULL_TOKEN),
                     start_puller=False)
    with run_app_in_thread(app) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        with FaultProxy(parts.hostname, parts.port) as proxy:
            with hq.begin() as conn:  # what the store server's status report records
                record_store_endpoint(conn, STORE, proxy.url, PULL_TOKEN, NOW)
            yield Store(engine, proxy)
    engine.dispose()


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def posted_count(hq: Engine) -> int:
    with hq.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(posted_transactions))
                   .scalar_one())


def cursor(hq: Engine) -> dict[str, Any]:
    with hq.connect() as conn:
        found: dict[str, Any] = posting_status(conn)["cursors"][0]
        return found


def test_pull_posts_every_store_transaction_once_in_pages(hq: Engine, store: Store) -> None:
    # given 7 transactions committed at the store server
    records = random_records(7, seed=21)
    store.commit(records)
    puller = Puller(hq, page_size=3, timeout_s=5)
    # when the P-job runs
    [result] = puller.run_once()
    # then all 7 are posted in 3 pages and the cursor is the channel DB's last seq
    assert (result.error, result.pulled, result.pages, len(result.outcome.posted)) == (
        None, 7, 3, 7)
    assert result.last_seq == store.max_seq() and cursor(hq)["last_seq"] == store.max_seq()
    with hq.connect() as conn:
        seqs = conn.execute(select(posted_transactions.c.channel_seq)
                            .order_by(posted_transactions.c.channel_seq)).scalars().all()
    assert len(set(seqs)) == 7
    # when it runs again, and again after two more sales
    assert puller.run_once()[0].pulled == 0
    store.commit(random_records(2, seed=22, start=datetime(2017, 4, 1, tzinfo=UTC)))
    [later] = puller.run_once()
    # then only the new ones come, nothing twice
    assert (later.pulled, len(later.outcome.posted), later.outcome.duplicates) == (2, 2, 0)
    assert posted_count(hq) == 9
    assert cursor(hq)["posted_count"] == 9 and cursor(hq)["duplicate_count"] == 0


def test_lost_answer_upload_and_a_direct_post_reach_hq_once(hq: Engine, store: Store) -> None:
    # given a sale committed online whose answer was lost, so the register uploads it again
    record = basket(seq=1).to_record()
    store.commit([record])
    reg = RegisterIdentity(REGISTER_IDS[1], STORE, 1, "R1", True)
    assert upload(store.engine, reg, [record], NOW)["acknowledged"] == [record["id"]]
    # and the same sale already posted at HQ by another path
    with hq.begin() as conn:
        post(conn, [record], now=NOW)
    # when the P-job pulls
    [result] = Puller(hq).run_once()
    # then HQ holds it once and counts the duplicate it saw
    assert (result.pulled, result.outcome.posted, result.outcome.duplicates) == (1, [], 1)
    assert posted_count(hq) == 1 and cursor(hq)["duplicate_count"] == 1


def test_store_down_is_a_clear_error_then_the_next_run_recovers(hq: Engine,
                                                                store: Store) -> None:
    store.commit(random_records(3, seed=23))
    puller = Puller(hq, page_size=2, timeout_s=2)
    # given the store server refuses connections
    store.proxy.refuse()
    # when the P-job runs
    [result] = puller.run_once()
    # then the error is recorded with its code, nothing is posted, the cursor stays
    assert result.error is not None and result.error.startswith("store.unreachable:")
    state = cursor(hq)
    assert state["last_error"].startswith("store.unreachable:") and state["last_seq"] == 0
    assert state["last_error_at"] is not None and posted_count(hq) == 0
    # when the store comes back and its store server reports its status to HQ
    store.proxy.pass_through()
    with hq.begin() as conn:
        record_store_endpoint(conn, STORE, store.proxy.url, PULL_TOKEN, datetime.now(UTC))
    [again] = puller.run_once()
    # then the next run pulls it at once: everything is posted and the error is cleared
    assert again.error is None and len(again.outcome.posted) == 3
    assert cursor(hq)["last_error"] is None and cursor(hq)["last_seq"] == store.max_seq()


def test_a_failing_store_is_tried_again_later_and_at_once_on_demand(hq: Engine,
                                                                     store: Store) -> None:
    store.commit(random_records(2, seed=25))
    clock = FixedClock(NOW)
    puller = Puller(hq, clock=clock, timeout_s=2)
    # given a store whose pull failed twice in a row (the second try after its first wait)
    store.proxy.refuse()
    assert puller.run_once()[0].error is not None
    assert puller.waiting() == {STORE: RETRY_FIRST_S}
    clock.advance(RETRY_FIRST_S)
    assert puller.run_once()[0].error is not None
    assert puller.waiting() == {STORE: 2 * RETRY_FIRST_S}
    # when it is back but has not reported itself, the periodic run leaves it out until
    # its wait is over
    store.proxy.pass_through()
    clock.advance(RETRY_FIRST_S)
    assert puller.run_once() == [] and posted_count(hq) == 0
    clock.advance(RETRY_FIRST_S)
    [result] = puller.run_once()
    # then it is pulled and forgotten as failing
    assert result.error is None and len(result.outcome.posted) == 2
    assert puller.waiting() == {}
    # and a store that fails again is still pulled by a run for it alone (operator's run now)
    store.commit(random_records(1, seed=26, start=datetime(2017, 4, 1, tzinfo=UTC)))
    store.proxy.refuse()
    assert puller.run_once()[0].error is not None and puller.run_once() == []
    store.proxy.pass_through()
    [named] = puller.run_once(STORE)
    assert named.error is None and named.pulled == 1 and posted_count(hq) == 3


def test_waits_grow_to_the_longest_and_no_further() -> None:
    # given failures in a row → then the waits double from the first up to the longest
    waits = [retry_delay_s(n) for n in range(1, 12)]
    assert waits[0] == RETRY_FIRST_S and waits[1] == 2 * RETRY_FIRST_S
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert max(waits) == RETRY_MAX_S and retry_delay_s(10_000) == RETRY_MAX_S


def test_many_stores_that_are_gone_do_not_slow_the_chain_posting(hq: Engine,
                                                                 store: Store) -> None:
    # given 200 stores whose servers are gone (refused ports) beside one live store
    gone = 200
    with hq.begin() as conn:
        for sid in range(1, gone + 1):
            record_store_endpoint(conn, sid, f"http://127.0.0.1:{_closed_port()}", PULL_TOKEN,
                                  NOW)
    puller = Puller(hq, clock=FixedClock(NOW), timeout_s=2)  # their waits do not run out
    first = puller.run_once()
    assert sum(r.error is not None for r in first) == gone
    # when sales arrive at the live store and the P-job runs again
    store.commit(random_records(4, seed=27))
    started = time.monotonic()
    results = puller.run_once()
    took = time.monotonic() - started
    # then only the live store was pulled (its sales posted), the gone ones wait their turn
    assert [r.store_id for r in results] == [STORE] and results[0].pulled == 4
    assert len(puller.waiting()) == gone and took < 2.0, took


def test_store_that_never_answers_times_out(hq: Engine, store: Store) -> None:
    store.commit(random_records(1, seed=24))
    store.proxy.blackhole()
    started = time.monotonic()
    [result] = Puller(hq, timeout_s=0.5).run_once()
    assert time.monotonic() - started < 5
    assert result.error is not None and result.error.startswith("store.timeout:")
    assert posted_count(hq) == 0


def test_answer_cut_mid_response_posts_nothing(hq: Engine, store: Store) -> None:
    store.commit(random_records(4, seed=25))
    store.proxy.cut(after_bytes=200)
    [result] = Puller(hq, timeout_s=2).run_once()
    assert result.error is not None and result.error.split(":")[0] in (
        "store.unreachable", "store.bad_answer")
    assert posted_count(hq) == 0 and cursor(hq)["last_seq"] == 0


def test_wrong_pull_token_is_reported_as_the_store_answer(hq: Engine, store: Store) -> None:
    with hq.begin() as conn:
        record_store_endpoint(conn, STORE, store.proxy.url, "wrong-token-" + "y" * 20, NOW)
    [result] = Puller(hq).run_once()
    assert result.error is not None and result.error.startswith("store.http_error:")
    assert "401" in result.error


def test_a_crash_between_pages_loses_and_duplicates_nothing(hq: Engine, store: Store) -> None:
    # given 7 sales and a posting that fails at the 5th transaction (2nd page of 3)
    records = random_records(7, seed=26)
    store.commit(records)
    calls = {"n": 0}

    def crashing(conn: Connection, posted: PostedTransaction) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("HQ went down mid-page")

    crashed = Puller(hq, page_size=3, handlers=[crashing])
    [first] = crashed.run_once()
    # then the first page is posted with its cursor, the failing page not at all
    assert first.error is not None and first.error.startswith("posting.failed:")
    assert posted_count(hq) == 3
    # and HQ's own failure does not make the store wait for its next try
    assert crashed.waiting() == {}
    with store.engine.connect() as conn:
        t = channel_schema.transactions
        third = conn.execute(select(t.c.seq).order_by(t.c.seq).limit(1).offset(2)).scalar_one()
    assert cursor(hq)["last_seq"] == third
    # when the next run works, it continues from the cursor
    [second] = Puller(hq, page_size=3, handlers=[]).run_once()
    assert (second.error, len(second.outcome.posted), second.outcome.duplicates) == (None, 4, 0)
    assert posted_count(hq) == 7


def test_a_corrupt_record_is_quarantined_and_the_store_goes_on(hq: Engine,
                                                               store: Store) -> None:
    # given three sales and, between them, a row whose record was damaged in the channel DB
    good = random_records(3, seed=27)
    store.commit(good[:1])
    damaged = basket(seq=50).to_record()
    damaged["totals"]["total_cents"] += 100
    store.commit([basket(seq=51).to_record()])
    last = store.max_seq()
    with store.engine.begin() as conn:
        t = channel_schema.transactions
        conn.execute(t.update().where(t.c.seq == last)
                     .values(record=json.dumps(damaged)))
    store.commit(good[1:])
    # when pulled
    [result] = Puller(hq, page_size=2).run_once()
    # then the good ones are posted, the damaged one quarantined with its reason
    assert len(result.outcome.posted) == 3
    assert result.outcome.rejected == {"record.invalid": 1}
    assert result.last_seq == store.max_seq()
    with hq.connect() as conn:
        row = conn.execute(select(posting_rejections)).one()
    assert (row.store_id, row.code, row.transaction_id) == (STORE, "record.invalid",
                                                            damaged["id"])
    assert row.channel_seq is not None and cursor(hq)["rejected_count"] == 1


def test_two_pullers_at_once_post_each_transaction_once(hq: Engine, store: Store) -> None:
    store.commit(random_records(30, seed=28))
    results: list[Any] = []

    def run() -> None:
        results.extend(Puller(hq, page_size=4).run_once())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert [r.error for r in results] == [None, None]
    assert sum(len(r.outcome.posted) for r in results) == 30
    assert sum(r.outcome.duplicates for r in results) == 0
    assert posted_count(hq) == 30 and cursor(hq)["posted_count"] == 30


def test_background_loop_posts_new_sales_until_stopped(hq: Engine, store: Store) -> None:
    puller = Puller(hq, timeout_s=2)
    puller.start(interval_s=0.05)
    try:
        store.commit(random_records(5, seed=29))
        deadline = time.monotonic() + 10
        while posted_count(hq) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert posted_count(hq) == 5 and puller.running
    finally:
        puller.stop()
    assert not puller.running


def test_posting_run_through_the_hq_api(hq: Engine, store: Store) -> None:
    from kassa.hq.app import create_app

    admin = "admin-" + "z" * 30
    app = create_app(hq, admin_token=admin)
    store.commit(random_records(6, seed=30))
    with run_app_in_thread(app) as url:
        answer = httpx.post(f"{url}/api/posting/run", timeout=30,
                            headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 200, answer.text
    [one] = answer.json()["stores"]
    assert (one["store_id"], one["pulled"], one["posted"], one["duplicates"],
            one["rejected"], one["error"]) == (STORE, 6, 6, 0, 0, None)
    assert one["last_seq"] == store.max_seq() and posted_count(hq) == 6


def test_a_handler_refusal_quarantines_only_that_transaction(hq: Engine, store: Store) -> None:
    from kassa.domain.errors import RuleViolation

    # given four sales, one of which a posting handler refuses (e.g. an unknown gift card)
    records = random_records(4, seed=33)
    store.commit(records)
    refused = records[2]["id"]

    def handler(conn: Connection, posted: PostedTransaction) -> None:
        if str(posted.id) == refused:
            raise RuleViolation("gift card unknown", code="giftcard.unknown")

    # when pulled in one page
    [result] = Puller(hq, page_size=10, handlers=[handler]).run_once()
    # then the page is posted record by record: three posted, one quarantined, cursor moved
    assert result.error is None and len(result.outcome.posted) == 3
    assert result.outcome.rejected == {"giftcard.unknown": 1}
    assert result.last_seq == store.max_seq() and posted_count(hq) == 3
