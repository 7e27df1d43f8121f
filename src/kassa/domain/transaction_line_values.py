"""Values of line records, read once and shared (part of :mod:`kassa.domain.transaction_line`).

Rule source: issue 2 §2, DESIGN §5 (money is ``Decimal`` in code, integer cents in storage).
A shop's baskets repeat the same shelf prices and name the same few tax groups, and both a
``Decimal`` and a :class:`~kassa.domain.tax.TaxGroup` are immutable, so the value read from a
record's field is kept (bounded) and shared by every line that names it again. Each function
gives exactly what the plain conversion gives, and refuses exactly what it refuses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from kassa.domain.errors import MoneyError
from kassa.domain.money import from_cents, parse_amount
from kassa.domain.tax import TaxGroup

#: ``from_cents`` of the cents seen in line records (the result depends only on the
#: ``int``).
_FROM_CENTS: dict[int, Decimal] = {}
_FROM_CENTS_KEPT: Final = 8192
#: The amounts of ``_FROM_CENTS`` that ``parse_amount`` accepts, by ``id``: this dict keeps
#: them alive, so a value found here under its own ``id`` is that very object, parsed already.
_PARSED: dict[int, Decimal] = {}


def cents_amount(cents: Any) -> Decimal:
    """:func:`~kassa.domain.money.from_cents` (two-place ``Decimal`` of integer cents),
    shared for plain ``int`` cents; anything else (``bool``, ``float``, text) goes to
    ``from_cents`` and is refused there (``MoneyError``) as before."""
    if type(cents) is int:
        amount = _FROM_CENTS.get(cents)
        if amount is None:
            amount = from_cents(cents)
            if len(_FROM_CENTS) < _FROM_CENTS_KEPT:
                try:  # the same value (two places, >= 0): parse it once, here
                    amount = parse_amount(amount)
                    _PARSED[id(amount)] = amount
                except MoneyError:
                    pass
                _FROM_CENTS[cents] = amount
        return amount
    return from_cents(cents)


def line_amount(value: object) -> Decimal:
    """:func:`~kassa.domain.money.parse_amount` of a line amount (>= 0, two places), skipped
    for an amount :func:`cents_amount` has parsed already (``parse_amount`` would return its
    copy). Raises ``MoneyError`` as ``parse_amount``."""
    if type(value) is Decimal and _PARSED.get(id(value)) is value:
        return value
    return parse_amount(value)


#: Tax groups read from records, by ``(id, name, basis points)``, with whether the group
#: writes back exactly those three values (``TaxGroup.id``, ``.name``, ``.basis_points``).
_TAX_GROUPS: dict[tuple[str, str, int], tuple[TaxGroup, bool]] = {}
_TAX_GROUPS_KEPT: Final = 256


def record_tax_group(id: Any, name: Any, basis_points: Any) -> tuple[TaxGroup, bool]:
    """``TaxGroup.from_basis_points(id, name, basis_points)`` of a line record, shared for the
    usual ``str``/``str``/``int`` fields (anything else is built, and refused, exactly as
    ``from_basis_points`` does: ``InvalidInput`` ``tax.invalid_group``), and True when the
    group's ``(id, name, basis_points)`` are the three values given, of those exact types
    (a line record that names it then needs no rewriting: ``Line.to_record``)."""
    if type(id) is str and type(name) is str and type(basis_points) is int:
        key = (id, name, basis_points)
        known = _TAX_GROUPS.get(key)
        if known is None:
            group = TaxGroup.from_basis_points(id, name, basis_points)
            same = (group.id, group.name, group.basis_points) == key and type(
                group.id) is str and type(group.name) is str
            known = (group, same)
            if len(_TAX_GROUPS) < _TAX_GROUPS_KEPT:
                _TAX_GROUPS[key] = known
        return known
    return TaxGroup.from_basis_points(id, name, basis_points), False


def record_text(value: object) -> str:
    """``value`` when it is a ``str``. Raises ``TypeError`` otherwise (a mistyped field:
    ``record.invalid`` for the caller)."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value
