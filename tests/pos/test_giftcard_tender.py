"""Gift card tenders online: lock, refusal naming the holder, void, complete (redeem after the
commit), and the windows where an answer is lost or the register dies (issue 5 §2; DESIGN
§5, §6). Real HQ, store server and registers on 127.0.0.1 (:mod:`pos.card_world`).

A sale of milk (3.49) paid fully by a 20.00 gift card unless said otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kassa.domain.errors import Conflict, RuleViolation, Unavailable
from kassa.domain.transaction import Transaction
from pos.card_world import TIMEOUT_S, card_world, cart_record, sign_in

CARD_CENTS, MILK_CENTS = 2000, 349


def test_a_card_is_locked_refused_elsewhere_and_completing_online_debits_once(
    data_dir: Path,
) -> None:
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS)
        reg1, reg2 = w.register(1), w.register(2)
        c1, c2 = sign_in(reg1), sign_in(reg2)
        txn = reg1.engine.start_transaction(c1)
        reg1.engine.add_line(c1, product_id=1001)
        # when register 1 adds the card, HQ locks it for register 1 and this transaction
        tender = reg1.engine.add_tender(c1, "gift_card", MILK_CENTS, f"{number[:4]} {number[4:]}")
        assert tender.reference == number
        card = w.card(number)
        assert card["locked"] and card["holder_transaction_id"] == str(txn.id)
        # then register 2 is refused with a message naming register 1
        reg2.engine.start_transaction(c2)
        reg2.engine.add_line(c2, product_id=1002)
        with pytest.raises(Conflict) as locked:
            reg2.engine.add_tender(c2, "gift_card", 100, number)
        assert locked.value.code == "giftcard.locked"
        assert "register 1 of store 367" in locked.value.message
        assert cart_record(reg2)["tenders"] == []

        # when register 1 completes online: committed, then redeemed and unlocked at once
        done = reg1.engine.complete(c1)
        assert done.outcome.where == "store" and done.transaction.to_record()["mode"] == "online"
        assert [(c.result, c.balance_cents) for c in done.cards] == [
            ("redeemed", CARD_CENTS - MILK_CENTS)]
        assert not w.card(number)["locked"]
        # and HQ's posting of the same sale replays the redeem: the card is debited once
        assert w.post()["posted"] == 1
        assert w.card(number)["balance_cents"] == CARD_CENTS - MILK_CENTS
        assert w.hq.ledger(number) == [MILK_CENTS]
        # and register 2 can use it now
        reg2.engine.add_tender(c2, "gift_card", 429, number)
        assert reg2.engine.complete(c2).cards[0].balance_cents == CARD_CENTS - MILK_CENTS - 429


def test_voiding_the_tender_or_the_transaction_unlocks_the_card(data_dir: Path) -> None:
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS)
        reg = w.register(1)
        cashier = sign_in(reg)
        reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1001)
        tender = reg.engine.add_tender(cashier, "gift_card", 200, number)
        # when the tender is voided online, HQ releases the lock at once
        reg.engine.void_tender(cashier, tender.id)
        assert not w.card(number)["locked"] and reg.engine.unlocks.count() == 0
        # the card can be added again, but not twice to the same transaction
        reg.engine.add_tender(cashier, "gift_card", 200, number)
        with pytest.raises(Conflict) as twice:
            reg.engine.add_tender(cashier, "gift_card", 100, number)
        assert twice.value.code == "tender.card_already_added"
        # a transaction with another live tender cannot be voided: nothing changes
        cash = reg.engine.add_tender(cashier, "cash", 100)
        with pytest.raises(RuleViolation) as refused:
            reg.engine.void(cashier)
        assert refused.value.code == "transaction.has_tenders" and w.card(number)["locked"]
        reg.engine.void_tender(cashier, cash.id)
        # when the transaction is voided, its card tender is voided and the card unlocked
        done = reg.engine.void(cashier)
        assert done.transaction.status == "voided" and done.outcome.where == "store"
        assert all(t.voided for t in done.transaction.tenders)
        assert not w.card(number)["locked"] and w.card(number)["balance_cents"] == CARD_CENTS
        assert w.post()["posted"] == 1 and w.hq.ledger(number) == []


def test_a_register_dying_between_commit_and_redeem_debits_the_card_once(
    data_dir: Path,
) -> None:
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS)
        reg = w.register(1)
        cashier = sign_in(reg)
        reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1001)
        reg.engine.add_tender(cashier, "gift_card", MILK_CENTS, number)
        # given the register wrote the finished sale, the store server committed it, and the
        # register died before the redeem (what complete() does, up to the crash)
        done = Transaction.from_record(cart_record(reg))
        done.complete(reg.clock.now())
        record = done.to_record()
        reg.engine.carts.save(record)
        assert reg.source.store.commit(record).result == "committed"
        reg.close()
        assert w.card(number)["locked"] and w.card(number)["balance_cents"] == CARD_CENTS
        # when it restarts: the sale in doubt is stored offline and uploaded (a duplicate)
        again = w.register(1)
        assert again.engine.recovered == "commit in doubt"
        assert again.sync.upload_now().count == 1
        # then HQ's posting redeems and unlocks: the card is debited exactly once
        assert w.post()["posted"] == 1 and w.post()["pulled"] == 0
        card = w.card(number)
        assert card["balance_cents"] == CARD_CENTS - MILK_CENTS and not card["locked"]
        assert w.hq.ledger(number) == [MILK_CENTS]


def test_a_commit_whose_answer_is_lost_is_concluded_offline_and_debits_once(
    data_dir: Path,
) -> None:
    # the commerce parameter is No: but the store server may have the sale already, so the
    # register must conclude it (kassa.pos.card_tenders)
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS)
        reg = w.register(1)
        cashier = sign_in(reg)
        reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1001)
        reg.engine.add_tender(cashier, "gift_card", MILK_CENTS, number)
        # when the commit reaches the store server but its answer is cut
        w.proxy.cut(after_bytes=5)
        done = reg.engine.complete(cashier)
        # then the sale is committed offline, pending upload, and no redeem was tried
        assert done.outcome.where == "offline" and done.cards == ()
        assert reg.switch.status().mode == "offline"
        assert w.card(number)["locked"]
        # and after reconnection upload (a duplicate) and posting debit the card once
        w.proxy.pass_through()
        assert reg.sync.upload_now().count == 1
        assert w.post()["posted"] == 1
        card = w.card(number)
        assert card["balance_cents"] == CARD_CENTS - MILK_CENTS and not card["locked"]
        assert w.hq.ledger(number) == [MILK_CENTS]


def test_a_lock_without_answer_switches_offline_and_queues_the_unlock(data_dir: Path) -> None:
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS)
        reg = w.register(1)
        cashier = sign_in(reg)
        reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1001)
        before = cart_record(reg)
        # when the lock reaches HQ but its answer comes too late
        w.proxy.slow(3 * TIMEOUT_S)
        with pytest.raises(Unavailable) as lost:
            reg.engine.add_tender(cashier, "gift_card", 200, number)
        # then the cashier is told, the cart is unchanged, the register is offline, and the
        # unlock of the card (locked at HQ all the same) is queued
        assert lost.value.code == "realtime.unreachable"
        assert cart_record(reg) == before
        assert reg.switch.status().mode == "offline"
        assert w.card(number)["locked"] and reg.engine.unlocks.count() == 1
        # and the sale goes on offline with cash
        reg.engine.add_tender(cashier, "cash", MILK_CENTS)
        assert reg.engine.complete(cashier).outcome.where == "offline"
        # after reconnection the sync delivers the unlock: the card is usable again
        w.proxy.pass_through()
        assert reg.sync.upload_now().count == 1
        assert reg.engine.unlocks.count() == 0 and not w.card(number)["locked"]
        assert w.card(number)["balance_cents"] == CARD_CENTS


def test_a_card_locked_again_by_the_same_sale_is_not_unlocked_by_a_late_queued_unlock(
    data_dir: Path,
) -> None:
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS)
        reg = w.register(1)
        cashier = sign_in(reg)
        reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1001)
        # given a lock without answer (queued unlock) and the operator reconnecting (917)
        w.proxy.slow(3 * TIMEOUT_S)
        with pytest.raises(Unavailable):
            reg.engine.add_tender(cashier, "gift_card", MILK_CENTS, number)
        w.proxy.pass_through()
        assert reg.engine.database_connection(cashier, "connect")["mode"] == "online"
        # when the same sale adds the same card again
        reg.engine.add_tender(cashier, "gift_card", MILK_CENTS, number)
        # then the queued unlock is dropped: a sync round leaves the lock to the live tender
        assert reg.engine.unlocks.count() == 0
        reg.sync.upload_now()
        assert w.card(number)["locked"]
        done = reg.engine.complete(cashier)
        assert [c.result for c in done.cards] == ["redeemed"]
        assert w.card(number)["balance_cents"] == CARD_CENTS - MILK_CENTS
