"""Roles, permissions and operators (issue 2 §2); tender types."""

from __future__ import annotations

import pytest

from kassa.domain.errors import InvalidInput, NotAllowed
from kassa.domain.operator import Operator, Permission, Role, require
from kassa.domain.tender import TenderType

CASHIER_CAN = {
    Permission.SALE_LINE, Permission.QUANTITY_CHANGE, Permission.VOID_LINE,
    Permission.TENDER_CASH, Permission.TENDER_CARD, Permission.TENDER_GIFT_CARD,
    Permission.TENDER_CREDIT_MEMO, Permission.SUSPEND_RECALL, Permission.VOID_TRANSACTION,
}
SUPERVISOR_ADDS = {Permission.PRICE_OVERRIDE, Permission.LINE_DISCOUNT, Permission.RETURN}


@pytest.mark.parametrize("permission", sorted(CASHIER_CAN))
def test_every_role_may_do_cashier_work(permission: Permission) -> None:
    for role in Role:
        assert role.allows(permission)
        require(role, permission)


@pytest.mark.parametrize("permission", sorted(SUPERVISOR_ADDS))
def test_supervisor_adds_override_discount_and_return(permission: Permission) -> None:
    assert not Role.CASHIER.allows(permission)
    assert Role.SUPERVISOR.allows(permission)
    assert Role.MANAGER.allows(permission)


def test_manager_may_do_everything_and_only_manager_administers() -> None:
    assert Role.MANAGER.permissions == frozenset(Permission)
    assert [r for r in Role if r.allows(Permission.ADMIN)] == [Role.MANAGER]


def test_roles_are_nested() -> None:
    assert Role.CASHIER.permissions < Role.SUPERVISOR.permissions < Role.MANAGER.permissions


def test_require_names_role_permission_and_who_may() -> None:
    # when a cashier tries a price override
    with pytest.raises(NotAllowed) as err:
        require(Role.CASHIER, Permission.PRICE_OVERRIDE)
    # then
    assert err.value.code == "auth.role"
    assert "cashier" in err.value.message and "price override" in err.value.message
    assert err.value.details == {"role": "cashier", "permission": "price_override",
                                 "allowed_roles": ["supervisor", "manager"]}


def test_require_accepts_role_values_and_refuses_unknown_roles() -> None:
    require("supervisor", Permission.RETURN)
    with pytest.raises(InvalidInput) as err:
        require("janitor", Permission.SALE_LINE)
    assert err.value.code == "role.unknown"


def test_operator_parses_role() -> None:
    op = Operator("1001", "Ann", "supervisor", 367)
    assert op.role is Role.SUPERVISOR
    assert op.allows(Permission.LINE_DISCOUNT)
    assert Operator("1", "Bo", Role.CASHIER).store_id is None


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("", "Ann", "cashier"), "operator.invalid"),
        (("1", " ", "cashier"), "operator.invalid"),
        (("1", "Ann", "boss"), "role.unknown"),
        (("1", "Ann", "cashier", "367"), "operator.invalid"),
    ],
)
def test_operator_refuses_bad_fields(args: tuple[object, ...], code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Operator(*args)
    assert err.value.code == code


def test_tender_types() -> None:
    assert [t.value for t in TenderType] == ["cash", "card", "gift_card", "credit_memo"]
    assert [t for t in TenderType if t.allows_change] == [TenderType.CASH]
    assert {t for t in TenderType if t.needs_realtime} == {TenderType.GIFT_CARD,
                                                           TenderType.CREDIT_MEMO}
    assert TenderType.GIFT_CARD.label == "Gift card"
    assert TenderType.CREDIT_MEMO.permission is Permission.TENDER_CREDIT_MEMO
    assert all(Role.CASHIER.allows(t.permission) for t in TenderType)
    assert TenderType.parse("card") is TenderType.CARD
    with pytest.raises(InvalidInput) as err:
        TenderType.parse("cheque")
    assert err.value.code == "tender.unknown_type"
