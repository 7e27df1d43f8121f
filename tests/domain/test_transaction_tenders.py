"""The cart aggregate, part 2: tenders, refunds, completion and void (issue 2 §2, DESIGN §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kassa.domain.errors import (
    Conflict,
    InvalidInput,
    MoneyError,
    NotFound,
    RuleViolation,
)
from kassa.domain.ids import new_id
from kassa.domain.operator import Role
from kassa.domain.tax import FOOD, STANDARD
from kassa.domain.tender import TenderType
from kassa.domain.transaction import Transaction, TransactionStatus

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


# ----- tenders ------------------------------------------------------------------------------

def test_cash_over_the_due_gives_change() -> None:
    t = sale("10.00")  # total 10.63
    tender = t.add_tender(TenderType.CASH, D("20.00"))
    assert tender.amount == D("20.00") and tender.id.version == 7
    assert t.paid == D("20.00") and t.amount_due == D("-9.37") and t.change_due == D("9.37")
    totals = t.complete(T0 + timedelta(minutes=2))
    assert totals.change_due == D("9.37")
    assert totals.paid - totals.change_due == totals.total
    assert t.status is TransactionStatus.COMPLETED and t.completed_at == T0 + timedelta(minutes=2)


def test_split_tender_card_then_cash() -> None:
    t = sale("10.00")
    t.add_tender("card", D("5.00"), "****4242")
    t.add_tender("cash", D("10.00"))
    assert t.change_due == D("4.37")
    t.complete(T0)
    assert t.is_settled


@pytest.mark.parametrize("kind", ["card", "gift_card", "credit_memo"])
def test_non_cash_tender_cannot_exceed_the_due(kind: str) -> None:
    t = sale("10.00")
    with pytest.raises(RuleViolation) as err:
        t.add_tender(kind, D("10.64"), "GC-1")
    assert err.value.code == "tender.exceeds_due"
    assert err.value.details == {"amount_due_cents": 1063, "amount_cents": 1064}
    exact = t.add_tender(kind, D("10.63"), "GC-1")
    assert t.amount_due == D("0.00") and exact.reference == "GC-1"
    t.complete(T0)
    assert t.change_due == D("0.00")


def test_nothing_due_refuses_more_tenders() -> None:
    t = sale("10.00")
    t.add_tender("card", D("10.63"))
    with pytest.raises(RuleViolation) as err:
        t.add_tender("cash", D("1.00"))
    assert err.value.code == "tender.nothing_due"
    with pytest.raises(RuleViolation) as err:
        cart().add_tender("cash", D("1.00"))
    assert err.value.code == "tender.nothing_due"


def test_tender_amount_rules() -> None:
    t = sale("10.00")
    for amount, code in [(D("0"), "tender.zero"), (1.0, "money.float"),
                         (D("1.001"), "money.sub_cent")]:
        with pytest.raises(MoneyError) as err:
            t.add_tender("cash", amount)
        assert err.value.code == code
    with pytest.raises(RuleViolation) as rv:
        t.add_tender("cash", D("-1.00"))
    assert rv.value.code == "tender.wrong_sign"
    with pytest.raises(InvalidInput) as inv:
        t.add_tender("cheque", D("1.00"))
    assert inv.value.code == "tender.unknown_type"
    assert t.tenders == ()


@pytest.mark.parametrize("kind", ["gift_card", "credit_memo"])
def test_gift_card_and_credit_memo_need_their_number(kind: str) -> None:
    with pytest.raises(InvalidInput) as err:
        sale().add_tender(kind, D("1.00"))
    assert err.value.code == "tender.reference_required"


def test_tender_id_can_be_given_once() -> None:
    t = sale("10.00")
    tid = new_id()
    assert t.add_tender("gift_card", D("5.00"), "GC-9", tender_id=tid).id == tid
    with pytest.raises(Conflict) as err:
        t.add_tender("cash", D("1.00"), tender_id=tid)
    assert err.value.code == "tender.duplicate"


def test_void_tender_keeps_it_for_the_audit() -> None:
    t = sale("10.00")
    card = t.add_tender("card", D("10.63"))
    voided = t.void_tender(card.id)
    assert voided.voided and t.tenders == (voided,) and t.active_tenders == ()
    assert t.amount_due == D("10.63")
    with pytest.raises(Conflict) as err:
        t.void_tender(card.id)
    assert err.value.code == "tender.voided"
    with pytest.raises(NotFound) as nf:
        t.void_tender(new_id())
    assert nf.value.code == "tender.not_found"
    t.add_tender("cash", D("11.00"))
    t.complete(T0)
    assert t.change_due == D("0.37")


# ----- refunds ------------------------------------------------------------------------------

def refund_cart() -> Transaction:
    t = cart()
    t.add_line(1, "X", "", D("10.00"), D("1"), STANDARD, is_return=True, role="supervisor")
    return t  # total -10.63


def test_a_refund_is_tendered_negative_and_exactly() -> None:
    t = refund_cart()
    with pytest.raises(RuleViolation) as err:
        t.add_tender("cash", D("10.63"))
    assert err.value.code == "tender.wrong_sign"
    with pytest.raises(RuleViolation) as err:
        t.add_tender("cash", D("-10.64"))
    assert err.value.code == "tender.exceeds_due"
    t.add_tender("credit_memo", D("-5.00"), "CM-1")
    with pytest.raises(RuleViolation) as err:
        t.complete(T0)
    assert err.value.code == "transaction.unpaid"
    t.add_tender("cash", D("-5.63"))
    totals = t.complete(T0)
    assert totals.total == D("-10.63") and totals.paid == D("-10.63")
    assert totals.change_due == D("0.00") and totals.amount_due == D("0.00")


def test_refund_with_nothing_left_refuses_more() -> None:
    t = refund_cart()
    t.add_tender("card", D("-10.63"))
    with pytest.raises(RuleViolation) as err:
        t.add_tender("cash", D("-0.01"))
    assert err.value.code == "tender.nothing_due"


# ----- completion and void ------------------------------------------------------------------

def test_complete_refuses_an_unpaid_or_empty_transaction() -> None:
    t = sale("10.00")
    t.add_tender("cash", D("10.00"))
    with pytest.raises(RuleViolation) as err:
        t.complete(T0)
    assert err.value.code == "transaction.unpaid"
    assert err.value.details == {"total_cents": 1063, "paid_cents": 1000}
    assert t.is_open
    empty = cart()
    with pytest.raises(RuleViolation) as err:
        empty.complete(T0)
    assert err.value.code == "transaction.empty"
    voided_only = sale()
    voided_only.void_line(voided_only.lines[0].id)
    with pytest.raises(RuleViolation):
        voided_only.complete(T0)


def test_a_zero_total_completes_without_tenders() -> None:
    t = sale("0.00")
    assert t.complete(T0).total == D("0.00")


def test_complete_refuses_non_cash_over_the_total_after_lines_change() -> None:
    # given a card paying the whole amount, then a line voided
    t = sale("10.00")
    t.add_line(2, "Y", "", D("5.00"), D("1"), FOOD)
    t.add_tender("card", D("15.63"))
    t.void_line(t.lines[1].id)
    # then the card exceeds the total and no change can be given
    assert t.change_due == D("0.00") and not t.is_settled
    with pytest.raises(RuleViolation) as err:
        t.complete(T0)
    assert err.value.code == "tender.exceeds_due"


def test_complete_time_rules() -> None:
    t = sale("0.00")
    with pytest.raises(InvalidInput) as err:
        t.complete(datetime(2017, 6, 1, 11, 0))
    assert err.value.code == "time.invalid"
    with pytest.raises(InvalidInput) as err:
        t.complete(T0 - timedelta(seconds=1))
    assert err.value.code == "transaction.invalid"


def test_a_closed_transaction_refuses_every_change() -> None:
    done = sale("10.00")
    done.add_tender("cash", D("20.00"))
    done.complete(T0)
    voided = sale("10.00")
    voided.void(T0 + timedelta(seconds=5))
    assert voided.status is TransactionStatus.VOIDED and voided.voided_at is not None
    for t in (done, voided):
        line_id = t.lines[0].id
        for action in (
            lambda t=t: t.add_line(1, "X", "", D("1.00"), D("1"), FOOD),
            lambda t=t, i=line_id: t.set_quantity(i, D("2")),
            lambda t=t, i=line_id: t.override_price(i, D("1.00"), Role.MANAGER),
            lambda t=t, i=line_id: t.discount_line(i, D("1.00"), Role.MANAGER),
            lambda t=t, i=line_id: t.void_line(i),
            lambda t=t: t.add_tender("cash", D("1.00")),
            lambda t=t: t.void_tender(new_id()),
            lambda t=t: t.set_customer(5),
            lambda t=t: t.complete(T0),
            lambda t=t: t.void(T0),
        ):
            with pytest.raises(Conflict) as err:
                action()
            assert err.value.code == "transaction.closed"


def test_void_needs_the_tenders_voided_first() -> None:
    t = sale("10.00")
    card = t.add_tender("card", D("5.00"))
    with pytest.raises(RuleViolation) as err:
        t.void(T0)
    assert err.value.code == "transaction.has_tenders"
    t.void_tender(card.id)
    t.void(T0)
    assert t.status is TransactionStatus.VOIDED


def test_set_customer() -> None:
    t = sale()
    t.set_customer(1001)
    assert t.customer_id == 1001
    t.set_customer(None)
    assert t.customer_id is None
    with pytest.raises(InvalidInput):
        t.set_customer(-3)


def test_tax_by_group_and_views_are_read_only() -> None:
    t = sale("10.00", "1", STANDARD)
    t.add_line(2, "Milk", "", D("3.00"), D("1"), FOOD)
    t.add_line(3, "Soap", "", D("2.00"), D("1"), STANDARD)
    assert t.tax_by_group() == {STANDARD: D("0.76"), FOOD: D("0.00")}
    assert isinstance(t.lines, tuple) and isinstance(t.tenders, tuple)
    assert "367-2-000001" in repr(t)
