"""The transaction record, format 1 (issue 2 §2): shape, primitives and refusals."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kassa.domain.errors import InvalidInput
from kassa.domain.ids import new_id
from kassa.domain.operator import Role
from kassa.domain.tax import FOOD, STANDARD
from kassa.domain.transaction import Transaction
from kassa.domain.transaction_record import format_utc, parse_utc

T0 = datetime(2017, 6, 1, 10, 0, tzinfo=UTC)
D = Decimal


def completed() -> Transaction:
    t = Transaction.start(store_id=367, register_id=new_id(), register_number=2,
                          receipt_number="367-2-000009", operator_id="1001", now=T0,
                          customer_id=42)
    line = t.add_line(26190, "APPLE SAUCE", "400000261904", D("2.49"), D("1.5"), STANDARD)
    t.discount_line(line.id, D("0.50"), Role.SUPERVISOR)
    t.add_line(1, "RETURNED", "", D("1.00"), D("1"), FOOD, is_return=True, role="manager",
               original_transaction_id=new_id())
    card = t.add_tender("card", D("1.00"), "****4242")
    t.void_tender(card.id)
    t.add_tender("cash", D("5.00"))
    t.complete(T0 + timedelta(minutes=3, microseconds=17))
    return t


def test_record_shape_and_units() -> None:
    t = completed()
    r = t.to_record()
    assert r["format"] == 1
    assert r["id"] == str(t.id) and r["register_id"] == str(t.register_id)
    assert r["started_at"] == "2017-06-01T10:00:00.000000Z"
    assert r["completed_at"] == "2017-06-01T10:03:00.000017Z" and r["voided_at"] is None
    assert r["status"] == "completed" and r["mode"] == "online" and r["customer_id"] == 42
    line = r["lines"][0]
    assert line["unit_price_cents"] == 249 and line["quantity"] == "1.5"
    assert line["discount_cents"] == 50 and line["gross_cents"] == 374  # 3.735 → 3.74
    assert line["net_cents"] == 324 and line["tax_cents"] == 20  # 0.2025
    assert line["tax_group_id"] == "STANDARD" and line["tax_rate_bp"] == 625
    assert r["lines"][1]["is_return"] is True and r["lines"][1]["gross_cents"] == -100
    assert r["tenders"][0]["voided"] is True and r["tenders"][1]["amount_cents"] == 500
    assert r["totals"] == {"subtotal_cents": 224, "discount_total_cents": 50,
                           "tax_total_cents": 20, "total_cents": 244, "paid_cents": 500,
                           "change_due_cents": 256, "amount_due_cents": -256}


def test_round_trip_is_exact() -> None:
    t = completed()
    back = Transaction.from_record(t.to_record())
    assert back == t and back.to_record() == t.to_record()
    assert back != completed()  # other ids


def test_round_trip_of_open_and_voided() -> None:
    t = Transaction.start(store_id=1, register_id=new_id(), register_number=1,
                          receipt_number="1-1-000001", operator_id="7", now=T0, mode="offline")
    assert Transaction.from_record(t.to_record()) == t
    t.void(T0)
    assert Transaction.from_record(t.to_record()) == t


def mutate(path: list[Any], value: Any, delete: bool = False) -> dict[str, Any]:
    r = copy.deepcopy(completed().to_record())
    target: Any = r
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return r


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        (["format"], 2, "record.format"),
        (["format"], None, "record.format"),
        (["totals", "total_cents"], 245, "record.invalid"),
        (["lines", 0, "tax_cents"], 21, "record.invalid"),
        (["lines", 0, "unit_price_cents"], 2.49, "money.cents_type"),
        (["lines", 0, "quantity"], 1.5, "record.invalid"),
        (["lines", 0, "quantity"], "0", "quantity.not_positive"),
        (["tenders", 1, "amount_cents"], 100, "transaction.invalid"),
        (["status"], "open", "transaction.invalid"),
        (["status"], "lost", "transaction.invalid"),
        (["started_at"], "2017-06-01T10:00:00", "time.invalid"),
        (["started_at"], "yesterday", "time.invalid"),
        (["completed_at"], "2017-06-01T09:00:00Z", "transaction.invalid"),
        (["id"], "x", "id.invalid"),
        (["tenders", 1, "id"], None, "id.invalid"),
        (["receipt_number"], "367-3-000009", "receipt.invalid"),
    ],
)
def test_bad_records_are_refused(path: list[Any], value: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Transaction.from_record(mutate(path, value))
    assert err.value.code == code


@pytest.mark.parametrize("path", [["lines"], ["mode"], ["lines", 0, "voided"],
                                  ["tenders", 0, "reference"]])
def test_missing_fields_are_refused(path: list[Any]) -> None:
    with pytest.raises(InvalidInput) as err:
        Transaction.from_record(mutate(path, None, delete=True))
    assert err.value.code == "record.invalid"


def test_derived_totals_may_be_left_out() -> None:
    r = mutate(["totals"], None, delete=True)
    assert Transaction.from_record(r).to_record()["totals"]["total_cents"] == 244


def test_duplicate_ids_are_refused() -> None:
    r = completed().to_record()
    r["lines"][1]["id"] = r["lines"][0]["id"]
    with pytest.raises(InvalidInput) as err:
        Transaction.from_record(r)
    assert err.value.code == "transaction.invalid"


def test_not_a_dict_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        Transaction.from_record([])
    assert err.value.code == "record.format"


def test_utc_text_helpers() -> None:
    assert format_utc(datetime(2017, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2017-01-02T03:04:05.000006Z"
    assert parse_utc("2017-01-02T05:04:05+02:00") == datetime(2017, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        format_utc(datetime(2017, 1, 1))
    with pytest.raises(InvalidInput):
        parse_utc(12)
