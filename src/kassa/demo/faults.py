"""Real faults injected while the replay runs (issue 7 §3; DESIGN §3, §5, §6).

Process faults, from the :class:`FaultInjector`'s own thread, each when the replay has done
its share of the baskets (:class:`FaultPlan`), one after the other, each only after the
gift card fault below, which needs HQ, the store server and an online register:

* **store server frozen** — SIGSTOP for ``freeze_s`` seconds: its sockets stay open but
  nothing answers, so every register's next call to it times out after ``timeout_s`` and
  the register switches offline and keeps selling from its offline DB; then SIGCONT.
* **store server killed** — SIGKILL (a crash, nothing shut down), ``down_s`` seconds later
  the same command again on the same port; registers reconnect at the start of a
  transaction once ``reconnect_interval_s`` has passed, and upload what they sold meanwhile.
* **HQ down during posting** — SIGTERM while the P-job runs every second; the store servers
  keep their transactions until HQ is back (``hq_down_s`` later) and pulls them.

Faults inside the replay, through :class:`~kassa.demo.replay.ReplayHooks`:

* **gift card sale switched offline** — for the first gift card basket after ``gift_offline_at``
  of the replay whose card is accepted while no other fault runs: right after its gift card
  tender was added (card locked at HQ) the store server is frozen; completing times out, the
  register concludes the sale offline (commerce parameter *Allow concluding gift card
  transactions in offline mode* = yes); the store server is thawed after the sale. Its
  upload later posts the redemption and unlocks the card.
* **917 Disconnect / Connect** — at one register, before its basket ``917_at`` (share of its
  baskets) the cashier presses Disconnect (offline, manual: no automatic reconnect), sells
  ``manual_baskets`` baskets, then presses Connect (retried before each next basket until
  it succeeds).

Every fault is logged as a :class:`FaultEvent`; :meth:`FaultInjector.stop` always leaves
the processes running and unfrozen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from kassa.demo.dataset import Basket
from kassa.demo.orchestrator import Service
from kassa.demo.outcomes import COMPLETED, BasketResult, GiftPlan
from kassa.demo.replay import ReplayState, Worker
from kassa.domain.errors import KassaError

#: How often the injector looks at the replay's progress, seconds.
_TICK_S: Final = 0.05


@dataclass(frozen=True)
class FaultPlan:
    """When and how long (shares of the baskets done; seconds)."""

    freeze_at: float = 0.1
    freeze_s: float = 3.0
    kill_at: float = 0.25
    down_s: float = 2.0
    gift_offline_at: float = 0.05
    manual_at: float = 0.6
    hq_down_at: float = 0.7
    hq_down_s: float = 3.0
    manual_baskets: int = 5
    manual_register: int = 1


@dataclass
class FaultEvent:
    """One injected fault: ``name``, start and end (seconds since the replay started),
    what happened, and whether it did what the demo meant (``ok``)."""

    name: str
    started_s: float
    ended_s: float | None = None
    detail: str = ""
    ok: bool = False
    during_replay: bool = True

    def line(self) -> str:
        """One line for the progress view and the report."""
        end = "…" if self.ended_s is None else f"{self.ended_s:6.1f}s"
        mark = "ok" if self.ok else ("running" if self.ended_s is None else "NOT OK")
        when = "" if self.during_replay else " (after the replay)"
        return f"{self.started_s:6.1f}s–{end} {self.name}: {self.detail} [{mark}]{when}"


@dataclass
class _Manual:
    register: int
    start: int
    stop: int
    disconnected: bool = False
    connected: bool = False
    event: FaultEvent | None = None


class FaultInjector(threading.Thread):
    """Injects the faults of ``plan`` into a running replay (module docstring).

    Args:
        store: the store server process. hq: the HQ process.
        state: the replay's progress. gift: the gift card plan (its offline basket).
        plan: when and how long. baskets: register number → its basket count.
        ready: waits until a restarted store server / HQ answers its health check.
    """

    def __init__(self, store: Service, hq: Service, state: ReplayState, gift: GiftPlan,
                 plan: FaultPlan | None = None, *,
                 on_event: Callable[[FaultEvent], None] | None = None) -> None:
        super().__init__(name="demo-faults", daemon=True)
        self.store, self.hq, self.state, self.gift = store, hq, state, gift
        self.plan = plan or FaultPlan()
        self.events: list[FaultEvent] = []
        self.lock = threading.Lock()  # one fault touching the store server at a time
        self._halt = threading.Event()
        self._on_event = on_event
        planned = state.planned.get(self.plan.manual_register, 0)
        start = int(planned * self.plan.manual_at)
        self._manual = _Manual(self.plan.manual_register, start,
                               min(planned, start + max(1, self.plan.manual_baskets)))
        self._gift_event: FaultEvent | None = None
        self._gift_basket: int | None = None

    # -- bookkeeping -------------------------------------------------------------------------
    def _now(self) -> float:
        return time.monotonic() - self.state.started_at

    def _begin(self, name: str, detail: str) -> FaultEvent:
        event = FaultEvent(name, self._now(), detail=detail,
                           during_replay=self.state.finished_at is None
                           and self.state.done_total < self.state.total)
        self.events.append(event)
        return event

    def _end(self, event: FaultEvent, ok: bool, detail: str | None = None) -> None:
        event.ended_s, event.ok = self._now(), ok
        if detail is not None:
            event.detail = detail
        if self._on_event is not None:
            self._on_event(event)

    def lines(self) -> list[str]:
        """The fault log, one line per fault."""
        return [e.line() for e in list(self.events)]

    # -- process faults ------------------------------------------------------------------------
    def _wait_for(self, share: float) -> bool:
        while not self._halt.is_set():
            if self.state.fraction >= share or self.state.finished_at is not None:
                return True
            self._halt.wait(_TICK_S)
        return False

    def _gift_done(self) -> bool:
        event = self._gift_event
        return event is not None and event.ended_s is not None

    def run(self) -> None:
        steps = ((self.plan.freeze_at, self._freeze), (self.plan.kill_at, self._kill),
                 (self.plan.hq_down_at, self._hq_down))
        for share, step in steps:
            if not self._wait_for(share):
                return
            # the gift card fault needs HQ, the store server and an online register: it goes
            # first (a short replay is otherwise offline from the first freeze to its end)
            while not (self._gift_done() or self.state.finished_at is not None
                       or self._halt.wait(_TICK_S)):
                pass
            if self._halt.is_set():
                return
            with self.lock:
                step()

    def _freeze(self) -> None:
        event = self._begin("store server frozen (SIGSTOP)", f"for {self.plan.freeze_s:g} s")
        self.store.freeze()
        self._halt.wait(self.plan.freeze_s)
        self.store.thaw()
        self._end(event, True, f"SIGSTOP for {self.plan.freeze_s:g} s, then SIGCONT")

    def _kill(self) -> None:
        event = self._begin("store server killed (SIGKILL)", "restarting…")
        self.store.kill()
        self._halt.wait(self.plan.down_s)
        try:
            self.store.restart()
        except KassaError as exc:
            self._end(event, False, f"restart failed: {exc}")
            return
        self._end(event, True, f"down {self._now() - event.started_s:.1f} s, restarted on the "
                               "same port")

    def _hq_down(self) -> None:
        event = self._begin("HQ down during posting (SIGTERM)", "restarting…")
        self.hq.terminate()
        self._halt.wait(self.plan.hq_down_s)
        try:
            self.hq.restart()
        except KassaError as exc:
            self._end(event, False, f"restart failed: {exc}")
            return
        self._end(event, True, f"down {self._now() - event.started_s:.1f} s, restarted")

    # -- faults inside the replay (ReplayHooks) ----------------------------------------------------
    def before_basket(self, worker: Worker, index: int) -> None:
        """917 Disconnect before the planned basket, Connect after the planned count."""
        m = self._manual
        if worker.number != m.register or m.connected:
            return
        if index == m.start and not m.disconnected:
            answer = worker.api.operation_917("disconnect")
            m.event = self._begin(f"917 Disconnect at register {worker.handle.name}",
                                  "offline (manual)")
            m.disconnected = answer.ok
            if not answer.ok:
                self._end(m.event, False, f"Disconnect refused: {answer.code}")
                m.connected = True
        elif m.disconnected and index >= m.stop:
            self._connect(worker)

    def _connect(self, worker: Worker) -> None:
        m = self._manual
        answer = worker.api.operation_917("connect")
        if answer.ok and m.event is not None:
            m.connected = True
            sold = m.stop - m.start
            self._end(m.event, True, f"Disconnect, {sold} basket(s) sold offline (manual), "
                                     "Connect → online")

    def gift_card_added(self, worker: Worker, basket: Basket) -> None:
        """Freeze the store server right after a gift card tender was added (once, from
        ``gift_offline_at`` on, when no other fault is running)."""
        if (self._gift_event is not None or self._gift_basket is not None
                or self.state.fraction < self.plan.gift_offline_at
                or not self.lock.acquire(blocking=False)):
            return
        self._gift_basket = basket.basket_id
        self._gift_event = self._begin(
            f"gift card sale switched offline at register {worker.handle.name}",
            "store server frozen after the card was added")
        self.store.freeze()

    def line_rung(self, worker: Worker, basket: Basket, index: int) -> None:
        """Nothing (the demo's faults act between baskets)."""

    def before_complete(self, worker: Worker, basket: Basket) -> None:
        """Nothing (the demo's faults act between baskets)."""

    def basket_done(self, worker: Worker, basket: Basket, result: BasketResult) -> None:
        """Thaw after the planned gift card sale; record where it was committed."""
        event = self._gift_event
        if event is None or basket.basket_id != self._gift_basket or event.ended_s:
            return
        self.store.thaw()
        self.lock.release()
        ok = result.status == COMPLETED and result.committed_to == "offline"
        self._end(event, ok, f"receipt {result.receipt_number}: {result.status}, committed to "
                             f"{result.committed_to} with gift card {result.gift_cents} cents"
                  + (f" ({result.error})" if result.error else ""))

    def finish(self, workers: list[Worker]) -> None:
        """After the replay: press Connect where Disconnect is still in force; wait for the
        process faults to finish."""
        m = self._manual
        for worker in workers:
            if worker.number == m.register and m.disconnected and not m.connected:
                deadline = time.monotonic() + 30
                while not m.connected and time.monotonic() < deadline:
                    self._connect(worker)
                    if not m.connected:
                        time.sleep(0.5)
        self.join()

    def stop(self) -> None:
        """Stop injecting; leave every process running and unfrozen."""
        self._halt.set()
        if self.is_alive():
            self.join(60)
        for service in (self.store, self.hq):
            if service.frozen:
                service.thaw()


@dataclass
class FaultSummary:
    """Faults for the report: the events, and whether each planned one happened."""

    events: list[FaultEvent] = field(default_factory=list)
    planned: tuple[str, ...] = ("store server frozen", "store server killed", "HQ down",
                                "gift card sale switched offline", "917 Disconnect")

    def missing(self) -> list[str]:
        """Planned faults that did not happen or did not do what was meant."""
        done = [e.name for e in self.events if e.ok]
        return [p for p in self.planned if not any(d.startswith(p) for d in done)]
