"""The operations registry: every POS action with its id and offline availability (DESIGN §7).

The registry drives the register UI (online-only operations are disabled offline, with the
reason shown) and the engine (:func:`check_allowed` refuses them even when called directly).

Ids follow the Dynamics 365 Commerce POS operation ids (``RetailOperation`` enumeration) so
that people who know that product recognise them, with one deliberate exception:

* **519 / 520** follow DESIGN §7 (519 = Gift card balance, 520 = Add to gift card). In the
  Dynamics enumeration the two are the other way round (519 AddToGiftCard, 520
  GiftCardBalance). Callers should use the names in :class:`OpId`, never bare numbers.

Ids are stable: they are stored in audit records and button layouts; never renumber one.

=====  ==========================  ================  =========================================
id     name                        offline           note
=====  ==========================  ================  =========================================
100    Product sale                yes               sale lines
101    Price check                 yes               prices from the offline DB
102    Void product                yes               void a line
104    Price override              yes
105    Set quantity                yes
109    Return product              yes               return without a receipt
114    Return transaction          limited           only receipts in this register's offline DB
200    Pay cash                    yes
201    Pay card                    yes               card payments go to the payment terminal
213    Pay credit memo             online only       lock + balance at HQ (DESIGN §6)
214    Pay gift card               online only       lock + balance at HQ (DESIGN §6)
300    Line discount amount        yes
301    Line discount percent       yes
500    Void transaction            yes
503    Suspend transaction         limited           recall only on this register
504    Recall transaction          limited           only this register's suspended transactions
511    Issue credit memo           online only       balance kept at HQ
512    Issue gift card             online only       balance kept at HQ
519    Gift card balance           online only       balance kept at HQ
520    Add to gift card            online only       balance kept at HQ
700    Sign in                     limited           checked against hashes in the offline DB
701    Sign out                    yes
917    Database connection status  yes               Connect / Disconnect (DESIGN §3.4)
=====  ==========================  ================  =========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from kassa.domain.errors import NotFound, OfflineUnavailable


class Availability(StrEnum):
    """Offline availability of an operation."""

    OFFLINE_OK = "offline_ok"  # works the same offline
    OFFLINE_LIMITED = "offline_limited"  # works offline with a limit (``reason`` says which)
    ONLINE_ONLY = "online_only"  # needs the store server or HQ; refused offline


class OpId(IntEnum):
    """Stable operation ids (see the module table)."""

    PRODUCT_SALE = 100
    PRICE_CHECK = 101
    VOID_PRODUCT = 102
    PRICE_OVERRIDE = 104
    SET_QUANTITY = 105
    RETURN_PRODUCT = 109
    RETURN_TRANSACTION = 114
    PAY_CASH = 200
    PAY_CARD = 201
    PAY_CREDIT_MEMO = 213
    PAY_GIFT_CARD = 214
    LINE_DISCOUNT_AMOUNT = 300
    LINE_DISCOUNT_PERCENT = 301
    VOID_TRANSACTION = 500
    SUSPEND_TRANSACTION = 503
    RECALL_TRANSACTION = 504
    ISSUE_CREDIT_MEMO = 511
    ISSUE_GIFT_CARD = 512
    GIFT_CARD_BALANCE = 519
    ADD_TO_GIFT_CARD = 520
    SIGN_IN = 700
    SIGN_OUT = 701
    DATABASE_CONNECTION_STATUS = 917


@dataclass(frozen=True)
class Operation:
    """One POS operation.

    Attributes:
        id: stable operation id (:class:`OpId`).
        name: label for buttons and messages (``"Issue gift card"``).
        availability: offline availability.
        reason: why it is limited or online-only (empty for ``OFFLINE_OK``); completes the
            sentence "… is not available offline: <reason>".
    """

    id: int
    name: str
    availability: Availability
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", int(self.id))  # plain int, also for OpId members

    @property
    def label(self) -> str:
        """``"Issue gift card (512)"``."""
        return f"{self.name} ({self.id})"

    def allowed(self, *, online: bool) -> bool:
        """True when the operation may run in the given mode."""
        return online or self.availability is not Availability.ONLINE_ONLY


_OK, _LIMITED, _ONLINE = (
    Availability.OFFLINE_OK, Availability.OFFLINE_LIMITED, Availability.ONLINE_ONLY,
)
_HQ_BALANCE = "the balance is kept at headquarters"
_HQ_LOCK = (
    "the card must be locked and its balance read at headquarters; a card added while online "
    "can still be concluded offline when the commerce parameter allows it"
)

_REGISTRY: dict[int, Operation] = {
    op.id: op
    for op in (
        Operation(OpId.PRODUCT_SALE, "Product sale", _OK),
        Operation(OpId.PRICE_CHECK, "Price check", _OK),
        Operation(OpId.VOID_PRODUCT, "Void product", _OK),
        Operation(OpId.PRICE_OVERRIDE, "Price override", _OK),
        Operation(OpId.SET_QUANTITY, "Set quantity", _OK),
        Operation(OpId.RETURN_PRODUCT, "Return product", _OK),
        Operation(
            OpId.RETURN_TRANSACTION, "Return transaction", _LIMITED,
            "offline, only receipts stored in this register's offline database can be returned",
        ),
        Operation(OpId.PAY_CASH, "Pay cash", _OK),
        Operation(OpId.PAY_CARD, "Pay card", _OK),
        Operation(OpId.PAY_CREDIT_MEMO, "Pay credit memo", _ONLINE, _HQ_LOCK),
        Operation(OpId.PAY_GIFT_CARD, "Pay gift card", _ONLINE, _HQ_LOCK),
        Operation(OpId.LINE_DISCOUNT_AMOUNT, "Line discount amount", _OK),
        Operation(OpId.LINE_DISCOUNT_PERCENT, "Line discount percent", _OK),
        Operation(OpId.VOID_TRANSACTION, "Void transaction", _OK),
        Operation(
            OpId.SUSPEND_TRANSACTION, "Suspend transaction", _LIMITED,
            "offline, a suspended transaction can only be recalled on this register",
        ),
        Operation(
            OpId.RECALL_TRANSACTION, "Recall transaction", _LIMITED,
            "offline, only transactions suspended on this register can be recalled",
        ),
        Operation(OpId.ISSUE_CREDIT_MEMO, "Issue credit memo", _ONLINE, _HQ_BALANCE),
        Operation(OpId.ISSUE_GIFT_CARD, "Issue gift card", _ONLINE, _HQ_BALANCE),
        Operation(OpId.GIFT_CARD_BALANCE, "Gift card balance", _ONLINE, _HQ_BALANCE),
        Operation(OpId.ADD_TO_GIFT_CARD, "Add to gift card", _ONLINE, _HQ_BALANCE),
        Operation(
            OpId.SIGN_IN, "Sign in", _LIMITED,
            "offline, only operators already in this register's offline database can sign in",
        ),
        Operation(OpId.SIGN_OUT, "Sign out", _OK),
        Operation(OpId.DATABASE_CONNECTION_STATUS, "Database connection status", _OK),
    )
}


def get(op_id: int) -> Operation:
    """The operation with id ``op_id``.

    Raises:
        NotFound: code ``operation.unknown``.
    """
    try:
        return _REGISTRY[int(op_id)]
    except (KeyError, TypeError, ValueError):
        raise NotFound(
            f"unknown operation {op_id!r}", code="operation.unknown", details={"id": op_id}
        ) from None


def all() -> list[Operation]:  # shadows the builtin inside this module only
    """Every operation, ordered by id."""
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def check_allowed(op_id: int, *, online: bool) -> Operation:
    """Refuse an online-only operation while offline (DESIGN §7).

    ``OFFLINE_LIMITED`` operations are allowed here; their limit is enforced where the data
    is (e.g. recall looks only in this register's offline DB).

    Returns:
        the :class:`Operation`, when allowed.

    Raises:
        NotFound: ``operation.unknown``.
        OfflineUnavailable: ``operation.online_only``, e.g. "Issue gift card (512) is not
            available offline: the balance is kept at headquarters."
    """
    op = get(op_id)
    if not op.allowed(online=online):
        raise OfflineUnavailable(
            f"{op.label} is not available offline: {op.reason}.",
            code="operation.online_only",
            details={"operation_id": op.id, "operation": op.name},
        )
    return op


def availability_for_ui(online: bool) -> list[dict[str, Any]]:
    """Rows for the register UI, ordered by id.

    Each row: ``{"id": int, "name": str, "availability": str, "enabled": bool,
    "reason": str}``. ``reason`` is empty online; offline it explains a disabled
    (online-only) or limited operation.
    """
    rows = []
    for op in all():
        enabled = op.allowed(online=online)
        if online or op.availability is Availability.OFFLINE_OK:
            reason = ""
        elif enabled:
            reason = op.reason[0].upper() + op.reason[1:] + "."
        else:
            reason = f"Not available offline: {op.reason}."
        rows.append(
            {
                "id": op.id, "name": op.name, "availability": op.availability.value,
                "enabled": enabled, "reason": reason,
            }
        )
    return rows
