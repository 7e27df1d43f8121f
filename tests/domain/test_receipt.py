"""Receipt numbers (DESIGN §5) and the printed receipt (issue 2 §2)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kassa.domain.errors import InvalidInput
from kassa.domain.ids import new_id
from kassa.domain.operator import Role
from kassa.domain.receipt import (
    WIDTH,
    ReceiptNumber,
    parse_receipt_number,
    receipt_number,
    render_receipt,
)
from kassa.domain.tax import FOOD, STANDARD
from kassa.domain.transaction import Transaction

T0 = datetime(2017, 6, 1, 10, 0, 5, tzinfo=UTC)
D = Decimal


def test_receipt_number_format() -> None:
    assert receipt_number(367, 2, 123) == "367-2-000123"
    assert receipt_number(0, 1, 1) == "0-1-000001"
    assert receipt_number(367, 12, 1234567) == "367-12-1234567"


@pytest.mark.parametrize("args", [(-1, 1, 1), (1, 0, 1), (1, 1, 0), (1, True, 1), ("1", 1, 1)])
def test_receipt_number_refuses_bad_parts(args: tuple[object, object, object]) -> None:
    with pytest.raises(InvalidInput) as err:
        receipt_number(*args)
    assert err.value.code == "receipt.invalid"


def test_parse_receipt_number_round_trips() -> None:
    for args in [(367, 2, 123), (0, 1, 1), (457, 99, 999999), (1, 1, 10**7)]:
        text = receipt_number(*args)
        assert parse_receipt_number(text) == ReceiptNumber(*args)


@pytest.mark.parametrize(
    "bad", ["", "367-2-123", "367-02-000123", "0367-2-000123", "367-0-000001", "367-2-000000",
            "367-2-0000123", "367_2_000123", "367-2-000123 ", "a-b-c", None],
)
def test_parse_receipt_number_refuses_non_canonical_text(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_receipt_number(bad)
    assert err.value.code == "receipt.invalid"


def completed_sale() -> Transaction:
    t = Transaction.start(store_id=367, register_id=new_id(), register_number=2,
                          receipt_number="367-2-000123", operator_id="1001", now=T0,
                          customer_id=1001, mode="offline")
    t.add_line(1, "COLD CEREAL · ALL FAMILY CEREAL 14 OZ (National)", "", D("3.49"), D("2"),
               FOOD)
    shampoo = t.add_line(2, "SHAMPOO", "", D("5.99"), D("1"), STANDARD)
    t.discount_line(shampoo.id, D("1.00"), Role.SUPERVISOR)
    bananas = t.add_line(3, "BANANAS", "", D("0.59"), D("2.345"), FOOD)
    t.override_price(bananas.id, D("0.49"), Role.SUPERVISOR)
    gone = t.add_line(4, "VOIDED THING", "", D("9.99"), D("1"), FOOD)
    t.void_line(gone.id)
    t.add_tender("gift_card", D("5.00"), "6006491234567890")
    t.add_tender("cash", D("20.00"))
    t.complete(T0)
    return t


def test_receipt_shows_lines_tax_total_tenders_and_change() -> None:
    # given a completed sale
    lines = render_receipt(completed_sale(), "Kassa 367", "Main Street\nBoston", ["Thank you"])
    text = "\n".join(lines)
    # then
    assert all(len(x) <= WIDTH for x in lines)
    assert lines[0].strip() == "Kassa 367" and lines[1].strip() == "Main Street"
    assert "367-2-000123" in text and "2017-06-01 10:00:05 UTC" in text
    assert "Operator 1001" in text and "Customer 1001" in text and "Offline" in text
    assert "COLD CEREAL" in text and "$6.98" in text and "2 x $3.49" in text
    assert "2.345 x $0.49" in text and "Price override (was $0.59)" in text
    assert "-$1.00" in text
    assert "VOIDED THING" not in text
    assert any(x.startswith("Subtotal") and x.endswith("$13.12") for x in lines)
    assert any(x.startswith("Tax Standard 6.25%") and x.endswith("$0.31") for x in lines)
    assert any(x.startswith("TOTAL") and x.endswith("$13.43") for x in lines)
    assert any(x.startswith("You saved") and x.endswith("$1.00") for x in lines)
    assert any(x.startswith("Gift card ****7890") and x.endswith("$5.00") for x in lines)
    assert "6006491234567890" not in text
    assert any(x.startswith("Cash") and x.endswith("$20.00") for x in lines)
    assert any(x.startswith("Change") and x.endswith("$11.57") for x in lines)
    assert lines[-1].strip() == "Thank you"


def test_receipt_of_an_open_and_of_a_voided_transaction() -> None:
    t = Transaction.start(store_id=1, register_id=new_id(), register_number=1,
                          receipt_number="1-1-000001", operator_id="7", now=T0)
    t.add_line(1, "MILK", "", D("2.00"), D("1"), FOOD)
    text = "\n".join(render_receipt(t, "S", (), ()))
    assert "Amount due" in text and "NOT COMPLETED" in text
    t.void(T0)
    text = "\n".join(render_receipt(t, "S"))
    assert "VOIDED" in text and "NOT COMPLETED" not in text


def test_receipt_of_a_refund() -> None:
    t = Transaction.start(store_id=1, register_id=new_id(), register_number=1,
                          receipt_number="1-1-000002", operator_id="7", now=T0)
    t.add_line(1, "KETTLE", "", D("20.00"), D("1"), STANDARD, is_return=True, role="manager")
    t.add_tender("credit_memo", D("-21.25"), "CM-42")
    t.complete(T0)
    lines = render_receipt(t, "S")
    assert any(x.startswith("RETURN KETTLE") and x.endswith("-$20.00") for x in lines)
    assert any(x.startswith("TOTAL") and x.endswith("-$21.25") for x in lines)
    assert any(x.startswith("Credit memo refund CM-42") for x in lines)
    assert not any(x.startswith("Change") for x in lines)


def test_long_names_are_cut_to_the_width() -> None:
    t = Transaction.start(store_id=1, register_id=new_id(), register_number=1,
                          receipt_number="1-1-000003", operator_id="7", now=T0)
    t.add_line(1, "X" * 100, "", D("1234.56"), D("1"), FOOD)
    lines = render_receipt(t, "S")
    row = next(x for x in lines if x.startswith("XXX"))
    assert len(row) == WIDTH and row.endswith("$1,234.56") and "…" in row
