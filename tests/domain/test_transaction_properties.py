"""Property tests of the cart (issue 2 §2): totals, balance to the cent, no floats, records.

The oracle computes every amount again in integer cents with its own half-up rounding, so
the cart's ``Decimal`` arithmetic is checked against independent arithmetic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kassa.domain.errors import KassaError, MoneyError
from kassa.domain.ids import new_id
from kassa.domain.money import from_cents, parse_amount, round_money, to_cents
from kassa.domain.operator import Role
from kassa.domain.product import Price
from kassa.domain.tax import FOOD, STANDARD, TaxGroup, tax_for
from kassa.domain.transaction import Transaction, TransactionStatus

T0 = datetime(2017, 6, 1, 10, 0, tzinfo=UTC)
GROUPS = [FOOD, STANDARD, TaxGroup.from_basis_points("HIGH", "High", 1025),
          TaxGroup.from_basis_points("ODD", "Odd", 1)]


def cart() -> Transaction:
    return Transaction.start(store_id=1, register_id=new_id(), register_number=1,
                             receipt_number="1-1-000001", operator_id="op", now=T0)


def half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero (the oracle's rounding)."""
    q, r = divmod(abs(numerator), denominator)
    q += 1 if 2 * r >= denominator else 0
    return q if numerator >= 0 else -q


@dataclass(frozen=True)
class LineSpec:
    price_cents: int
    qty_milli: int
    override_cents: int | None
    discount_per_mille: int
    is_return: bool
    group: TaxGroup
    voided: bool


line_specs = st.builds(
    LineSpec,
    price_cents=st.integers(0, 50_000),
    # whole units, halves and eighths (which make half cents), and any weight
    qty_milli=st.one_of(st.integers(1, 20).map(lambda n: n * 1000),
                        st.integers(1, 40).map(lambda n: n * 500 - 250 * (n % 2)),
                        st.integers(1, 40).map(lambda n: n * 125), st.integers(1, 99_999)),
    override_cents=st.one_of(st.none(), st.integers(0, 50_000)),
    discount_per_mille=st.one_of(st.just(0), st.integers(0, 1000)),
    is_return=st.booleans(),
    group=st.sampled_from(GROUPS),
    voided=st.booleans(),
)


def build(specs: list[LineSpec]) -> tuple[Transaction, dict[str, int]]:
    """A cart from specs, and the oracle's totals in cents."""
    t = cart()
    oracle = {"gross": 0, "discount": 0, "tax": 0}
    for s in specs:
        line = t.add_line(7, "Item", "", from_cents(s.price_cents),
                          Decimal(s.qty_milli).scaleb(-3), s.group, is_return=s.is_return,
                          role=Role.SUPERVISOR)
        price = s.price_cents
        if s.override_cents is not None:
            t.override_price(line.id, from_cents(s.override_cents), Role.SUPERVISOR)
            price = s.override_cents
        gross = half_up_div(s.qty_milli * price, 1000)
        discount = gross * s.discount_per_mille // 1000
        if discount:
            t.discount_line(line.id, from_cents(discount), Role.SUPERVISOR)
        if s.voided:
            t.void_line(line.id)
            continue
        sign = -1 if s.is_return else 1
        net = sign * (gross - discount)
        oracle["gross"] += sign * gross
        oracle["discount"] += sign * discount
        oracle["tax"] += half_up_div(net * s.group.basis_points, 10000)
    return t, oracle


@given(st.lists(line_specs, max_size=12))
def test_total_is_rounded_lines_plus_tax_minus_discounts(specs: list[LineSpec]) -> None:
    # given any cart
    t, oracle = build(specs)
    # then the cart agrees with the integer oracle to the cent
    assert to_cents(t.discount_total) == oracle["discount"]
    assert to_cents(t.tax_total) == oracle["tax"]
    assert to_cents(t.subtotal) == oracle["gross"] - oracle["discount"]
    assert to_cents(t.total) == oracle["gross"] - oracle["discount"] + oracle["tax"]
    # and with its own lines
    active = t.active_lines
    assert t.total == sum((x.gross for x in active), Decimal(0)) + t.tax_total - t.discount_total
    assert t.tax_total == sum((tax_for(x.net, x.tax_group) for x in active), Decimal(0))
    for amount in (t.subtotal, t.tax_total, t.discount_total, t.total, t.amount_due):
        assert amount == round_money(amount)


@given(st.lists(line_specs, min_size=1, max_size=8), st.data())
def test_tenders_and_change_balance_to_the_cent(specs: list[LineSpec], data: st.DataObject) -> None:
    # given any cart with at least one active line
    specs[0] = LineSpec(**{**specs[0].__dict__, "voided": False})
    t, _ = build(specs)
    total = to_cents(t.total)
    # when it is paid: part by a non-cash tender, the rest in cash with some extra
    if total > 0:
        part = data.draw(st.integers(0, total), label="card")
        if part:
            t.add_tender(data.draw(st.sampled_from(["card", "gift_card", "credit_memo"])),
                         from_cents(part), "REF-1")
        rest = total - part
        extra = data.draw(st.integers(0, 10_000), label="extra cash")
        if rest:
            t.add_tender("cash", from_cents(rest + extra))
        else:
            extra = 0
    elif total < 0:
        part = data.draw(st.integers(total, 0), label="memo")
        if part:
            t.add_tender("credit_memo", from_cents(part), "CM-1")
        if total - part:
            t.add_tender("cash", from_cents(total - part))
        extra = 0
    else:
        extra = 0
    totals = t.complete(T0 + timedelta(minutes=1))
    # then the money balances exactly and change is only the extra cash
    assert totals.paid - totals.change_due == totals.total
    assert to_cents(totals.change_due) == extra
    assert totals.change_due <= max(t.cash_paid, Decimal(0))
    assert t.status is TransactionStatus.COMPLETED and t.is_settled


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_money_never_meets_a_float(value: float) -> None:
    t = cart()
    line = t.add_line(1, "X", "", Decimal("5.00"), Decimal(1), STANDARD)
    for action in (
        lambda: t.add_line(1, "X", "", value, Decimal(1), STANDARD),
        lambda: t.override_price(line.id, value, Role.MANAGER),
        lambda: t.discount_line(line.id, value, Role.MANAGER),
        lambda: t.add_tender("cash", value),
        lambda: tax_for(value, STANDARD),
        lambda: Price(1, value),
        lambda: parse_amount(value),
        lambda: round_money(value),
        lambda: to_cents(value),
    ):
        with pytest.raises(MoneyError):
            action()
    assert t.lines == (line,) and t.tenders == ()


