"""Money: ``Decimal`` in code, integer cents in storage, one rounding function.

Rules (DESIGN §5, issue 2):

* Amounts are :class:`decimal.Decimal`; a ``float`` is refused everywhere with
  :class:`~kassa.domain.errors.MoneyError` — money never meets a float.
* :func:`round_money` is the *only* rounding function: half-up to cents (0.01).
* Storage and wire formats use integer cents (:func:`to_cents` / :func:`from_cents`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from kassa.domain.errors import MoneyError

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")
#: Largest absolute amount Kassa accepts anywhere: 10 million currency units.
MAX_AMOUNT: Final = Decimal("10000000.00")

MoneyLike = Decimal | int | str


def to_decimal(value: object) -> Decimal:
    """Convert ``value`` (``Decimal``, ``int`` or numeric ``str``) to a finite ``Decimal``.

    Raises:
        MoneyError: for ``float``/``bool``, non-numeric strings, NaN or infinity.
    """
    if isinstance(value, (bool, float)):
        raise MoneyError(
            f"money must not be a float or bool (got {value!r}); use Decimal or a string",
            code="money.float",
        )
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation as exc:
            raise MoneyError(f"not an amount: {value!r}", code="money.not_a_number") from exc
    else:
        raise MoneyError(f"not an amount: {value!r}", code="money.not_a_number")
    if not d.is_finite():
        raise MoneyError(f"amount must be finite (got {value!r})", code="money.not_finite")
    return d


def round_money(value: MoneyLike) -> Decimal:
    """Round to cents, half-up — the one rounding function of Kassa.

    ``round_money(Decimal("0.125")) == Decimal("0.13")``;
    ``round_money(Decimal("-0.125")) == Decimal("-0.13")`` (half away from zero).

    Raises:
        MoneyError: for floats or non-finite values.
    """
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: MoneyLike) -> int:
    """Amount → integer cents for storage. The amount must already be whole cents.

    Raises:
        MoneyError: if ``value`` has fractions of a cent (round first) or is not money.
    """
    d = to_decimal(value)
    if d != d.quantize(CENT):
        raise MoneyError(
            f"amount {d} has fractions of a cent; round it first", code="money.sub_cent"
        )
    return int(d.scaleb(2))


def from_cents(cents: int) -> Decimal:
    """Integer cents from storage → ``Decimal`` with two places.

    Raises:
        MoneyError: ``money.cents_type`` if ``cents`` is not an ``int``; ``money.too_large``
            if it has more digits than a ``Decimal`` amount holds (28).
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise MoneyError(f"cents must be an integer (got {cents!r})", code="money.cents_type")
    try:
        return Decimal(cents).scaleb(-2).quantize(CENT)
    except InvalidOperation as exc:
        raise MoneyError(f"{cents} cents is too large for an amount",
                         code="money.too_large") from exc


def parse_amount(value: object, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount typed by a person or sent by a client, exact to the cent.

    Returns a two-place ``Decimal``. Refuses floats, more than two decimals, negative
    amounts (unless ``allow_negative``) and amounts beyond :data:`MAX_AMOUNT`.

    Raises:
        MoneyError: with codes ``money.sub_cent``, ``money.negative``, ``money.too_large``.
    """
    d = to_decimal(value)
    if d != d.quantize(CENT):
        raise MoneyError(
            f"amount {value!r} has more than two decimals", code="money.sub_cent"
        )
    if d < 0 and not allow_negative:
        raise MoneyError(f"amount must not be negative (got {value!r})", code="money.negative")
    if abs(d) > MAX_AMOUNT:
        raise MoneyError(
            f"amount {value!r} is larger than the limit {MAX_AMOUNT}", code="money.too_large"
        )
    return d.quantize(CENT)


def format_money(value: Decimal, symbol: str = "$") -> str:
    """``Decimal('-3.5')`` → ``'-$3.50'`` for receipts and screens."""
    d = round_money(value)
    sign = "-" if d < 0 else ""
    return f"{sign}{symbol}{abs(d):,.2f}"
