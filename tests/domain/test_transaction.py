"""The cart aggregate, part 1: start, lines, overrides, discounts, returns (issue 2 §2).

Tenders, refunds, completion and void: ``test_transaction_tenders.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kassa.domain.errors import (
    Conflict,
    InvalidInput,
    MoneyError,
    NotAllowed,
    NotFound,
    QuantityError,
    RuleViolation,
)
from kassa.domain.ids import new_id
from kassa.domain.operator import Role
from kassa.domain.tax import FOOD, STANDARD
from kassa.domain.transaction import Transaction, TransactionMode, TransactionStatus

T0 = datetime(2017, 6, 1, 10, 0, tzinfo=UTC)
D = Decimal


def cart(**changes: Any) -> Transaction:
    fields: dict[str, Any] = {
        "store_id": 367, "register_id": new_id(), "register_number": 2,
        "receipt_number": "367-2-000001", "operator_id": "1001", "now": T0,
    }
    fields.update(changes)
    return Transaction.start(**fields)


def sale(price: str = "10.00", qty: str = "1", group: Any = STANDARD) -> Transaction:
    t = cart()
    t.add_line(26190, "APPLE SAUCE", "400000261904", D(price), D(qty), group)
    return t


# ----- start --------------------------------------------------------------------------------

def test_start_makes_an_open_online_transaction_with_a_uuid7() -> None:
    t = cart(customer_id=1001, mode="offline")
    assert t.id.version == 7
    assert t.status is TransactionStatus.OPEN and t.is_open
    assert t.mode is TransactionMode.OFFLINE
    assert t.started_at == T0 and t.customer_id == 1001
    assert t.lines == () and t.tenders == ()
    assert t.total == D("0.00") and t.amount_due == D("0.00")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"receipt_number": "367-3-000001"}, "receipt.invalid"),
        ({"receipt_number": "367-2-1"}, "receipt.invalid"),
        ({"operator_id": ""}, "transaction.invalid"),
        ({"store_id": -1}, "transaction.invalid"),
        ({"register_number": 0}, "transaction.invalid"),
        ({"now": datetime(2017, 1, 1)}, "time.invalid"),
        ({"mode": "sideways"}, "transaction.invalid"),
        ({"customer_id": "1001"}, "transaction.invalid"),
        ({"register_id": "not-a-uuid"}, "id.invalid"),
    ],
)
def test_start_refuses_bad_headers(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        cart(**changes)
    assert err.value.code == code


def test_started_at_is_kept_in_utc() -> None:
    from datetime import timezone
    t = cart(now=datetime(2017, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    assert t.started_at == T0 and t.started_at.tzinfo == UTC


# ----- lines --------------------------------------------------------------------------------

def test_add_line_computes_gross_net_and_tax() -> None:
    # given
    t = cart()
    # when
    line = t.add_line(1, "Shampoo", "400000000014", D("1.99"), D("3"), STANDARD)
    # then
    assert line.id.version == 7
    assert line.gross == D("5.97") and line.net == D("5.97")
    assert line.tax == D("0.37")  # 0.373125
    assert t.subtotal == D("5.97") and t.tax_total == D("0.37") and t.total == D("6.34")
    assert t.line(line.id) == line


def test_weighed_quantity_is_rounded_once_per_line() -> None:
    t = cart()
    line = t.add_line(2, "Bananas", "", D("0.59"), D("2.345"), FOOD)
    assert line.gross == D("1.38")  # 1.38355
    assert line.quantity == D("2.345")


@pytest.mark.parametrize(
    ("qty", "code"),
    [
        (D("0"), "quantity.not_positive"),
        (D("-1"), "quantity.not_positive"),
        (D("100000.001"), "quantity.too_large"),
        (D("100001"), "quantity.too_large"),
        (D("1.2345"), "quantity.too_precise"),
        (1.5, "quantity.float"),
        (True, "quantity.float"),
        ("abc", "quantity.invalid"),
        (D("NaN"), "quantity.invalid"),
        (None, "quantity.invalid"),
    ],
)
def test_quantity_rules(qty: Any, code: str) -> None:
    t = cart()
    with pytest.raises(QuantityError) as err:
        t.add_line(1, "X", "", D("1.00"), qty, FOOD)
    assert err.value.code == code
    assert t.lines == ()


def test_quantity_limits_are_inclusive_and_normalised() -> None:
    t = cart()
    assert t.add_line(1, "X", "", D("0.01"), D("100000"), FOOD).quantity == D("100000")
    assert t.add_line(1, "X", "", D("1.00"), D("0.001"), FOOD).quantity == D("0.001")
    assert str(t.add_line(1, "X", "", D("1.00"), "2.500", FOOD).quantity) == "2.5"
    assert str(t.add_line(1, "X", "", D("1.00"), D("3.000"), FOOD).quantity) == "3"
    assert str(t.add_line(1, "X", "", D("1.00"), 4, FOOD).quantity) == "4"


@pytest.mark.parametrize(
    ("price", "code"),
    [
        (1.99, "money.float"),
        (D("1.999"), "money.sub_cent"),
        (D("-1.00"), "money.negative"),
        ("ten", "money.not_a_number"),
        (D("10000000.01"), "money.too_large"),
    ],
)
def test_unit_price_rules(price: Any, code: str) -> None:
    with pytest.raises(MoneyError) as err:
        cart().add_line(1, "X", "", price, D("1"), FOOD)
    assert err.value.code == code


def test_a_line_beyond_the_money_limit_is_refused() -> None:
    with pytest.raises(MoneyError) as err:
        cart().add_line(1, "X", "", D("1000.00"), D("100000"), FOOD)
    assert err.value.code == "money.too_large"


def test_a_line_needs_name_and_tax_group() -> None:
    with pytest.raises(InvalidInput) as err:
        cart().add_line(1, " ", "", D("1.00"), D("1"), FOOD)
    assert err.value.code == "line.invalid"
    with pytest.raises(InvalidInput):
        cart().add_line(1, "X", "", D("1.00"), D("1"), "FOOD")
    with pytest.raises(InvalidInput):
        cart().add_line("1", "X", "", D("1.00"), D("1"), FOOD)


def test_set_quantity_replaces_the_line() -> None:
    t = sale("2.50")
    line = t.lines[0]
    changed = t.set_quantity(line.id, D("4"))
    assert changed.id == line.id and changed.quantity == D("4")
    assert t.lines == (changed,)
    assert t.subtotal == D("10.00")
    with pytest.raises(QuantityError):
        t.set_quantity(line.id, D("0"))
    assert t.lines == (changed,)


def test_unknown_line_is_not_found() -> None:
    t = sale()
    for action in (
        lambda: t.set_quantity(new_id(), D("1")),
        lambda: t.void_line(new_id()),
        lambda: t.override_price(new_id(), D("1.00"), Role.MANAGER),
        lambda: t.discount_line(new_id(), D("1.00"), Role.MANAGER),
        lambda: t.line(new_id()),
    ):
        with pytest.raises(NotFound) as err:
            action()
        assert err.value.code == "line.not_found"


def test_price_override_needs_a_supervisor_and_keeps_the_original_price() -> None:
    t = sale("10.00", "2")
    line_id = t.lines[0].id
    # a cashier may not
    with pytest.raises(NotAllowed) as err:
        t.override_price(line_id, D("8.00"), Role.CASHIER)
    assert err.value.code == "auth.role"
    # a supervisor may
    line = t.override_price(line_id, D("8.00"), Role.SUPERVISOR)
    assert line.unit_price == D("10.00") and line.price_override == D("8.00")
    assert line.effective_unit_price == D("8.00") and line.gross == D("16.00")
    # and None removes it; zero is a valid override
    assert t.override_price(line_id, None, "manager").gross == D("20.00")
    assert t.override_price(line_id, D("0"), "manager").gross == D("0.00")
    with pytest.raises(MoneyError):
        t.override_price(line_id, 7.5, "manager")


def test_line_discount_needs_a_supervisor_and_at_most_the_gross() -> None:
    t = sale("10.00", "1")
    line_id = t.lines[0].id
    with pytest.raises(NotAllowed):
        t.discount_line(line_id, D("1.00"), Role.CASHIER)
    line = t.discount_line(line_id, D("2.50"), Role.SUPERVISOR)
    assert line.discount == D("2.50") and line.net == D("7.50")
    assert line.tax == D("0.47")  # 0.46875: tax on the net
    assert t.discount_total == D("2.50") and t.total == D("7.97")
    assert t.discount_line(line_id, D("10.00"), Role.SUPERVISOR).net == D("0.00")
    with pytest.raises(RuleViolation) as err:
        t.discount_line(line_id, D("10.01"), Role.SUPERVISOR)
    assert err.value.code == "discount.exceeds_gross"
    with pytest.raises(MoneyError):
        t.discount_line(line_id, D("-1.00"), Role.SUPERVISOR)
    with pytest.raises(MoneyError):
        t.discount_line(line_id, 1.0, Role.SUPERVISOR)
    assert t.discount_line(line_id, D("0"), Role.SUPERVISOR).discount == D("0.00")


def test_lowering_quantity_or_price_below_the_discount_is_refused() -> None:
    t = sale("10.00", "2")
    line_id = t.lines[0].id
    t.discount_line(line_id, D("15.00"), Role.SUPERVISOR)
    with pytest.raises(RuleViolation) as err:
        t.set_quantity(line_id, D("1"))
    assert err.value.code == "discount.exceeds_gross"
    with pytest.raises(RuleViolation):
        t.override_price(line_id, D("5.00"), Role.SUPERVISOR)
    assert t.line(line_id).quantity == D("2") and t.line(line_id).price_override is None


def test_void_line_keeps_it_for_the_audit_but_not_in_totals() -> None:
    t = sale("10.00")
    kept = t.add_line(2, "Milk", "", D("3.00"), D("1"), FOOD)
    voided = t.void_line(t.lines[0].id)
    assert voided.voided and len(t.lines) == 2
    assert t.active_lines == (kept,)
    assert t.total == D("3.00")
    with pytest.raises(Conflict) as err:
        t.void_line(voided.id)
    assert err.value.code == "line.voided"
    with pytest.raises(Conflict):
        t.set_quantity(voided.id, D("2"))
    with pytest.raises(Conflict):
        t.discount_line(voided.id, D("1.00"), Role.MANAGER)


# ----- returns ------------------------------------------------------------------------------

def test_a_return_line_is_negative_and_needs_a_supervisor() -> None:
    t = cart()
    with pytest.raises(NotAllowed) as err:
        t.add_line(1, "X", "", D("10.00"), D("1"), STANDARD, is_return=True)
    assert err.value.code == "auth.role"
    with pytest.raises(NotAllowed):
        t.add_line(1, "X", "", D("10.00"), D("1"), STANDARD, is_return=True, role=Role.CASHIER)
    original = new_id()
    line = t.add_line(1, "X", "", D("10.00"), D("2"), STANDARD, is_return=True,
                      role=Role.SUPERVISOR, original_transaction_id=original)
    assert line.quantity == D("2") and line.signed_quantity == D("-2")
    assert line.gross == D("-20.00") and line.tax == D("-1.25")
    assert line.original_transaction_id == original
    assert t.total == D("-21.25") and t.amount_due == D("-21.25")
    # a discount on a return reduces the refund
    t.discount_line(line.id, D("5.00"), Role.SUPERVISOR)
    assert t.line(line.id).net == D("-15.00") and t.discount_total == D("-5.00")


def test_only_a_return_names_an_original_transaction() -> None:
    with pytest.raises(InvalidInput) as err:
        cart().add_line(1, "X", "", D("1.00"), D("1"), FOOD, original_transaction_id=new_id())
    assert err.value.code == "line.invalid"


def test_exchange_nets_sale_and_return() -> None:
    t = sale("30.00", "1", FOOD)
    t.add_line(2, "Y", "", D("12.00"), D("1"), FOOD, is_return=True, role="manager")
    assert t.total == D("18.00")
