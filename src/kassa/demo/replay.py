"""Replay of real baskets through the registers' own HTTP APIs, as the cashier UI does it.

One worker thread per register (:class:`Worker`), each with its own keep-alive client
(:class:`~kassa.demo.register_api.RegisterApi`), sells its baskets in time order
(:func:`kassa.demo.dataset.split_by_register`) — no sleeps in the hot path, one call per
action:

1. ``POST /api/transactions`` with the household as loyalty customer;
2. per line: ``POST /api/cart/lines`` by barcode with the quantity; when the shelf price or
   the discounts differ, one ``PATCH /api/cart/lines/{id}`` with the price override and the
   line discount of :func:`kassa.demo.dataset.plan_line`; a refused override is undone by
   voiding the line. A line that is no sale in the data (:func:`~kassa.demo.outcomes.
   data_reason`) is not scanned;
3. a gift card basket first tenders the household's card (as much as its balance and the
   amount due allow; a refusal is counted and the rest is paid otherwise), then cash
   (rounded up to the next dollar: change is given) or card for what is due;
4. ``POST /api/cart/complete``; a basket without an accepted line is voided instead.

An answer 503 (the register could neither reach the store server nor switch) is retried for
:data:`RETRY_S` seconds, after which the basket *fails* (any 5xx does; a failed basket
never reconciles); anything else the register refuses is counted with its code. No
basket is ever dropped: each ends as a :class:`~kassa.demo.outcomes.BasketResult`, a
worker never dies of an error. :class:`ReplayHooks` lets the fault injector act between
baskets, after each rung line, before completing and around a gift card sale
(:mod:`kassa.demo.faults`, :mod:`kassa.demo.matrix`).

A register process that stops answering fails the basket — unless the worker has a
:class:`~kassa.demo.resume.Recovery` (the fault matrix): then the register is brought back
and the basket goes on from where the register's recovered cart is, or ends as the record
the register finished (:func:`kassa.demo.resume.resume`), never rung twice.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

from kassa.demo.dataset import Basket, plan_line, share_hit, split_by_register
from kassa.demo.outcomes import (
    COMPLETED,
    FAILED,
    NO_SELLABLE_LINE,
    VOIDED,
    BasketResult,
    GiftPlan,
    data_reason,
)
from kassa.demo.provisioning import RegisterHandle
from kassa.demo.register_api import Answer, RegisterApi, RegisterUnreachable, reason_for
from kassa.demo.resume import MAX_RESUMES, BasketProgress, Recovery, resume
from kassa.domain.barcode import upc_a_from_id
from kassa.domain.errors import InvalidInput

#: How long a 503 answer is retried, seconds.
RETRY_S: Final = 30.0
#: Share of the non-gift-card baskets paid in cash (the rest by card), percent.
CASH_PERCENT: Final = 45.0


class BasketFailed(Exception):
    """The register could not go on with a basket (an answer 5xx after the retries)."""


class ReplayHooks(Protocol):
    """Where the fault injector acts inside the replay (all called from worker threads)."""

    def before_basket(self, worker: Worker, index: int) -> None:
        """Before the ``index``-th basket (0-based) of ``worker``."""

    def gift_card_added(self, worker: Worker, basket: Basket) -> None:
        """A gift card tender was just added to ``basket``."""

    def line_rung(self, worker: Worker, basket: Basket, index: int) -> None:
        """Line ``index`` (0-based) of ``basket`` has its outcome."""

    def before_complete(self, worker: Worker, basket: Basket) -> None:
        """``basket`` is paid; completing comes next."""

    def basket_done(self, worker: Worker, basket: Basket, result: BasketResult) -> None:
        """``basket`` ended with ``result``."""


class ReplayState:
    """Shared progress: baskets per register, done per register, start and end times."""

    def __init__(self, plan: dict[int, list[Basket]]) -> None:
        self.total = sum(len(v) for v in plan.values())
        self.planned = {n: len(v) for n, v in plan.items()}
        self.done = dict.fromkeys(plan, 0)
        self.stopping = threading.Event()
        self.started_at = time.monotonic()
        self.finished_at: float | None = None

    @property
    def done_total(self) -> int:
        """Baskets finished so far (any outcome)."""
        return sum(self.done.values())

    @property
    def fraction(self) -> float:
        """Share of the baskets done, 0 … 1."""
        return self.done_total / self.total if self.total else 1.0

    @property
    def elapsed_s(self) -> float:
        """Seconds since the replay started (until it finished)."""
        return (self.finished_at or time.monotonic()) - self.started_at


def _cash_amount(due: int) -> int:
    return -(-due // 100) * 100


class Worker(threading.Thread):
    """Sells one register's baskets (module docstring)."""

    def __init__(self, handle: RegisterHandle, baskets: list[Basket], gift: GiftPlan,
                 state: ReplayState, hooks: ReplayHooks | None) -> None:
        super().__init__(name=f"replay-{handle.name}", daemon=True)
        self.handle = handle
        self.number = handle.number
        self.api = RegisterApi(handle)
        self.baskets = baskets
        self.gift = gift
        self.state = state
        self.hooks = hooks
        self.recovery: Recovery | None = None
        self.results: list[BasketResult] = []

    def run(self) -> None:
        """Sell every basket; each ends with a result, whatever happens."""
        for index, basket in enumerate(self.baskets):
            if self.state.stopping.is_set():
                break
            result = BasketResult(basket, self.number)
            try:
                if self.hooks is not None:
                    self._before_basket(index)
                self.sell(basket, result)
            except (RegisterUnreachable, BasketFailed) as exc:
                result.status, result.error = FAILED, str(exc)
                with contextlib.suppress(RegisterUnreachable):
                    self.abandon()
            except Exception as exc:  # counted, never a crash
                result.status, result.error = FAILED, f"{type(exc).__name__}: {exc}"
            self.results.append(result)
            self.state.done[self.number] += 1
            if self.hooks is not None:
                self.hooks.basket_done(self, basket, result)

    def _before_basket(self, index: int) -> None:
        """The hook before a basket; a register that dies meanwhile (e.g. its uploader hit
        a failpoint during a 917 Connect the hook sent) is brought back first, with a
        :attr:`recovery` — nothing of the basket was rung yet."""
        assert self.hooks is not None
        try:
            self.hooks.before_basket(self, index)
        except RegisterUnreachable:
            if self.recovery is None:
                raise
            self.recovery.revive(self)

    # -- one basket -----------------------------------------------------------------------------
    def _retry(self, call: Callable[[], Answer]) -> Answer:
        deadline = time.monotonic() + RETRY_S
        answer = call()
        while answer.status == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            answer = call()
        return answer

    def _start(self, customer_id: int) -> Answer:
        answer = self._retry(lambda: self.api.start(customer_id))
        if answer.code == "cart.open":  # a cart left by an earlier failure: clear it first
            self.abandon()
            answer = self._retry(lambda: self.api.start(customer_id))
        if answer.code == "customer.not_found":
            answer = self._retry(lambda: self.api.start(None))
        return answer

    def abandon(self) -> None:
        """Void the open cart (its tenders first), if there is one."""
        cart = self.api.cart().cart
        for tender in cart.get("tenders") or []:
            if not tender.get("voided"):
                self.api.void_tender(str(tender["id"]))
        if cart:
            self.api.void()

    def sell(self, basket: Basket, result: BasketResult) -> None:
        """Sell ``basket`` and fill ``result`` (module docstring); with a :attr:`recovery`,
        a register that dies is brought back and the basket resumed."""
        progress = BasketProgress()
        while True:
            try:
                self._sell(basket, result, progress)
                return
            except RegisterUnreachable:
                if self.recovery is None or progress.resumes >= MAX_RESUMES:
                    raise
            while True:  # the register died: bring it back, then look where it is
                progress.resumes += 1
                self.recovery.revive(self)
                try:
                    if resume(self, basket, result, progress):
                        return
                    break
                except RegisterUnreachable:
                    if progress.resumes >= MAX_RESUMES:
                        raise

    def _sell(self, basket: Basket, result: BasketResult, progress: BasketProgress) -> None:
        if result.transaction_id is None:
            started = self._start(basket.household_id)
            if not started.ok:
                result.error = f"start refused: {started.code}: {started.message}"
                return
            progress.cart = started.cart
            result.transaction_id = progress.cart.get("id")
            result.receipt_number = progress.cart.get("receipt_number")
        for index in range(progress.next_line, len(basket.lines)):
            progress.cart = self._line(basket.lines[index], result, progress) or progress.cart
            progress.next_line = index + 1
            if self.hooks is not None:
                self.hooks.line_rung(self, basket, index)
        if not result.accepted:
            voided = self._retry(self.api.void)
            result.status = VOIDED if voided.ok else FAILED
            result.error = NO_SELLABLE_LINE if voided.ok else f"void refused: {voided.code}"
            return
        if not progress.paid:
            due = int(progress.cart["totals"]["amount_due_cents"])
            due = self._gift_card(basket, result, due)
            if due > 0:
                cash = share_hit(basket.basket_id, "cash", CASH_PERCENT)
                paid = self.api.tender("cash" if cash else "card",
                                       _cash_amount(due) if cash else due)
                if not paid.ok:
                    self._fail(result, f"tender refused: {paid.code}: {paid.message}")
                    return
            progress.paid = True
        if self.hooks is not None:
            self.hooks.before_complete(self, basket)
        done = self._retry(self.api.complete)
        if not done.ok:
            self._fail(result, f"complete refused: {done.code}: {done.message}")
            return
        txn = done.body.get("transaction") or {}
        result.status, result.committed_to = COMPLETED, str(done.body.get("committed_to"))
        result.total_cents = int((txn.get("totals") or {}).get("total_cents", 0))
        if result.gift_card and result.gift_cents:
            self.gift.redeemed(result.gift_card, result.gift_cents)

    def _line(self, line: Any, result: BasketResult,
              progress: BasketProgress) -> dict[str, Any] | None:
        """Scan one line (and key in its plan); return the cart when it changed."""
        if line.quantity > 0:
            reason = data_reason(line)
            if reason is not None:
                result.rejected.append(reason)
                return None
        try:
            barcode = upc_a_from_id(line.product_id)
        except InvalidInput:
            result.rejected.append(reason_for("barcode.invalid"))
            return None
        scanned = self._retry(lambda: self.api.scan(barcode, line.quantity))
        if scanned.status >= 500:  # the register could not work: the basket fails
            raise BasketFailed(f"scan refused: {scanned.code}: {scanned.message}")
        if not scanned.ok:
            reason = reason_for(scanned.code)
            if scanned.code == "quantity.not_positive" and line.quantity < 0:
                reason = "negative quantity"
            result.rejected.append(reason)
            return None
        record = scanned.body["line"]
        cart = scanned.cart
        if line.quantity <= 0:  # never expected: the register refuses such a quantity
            self._retry(lambda: self.api.void_line(str(record["id"])))
            result.rejected.append("zero quantity")
            return None
        plan = plan_line(line, int(record["unit_price_cents"]))
        if plan.changes:
            changed = self._retry(lambda: self.api.change_line(str(record["id"]), plan.changes))
            if changed.status >= 500:
                raise BasketFailed(f"line change refused: {changed.code}: {changed.message}")
            if not changed.ok:
                undone = self._retry(lambda: self.api.void_line(str(record["id"])))
                result.rejected.append(reason_for(changed.code))
                return undone.cart if undone.ok else None
            record, cart = changed.body["line"], changed.cart
        if int(record["net_cents"]) != line.sales_cents:  # never expected (plan_line's rule)
            undone = self._retry(lambda: self.api.void_line(str(record["id"])))
            result.rejected.append("net differs from sales value")
            return undone.cart if undone.ok else None
        result.accepted.append((line.product_id, line.quantity, line.sales_cents))
        progress.line_ids.append(str(record["id"]))
        result.adjusted += plan.adjusted
        result.overrides += plan.price_cents is not None
        return cart

    def _gift_card(self, basket: Basket, result: BasketResult, due: int) -> int:
        """Tender the household's gift card if this is a gift card basket → what is due."""
        number = self.gift.cards.get(basket.household_id)
        if basket.basket_id not in self.gift.baskets or number is None:
            return due
        amount = self.gift.spend(number, due)
        if amount <= 0:
            result.gift_refused = "balance used up"
            return due
        added = self.api.tender("gift_card", amount, number)
        if not added.ok:
            result.gift_refused = added.code
            return due
        result.gift_card, result.gift_cents = number, amount
        if self.hooks is not None:
            self.hooks.gift_card_added(self, basket)
        return int(added.cart["totals"]["amount_due_cents"])

    def _fail(self, result: BasketResult, error: str) -> None:
        result.status, result.error = FAILED, error
        with contextlib.suppress(RegisterUnreachable):
            self.abandon()


