"""Customers (households) and their loyalty cards (HQ job 1010 customers).

Rule source: issue 2 §2, DESIGN §9. Customer ids are The Complete Journey's
``household_id`` kept as they are; 801 of the 2,469 households carry demographics.

Loyalty card numbers (12 digits with a check digit, deterministic per household) are made
and checked by :mod:`kassa.domain.loyalty`, the one definition; they are re-exported here
as :func:`loyalty_card_for` and :func:`validate_loyalty_card`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kassa.domain.errors import InvalidInput
from kassa.domain.loyalty import LOYALTY_PREFIX, loyalty_card_for, validate_loyalty_card

__all__ = [
    "Customer",
    "customer_name_for",
    "household_id_from_loyalty_card",
    "loyalty_card_for",
    "validate_loyalty_card",
]


def household_id_from_loyalty_card(code: str) -> int:
    """The household id a loyalty card number encodes (digits 2-11).

    Raises:
        InvalidInput: code ``loyalty.invalid`` as :func:`validate_loyalty_card`, or when the
            number is not a Kassa household card (wrong prefix).
    """
    text = validate_loyalty_card(code)
    if not text.startswith(LOYALTY_PREFIX):
        raise InvalidInput(f"{text} is not a Kassa loyalty card", code="loyalty.invalid")
    return int(text[len(LOYALTY_PREFIX):-1])


def customer_name_for(household_id: int) -> str:
    """Display name for a dataset household, which has none: ``"Household 1234"``."""
    return f"Household {household_id}"


@dataclass(frozen=True, slots=True)
class Customer:
    """A loyalty customer.

    Attributes:
        id: dataset household id.
        name: display name (see :func:`customer_name_for`).
        loyalty_card: 12-digit card number, checked by :func:`validate_loyalty_card`.
        age, income, home_ownership, marital_status, household_size, household_comp,
        kids_count: demographics as the dataset gives them (text bands such as ``"45-54"``,
            ``"50-74K"``), or ``None`` when unknown.

    Raises:
        InvalidInput: codes ``customer.invalid``, ``loyalty.invalid``.
    """

    id: int
    name: str
    loyalty_card: str
    age: str | None = None
    income: str | None = None
    home_ownership: str | None = None
    marital_status: str | None = None
    household_size: str | None = None
    household_comp: str | None = None
    kids_count: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.id, bool) or not isinstance(self.id, int) or self.id < 0:
            raise InvalidInput(f"customer id must be a non-negative int (got {self.id!r})",
                               code="customer.invalid")
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput(f"customer {self.id}: name must not be empty",
                               code="customer.invalid")
        object.__setattr__(self, "loyalty_card", validate_loyalty_card(self.loyalty_card))

    @classmethod
    def for_household(cls, household_id: int, **demographics: str | None) -> Customer:
        """A dataset household as a customer: generated name and card, given demographics.

        Raises:
            TypeError: for an unknown demographics keyword.
        """
        return cls(
            household_id,
            customer_name_for(household_id),
            loyalty_card_for(household_id),
            **demographics,
        )

    @property
    def has_demographics(self) -> bool:
        """True when any demographic field is known."""
        return any(
            v is not None
            for v in (self.age, self.income, self.home_ownership, self.marital_status,
                      self.household_size, self.household_comp, self.kids_count)
        )
