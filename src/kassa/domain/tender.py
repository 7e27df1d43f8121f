"""Tender types: how a customer pays (or is refunded).

Rule source: issue 2 §2, DESIGN §6-§7. Only cash gives change; gift cards and credit memos
need the HQ real-time service to be *added* (lock + balance) and are therefore online-only
to add.
"""

from __future__ import annotations

from enum import StrEnum

from kassa.domain.errors import InvalidInput
from kassa.domain.operator import Permission


class TenderType(StrEnum):
    """A way to pay. Values are stable and used in records and the API."""

    CASH = "cash"
    CARD = "card"
    GIFT_CARD = "gift_card"
    CREDIT_MEMO = "credit_memo"

    @property
    def allows_change(self) -> bool:
        """True only for cash: tendering more than is due gives change back."""
        return self is TenderType.CASH

    @property
    def needs_realtime(self) -> bool:
        """True for gift card and credit memo: adding one calls HQ (DESIGN §6)."""
        return self in (TenderType.GIFT_CARD, TenderType.CREDIT_MEMO)

    @property
    def needs_reference(self) -> bool:
        """True when the tender must name its card/memo number (gift card, credit memo)."""
        return self.needs_realtime

    @property
    def permission(self) -> Permission:
        """The operator permission needed to take this tender."""
        return _PERMISSION[self]

    @property
    def label(self) -> str:
        """Human label for receipts and screens (``"Gift card"``)."""
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def parse(cls, value: object) -> TenderType:
        """``TenderType`` or its string value → ``TenderType``.

        Raises:
            InvalidInput: code ``tender.unknown_type``.
        """
        if isinstance(value, TenderType):
            return value
        try:
            return cls(str(value))
        except ValueError:
            raise InvalidInput(
                f"unknown tender type {value!r}; expected one of "
                f"{', '.join(t.value for t in cls)}",
                code="tender.unknown_type",
            ) from None


_PERMISSION = {
    TenderType.CASH: Permission.TENDER_CASH,
    TenderType.CARD: Permission.TENDER_CARD,
    TenderType.GIFT_CARD: Permission.TENDER_GIFT_CARD,
    TenderType.CREDIT_MEMO: Permission.TENDER_CREDIT_MEMO,
}
