"""Sales tax: tax groups, per-line tax and the department → tax group rule.

Rule source: issue 2 §2, DESIGN §5 (one rounding function). Tax is computed per line on the
line's net amount (after discount) and rounded half-up to cents with
:func:`~kassa.domain.money.round_money`; a return line's negative net gives exactly the
negated tax of the same sale line.

The importer of The Complete Journey assigns every product a tax group from its department
(:func:`tax_group_for_department`): food departments are ``FOOD`` (0 %), everything else
``STANDARD`` (6.25 %, the Massachusetts sales tax rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from kassa.domain.errors import InvalidInput
from kassa.domain.money import round_money, to_decimal

#: A rate is whole basis points (0.0001), as stored in ``tax_groups.rate_bp``.
_RATE_QUANTUM: Final = Decimal("0.0001")
_BP: Final = Decimal(10000)


@dataclass(frozen=True, slots=True)
class TaxGroup:
    """A named tax rate.

    Attributes:
        id: stable key used by products and lines (``"FOOD"``, ``"STANDARD"``).
        name: label for receipts.
        rate: fraction as ``Decimal`` (``Decimal("0.0625")`` = 6.25 %), 0 <= rate < 1, whole
            basis points (at most four decimals).

    Raises:
        InvalidInput: code ``tax.invalid_group`` for an empty id or a rate out of range.
        MoneyError: code ``money.float`` when ``rate`` is a float.
    """

    id: str
    name: str
    rate: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise InvalidInput("tax group id must not be empty", code="tax.invalid_group")
        if not isinstance(self.name, str):
            raise InvalidInput("tax group name must be a string", code="tax.invalid_group")
        rate = to_decimal(self.rate)
        if rate < 0 or rate >= 1 or rate != rate.quantize(_RATE_QUANTUM):
            raise InvalidInput(
                f"tax rate must be a fraction in [0, 1) of whole basis points (got {rate})",
                code="tax.invalid_group",
            )
        object.__setattr__(self, "rate", rate)

    @classmethod
    def from_basis_points(cls, id: str, name: str, basis_points: int) -> TaxGroup:
        """Build from integer basis points (storage form): ``625`` → ``Decimal("0.0625")``.

        Raises:
            InvalidInput: code ``tax.invalid_group`` for a non-int or out-of-range value.
        """
        if isinstance(basis_points, bool) or not isinstance(basis_points, int):
            raise InvalidInput(f"basis points must be an int (got {basis_points!r})",
                               code="tax.invalid_group")
        return cls(id, name, Decimal(basis_points) / _BP)

    @property
    def basis_points(self) -> int:
        """The rate in integer basis points (``625`` for 6.25 %), as stored."""
        return int(self.rate * _BP)

    @property
    def percent_label(self) -> str:
        """``"6.25%"``: the rate for receipts."""
        pct = (self.rate * 100).normalize()
        return f"{pct:f}%"


def tax_for(net_amount: Decimal, group: TaxGroup) -> Decimal:
    """Tax on a line's net amount: ``round_money(net_amount * group.rate)``, two places.

    Negative nets (returns) give negative tax; half-up is symmetric around zero.

    Raises:
        MoneyError: when ``net_amount`` is a float or not a number.
    """
    return round_money(to_decimal(net_amount) * group.rate)


FOOD: Final = TaxGroup.from_basis_points("FOOD", "Food", 0)
STANDARD: Final = TaxGroup.from_basis_points("STANDARD", "Standard", 625)
#: The default groups the importer writes to HQ, by id.
DEFAULT_TAX_GROUPS: Final[dict[str, TaxGroup]] = {FOOD.id: FOOD, STANDARD.id: STANDARD}

#: Departments of The Complete Journey whose products are food (checked against the data:
#: 32 departments, see ``products.parquet``). Everything else — DRUG GM, COSMETICS, FLORAL,
#: SPIRITS, RESTAURANT (prepared meals), FUEL, MISCELLANEOUS, COUPON … — is STANDARD.
FOOD_DEPARTMENTS: Final = frozenset(
    {
        "GROCERY",
        "PRODUCE",
        "MEAT",
        "MEAT-PCKGD",
        "DELI",
        "PASTRY",
        "SEAFOOD",
        "SEAFOOD-PCKGD",
        "NUTRITION",
        "FROZEN GROCERY",
        "SALAD BAR",
        "CHEF SHOPPE",
    }
)


def tax_group_for_department(department: str | None) -> str:
    """Tax group id for a product department: ``"FOOD"`` or ``"STANDARD"``.

    Case and surrounding blanks are ignored; ``None`` or an unknown department is
    ``"STANDARD"`` (taxing by default is the safe side).
    """
    if department is not None and department.strip().upper() in FOOD_DEPARTMENTS:
        return FOOD.id
    return STANDARD.id