def no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and no_floats(v) for k, v in value.items())
    if isinstance(value, list):
        return all(no_floats(v) for v in value)
    return value is None or isinstance(value, str | int | bool)


@given(st.lists(line_specs, max_size=8), st.sampled_from(["open", "completed", "voided"]),
       st.integers(0, 10**6), st.one_of(st.none(), st.integers(1, 2500)))
def test_record_round_trips_exactly(specs: list[LineSpec], end: str, micros: int,
                                    customer: int | None) -> None:
    # given any cart, open, completed or voided
    t, _ = build(specs)
    t.set_customer(customer)
    when = T0 + timedelta(microseconds=micros)
    if end == "completed" and t.active_lines:
        due = t.amount_due
        if due:
            t.add_tender("cash", due)
        t.complete(when)
    elif end == "voided":
        t.void(when)
    # when it travels as JSON
    record = t.to_record()
    wire = json.loads(json.dumps(record))
    back = Transaction.from_record(wire)
    # then nothing changed
    assert back == t
    assert back.to_record() == record
    assert back.totals == t.totals
    assert no_floats(record) and record["format"] == 1


class CartMachine(RuleBasedStateMachine):
    """Random operation sequences: errors are KassaErrors, invariants always hold."""

    def __init__(self) -> None:
        super().__init__()
        self.t = cart()

    def attempt(self, action: Any) -> None:
        before = self.t.to_record()
        try:
            action()
        except KassaError:
            assert self.t.to_record() == before  # a refused change changes nothing

    def pick_line(self, data: st.DataObject) -> Any:
        lines = self.t.lines
        return data.draw(st.sampled_from(lines)).id if lines else new_id()

    @rule(spec=line_specs)
    def add_line(self, spec: LineSpec) -> None:
        self.attempt(lambda: self.t.add_line(
            1, "X", "", from_cents(spec.price_cents), Decimal(spec.qty_milli).scaleb(-3),
            spec.group, is_return=spec.is_return, role=Role.MANAGER))

    @rule(data=st.data(), qty=st.integers(-5, 5000))
    def set_quantity(self, data: st.DataObject, qty: int) -> None:
        self.attempt(lambda: self.t.set_quantity(self.pick_line(data), Decimal(qty)))

    @rule(data=st.data(), cents=st.integers(0, 20_000))
    def discount(self, data: st.DataObject, cents: int) -> None:
        self.attempt(lambda: self.t.discount_line(self.pick_line(data), from_cents(cents),
                                                  Role.SUPERVISOR))

    @rule(data=st.data(), cents=st.one_of(st.none(), st.integers(0, 20_000)))
    def override(self, data: st.DataObject, cents: int | None) -> None:
        price = None if cents is None else from_cents(cents)
        self.attempt(lambda: self.t.override_price(self.pick_line(data), price, Role.MANAGER))

    @rule(data=st.data())
    def void_line(self, data: st.DataObject) -> None:
        self.attempt(lambda: self.t.void_line(self.pick_line(data)))

    @rule(kind=st.sampled_from(["cash", "card", "gift_card"]),
          cents=st.integers(-50_000, 50_000))
    def add_tender(self, kind: str, cents: int) -> None:
        self.attempt(lambda: self.t.add_tender(kind, from_cents(cents), "R"))

    @rule(data=st.data())
    def void_tender(self, data: st.DataObject) -> None:
        tenders = self.t.tenders
        tid = data.draw(st.sampled_from(tenders)).id if tenders else new_id()
        self.attempt(lambda: self.t.void_tender(tid))

    @precondition(lambda self: self.t.is_open)
    @rule()
    def pay_and_complete(self) -> None:
        due = self.t.amount_due
        if due > 0 or (due < 0 and self.t.total < 0):
            self.attempt(lambda: self.t.add_tender("cash", due))
        self.attempt(lambda: self.t.complete(T0))

    @rule()
    def void(self) -> None:
        self.attempt(lambda: self.t.void(T0))

    @invariant()
    def totals_add_up(self) -> None:
        t = self.t
        assert t.total == t.subtotal + t.tax_total
        assert t.amount_due == t.total - t.paid
        assert t.change_due >= 0
        if t.status is TransactionStatus.COMPLETED:
            assert t.paid - t.change_due == t.total

    @invariant()
    def record_round_trips(self) -> None:
        assert Transaction.from_record(self.t.to_record()) == self.t


CartMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25,
                                         deadline=None)
test_cart_machine = CartMachine.TestCase
