"""Amounts computed once (issue 2 §2 rules, kept while made fast): line amounts are fixed at
construction, cart sums are dropped on every change, and the record-reading shortcuts
(shared quantities, cents, tax groups) refuse exactly what the rules refuse, every time."""

from __future__ import annotations

import copy
import pickle
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kassa.domain.errors import InvalidInput, KassaError, MoneyError, QuantityError
from kassa.domain.ids import new_id
from kassa.domain.operator import Role
from kassa.domain.tax import FOOD, STANDARD, tax_for
from kassa.domain.transaction import Line, Totals, Transaction
from kassa.domain.transaction_line import parse_quantity

T0 = datetime(2017, 6, 1, 10, 0, tzinfo=UTC)
D = Decimal
ZERO = D("0.00")


def cart() -> Transaction:
    return Transaction.start(store_id=367, register_id=new_id(), register_number=2,
                             receipt_number="367-2-000001", operator_id="1001", now=T0)


def recomputed(t: Transaction) -> Totals:
    """The totals computed from scratch from the cart's lines and tenders."""
    lines = [x for x in t.lines if not x.voided]
    tenders = [x for x in t.tenders if not x.voided]
    subtotal = sum((x.net for x in lines), ZERO)
    tax = sum((x.tax for x in lines), ZERO)
    paid = sum((x.amount for x in tenders), ZERO)
    cash = sum((x.amount for x in tenders if x.type.value == "cash"), ZERO)
    total = subtotal + tax
    change = ZERO if total < 0 else max(ZERO, min(paid - total, cash))
    return Totals(subtotal, sum((x.discount_amount for x in lines), ZERO), tax, total, paid,
                  change, total - paid)


def test_every_change_of_the_cart_gives_fresh_totals() -> None:
    # given a cart whose totals have been read
    t = cart()
    a = t.add_line(1, "A", "", D("10.00"), D("1"), STANDARD)
    b = t.add_line(2, "B", "", D("3.00"), D("2"), FOOD)
    seen = [t.totals]
    # when every kind of change is made, reading the totals after each
    changes: list[Any] = [
        lambda: t.set_quantity(a.id, D("3")),
        lambda: t.override_price(a.id, D("9.00"), Role.SUPERVISOR),
        lambda: t.discount_line(b.id, D("1.50"), Role.SUPERVISOR),
        lambda: t.void_line(b.id),
        lambda: t.add_line(3, "C", "", D("1.99"), D("1.5"), STANDARD),
        lambda: t.add_tender("card", D("5.00"), "**** 4242"),
        lambda: t.void_tender(t.tenders[0].id),
        lambda: t.add_tender("cash", D("50.00")),
    ]
    for change in changes:
        change()
        # then they always equal totals computed from scratch, and the views follow
        assert t.totals == recomputed(t)
        assert t.totals_record() == t.totals.to_record()
        assert t.lines == tuple(t._lines) and t.tenders == tuple(t._tenders)
        seen.append(t.totals)
    assert len({x.total for x in seen}) > 3
    t.complete(T0 + timedelta(minutes=1))
    assert t.totals == recomputed(t) and t.is_settled


def test_a_refused_change_keeps_the_totals() -> None:
    t = cart()
    line = t.add_line(1, "A", "", D("10.00"), D("1"), STANDARD)
    before = t.totals
    with pytest.raises(KassaError):
        t.discount_line(line.id, D("10.01"), Role.SUPERVISOR)
    with pytest.raises(KassaError):
        t.add_tender("card", D("11.00"), "**** 4242")
    assert t.totals is before and t.totals == recomputed(t)


def test_totals_record_is_a_fresh_dict() -> None:
    t = cart()
    t.add_line(1, "A", "", D("10.00"), D("1"), STANDARD)
    t.totals_record()["total_cents"] = 0
    assert t.totals_record()["total_cents"] == 1063
    assert t.to_record()["totals"] is not t.to_record()["totals"]


