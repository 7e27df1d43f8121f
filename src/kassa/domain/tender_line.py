"""Tender lines: the payments (and refunds) of a transaction.

Rule source: issue 2 §2, DESIGN §6. A tender line's amount is signed: positive pays a
sale, negative refunds (cash refund, card refund, credit memo issued). Voided tender lines
stay in the transaction for the audit and count for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

from kassa.domain.errors import InvalidInput, MoneyError
from kassa.domain.ids import parse_id
from kassa.domain.money import from_cents, parse_amount, to_cents
from kassa.domain.tender import TenderType

#: Longest reference (card / memo number, masked card number, authorisation code).
MAX_REFERENCE: Final = 64


@dataclass(frozen=True, slots=True)
class TenderLine:
    """One tender.

    Attributes:
        id: UUIDv7 (given by the caller when a gift card lock already names it).
        type: :class:`TenderType` (a string value is parsed).
        amount: signed, two places, never zero: > 0 pays, < 0 refunds.
        reference: gift card / credit memo number (required for those), for a card the
            masked number or authorisation code (never the full card number); else ``None``.
        voided: voided tenders are kept but count for nothing.

    Raises:
        MoneyError: codes ``money.float``, ``money.sub_cent``, ``money.too_large``,
            ``tender.zero``.
        InvalidInput: codes ``tender.unknown_type``, ``tender.reference_required``,
            ``tender.invalid``.
    """

    id: UUID
    type: TenderType
    amount: Decimal
    reference: str | None = None
    voided: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.id, UUID):
            raise InvalidInput(f"tender id must be a UUID (got {self.id!r})",
                               code="tender.invalid")
        object.__setattr__(self, "type", TenderType.parse(self.type))
        amount = parse_amount(self.amount, allow_negative=True)
        if amount == 0:
            raise MoneyError("a tender amount must not be zero", code="tender.zero")
        object.__setattr__(self, "amount", amount)
        ref = self.reference
        if ref is not None and (not isinstance(ref, str) or not ref.strip()
                                or len(ref) > MAX_REFERENCE):
            raise InvalidInput(
                f"tender reference must be 1-{MAX_REFERENCE} characters (got {ref!r})",
                code="tender.invalid",
            )
        if ref is None and self.type.needs_reference:
            raise InvalidInput(f"a {self.type.label.lower()} tender needs the card/memo number",
                               code="tender.reference_required")
        if not isinstance(self.voided, bool):
            raise InvalidInput("voided must be bool", code="tender.invalid")

    @property
    def is_refund(self) -> bool:
        """True for a negative (refund) tender."""
        return self.amount < 0

    def to_record(self) -> dict[str, Any]:
        """The tender as JSON-able primitives (part of transaction record format 1)."""
        return {
            "id": str(self.id),
            "type": self.type.value,
            "amount_cents": to_cents(self.amount),
            "reference": self.reference,
            "voided": self.voided,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TenderLine:
        """Inverse of :meth:`to_record`.

        Raises:
            InvalidInput: code ``record.invalid`` for a missing or mistyped field.
        """
        try:
            return cls(
                id=parse_id(record["id"], "tender id"),
                type=TenderType.parse(record["type"]),
                amount=from_cents(record["amount_cents"]),
                reference=record["reference"],
                voided=record["voided"],
            )
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"bad tender record: {exc!r}", code="record.invalid") from exc

