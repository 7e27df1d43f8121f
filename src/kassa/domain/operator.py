"""Operators (store staff), their roles and what each role may do.

Rule source: issue 2 §2. Three roles, each a superset of the one before:

* ``cashier``: sale lines, quantity change, void line, every tender (cash, card, gift card,
  credit memo), gift card sale/top-up/balance, suspend/recall, void of the own open
  transaction, the Database connection status operation (917, DESIGN §3.4).
* ``supervisor``: adds price override, line discount and return.
* ``manager``: everything, including back-office administration.

:func:`require` is the one gate; it raises :class:`~kassa.domain.errors.NotAllowed` with
code ``auth.role`` naming the role, the permission and the roles that would be allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kassa.domain.errors import InvalidInput, NotAllowed


class Permission(StrEnum):
    """One thing an operator may be allowed to do (stable string values, used in records)."""

    SALE_LINE = "sale_line"
    QUANTITY_CHANGE = "quantity_change"
    VOID_LINE = "void_line"
    TENDER_CASH = "tender_cash"
    TENDER_CARD = "tender_card"
    TENDER_GIFT_CARD = "tender_gift_card"
    TENDER_CREDIT_MEMO = "tender_credit_memo"
    ISSUE_GIFT_CARD = "issue_gift_card"
    ADD_TO_GIFT_CARD = "add_to_gift_card"
    GIFT_CARD_BALANCE = "gift_card_balance"
    SUSPEND_RECALL = "suspend_recall"
    VOID_TRANSACTION = "void_transaction"
    CONNECTION_STATUS = "connection_status"
    PRICE_OVERRIDE = "price_override"
    LINE_DISCOUNT = "line_discount"
    RETURN = "return"
    ADMIN = "admin"


class Role(StrEnum):
    """An operator's role. ``Role("cashier")`` parses the stored value."""

    CASHIER = "cashier"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"

    def allows(self, permission: Permission) -> bool:
        """True when this role grants ``permission`` (issue 2 §2)."""
        return permission in _GRANTS[self]

    @property
    def permissions(self) -> frozenset[Permission]:
        """Every permission the role grants."""
        return _GRANTS[self]

    @classmethod
    def parse(cls, value: object) -> Role:
        """``Role`` or its string value → ``Role``.

        Raises:
            InvalidInput: code ``role.unknown`` for anything else.
        """
        if isinstance(value, Role):
            return value
        try:
            return cls(str(value))
        except ValueError:
            raise InvalidInput(
                f"unknown role {value!r}; expected one of {', '.join(r.value for r in cls)}",
                code="role.unknown",
            ) from None


_CASHIER = frozenset(
    {
        Permission.SALE_LINE,
        Permission.QUANTITY_CHANGE,
        Permission.VOID_LINE,
        Permission.TENDER_CASH,
        Permission.TENDER_CARD,
        Permission.TENDER_GIFT_CARD,
        Permission.TENDER_CREDIT_MEMO,
        Permission.ISSUE_GIFT_CARD,
        Permission.ADD_TO_GIFT_CARD,
        Permission.GIFT_CARD_BALANCE,
        Permission.SUSPEND_RECALL,
        Permission.VOID_TRANSACTION,
        Permission.CONNECTION_STATUS,
    }
)
_SUPERVISOR = _CASHIER | {Permission.PRICE_OVERRIDE, Permission.LINE_DISCOUNT, Permission.RETURN}
_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.CASHIER: _CASHIER,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.MANAGER: frozenset(Permission),
}


def require(role: Role | str, permission: Permission) -> None:
    """Refuse unless ``role`` allows ``permission``.

    Raises:
        NotAllowed: code ``auth.role``; ``details`` = ``{"role", "permission", "allowed_roles"}``.
        InvalidInput: code ``role.unknown`` if ``role`` is not a role.
    """
    parsed = Role.parse(role)
    if parsed.allows(permission):
        return
    allowed = [r.value for r in Role if r.allows(permission)]
    raise NotAllowed(
        f"a {parsed.value} may not do {permission.value.replace('_', ' ')}; "
        f"ask a {' or '.join(allowed)}",
        code="auth.role",
        details={"role": parsed.value, "permission": permission.value, "allowed_roles": allowed},
    )


@dataclass(frozen=True, slots=True)
class Operator:
    """A person who signs in at a register (HQ job 1060 staff).

    Attributes:
        id: staff id as text (e.g. ``"1001"``), unique chain-wide.
        name: display name.
        role: :class:`Role` (a string value is parsed on construction).
        store_id: home store, or ``None`` for chain-wide staff.

    Raises:
        InvalidInput: code ``operator.invalid`` for an empty id/name, ``role.unknown``.
    """

    id: str
    name: str
    role: Role
    store_id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise InvalidInput("operator id must be a non-empty string", code="operator.invalid")
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput("operator name must not be empty", code="operator.invalid")
        object.__setattr__(self, "role", Role.parse(self.role))
        if self.store_id is not None and (
            isinstance(self.store_id, bool) or not isinstance(self.store_id, int)
        ):
            raise InvalidInput("store_id must be an int or None", code="operator.invalid")

    def allows(self, permission: Permission) -> bool:
        """Shortcut for ``self.role.allows(permission)``."""
        return self.role.allows(permission)