class Replay:
    """The replay of ``baskets`` over ``registers`` (module docstring).

    Args:
        registers: the running, signed-in registers (one worker each).
        baskets: the store's baskets in time order.
        gift: gift card baskets and cards (cards issued beforehand).
        hooks: the fault injector, or ``None``.
    """

    def __init__(self, registers: list[RegisterHandle], baskets: list[Basket], gift: GiftPlan,
                 hooks: ReplayHooks | None = None) -> None:
        tills = split_by_register(baskets, len(registers))
        plan = {registers[i - 1].number: part for i, part in tills.items()}
        self.state = ReplayState(plan)
        by_number = {r.number: r for r in registers}
        self.workers = [Worker(by_number[n], plan[n], gift, self.state, hooks) for n in plan]

    def run(self) -> list[BasketResult]:
        """Run every worker to the end → results in basket time order. A KeyboardInterrupt
        stops the workers after their current basket and is raised again."""
        self.state.started_at = time.monotonic()
        for worker in self.workers:
            worker.start()
        try:
            while any(w.is_alive() for w in self.workers):
                for worker in self.workers:
                    worker.join(0.2)
        except BaseException:
            self.state.stopping.set()
            for worker in self.workers:
                worker.join(RETRY_S * 2)
            raise
        finally:
            self.state.finished_at = time.monotonic()
        results = [r for w in self.workers for r in w.results]
        results.sort(key=lambda r: (r.basket.at, r.basket.basket_id))
        return results

    def close(self) -> None:
        """Close the workers' connection pools (after :meth:`run` and the faults)."""
        for worker in self.workers:
            worker.api.close()

    def slowest_calls(self) -> dict[int, tuple[float, int, int]]:
        """Register → (slowest call in seconds, calls over one second, calls)."""
        return {w.number: (w.api.slowest_s, w.api.slow_calls, w.api.calls)
                for w in self.workers}
