"""What happened to each basket and line of the replay (issue 7: every basket and line of
the dataset has a counted outcome, never a silent drop).

* A **line** is *accepted* (in a completed transaction, its net equal to its
  ``sales_value``) or *rejected* with one reason: refused by the register
  (:data:`kassa.demo.register_api.REASONS`) or not a sale in the data (:func:`data_reason`).
* A **basket** is *completed* (a transaction with its accepted lines), *voided* (no line
  could be sold: the cashier voids the transaction, which still travels to HQ for the audit)
  or *failed* (the register refused to finish it; always a reconciliation failure).

:class:`GiftPlan` says which baskets pay with a gift card issued at HQ to their household
beforehand and keeps each card's expected balance as the replay spends it.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from kassa.demo.dataset import Basket, DemoLine, share_hit

COMPLETED: Final = "completed"
VOIDED: Final = "voided"
FAILED: Final = "failed"
NO_SELLABLE_LINE: Final = "no sellable line (transaction voided)"


def data_reason(line: DemoLine) -> str | None:
    """Why a line with a positive quantity is no sale at all, or ``None`` when it is one:
    a value not in whole cents, zero or negative ``sales_value``, a negative discount."""
    if line.sub_cent:
        return "value not in whole cents"
    if line.sales_cents == 0:
        return "zero value"
    if line.sales_cents < 0:
        return "negative value"
    if line.retail_cents < 0 or line.coupon_match_cents < 0:
        return "negative discount"
    return None


@dataclass
class BasketResult:
    """The outcome of one basket.

    Attributes:
        basket: the dataset basket.
        register: register number that sold it.
        status: :data:`COMPLETED`, :data:`VOIDED` or :data:`FAILED`.
        transaction_id: the register's transaction id (``None`` when none was started).
        receipt_number: the receipt number.
        committed_to: ``"store"`` or ``"offline"`` (where the register committed it).
        accepted: ``(product_id, quantity, sales_cents)`` of the accepted lines.
        rejected: reason per rejected line.
        adjusted: accepted lines whose sub-cent unit price went into the discount.
        overrides: accepted lines keyed in with a price override.
        total_cents: the transaction total (with tax) when completed.
        gift_cents: paid by gift card; ``gift_card`` its number.
        gift_refused: the register's code when the gift card tender was refused.
        error: what failed (status :data:`FAILED`).
    """

    basket: Basket
    register: int
    status: str = FAILED
    transaction_id: str | None = None
    receipt_number: str | None = None
    committed_to: str | None = None
    accepted: list[tuple[int, int, int]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    adjusted: int = 0
    overrides: int = 0
    total_cents: int = 0
    gift_cents: int = 0
    gift_card: str | None = None
    gift_refused: str | None = None
    error: str | None = None

    @property
    def accepted_cents(self) -> int:
        """Σ ``sales_value`` of the accepted lines (cents)."""
        return sum(cents for _, _, cents in self.accepted)


def line_tally(results: list[BasketResult]) -> Counter[str]:
    """``{"accepted": n, "<reason>": n, …}`` over every line of ``results``; a line of a
    failed basket counts as ``"basket failed"``."""
    tally: Counter[str] = Counter()
    for r in results:
        if r.status == FAILED:
            tally["basket failed"] += len(r.basket.lines)
            continue
        tally["accepted"] += len(r.accepted)
        tally.update(r.rejected)
    return tally


@dataclass
class GiftPlan:
    """Gift card baskets and their cards (module docstring).

    Attributes:
        percent: share of baskets paid (partly) with a gift card.
        baskets: ids of the gift card baskets.
        cards: household id → card number (filled when HQ issued them).
        issued: card number → issued cents.
        balance: card number → balance the replay expects (issued − redeemed so far).
    """

    percent: float
    baskets: set[int] = field(default_factory=set)
    households: dict[int, int] = field(default_factory=dict)
    cards: dict[int, str] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=dict)
    balance: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def choose(cls, baskets: list[Basket], percent: float, minimum: int = 4) -> GiftPlan:
        """``percent`` % of ``baskets`` by a hash of the basket id; a small replay gets at
        least ``minimum`` more, evenly spread over its second half (where the fault
        injector switches one gift card sale offline)."""
        plan = cls(percent)
        if percent <= 0:
            return plan
        chosen = {i for i, b in enumerate(baskets) if share_hit(b.basket_id, "gift", percent)}
        half = len(baskets) // 2
        late = sum(1 for i in chosen if i >= half)
        if late < minimum and len(baskets) > 1:
            step = max(1, (len(baskets) - half) // (minimum + 1))
            chosen |= set(range(half + step, len(baskets), step)[:minimum])
        for i in sorted(chosen):
            b = baskets[i]
            plan.baskets.add(b.basket_id)
            plan.households[b.household_id] = plan.households.get(b.household_id, 0) + 1
        return plan

    @staticmethod
    def card_value(household_id: int) -> int:
        """Cents loaded on a household's card: $15 … $55 by household id."""
        return 1500 + (household_id % 5) * 1000

    def spend(self, number: str, wanted_cents: int) -> int:
        """How much of ``wanted_cents`` the card can pay now (its expected balance)."""
        with self._lock:
            return min(self.balance.get(number, 0), wanted_cents)

    def redeemed(self, number: str, cents: int) -> None:
        """A completed sale paid ``cents`` with the card."""
        with self._lock:
            self.balance[number] = self.balance.get(number, 0) - cents
