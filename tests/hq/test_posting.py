"""Posting at HQ without HTTP: idempotence, quarantine, and the cursor in the same DB
transaction as the rows (DESIGN §5, issue 4 §5). Real SQLite files and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from kassa.db.hq_posting_schema import (
    posted_lines,
    posted_tenders,
    posted_transactions,
    posting_cursors,
    posting_rejections,
    store_endpoints,
)
from kassa.db.migrate import prepare_database
from kassa.domain.errors import Conflict, InvalidInput, RuleViolation
from kassa.hq.posting import PostedTransaction, post, posting_status, record_store_endpoint
from kassa.hq.posting.cursors import advance_cursor, cursor_of, lock_cursor
from support.posting_baskets import basket, fresh_id, random_records

NOW = datetime(2017, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def hq(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "hq")
    yield engine
    engine.dispose()


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def post_now(engine: Engine, records: list[Any], **kw: Any) -> Any:
    with engine.begin() as conn:
        return post(conn, records, now=NOW, **kw)


def test_same_records_twice_are_posted_once_and_duplicates_counted(hq: Engine) -> None:
    # given three finished baskets
    records = random_records(3, seed=1)
    # when they are posted, then posted again (a re-pulled page, a lost-answer upload)
    first = post_now(hq, records)
    second = post_now(hq, records)
    # then each is posted once, with its lines and tenders, and the second time only counted
    assert len(first.posted) == 3 and first.duplicates == 0
    assert second.posted == [] and second.duplicates == 3 and second.rejected_count == 0
    assert count(hq, posted_transactions) == 3
    assert count(hq, posted_lines) == sum(len(r["lines"]) for r in records)
    assert count(hq, posted_tenders) == sum(len(r["tenders"]) for r in records)


def test_same_transaction_twice_in_one_batch_is_posted_once(hq: Engine) -> None:
    record = basket().to_record()
    outcome = post_now(hq, [record, copy.deepcopy(record)])
    assert len(outcome.posted) == 1 and outcome.duplicates == 1
    assert count(hq, posted_transactions) == 1


def test_posted_row_keeps_the_record_and_its_totals_in_cents(hq: Engine) -> None:
    # given a basket of 2 x 2.50 (FOOD, 0 %) and 1 x 10.00 (STANDARD 6.25 %), 0.50 off
    txn = basket(lines=[(1001, 250, "2"), (1002, 1000, "1")], discount_cents=50,
                 cash_cents=2000, mode="offline", customer_id=42)
    post_now(hq, [txn.to_record()])
    with hq.connect() as conn:
        row = conn.execute(select(posted_transactions)).one()
        lines = conn.execute(select(posted_lines).order_by(posted_lines.c.line_no)).all()
    # then the header holds the totals to the cent and the day is the UTC completion date
    assert (row.subtotal_cents, row.tax_cents, row.discount_cents, row.total_cents,
            row.paid_cents, row.change_cents) == (1450, 63, 50, 1513, 2000, 487)
    assert (row.mode, row.status, row.customer_id, row.line_count) == ("offline",
                                                                       "completed", 42, 2)
    assert row.business_day == "2017-03-01" and row.channel_seq is None
    assert [(x.line_no, x.quantity, x.net_cents, x.tax_cents, x.discount_cents)
            for x in lines] == [(1, "2", 450, 0, 50), (2, "1", 1000, 63, 0)]


def test_malformed_records_are_quarantined_and_do_not_block_the_rest(hq: Engine) -> None:
    # given two good baskets among records that cannot be posted
    good = random_records(2, seed=2)
    tampered = basket(seq=9).to_record()
    tampered["totals"]["total_cents"] += 1  # totals that do not match the lines
    still_open = basket(seq=10).to_record()
    still_open.update(status="open", completed_at=None)
    no_lines = {k: v for k, v in basket(seq=12).to_record().items() if k != "lines"}
    records: list[Any] = [good[0], "not a record", tampered, still_open, no_lines,
                          {"format": 99}, good[1]]
    # when they are posted, twice
    outcome = post_now(hq, records)
    again = post_now(hq, records)
    # then the good ones are posted and every other one is counted under its reason
    assert [str(x) for x in outcome.posted] == [good[0]["id"], good[1]["id"]]
    assert outcome.rejected == {"posting.malformed": 1, "record.invalid": 2,
                                "posting.open": 1, "record.format": 1}
    assert again.rejected == outcome.rejected and again.duplicates == 2
    # and each bad record is quarantined once, with its id when it has one
    with hq.connect() as conn:
        rows = conn.execute(select(posting_rejections.c.transaction_id,
                                   posting_rejections.c.code,
                                   posting_rejections.c.message)).all()
    assert len(rows) == 5
    codes = {r.transaction_id: r.code for r in rows}
    assert codes[tampered["id"]] == "record.invalid"
    assert codes[still_open["id"]] == "posting.open"
    assert codes[no_lines["id"]] == "record.invalid"
    assert all(r.message for r in rows)


def test_records_of_another_store_are_refused(hq: Engine) -> None:
    records = random_records(2, seed=6, store_id=367)
    outcome = post_now(hq, records, store_id=368)
    assert outcome.posted == [] and outcome.rejected == {"posting.other_store": 2}
    with hq.connect() as conn:
        stores = conn.execute(select(posting_rejections.c.store_id)).scalars().all()
    assert stores == [368, 368]


def test_same_id_with_another_record_is_quarantined_as_a_conflict(hq: Engine) -> None:
    record = basket().to_record()
    post_now(hq, [record])
    changed = copy.deepcopy(record)
    changed["operator_id"] = "op2"
    outcome = post_now(hq, [changed])
    assert outcome.rejected == {"posting.conflicting_duplicate": 1} and outcome.duplicates == 0
    with hq.connect() as conn:
        assert conn.execute(select(posted_transactions.c.operator_id)).scalar_one() == "op1"


def tender_clash() -> tuple[dict[str, Any], dict[str, Any]]:
    """Two valid baskets whose tenders share one id: the database refuses the second."""
    a = basket(seq=1).to_record()
    b = basket(seq=2).to_record()
    b["tenders"][0]["id"] = a["tenders"][0]["id"]
    return a, b


def test_crash_inside_the_transaction_moves_neither_rows_nor_cursor(hq: Engine) -> None:
    # given a page of two records whose second breaks a database constraint
    a, b = tender_clash()
    # when the page is posted with the cursor move in the same transaction
    with pytest.raises(IntegrityError), hq.begin() as conn:
        assert lock_cursor(conn, 367) == 0
        outcome = post(conn, [a, b], now=NOW, store_id=367, seqs=[1, 2])
        advance_cursor(conn, 367, 2, outcome, NOW)
    # then nothing was posted and the cursor did not move
    assert count(hq, posted_transactions) == 0 and count(hq, posted_tenders) == 0
    with hq.connect() as conn:
        assert cursor_of(conn, 367) == 0
    # when the same page is posted record by record (what the puller does next)
    with hq.begin() as conn:
        outcome = post(conn, [a, b], now=NOW, store_id=367, seqs=[1, 2], isolate=True)
        advance_cursor(conn, 367, 2, outcome, NOW)
    # then the good record is posted, the bad one quarantined, and the cursor moved past both
    assert [str(x) for x in outcome.posted] == [a["id"]]
    assert outcome.rejected == {"posting.storage_refused": 1}
    with hq.connect() as conn:
        status = posting_status(conn)
    assert (status["cursors"][0]["last_seq"], status["cursors"][0]["posted_count"],
            status["cursors"][0]["rejected_count"]) == (2, 1, 1)
    assert status["rejections"] == [{"store_id": 367, "code": "posting.storage_refused",
                                     "count": 1}]


def test_a_failing_posting_handler_rolls_back_the_whole_batch(hq: Engine) -> None:
    calls: list[str] = []

    def handler(conn: Connection, posted: PostedTransaction) -> None:
        calls.append(str(posted.id))
        if len(calls) == 2:
            raise RuntimeError("handler crashed")

    records = random_records(3, seed=3)
    with pytest.raises(RuntimeError), hq.begin() as conn:
        post(conn, records, now=NOW, handlers=[handler])
        advance_cursor(conn, 367, 3, post(conn, [], now=NOW), NOW)
    assert count(hq, posted_transactions) == 0 and count(hq, posting_cursors) == 0


def test_handlers_see_each_newly_posted_transaction_once(hq: Engine) -> None:
    seen: list[tuple[str, int]] = []

    def handler(conn: Connection, posted: PostedTransaction) -> None:
        # inside the same DB transaction: the posted row is already visible
        n = conn.execute(select(func.count()).select_from(posted_transactions)
                         .where(posted_transactions.c.id == posted.id)).scalar_one()
        seen.append((str(posted.id), int(n)))

    records = random_records(2, seed=4)
    post_now(hq, records, handlers=[handler])
    post_now(hq, records, handlers=[handler])
    assert seen == [(r["id"], 1) for r in records]


def test_a_handler_refusal_quarantines_only_that_transaction_when_isolated(hq: Engine) -> None:
    records = random_records(3, seed=5)

    def handler(conn: Connection, posted: PostedTransaction) -> None:
        if str(posted.id) == records[1]["id"]:
            raise RuleViolation("gift card unknown", code="giftcard.unknown")

    with pytest.raises(RuleViolation):
        post_now(hq, records, handlers=[handler])
    outcome = post_now(hq, records, handlers=[handler], isolate=True)
    assert len(outcome.posted) == 2 and outcome.rejected == {"giftcard.unknown": 1}
    assert count(hq, posted_transactions) == 2


def test_the_cursor_never_moves_back(hq: Engine) -> None:
    with hq.begin() as conn:
        lock_cursor(conn, 367)
        advance_cursor(conn, 367, 10, post(conn, [], now=NOW), NOW)
    with pytest.raises(Conflict) as err, hq.begin() as conn:
        advance_cursor(conn, 367, 9, post(conn, [], now=NOW), NOW)
    assert err.value.code == "posting.cursor_backwards"
    with hq.connect() as conn:
        assert cursor_of(conn, 367) == 10


def test_store_endpoint_is_recorded_and_replaced(hq: Engine) -> None:
    with hq.begin() as conn:
        record_store_endpoint(conn, 367, "http://127.0.0.1:9000/", "t" * 20, NOW)
        record_store_endpoint(conn, 367, "http://127.0.0.1:9001", "u" * 20, NOW)
    with hq.connect() as conn:
        rows = conn.execute(select(store_endpoints)).all()
    assert [(r.store_id, r.base_url, r.pull_token) for r in rows] == [
        (367, "http://127.0.0.1:9001", "u" * 20)]
    with pytest.raises(InvalidInput) as err, hq.begin() as conn:
        record_store_endpoint(conn, 367, "ftp://x", "t" * 20, NOW)
    assert err.value.code == "posting.endpoint_invalid"


def test_ids_in_rejections_are_kept_even_without_a_store(hq: Engine) -> None:
    record = {"format": 1, "id": fresh_id(), "store_id": 367}
    outcome = post_now(hq, [record])
    assert outcome.rejected == {"record.invalid": 1}
    with hq.connect() as conn:
        row = conn.execute(select(posting_rejections)).one()
    assert (row.transaction_id, row.store_id, row.code) == (record["id"], 367,
                                                            "record.invalid")
