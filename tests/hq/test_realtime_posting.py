"""The posting handler of the real-time service (DESIGN §5, §6): posting a transaction with
gift card / credit memo tenders redeems and unlocks exactly once — the way an
offline-concluded sale reaches the card — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from kassa.db.hq_giftcard_schema import stored_value_audit, stored_value_ledger
from kassa.domain.ids import new_id
from kassa.domain.receipt import receipt_number
from kassa.domain.tax import FOOD
from kassa.domain.transaction import Transaction, TransactionMode
from kassa.hq.posting import post
from kassa.hq.posting.records import prepare
from kassa.hq.realtime.cards import read_card
from kassa.hq.realtime.posting_handler import stored_value_posting_handler
from kassa.hq.realtime.service import RealtimeService
from support.hq_world import STORE_A, World, build_world


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    w = build_world(db_url)
    yield w
    w.engine.dispose()


def sale(world: World, tenders: list[tuple[str, int, str | None, bool]], *,
         number: int = 1, seq: int = 1, txn_id: uuid.UUID | None = None) -> dict[str, Any]:
    """A completed offline sale of register ``number`` of store 367 paid by ``tenders``
    ``(type, cents, reference, voided)``; a voided tender is voided before completion."""
    now = world.clock.now()
    txn = Transaction(
        id=txn_id or new_id(), store_id=STORE_A, register_id=world.registers[(STORE_A, number)],
        register_number=number, receipt_number=receipt_number(STORE_A, number, seq),
        operator_id="1003", started_at=now, mode=TransactionMode.OFFLINE)
    txn.add_line(1001, "Whole Milk 1 gal", "", Decimal("30.00"), Decimal("1"), FOOD)
    for kind, cents, reference, voided in tenders:
        t = txn.add_tender(kind, Decimal(cents) / 100, reference)
        if voided:
            txn.void_tender(t.id)
    txn.complete(now + timedelta(minutes=1))
    return txn.to_record()


def post_once(world: World, record: dict[str, Any]) -> Any:
    with world.engine.begin() as conn:
        return post(conn, [record], now=world.clock.now(),
                    handlers=[stored_value_posting_handler])


def card(world: World, number: str) -> Any:
    with world.engine.connect() as conn:
        return read_card(conn, None, number)


def ledger(world: World, number: str) -> list[tuple[str, int]]:
    l = stored_value_ledger.c  # noqa: E741
    with world.engine.connect() as conn:
        return [(r.kind, int(r.amount_cents)) for r in conn.execute(
            select(l.kind, l.amount_cents).where(l.number == number).order_by(l.at, l.kind))]


def audits(world: World, number: str) -> list[Any]:
    with world.engine.connect() as conn:
        return list(conn.execute(select(stored_value_audit).where(
            stored_value_audit.c.number == number)).mappings())


@pytest.mark.parametrize("kind", ["gift_card", "credit_memo"])
def test_offline_concluded_sale_posted_twice_debits_once_and_unlocks(
        world: World, kind: str) -> None:
    # given a 50.00 card locked by register 1 for transaction T, then the register went
    # offline and concluded T with 30.00 on the card (the commerce parameter allowed it)
    svc = RealtimeService(world.engine, world.clock)
    number, tx = svc.issue(kind, 5000).card.number, new_id()
    svc.lock(kind, number, register_id=world.registers[(STORE_A, 1)], transaction_id=tx)
    record = sale(world, [(kind, 3000, number, False)], txn_id=tx)
    # when T's upload is posted, and posted again (a page pulled twice)
    first, second = post_once(world, record), post_once(world, record)
    # then the card is debited once and unlocked; the second posting is a duplicate
    assert (len(first.posted), second.duplicates) == (1, 1)
    after = card(world, number)
    assert after.balance_cents == 2000 and after.holder is None
    assert ledger(world, number) == [("issue", 5000), ("redeem", 3000)]
    # and the card is usable at another register
    svc.lock(kind, number, register_id=world.registers[(STORE_A, 2)], transaction_id=new_id())
    # and the handler called once more for the same transaction changes nothing
    with world.engine.begin() as conn:
        stored_value_posting_handler(conn, prepare(record))
    assert card(world, number).balance_cents == 2000
    assert ledger(world, number) == [("issue", 5000), ("redeem", 3000)]


def test_sale_redeemed_online_is_not_debited_again_by_posting(world: World) -> None:
    svc = RealtimeService(world.engine, world.clock)
    number, tx, reg = svc.issue("gift_card", 5000).card.number, new_id(), world.registers[
        (STORE_A, 1)]
    svc.lock("gift_card", number, register_id=reg, transaction_id=tx)
    # given the register completed online: redeemed 20.00 + 10.00 on two tenders of the card
    svc.redeem_and_unlock("gift_card", number, 3000, transaction_id=tx, register_id=reg)
    record = sale(world, [("gift_card", 2000, number, False),
                          ("gift_card", 1000, number, False)], txn_id=tx)
    # when the committed transaction is posted
    post_once(world, record)
    # then the sum of its tenders was a replay of the online redemption
    assert card(world, number).balance_cents == 2000
    assert ledger(world, number) == [("issue", 5000), ("redeem", 3000)]


def test_removed_tender_posts_the_unlock_only(world: World) -> None:
    # given a card locked by T, and T completed offline with the card tender removed (the
    # parameter said no) and paid in cash; the register's queued unlock has not arrived
    svc = RealtimeService(world.engine, world.clock)
    number, tx = svc.issue("gift_card", 5000).card.number, new_id()
    svc.lock("gift_card", number, register_id=world.registers[(STORE_A, 1)], transaction_id=tx)
    record = sale(world, [("gift_card", 3000, number, True), ("cash", 3000, None, False)],
                  txn_id=tx)
    # when T is posted
    post_once(world, record)
    # then the card is unlocked and not debited
    after = card(world, number)
    assert after.holder is None and after.balance_cents == 5000
    assert ledger(world, number) == [("issue", 5000)]


def test_refused_redemption_is_audited_and_does_not_block_posting(world: World) -> None:
    # given T's lock was forced open at HQ, then register 2 locked the card for T2 and
    # spent all but 5.00
    svc = RealtimeService(world.engine, world.clock)
    number, tx = svc.issue("gift_card", 5000).card.number, new_id()
    reg1, reg2 = world.registers[(STORE_A, 1)], world.registers[(STORE_A, 2)]
    svc.lock("gift_card", number, register_id=reg1, transaction_id=tx)
    svc.force_unlock(number, actor="back office", reason="register 1 lost")
    tx2 = new_id()
    svc.lock("gift_card", number, register_id=reg2, transaction_id=tx2)
    svc.redeem_and_unlock("gift_card", number, 4500, transaction_id=tx2, register_id=reg2)
    # when T (concluded offline with 30.00 on the card) is posted
    outcome = post_once(world, sale(world, [("gift_card", 3000, number, False)], txn_id=tx))
    # then the sale is posted, the balance stays (never negative) and the refusal is audited
    assert len(outcome.posted) == 1 and outcome.rejected_count == 0
    assert card(world, number).balance_cents == 500
    rows = {r["action"]: r for r in audits(world, number)}
    assert rows["force_unlock"]["actor"] == "back office"
    assert rows["force_unlock"]["previous_transaction_id"] == tx
    refused = rows["posting_refused"]
    assert refused["reason"].startswith("giftcard.insufficient_balance")
    assert (refused["previous_transaction_id"], refused["previous_register_id"]) == (tx, reg1)
