"""Seamless offline conclusion of gift card and credit memo sales, end to end (issue 5 §3,
acceptance; DESIGN §6; reference: "Seamless offline switch for gift card and credit memo
operations").

Real HQ, store server and registers on 127.0.0.1 (:mod:`pos.card_world`); the store server
goes silent behind a :class:`FaultProxy` blackhole AFTER the card was added, and the next
scan switches the register offline (automatic). Then:

* parameter yes → the sale completes offline, stored with the offline transactions; after
  reconnection its upload and HQ's P-job debit the card once and unlock it, and another
  register can use it;
* parameter no → completing is refused with a clear message; the cashier voids the tender,
  the register queues the unlock and delivers it after reconnection.

Both for gift cards and credit memos. A sale of 7.78 (milk 3.49 + bread 4.29), the card
pays 5.00, bananas (0.59) are scanned into the outage, cash pays the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kassa.domain.errors import OfflineUnavailable, RuleViolation
from kassa.pos.runtime import RegisterRuntime
from pos.card_world import PARAMETER, CardWorld, card_world, cart_record, sign_in

KINDS = ["gift_card", "credit_memo"]
LABEL = {"gift_card": "Gift card", "credit_memo": "Credit memo"}
CARD_CENTS, TENDER_CENTS = 2000, 500


def card_added_then_store_gone(w: CardWorld, reg: RegisterRuntime, kind: str,
                               number: str) -> tuple[Any, Any]:
    """Given a sale paid 5.00 by the card, when the store server goes silent and the next
    scan switches the register offline: returns (session, card tender)."""
    pos = reg.engine
    cashier = sign_in(reg)
    txn = pos.start_transaction(cashier)
    assert txn.mode == "online"
    pos.add_line(cashier, product_id=1001)
    pos.add_line(cashier, product_id=1002)
    tender = pos.add_tender(cashier, kind, TENDER_CENTS, number)
    assert w.card(number)["locked"] and w.card(number)["register_number"] == 1
    w.proxy.blackhole()
    pos.add_line(cashier, product_id=1003)  # meets the outage: answered from the offline DB
    status = reg.switch.status()
    assert status.mode == "offline" and not status.manual
    return cashier, tender


def pay_rest_in_cash(reg: RegisterRuntime, cashier: Any) -> None:
    cart = reg.engine.cart
    assert cart is not None
    reg.engine.add_tender(cashier, "cash", cart.to_record()["totals"]["amount_due_cents"])


def usable_at_register_2(w: CardWorld, kind: str, number: str, cents: int) -> None:
    """Register 2 locks the card, pays with it online, and HQ debits it."""
    reg2 = w.register(2)
    cashier = sign_in(reg2)
    reg2.engine.start_transaction(cashier)
    reg2.engine.add_line(cashier, product_id=1001)
    reg2.engine.add_tender(cashier, kind, cents, number)
    pay_rest_in_cash(reg2, cashier)
    before = w.card(number)["balance_cents"]
    assert reg2.engine.complete(cashier).outcome.where == "store"
    assert w.card(number)["balance_cents"] == before - cents and not w.card(number)["locked"]


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_yes_completes_offline_and_the_upload_debits_once_and_unlocks(
    data_dir: Path, kind: str
) -> None:
    with card_world(data_dir, parameters={PARAMETER[kind]: True}) as w:
        number = w.hq.issue(CARD_CENTS, kind)
        reg = w.register(1)
        cashier, _ = card_added_then_store_gone(w, reg, kind, number)
        pay_rest_in_cash(reg, cashier)

        # when the cashier completes while offline
        done = reg.engine.complete(cashier)

        # then the sale is stored with the offline transactions, recorded as offline
        assert done.outcome.where == "offline" and done.transaction.to_record()["mode"] == "offline"
        assert reg.status()["header"]["pending_uploads"] == 1
        assert w.card(number)["locked"] and w.card(number)["balance_cents"] == CARD_CENTS

        # and after reconnection its upload and the P-job debit the card once and unlock it
        w.proxy.pass_through()
        assert reg.sync.upload_now().count == 1
        assert w.post()["posted"] == 1
        assert reg.sync.upload_now().result == "nothing_new" and w.post()["pulled"] == 0
        card = w.card(number)
        assert card["balance_cents"] == CARD_CENTS - TENDER_CENTS and not card["locked"]
        assert w.hq.ledger(number) == [TENDER_CENTS]
        assert reg.engine.unlocks.count() == 0  # nothing to unlock by hand: posting did it
        # and the card is usable at another register
        usable_at_register_2(w, kind, number, 300)


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_no_refuses_completion_and_the_queued_unlock_arrives_after_reconnection(
    data_dir: Path, kind: str
) -> None:
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS, kind)
        reg = w.register(1)
        cashier, tender = card_added_then_store_gone(w, reg, kind, number)
        pay_rest_in_cash(reg, cashier)
        cart_before = cart_record(reg)

        # when the cashier tries to complete while offline, completing is refused clearly
        with pytest.raises(RuleViolation) as refused:
            reg.engine.complete(cashier)
        label = LABEL[kind]
        assert refused.value.code == "giftcard.offline_conclusion_not_allowed"
        assert refused.value.message == (
            f"{label} transactions can't be concluded offline. Remove the {label.lower()} "
            "tender to continue.")
        assert refused.value.details["parameter"] == PARAMETER[kind]
        assert cart_record(reg) == cart_before

        # then the cashier removes the tender (offline), pays cash and completes offline
        reg.engine.void_tender(cashier, tender.id)
        assert reg.engine.unlocks.count() == 1
        assert reg.status()["connection"]["pending_unlocks"] == 1
        pay_rest_in_cash(reg, cashier)
        done = reg.engine.complete(cashier)
        assert done.outcome.where == "offline"
        assert w.card(number)["locked"]  # HQ has not heard yet

        # while the store server is still gone the unlock stays pending
        w.proxy.refuse()
        reg.sync.upload_now()
        assert reg.engine.unlocks.count() == 1 and w.card(number)["locked"]

        # after reconnection the unlock is delivered (before any P-job) and marked sent
        w.proxy.pass_through()
        assert reg.sync.upload_now().count == 1
        assert reg.engine.unlocks.count() == 0 and reg.sync.last_unlocks is not None
        assert reg.sync.last_unlocks.sent == 1
        card = w.card(number)
        assert not card["locked"] and card["balance_cents"] == CARD_CENTS
        # and posting the cash sale debits nothing; the card is usable at another register
        assert w.post()["posted"] == 1
        assert w.card(number)["balance_cents"] == CARD_CENTS and w.hq.ledger(number) == []
        usable_at_register_2(w, kind, number, 300)


def test_a_parameter_changed_at_hq_takes_effect_on_the_next_transaction_after_a_schedule_run(
    data_dir: Path,
) -> None:
    with card_world(data_dir) as w:
        number = w.hq.issue(CARD_CENTS)
        reg = w.register(1)
        # given HQ turned the parameter on, but no schedule ran yet
        w.set_parameter(PARAMETER["gift_card"], True)
        cashier, tender = card_added_then_store_gone(w, reg, "gift_card", number)
        pay_rest_in_cash(reg, cashier)
        with pytest.raises(RuleViolation):
            reg.engine.complete(cashier)  # the register's copy still says no
        reg.engine.void_tender(cashier, tender.id)
        pay_rest_in_cash(reg, cashier)
        reg.engine.complete(cashier)
        w.proxy.pass_through()
        assert reg.sync.upload_now().count == 1 and not w.card(number)["locked"]

        # when the schedule runs (HQ → store server) and the register's sync downloads it
        w.run_schedule()
        assert reg.sync.download_now().result == "ok"
        assert reg.source.offline.parameters()[PARAMETER["gift_card"]] is True

        # then the next transaction concludes offline
        cashier, _ = card_added_then_store_gone(w, reg, "gift_card", number)
        pay_rest_in_cash(reg, cashier)
        assert reg.engine.complete(cashier).outcome.where == "offline"
        w.proxy.pass_through()
        assert reg.sync.upload_now().count == 1
        assert w.post()["posted"] == 2
        card = w.card(number)
        assert card["balance_cents"] == CARD_CENTS - TENDER_CENTS and not card["locked"]
        assert w.hq.ledger(number) == [TENDER_CENTS]


@pytest.mark.parametrize("kind", KINDS)
def test_adding_a_card_while_already_offline_is_refused(data_dir: Path, kind: str) -> None:
    with card_world(data_dir, parameters={PARAMETER[kind]: True}) as w:
        number = w.hq.issue(CARD_CENTS, kind)
        reg = w.register(1)
        cashier = sign_in(reg)
        reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1001)
        w.proxy.blackhole()
        reg.engine.add_line(cashier, product_id=1002)  # switches offline
        before = cart_record(reg)
        # when the cashier adds the card while offline
        with pytest.raises(OfflineUnavailable) as refused:
            reg.engine.add_tender(cashier, kind, 300, number)
        # then it is refused with the registry's reason, the cart and the card unchanged
        op = "Pay gift card (214)" if kind == "gift_card" else "Pay credit memo (213)"
        assert refused.value.code == "operation.online_only"
        assert refused.value.message.startswith(f"{op} is not available offline")
        assert cart_record(reg) == before
        assert not w.card(number)["locked"] and reg.engine.unlocks.count() == 0
