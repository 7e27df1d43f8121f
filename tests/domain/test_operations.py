"""Operations registry and offline availability (DESIGN §7)."""

from __future__ import annotations

import pytest

from kassa.domain import operations
from kassa.domain.errors import NotFound, OfflineUnavailable
from kassa.domain.operations import Availability, Operation, OpId

ONLINE_ONLY_IDS = {213, 214, 511, 512, 519, 520}


def test_design_ids_have_the_design_names() -> None:
    # given the ids DESIGN §7 names
    expected = {
        917: "Database connection status",
        214: "Pay gift card",
        213: "Pay credit memo",
        512: "Issue gift card",
        520: "Add to gift card",
        519: "Gift card balance",
        100: "Product sale",
    }
    # then
    for op_id, name in expected.items():
        assert operations.get(op_id).name == name


def test_registry_covers_every_operation_design_7_lists() -> None:
    names = {op.name for op in operations.all()}
    for needed in (
        "Product sale", "Set quantity", "Price override", "Line discount amount",
        "Line discount percent", "Void product", "Void transaction", "Pay cash", "Pay card",
        "Pay gift card", "Pay credit memo", "Issue gift card", "Add to gift card",
        "Gift card balance", "Return transaction", "Suspend transaction",
        "Recall transaction", "Database connection status", "Sign in", "Sign out",
    ):
        assert needed in names


def test_all_is_sorted_by_id_with_unique_plain_int_ids() -> None:
    ids = [op.id for op in operations.all()]
    assert ids == sorted(set(ids))
    assert all(type(i) is int for i in ids)


def test_the_online_only_operations_are_the_real_time_service_ones() -> None:
    online_only = {
        op.id for op in operations.all() if op.availability is Availability.ONLINE_ONLY
    }
    assert online_only == ONLINE_ONLY_IDS


def test_every_limited_or_online_only_operation_explains_why() -> None:
    for op in operations.all():
        if op.availability is Availability.OFFLINE_OK:
            assert op.reason == ""
        else:
            assert len(op.reason) > 10, op


def test_return_suspend_recall_and_sign_in_are_limited_offline() -> None:
    for op_id in (OpId.RETURN_TRANSACTION, OpId.SUSPEND_TRANSACTION, OpId.RECALL_TRANSACTION):
        op = operations.get(op_id)
        assert op.availability is Availability.OFFLINE_LIMITED
        assert "this register" in op.reason
    assert operations.get(OpId.SIGN_IN).availability is Availability.OFFLINE_LIMITED


def test_unknown_operation_is_not_found() -> None:
    for bad in (999, "abc", None):
        with pytest.raises(NotFound) as exc:
            operations.get(bad)  # type: ignore[arg-type]
        assert exc.value.code == "operation.unknown"


def test_get_accepts_the_id_as_text() -> None:
    assert operations.get("512").id == 512  # type: ignore[arg-type]


@pytest.mark.parametrize("op_id", sorted(ONLINE_ONLY_IDS))
def test_online_only_operations_are_refused_offline(op_id: int) -> None:
    # when an online-only operation is called directly while offline
    with pytest.raises(OfflineUnavailable) as exc:
        operations.check_allowed(op_id, online=False)
    # then a clear error names it and says why
    assert exc.value.code == "operation.online_only"
    op = operations.get(op_id)
    assert exc.value.message.startswith(f"{op.name} ({op_id}) is not available offline: ")
    assert exc.value.details["operation_id"] == op_id


def test_issue_gift_card_message_reads_well() -> None:
    with pytest.raises(OfflineUnavailable) as exc:
        operations.check_allowed(512, online=False)
    assert exc.value.message == (
        "Issue gift card (512) is not available offline: the balance is kept at headquarters."
    )


def test_every_operation_is_allowed_online() -> None:
    for op in operations.all():
        assert operations.check_allowed(op.id, online=True) == op


def test_offline_ok_and_limited_operations_are_allowed_offline() -> None:
    for op in operations.all():
        if op.id not in ONLINE_ONLY_IDS:
            assert operations.check_allowed(op.id, online=False) is op


def test_ui_rows_online_are_all_enabled_without_reason() -> None:
    rows = operations.availability_for_ui(online=True)
    assert len(rows) == len(operations.all())
    assert all(row["enabled"] and row["reason"] == "" for row in rows)
    assert set(rows[0]) == {"id", "name", "availability", "enabled", "reason"}


def test_ui_rows_offline_disable_online_only_with_the_reason_shown() -> None:
    # when
    rows = {row["id"]: row for row in operations.availability_for_ui(online=False)}
    # then online-only operations are disabled with the reason
    for op_id in ONLINE_ONLY_IDS:
        assert rows[op_id]["enabled"] is False
        assert rows[op_id]["reason"].startswith("Not available offline: ")
    # limited ones stay enabled and explain the limit
    assert rows[504]["enabled"] is True
    assert "this register" in rows[504]["reason"]
    # plain ones are enabled without a reason
    assert rows[100] == {
        "id": 100, "name": "Product sale", "availability": "offline_ok",
        "enabled": True, "reason": "",
    }


def test_operation_label_and_allowed() -> None:
    op = Operation(OpId.PAY_GIFT_CARD, "Pay gift card", Availability.ONLINE_ONLY, "x")
    assert op.label == "Pay gift card (214)"
    assert op.allowed(online=True) and not op.allowed(online=False)
