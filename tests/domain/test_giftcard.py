"""Gift card and credit memo rules (DESIGN §6), including a property test of the lock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.domain.errors import CardLocked, Conflict, InvalidInput, KassaError, RuleViolation
from kassa.domain.giftcard import (
    ALLOW_CREDIT_MEMO_OFFLINE,
    ALLOW_GIFT_CARD_OFFLINE,
    CardKind,
    GiftCard,
    GiftCardLimits,
    can_conclude_offline,
    check_conclude_offline,
)

NOW = datetime(2017, 3, 1, 10, 30, tzinfo=UTC)
D = Decimal


def card(amount: str = "50.00", kind: CardKind = CardKind.GIFT_CARD) -> GiftCard:
    return GiftCard.issue("GC-1", amount, kind=kind)


# -- lock ----------------------------------------------------------------------------------
def test_lock_returns_the_balance_and_records_the_holder() -> None:
    c = card()
    assert c.lock("S1-R1", "T1", NOW) == D("50.00")
    assert c.holder is not None
    assert (c.holder.register_id, c.holder.transaction_id, c.holder.locked_at) == (
        "S1-R1", "T1", NOW,
    )


def test_lock_by_another_register_is_refused_naming_the_holder() -> None:
    # given a card locked at register S1-R1
    c = card()
    c.lock("S1-R1", "T1", NOW)
    # when register S1-R2 tries to add it
    with pytest.raises(CardLocked) as exc:
        c.lock("S1-R2", "T9", NOW)
    # then the message names the holder register, and the lock is unchanged
    assert exc.value.code == "giftcard.locked"
    assert "register S1-R1" in exc.value.message
    assert exc.value.details["register_id"] == "S1-R1"
    assert c.holder is not None and c.holder.register_id == "S1-R1"


def test_relock_by_the_same_register_and_transaction_is_idempotent() -> None:
    c = card()
    c.lock("S1-R1", "T1", NOW)
    assert c.lock("S1-R1", "T1", datetime(2017, 3, 1, 11, 0, tzinfo=UTC)) == D("50.00")
    assert c.holder is not None and c.holder.locked_at == NOW


def test_same_register_with_another_transaction_is_still_refused() -> None:
    c = card()
    c.lock("S1-R1", "T1", NOW)
    with pytest.raises(CardLocked):
        c.lock("S1-R1", "T2", NOW)


def test_uuid_ids_are_accepted_as_text() -> None:
    c = card()
    tx = uuid.uuid4()
    c.lock("S1-R1", tx, NOW)
    assert c.holder is not None and c.holder.transaction_id == str(tx)


def test_inactive_and_empty_cards_cannot_be_locked() -> None:
    inactive = card()
    inactive.active = False
    with pytest.raises(Conflict) as exc:
        inactive.lock("R1", "T1", NOW)
    assert exc.value.code == "giftcard.inactive"
    empty = card("10.00")
    empty.redeem_and_unlock("T0", "10.00", now=NOW)
    with pytest.raises(RuleViolation) as exc2:
        empty.lock("R1", "T1", NOW)
    assert exc2.value.code == "giftcard.empty"


# -- redeem and unlock ---------------------------------------------------------------------
def test_redeem_takes_the_amount_and_unlocks() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    outcome = c.redeem_and_unlock("T1", "20.00", now=NOW)
    assert (outcome.balance, outcome.replayed, c.holder) == (D("30.00"), False, None)
    assert outcome.entry.register_id == "R1"


def test_redeem_twice_with_the_same_transaction_changes_nothing() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    c.redeem_and_unlock("T1", "20.00", now=NOW)
    again = c.redeem_and_unlock("T1", Decimal("20"), now=NOW)
    assert again.replayed and c.balance == D("30.00") and len(c.redemptions) == 1


def test_same_transaction_with_another_amount_is_a_conflict() -> None:
    c = card()
    c.redeem_and_unlock("T1", "20.00", now=NOW)
    with pytest.raises(Conflict) as exc:
        c.redeem_and_unlock("T1", "21.00", now=NOW)
    assert exc.value.code == "giftcard.redemption_mismatch"
    assert c.balance == D("30.00")


def test_a_tender_above_the_balance_is_refused() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    with pytest.raises(RuleViolation) as exc:
        c.redeem_and_unlock("T1", "50.01", now=NOW)
    assert exc.value.code == "giftcard.insufficient_balance"
    assert c.balance == D("50.00") and c.holder is not None


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00"])
def test_zero_or_negative_amounts_are_invalid(amount: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        card().redeem_and_unlock("T1", amount, now=NOW)
    assert exc.value.code == "giftcard.amount_not_positive"


def test_float_amounts_are_refused() -> None:
    with pytest.raises(InvalidInput):
        card().redeem_and_unlock("T1", 1.5, now=NOW)


def test_redeem_by_another_transaction_than_the_holder_is_refused() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    with pytest.raises(CardLocked):
        c.redeem_and_unlock("T2", "1.00", now=NOW)


def test_a_late_duplicate_lock_after_the_redemption_does_not_relock() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    c.redeem_and_unlock("T1", "5.00", now=NOW)
    with pytest.raises(Conflict) as exc:
        c.lock("R1", "T1", NOW)
    assert exc.value.code == "giftcard.already_redeemed"
    assert c.holder is None


def test_redeeming_an_inactive_card_is_a_conflict_but_a_replay_still_answers() -> None:
    c = card()
    c.redeem_and_unlock("T1", "5.00", now=NOW)
    c.active = False
    assert c.redeem_and_unlock("T1", "5.00", now=NOW).replayed
    with pytest.raises(Conflict) as exc:
        c.redeem_and_unlock("T2", "5.00", now=NOW)
    assert exc.value.code == "giftcard.inactive"


# -- unlock --------------------------------------------------------------------------------
def test_the_holder_unlocks_and_unlocking_again_is_harmless() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    assert c.unlock("R1", "T1") is True
    assert c.unlock("R1", "T1") is False
    assert c.holder is None


def test_a_non_holder_cannot_unlock_without_force() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    with pytest.raises(CardLocked) as exc:
        c.unlock("R2", "T2")
    assert exc.value.code == "giftcard.not_lock_holder"
    assert c.holder is not None


def test_force_unlock_needs_an_actor_and_leaves_an_audit_record() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    with pytest.raises(InvalidInput) as exc:
        c.unlock(force=True)
    assert exc.value.code == "giftcard.force_needs_actor"
    assert c.unlock(force=True, actor="admin", now=NOW) is True
    assert c.holder is None
    assert [(a.actor, a.released.register_id, a.at) for a in c.audit] == [("admin", "R1", NOW)]


# -- issue and add -------------------------------------------------------------------------
def test_issue_and_add_respect_the_limits() -> None:
    limits = GiftCardLimits(max_issue=D("100.00"), max_add=D("50.00"), max_balance=D("120.00"))
    with pytest.raises(RuleViolation) as exc:
        GiftCard.issue("GC-2", "100.01", limits=limits)
    assert exc.value.code == "giftcard.max_issue"
    c = GiftCard.issue("GC-2", "100.00", limits=limits)
    with pytest.raises(RuleViolation) as exc:
        c.add("50.01", transaction_id="T1", register_id="R1", now=NOW, limits=limits)
    assert exc.value.code == "giftcard.max_add"
    with pytest.raises(RuleViolation) as exc:
        c.add("20.01", transaction_id="T1", register_id="R1", now=NOW, limits=limits)
    assert exc.value.code == "giftcard.max_balance"
    outcome = c.add("20.00", transaction_id="T1", register_id="R1", now=NOW, limits=limits)
    assert outcome.balance == D("120.00")


def test_add_is_idempotent_by_transaction() -> None:
    c = card()
    c.add("10.00", transaction_id="T1", register_id="R1", now=NOW)
    assert c.add("10.00", transaction_id="T1", register_id="R1", now=NOW).replayed
    assert c.balance == D("60.00")
    with pytest.raises(Conflict) as exc:
        c.add("11.00", transaction_id="T1", register_id="R1", now=NOW)
    assert exc.value.code == "giftcard.reload_mismatch"


def test_add_to_a_card_locked_elsewhere_or_to_a_credit_memo_is_refused() -> None:
    c = card()
    c.lock("R1", "T1", NOW)
    with pytest.raises(CardLocked):
        c.add("10.00", transaction_id="T2", register_id="R2", now=NOW)
    memo = card(kind=CardKind.CREDIT_MEMO)
    with pytest.raises(RuleViolation) as exc:
        memo.add("10.00", transaction_id="T3", register_id="R1", now=NOW)
    assert exc.value.code == "giftcard.not_reloadable"


def test_issue_refuses_a_blank_number() -> None:
    with pytest.raises(InvalidInput) as exc:
        GiftCard.issue("  ", "10.00")
    assert exc.value.code == "giftcard.number"


# -- concluding offline --------------------------------------------------------------------
def test_concluding_offline_follows_the_commerce_parameter_per_kind() -> None:
    params = {ALLOW_GIFT_CARD_OFFLINE: True, ALLOW_CREDIT_MEMO_OFFLINE: False}
    assert can_conclude_offline(CardKind.GIFT_CARD, params) is True
    assert can_conclude_offline("credit_memo", params) is False
    assert can_conclude_offline("gift_card", {}) is False  # default No
    as_object = SimpleNamespace(**{ALLOW_CREDIT_MEMO_OFFLINE: True})
    assert can_conclude_offline("credit_memo", as_object) is True


def test_refusing_to_conclude_offline_says_what_to_do() -> None:
    with pytest.raises(RuleViolation) as exc:
        check_conclude_offline("gift_card", {ALLOW_GIFT_CARD_OFFLINE: False})
    assert exc.value.code == "giftcard.offline_conclusion_not_allowed"
    assert "Allow concluding gift card transactions in offline mode" in exc.value.message
    assert "Remove the gift card tender" in exc.value.message
    check_conclude_offline("credit_memo", {ALLOW_CREDIT_MEMO_OFFLINE: True})


def test_bad_parameter_values_and_kinds_are_refused() -> None:
    with pytest.raises(InvalidInput):
        can_conclude_offline("gift_card", {ALLOW_GIFT_CARD_OFFLINE: "yes"})
    with pytest.raises(InvalidInput):
        can_conclude_offline("loyalty", {})


# -- property: one holder, never negative, money adds up ----------------------------------
REGISTERS = ["R1", "R2", "R3"]
TRANSACTIONS = [f"T{i}" for i in range(6)]
cents = st.integers(min_value=-100, max_value=6_000).map(lambda c: Decimal(c).scaleb(-2))
steps = st.lists(
    st.one_of(
        st.tuples(st.just("lock"), st.sampled_from(REGISTERS), st.sampled_from(TRANSACTIONS)),
        st.tuples(st.just("redeem"), st.sampled_from(TRANSACTIONS), cents),
        st.tuples(st.just("unlock"), st.sampled_from(REGISTERS), st.sampled_from(TRANSACTIONS)),
        st.tuples(st.just("add"), st.sampled_from(REGISTERS), st.sampled_from(TRANSACTIONS), cents),
        st.tuples(st.just("force")),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(initial=st.integers(min_value=1, max_value=10_000), ops=steps)
def test_any_sequence_keeps_one_holder_and_a_consistent_balance(
    initial: int, ops: list[tuple[object, ...]]
) -> None:
    c = GiftCard.issue("GC-P", Decimal(initial).scaleb(-2))
    holder: tuple[str, str] | None = None
    for op in ops:
        try:
            if op[0] == "lock":
                c.lock(op[1], op[2], NOW)
                pair = (str(op[1]), str(op[2]))
                assert holder in (None, pair), "two holders"
                holder = pair
            elif op[0] == "redeem":
                outcome = c.redeem_and_unlock(op[1], op[2], now=NOW)
                if not outcome.replayed and holder is not None:
                    holder = None
            elif op[0] == "unlock":
                if c.unlock(op[1], op[2]):
                    holder = None
            elif op[0] == "add":
                c.add(op[3], transaction_id=op[2], register_id=op[1], now=NOW)
            else:
                c.unlock(force=True, actor="admin", now=NOW)
                holder = None
        except KassaError:
            pass
        current = (c.holder.register_id, c.holder.transaction_id) if c.holder else None
        assert current == holder
        assert c.balance >= 0
        redeemed = sum((e.amount for e in c.redemptions.values()), Decimal(0))
        added = sum((e.amount for e in c.reloads.values()), Decimal(0))
        assert redeemed == c.initial + added - c.balance