def test_line_amounts_are_fixed_at_construction_and_follow_replace() -> None:
    line = Line(new_id(), 1, "A", "", D("2.49"), D("1.5"), STANDARD, is_return=True,
                discount=D("0.50"))
    assert (line.gross, line.discount_amount, line.net, line.tax) == (
        D("-3.74"), D("-0.50"), D("-3.24"), D("-0.20"))
    assert line.tax == tax_for(line.net, line.tax_group)
    changed = replace(line, quantity=D("3"))
    assert (changed.gross, changed.net, changed.tax) == (D("-7.47"), D("-6.97"), D("-0.44"))
    # the amounts are not fields of the record nor of the comparison
    assert [f.name for f in fields(Line) if f.init][-1] == "original_transaction_id"
    assert "gross" not in repr(line) and "_amounts" not in repr(line)
    same = replace(line)
    assert same == line and hash(same) == hash(line)
    for twin in (copy.copy(line), copy.deepcopy(line), pickle.loads(pickle.dumps(line))):
        assert twin == line and twin.net == line.net and twin.tax == line.tax


def test_a_line_stays_immutable() -> None:
    line = Line(new_id(), 1, "A", "", D("2.49"), D("1"), STANDARD)
    with pytest.raises(AttributeError):
        line.quantity = D("2")  # type: ignore[misc, unused-ignore]


@pytest.mark.parametrize(("value", "text"), [
    (D("2.500"), "2.5"), ("2.500", "2.5"), (D("3.0"), "3"), ("3", "3"), (D("1E+2"), "100"),
    (D("0.0010"), "0.001"),
])
def test_shared_quantities_give_the_normal_form_every_time(value: object, text: str) -> None:
    for _ in range(3):
        assert str(parse_quantity(value)) == text


@pytest.mark.parametrize("value", [D("0"), "0", D("-1"), "1.2345", D("NaN"), D("sNaN"),
                                   "nan", "1" * 30, 1.5, True])
def test_bad_quantities_are_refused_every_time(value: object) -> None:
    for _ in range(3):
        with pytest.raises(QuantityError):
            parse_quantity(value)


def line_record(**changes: Any) -> dict[str, Any]:
    record = Line(new_id(), 7, "A", "", D("2.49"), D("2"), STANDARD).to_record()
    for key in ("gross_cents", "net_cents", "tax_cents"):
        del record[key]
    record.update(changes)
    return record


@pytest.mark.parametrize(("changes", "code"), [
    ({"unit_price_cents": -249}, "money.negative"),
    ({"unit_price_cents": 1_000_000_001}, "money.too_large"),
    ({"unit_price_cents": True}, "money.cents_type"),
    ({"discount_cents": -1}, "money.negative"),
    ({"discount_cents": 499}, "discount.exceeds_gross"),
    ({"price_override_cents": -5}, "money.negative"),
    ({"tax_rate_bp": True}, "tax.invalid_group"),
    ({"tax_rate_bp": 625.0}, "tax.invalid_group"),
    ({"tax_group_name": ["Standard"]}, "tax.invalid_group"),
    ({"tax_group_id": " "}, "tax.invalid_group"),
    ({"quantity": "0"}, "quantity.not_positive"),
])
def test_record_shortcuts_refuse_what_the_rules_refuse_every_time(
        changes: dict[str, Any], code: str) -> None:
    # the good values are read first, so any sharing is in place
    assert Line.from_record(line_record()).gross == D("4.98")
    for _ in range(3):
        with pytest.raises((InvalidInput, MoneyError, KassaError)) as err:
            Line.from_record(line_record(**changes))
        assert err.value.code == code


def test_amounts_equal_to_shared_ones_keep_their_own_checks() -> None:
    Line.from_record(line_record(unit_price_cents=250))  # 2.50 is now shared
    for price in (D("2.5"), D("2.500"), "2.50"):
        assert str(Line(new_id(), 1, "A", "", price, D("1"), FOOD).unit_price) == "2.50"
    with pytest.raises(MoneyError) as err:
        Line(new_id(), 1, "A", "", D("2.505"), D("1"), FOOD)
    assert err.value.code == "money.sub_cent"


@pytest.mark.parametrize(("key", "value"), [("gross_cents", 499), ("net_cents", "498"),
                                            ("tax_cents", None), ("tax_cents", 31.5)])
def test_derived_cents_that_do_not_match_are_refused(key: str, value: Any) -> None:
    record = Line(new_id(), 7, "A", "", D("2.49"), D("2"), STANDARD).to_record()
    assert (record["gross_cents"], record["net_cents"], record["tax_cents"]) == (498, 498, 31)
    record[key] = value
    with pytest.raises(InvalidInput) as err:
        Line.from_record(record)
    assert err.value.code == "record.invalid" and key in err.value.message
