"""The sales report equals hand-computed sums to the cent (issue 4 §5, issue 7)."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine

from kassa.db.migrate import prepare_database
from kassa.domain.errors import InvalidInput
from kassa.domain.money import from_cents
from kassa.domain.receipt import receipt_number
from kassa.domain.tax import FOOD
from kassa.domain.transaction import Transaction
from kassa.hq.posting import post, print_sales_report, sales_report
from support.posting_baskets import REGISTER_IDS, basket, random_records

DAY1 = datetime(2017, 3, 1, tzinfo=UTC)
NOW = datetime(2017, 3, 5, tzinfo=UTC)


@pytest.fixture
def hq(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "hq")
    yield engine
    engine.dispose()


def voided_basket() -> dict[str, Any]:
    txn = Transaction.start(store_id=367, register_id=REGISTER_IDS[1], register_number=1,
                            receipt_number=receipt_number(367, 1, 90), operator_id="op1",
                            now=DAY1 + timedelta(hours=15))
    txn.add_line(1001, "Milk", "", from_cents(349), Decimal(1), FOOD)
    txn.void(DAY1 + timedelta(hours=15, minutes=1))
    return txn.to_record()


def hand_made_records() -> list[dict[str, Any]]:
    """Six transactions whose sums are computed by hand in the test below."""
    h = timedelta(hours=1)
    return [
        # A: 2 x 2.50 FOOD - 0.50 discount = 4.50; 10.00 STANDARD + 0.625 → 0.63 tax
        basket(seq=1, at=DAY1 + 10 * h, lines=[(1001, 250, "2"), (1002, 1000, "1")],
               discount_cents=50, cash_cents=2000).to_record(),
        # B: 1.5 lb x 0.59 = 0.885 → 0.89 (half-up), offline, card
        basket(seq=2, at=DAY1 + 11 * h, lines=[(1003, 59, "1.5")], mode="offline",
               tender="card").to_record(),
        # C: register 2: 3.49 FOOD + 3 x 1.99 = 5.97 STANDARD, tax 0.373125 → 0.37
        basket(register_number=2, seq=1, at=DAY1 + 12 * h,
               lines=[(1001, 349, "1"), (1004, 199, "3")]).to_record(),
        # D: starts 23:58:30, completes 00:00:30 → business day 2017-03-02
        basket(seq=3, at=DAY1 + timedelta(hours=23, minutes=58, seconds=30),
               lines=[(1005, 1000, "1")], tender="card").to_record(),
        voided_basket(),
        # E: store 368, 2.50 paid with 5.00 cash
        basket(store_id=368, seq=1, at=DAY1 + 9 * h, cash_cents=500).to_record(),
    ]


def figures(**kw: Any) -> dict[str, Any]:
    base = dict(baskets=0, voided=0, lines=0, online=0, offline=0, net_sales_cents=0,
                tax_cents=0, discount_cents=0, total_cents=0, paid_cents=0, change_cents=0,
                tenders={})
    base.update(kw)
    return base


def test_report_equals_hand_computed_sums_per_store_register_and_day(hq: Engine) -> None:
    # given six transactions posted (and posted again: duplicates change nothing)
    records = hand_made_records()
    for _ in range(2):
        with hq.begin() as conn:
            post(conn, records, now=NOW)
    # when the report is made
    with hq.connect() as conn:
        report = sales_report(conn)
    # then every group holds the sums computed by hand, to the cent
    rows = {(r["store_id"], r["business_day"], r["register_number"]):
            {k: v for k, v in r.items()
             if k not in ("store_id", "business_day", "register_number", "register_id")}
            for r in report["rows"]}
    assert rows == {
        (367, "2017-03-01", 1): figures(
            baskets=2, voided=1, lines=3, online=1, offline=1, net_sales_cents=1539,
            tax_cents=63, discount_cents=50, total_cents=1602, paid_cents=2089,
            change_cents=487, tenders={"card": 89, "cash": 2000}),
        (367, "2017-03-01", 2): figures(
            baskets=1, lines=2, online=1, net_sales_cents=946, tax_cents=37, total_cents=983,
            paid_cents=983, tenders={"cash": 983}),
        (367, "2017-03-02", 1): figures(
            baskets=1, lines=1, online=1, net_sales_cents=1000, total_cents=1000,
            paid_cents=1000, tenders={"card": 1000}),
        (368, "2017-03-01", 1): figures(
            baskets=1, lines=1, online=1, net_sales_cents=250, total_cents=250,
            paid_cents=500, change_cents=250, tenders={"cash": 500}),
    }
    assert report["stores"] == [
        {"store_id": 367, **figures(
            baskets=4, voided=1, lines=6, online=3, offline=1, net_sales_cents=3485,
            tax_cents=100, discount_cents=50, total_cents=3585, paid_cents=4072,
            change_cents=487, tenders={"card": 1089, "cash": 2983})},
        {"store_id": 368, **figures(
            baskets=1, lines=1, online=1, net_sales_cents=250, total_cents=250,
            paid_cents=500, change_cents=250, tenders={"cash": 500})},
    ]
    assert report["total"] == figures(
        baskets=5, voided=1, lines=7, online=4, offline=1, net_sales_cents=3735,
        tax_cents=100, discount_cents=50, total_cents=3835, paid_cents=4572,
        change_cents=737, tenders={"card": 1089, "cash": 3483})


def test_report_filters_by_store_and_day(hq: Engine) -> None:
    with hq.begin() as conn:
        post(conn, hand_made_records(), now=NOW)
    with hq.connect() as conn:
        by_store = sales_report(conn, store_id=368)
        by_day = sales_report(conn, day="2017-03-02")
        nothing = sales_report(conn, store_id=1, day="2017-03-01")
    assert [(r["store_id"], r["business_day"]) for r in by_store["rows"]] == [
        (368, "2017-03-01")]
    assert by_store["filters"] == {"store_id": 368, "day": None}
    assert [(r["store_id"], r["business_day"]) for r in by_day["rows"]] == [
        (367, "2017-03-02")]
    assert nothing["rows"] == [] and nothing["total"] == figures()
    with pytest.raises(InvalidInput) as err, hq.connect() as conn:
        sales_report(conn, day="1 March")
    assert err.value.code == "report.bad_day"


def test_report_of_many_real_looking_baskets_matches_the_records(hq: Engine) -> None:
    # given 400 baskets with weighed goods, discounts, overrides, voided lines and returns
    records = random_records(400, seed=11, registers=3)
    with hq.begin() as conn:
        post(conn, records, now=NOW)
    with hq.connect() as conn:
        report = sales_report(conn)
    # then the grand total is the sum over the records, field by field
    total = report["total"]
    expect: Counter[str] = Counter()
    tenders: Counter[str] = Counter()
    for r in records:
        t = r["totals"]
        expect.update(net_sales_cents=t["subtotal_cents"], tax_cents=t["tax_total_cents"],
                      discount_cents=t["discount_total_cents"], total_cents=t["total_cents"],
                      paid_cents=t["paid_cents"], change_cents=t["change_due_cents"],
                      lines=sum(not x["voided"] for x in r["lines"]), baskets=1,
                      **{r["mode"]: 1})
        for x in r["tenders"]:
            if not x["voided"]:
                tenders[x["type"]] += x["amount_cents"]
    assert {k: total[k] for k in expect} == dict(expect)
    assert total["tenders"] == dict(tenders)
    # and every group balances: tenders - change = total
    for row in report["rows"]:
        assert row["paid_cents"] - row["change_cents"] == row["total_cents"]
        assert sum(row["tenders"].values()) == row["paid_cents"]
        assert row["net_sales_cents"] + row["tax_cents"] == row["total_cents"]


def test_rich_printer_shows_money_and_totals(hq: Engine) -> None:
    with hq.begin() as conn:
        post(conn, hand_made_records(), now=NOW)
    with hq.connect() as conn:
        report = sales_report(conn)
    buffer = io.StringIO()
    print_sales_report(report, Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert "$38.35" in text and "all stores" in text and "2017-03-02" in text
    empty = io.StringIO()
    with hq.connect() as conn:
        print_sales_report(sales_report(conn, store_id=1), Console(file=empty))
    assert "no posted transactions" in empty.getvalue()
