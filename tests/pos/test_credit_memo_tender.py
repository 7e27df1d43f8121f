"""Credit memo tenders (operation 213) work like gift cards, with their own commerce parameter
*Allow concluding credit memo transactions in offline mode* (issue 5 §2, §3; DESIGN §6).
Real HQ, store server and registers on 127.0.0.1 (:mod:`pos.card_world`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kassa.domain.errors import Conflict, RuleViolation
from pos.card_world import PARAMETER, card_world, sign_in


def test_a_credit_memo_pays_online_and_is_debited_once(data_dir: Path) -> None:
    with card_world(data_dir) as w:
        memo = w.hq.issue(1000, "credit_memo")
        reg1, reg2 = w.register(1), w.register(2)
        c1, c2 = sign_in(reg1), sign_in(reg2)
        reg1.engine.start_transaction(c1)
        reg1.engine.add_line(c1, product_id=1002)  # 4.29
        reg1.engine.add_tender(c1, "credit_memo", 429, memo)
        reg2.engine.start_transaction(c2)
        reg2.engine.add_line(c2, product_id=1001)
        with pytest.raises(Conflict) as locked:
            reg2.engine.add_tender(c2, "credit_memo", 100, memo)
        assert "Credit memo" in locked.value.message
        assert "register 1 of store 367" in locked.value.message
        # when register 1 completes online
        done = reg1.engine.complete(c1)
        # then the memo is debited and unlocked at once; posting does not debit it again
        assert [c.to_dict()["result"] for c in done.cards] == ["redeemed"]
        assert w.card(memo)["balance_cents"] == 571 and not w.card(memo)["locked"]
        assert w.post()["posted"] == 1
        assert w.card(memo)["balance_cents"] == 571 and w.hq.ledger(memo) == [429]


def test_each_kind_needs_its_own_parameter_to_conclude_offline(data_dir: Path) -> None:
    # given gift cards may be concluded offline, credit memos not
    with card_world(data_dir, parameters={PARAMETER["gift_card"]: True}) as w:
        card, memo = w.hq.issue(1000), w.hq.issue(1000, "credit_memo")
        reg = w.register(1)
        cashier = sign_in(reg)
        reg.engine.start_transaction(cashier)
        reg.engine.add_line(cashier, product_id=1001)
        reg.engine.add_line(cashier, product_id=1002)  # 7.78
        reg.engine.add_tender(cashier, "gift_card", 300, card)
        memo_tender = reg.engine.add_tender(cashier, "credit_memo", 200, memo)
        w.proxy.blackhole()
        reg.engine.add_line(cashier, product_id=1003)  # 0.59, switches offline
        reg.engine.add_tender(cashier, "cash", 337)
        # when completing offline, the credit memo is refused
        with pytest.raises(RuleViolation) as refused:
            reg.engine.complete(cashier)
        assert refused.value.message.startswith("Credit memo transactions can't be concluded")
        assert refused.value.details["tender_ids"] == [str(memo_tender.id)]
        # then without the memo tender the gift card sale concludes offline
        reg.engine.void_tender(cashier, memo_tender.id)
        reg.engine.add_tender(cashier, "cash", 200)
        assert reg.engine.complete(cashier).outcome.where == "offline"
        # and after reconnection: the memo unlocked untouched, the card debited once
        w.proxy.pass_through()
        assert reg.sync.upload_now().count == 1
        assert not w.card(memo)["locked"] and w.card(memo)["balance_cents"] == 1000
        assert w.post()["posted"] == 1
        assert w.card(card)["balance_cents"] == 700 and not w.card(card)["locked"]
