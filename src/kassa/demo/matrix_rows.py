"""The rows of the fault matrix that hit the network, the store server and HQ (issue 8 §1).

Each row is a :class:`FaultRow`: the replay's hooks while its baskets are sold, plus
:meth:`FaultRow.begin` / :meth:`FaultRow.end` around the replay and :meth:`FaultRow.check`
after the world settled. A row counts its **injections** (the fault really happened) and
says what it **did** (``effect``, ``effect_ok``); ``target`` is how many injections it aims
at (more at a larger size). Register and disk rows: :mod:`kassa.demo.matrix_register_rows`.

* store server **refused / blackholed / slow beyond the timeout** (:class:`NetworkRow`) —
  the :class:`~kassa.demo.fault_proxy.FaultProxy` between registers and store server is
  switched to REFUSE / BLACKHOLE / SLOW (answers 1.5 s late, ``timeout_s`` is 1 s) for
  :data:`PHASE_S` seconds, then passes for as long, again and again; effect: baskets
  committed offline.
* **answer lost after commit** (:class:`AnswerLostRow`) — right before an online register
  completes, the proxy is set to CUT: the commit reaches the store server, which commits it,
  and the answer is reset half way; the register concludes the sale offline and uploads it
  later (the store server ignores the duplicate).
* store server **killed -9 during an upload batch** (:class:`StoreKilledRow`) — the store
  server runs with failpoint ``store.upload.after_insert``: the batch is inserted, the
  process dies before COMMIT; registers press Disconnect / Connect every few baskets so
  that they upload; the row restarts the store server (armed again until ``target``).
* **HQ down during posting** (:class:`HQPostingRow`) — HQ runs with failpoint
  ``hq.posting.before_commit``: it dies inside the P-job's transaction; restarted (armed
  again until ``target``), posting resumes from its cursor.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from kassa.demo.dataset import Basket
from kassa.demo.fault_proxy import FaultProxy, Mode
from kassa.demo.outcomes import COMPLETED, BasketResult
from kassa.demo.replay import Worker
from kassa.domain.errors import KassaError
from kassa.failpoints import ENV_VAR, spec

if TYPE_CHECKING:
    from kassa.demo.matrix import MatrixWorld, RegisterSlot
    from kassa.demo.orchestrator import Service

#: Seconds a network fault lasts, and then passes, per phase.
PHASE_S: Final = 2.0
#: Longest wait at the end of a row for a fault that needs the row's traffic, seconds.
EFFECT_WAIT_S: Final = 30.0


def armed(point: str) -> dict[str, str]:
    """The environment arming failpoint ``point`` for its first hit."""
    return {ENV_VAR: spec({point: 1})}


class FaultRow:
    """One row of the matrix (module docstring). Subclasses set ``fault``, ``how`` and
    override what they need; every hook does nothing by default."""

    fault = ""
    how = ""
    gift_percent = 3.0
    gift_minimum = 1
    registers: tuple[int, ...] = (1, 2)

    def __init__(self, target: int = 1) -> None:
        self.target = max(1, target)
        self.injections = 0
        self.effect = ""
        self.effect_ok = False
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.thread: threading.Thread | None = None

    # -- around the replay ---------------------------------------------------------------------
    def begin(self, world: MatrixWorld) -> None:
        """Arm the fault before the first basket."""

    def end(self, world: MatrixWorld) -> None:
        """Stop injecting (the world settles everything afterwards)."""
        self.halt.set()
        if self.thread is not None:
            self.thread.join(120)

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        """After settling: say what the fault did (``effect``, ``effect_ok``)."""
        self.effect_ok = self.injections >= 1

    def revived(self, world: MatrixWorld, slot: RegisterSlot, worker: Worker | None) -> None:
        """A dead register of ``slot`` was restarted and signed in again."""

    def background(self, step: Callable[[], None]) -> None:
        """Run ``step`` every 0.1 s in a thread until :meth:`end`."""
        def loop() -> None:
            while not self.halt.wait(0.1):
                step()
        self.thread = threading.Thread(target=loop, name=f"matrix-{self.fault}", daemon=True)
        self.thread.start()

    # -- the replay's hooks (kassa.demo.replay.ReplayHooks) ---------------------------------------
    def before_basket(self, worker: Worker, index: int) -> None:
        """Before the ``index``-th basket of ``worker``."""

    def gift_card_added(self, worker: Worker, basket: Basket) -> None:
        """A gift card tender was added."""

    def line_rung(self, worker: Worker, basket: Basket, index: int) -> None:
        """A line has its outcome."""

    def before_complete(self, worker: Worker, basket: Basket) -> None:
        """The basket is paid."""

    def basket_done(self, worker: Worker, basket: Basket, result: BasketResult) -> None:
        """The basket ended."""


def offline_count(results: list[BasketResult]) -> int:
    """Completed baskets the registers committed offline."""
    return sum(1 for r in results if r.status == COMPLETED and r.committed_to == "offline")


class NetworkRow(FaultRow):
    """REFUSE / BLACKHOLE / SLOW phases at the proxy (module docstring)."""

    def __init__(self, mode: Mode, target: int = 1) -> None:
        super().__init__(target)
        self.mode = mode
        names = {Mode.REFUSE: "refused", Mode.BLACKHOLE: "blackholed",
                 Mode.SLOW: "slow beyond the timeout"}
        self.fault = f"store server {names[mode]}"
        self.how = (f"proxy {mode.value} {PHASE_S:g} s / pass {PHASE_S:g} s, repeated"
                    + (" (answers 1.5 s late, timeout_s 1 s)" if mode is Mode.SLOW else ""))

    def begin(self, world: MatrixWorld) -> None:
        proxy = world.proxy
        assert proxy is not None
        state = {"on": False, "since": 0.0}

        def step() -> None:
            now = time.monotonic()
            if now - state["since"] < PHASE_S:
                return
            if state["on"]:
                proxy.pass_through()
            else:
                proxy.set_mode(self.mode, delay_s=1.5 if self.mode is Mode.SLOW else 0.0)
                self.injections += 1
            state["on"], state["since"] = not state["on"], now

        step()
        self.background(step)

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        n = offline_count(results)
        self.effect = f"{n} sales committed offline, uploaded later"
        self.effect_ok = self.injections >= 1 and n >= 1


class AnswerLostRow(FaultRow):
    """CUT at the proxy around an online commit (module docstring)."""

    fault = "answer lost after commit"
    how = "proxy resets the commit's answer half way (the store server committed)"

    def __init__(self, target: int = 1) -> None:
        super().__init__(target)
        self.cutting: Worker | None = None
        self.tries = 0
        self.proxy: FaultProxy | None = None

    def before_complete(self, worker: Worker, basket: Basket) -> None:
        status = worker.api.status()
        online = status.ok and status.body.get("header", {}).get("mode") == "online"
        with self.lock:
            if self.cutting is not None or not online:
                return
            self.cutting = worker
            self.tries += 1
        if self.proxy is not None:
            self.proxy.cut()

    def basket_done(self, worker: Worker, basket: Basket, result: BasketResult) -> None:
        with self.lock:
            if self.cutting is not worker:
                return
            self.cutting = None
        if self.proxy is not None:
            self.proxy.pass_through()
        if result.status == COMPLETED and result.committed_to == "offline":
            self.injections += 1

    def begin(self, world: MatrixWorld) -> None:
        assert world.proxy is not None
        self.proxy = world.proxy

    def end(self, world: MatrixWorld) -> None:
        super().end(world)
        if self.proxy is not None:
            self.proxy.pass_through()

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        self.effect = (f"{self.injections} of {self.tries} cut commits concluded offline, "
                       "re-uploaded, kept once")
        self.effect_ok = self.injections >= 1


class _ProcessRow(FaultRow):
    """A row that keeps one process armed with a failpoint and restarts it when it dies."""

    point = ""

    def service(self, world: MatrixWorld) -> Service:
        """The process the row arms."""
        raise NotImplementedError

    def begin(self, world: MatrixWorld) -> None:
        from kassa.demo.matrix import death_cause

        service = self.service(world)
        service.kill()
        service.env = armed(self.point)
        service.restart()
        self.causes: list[str] = []

        def step() -> None:
            if service.alive:
                return
            service.kill()  # reap
            cause = death_cause(service)
            self.causes.append(cause)
            self.injections += cause == self.point
            service.env = armed(self.point) if self.injections < self.target else {}
            with contextlib.suppress(KassaError):  # died again while starting: next step
                service.restart()

        self.background(step)

    def end(self, world: MatrixWorld) -> None:
        deadline = time.monotonic() + EFFECT_WAIT_S
        while self.injections < 1 and time.monotonic() < deadline:
            self.nudge(world)
            time.sleep(0.5)
        super().end(world)

    def nudge(self, world: MatrixWorld) -> None:
        """Make the armed point be passed after the replay (default nothing)."""


class StoreKilledRow(_ProcessRow):
    """Store server killed -9 inside an upload batch (module docstring)."""

    fault = "store server killed -9 during an upload batch"
    how = "failpoint store.upload.after_insert (before COMMIT); registers Disconnect/Connect"
    point = "store.upload.after_insert"

    def service(self, world: MatrixWorld) -> Service:
        assert world.store is not None
        return world.store

    def before_basket(self, worker: Worker, index: int) -> None:
        if index % 4 == 0:
            worker.api.operation_917("disconnect")
        elif index % 4 == 2:
            worker.api.operation_917("connect")

    def nudge(self, world: MatrixWorld) -> None:
        for slot in world.slots.values():
            world.connect(slot)

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        self.effect = (f"store server died {self.injections}× mid-batch, restarted; "
                       f"{offline_count(results)} offline sales uploaded once")
        self.effect_ok = self.injections >= 1


class HQPostingRow(_ProcessRow):
    """HQ killed -9 inside the P-job's transaction (module docstring)."""

    fault = "HQ down during posting"
    how = "failpoint hq.posting.before_commit (HQ dies inside the posting transaction)"
    point = "hq.posting.before_commit"

    def service(self, world: MatrixWorld) -> Service:
        assert world.hq is not None
        return world.hq

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        self.effect = f"HQ died {self.injections}× mid-posting, restarted, posting resumed"
        self.effect_ok = self.injections >= 1
