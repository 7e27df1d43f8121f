"""The rows of the fault matrix that kill a register, take HQ away during a gift card call
or fill the offline DB's disk (issue 8 §1; base class :class:`~kassa.demo.matrix_rows.
FaultRow`). The victim is register 1 (register 2 sells on beside it), except for the disk.

* register **killed -9 mid-sale** — after a rung line of every third basket (with lines
  left) the harness SIGKILLs the register; the replay's cashier waits for the restart, signs
  in and goes on with the recovered cart (effect: the register reports ``recovered: open
  cart``).
* register **killed -9 mid-commit** — the register is restarted armed with one of the commit
  failpoints in turn (``pos.commit.after_store_answer`` online; ``pos.commit.after_offline_
  insert`` — before the SQLite COMMIT — and ``pos.commit.after_offline_commit`` after
  Disconnect); completing kills it; the cashier finds the open cart (completes again) or the
  finished record (moves on).
* register **killed -9 mid-package-apply** — restarted armed with ``sync.apply.before_
  commit``; a commerce parameter changed at HQ and the schedule run make one delta package;
  the register dies inside its apply transaction; restarted, it applies it once (effect: its
  checkpoint reaches the store server's).
* register **killed -9 mid-upload** — armed with ``pos.upload.after_send``, Disconnect, two
  baskets, Connect: the batch is acknowledged and the register dies before marking it.
* **HQ down during a gift card call** — HQ is frozen (SIGSTOP) just before a gift card lock
  (the tender) or redeem (completing) and killed (SIGKILL) 0.6 s later while the call is in
  flight, then restarted; the register answers a clear refusal or completes; afterwards no
  card is locked and balances reconcile.
* **disk full on the offline DB** — register 3 (data directory on a small tmpfs,
  :mod:`kassa.demo.disk`), offline (Disconnect): before completing every third basket the
  disk is filled; completing must be refused with a clear error and the cart kept; the
  space is freed and the same sale completes once.
"""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING, Final

from kassa.demo.dataset import Basket
from kassa.demo.matrix_rows import EFFECT_WAIT_S, FaultRow, armed
from kassa.demo.outcomes import COMPLETED, BasketResult
from kassa.demo.replay import Worker

if TYPE_CHECKING:
    from kassa.demo.matrix import MatrixWorld, RegisterSlot

#: The register the register rows kill.
VICTIM: Final = 1
COMMIT_POINTS: Final = ("pos.commit.after_store_answer", "pos.commit.after_offline_insert",
                        "pos.commit.after_offline_commit")


class _VictimRow(FaultRow):
    """Arms register 1 between baskets with a failpoint; counts deaths at that point."""

    def __init__(self, target: int = 1) -> None:
        super().__init__(target)
        self.world: MatrixWorld | None = None
        self.armed_point: str | None = None
        self.started = 0
        self.causes: list[str] = []

    def begin(self, world: MatrixWorld) -> None:
        self.world = world

    def arm(self, worker: Worker | None, point: str) -> None:
        """Restart the victim armed with ``point`` (signed in again)."""
        assert self.world is not None
        self.world.restart_register(self.world.slots[VICTIM], armed(point), worker)
        self.armed_point, self.started = point, self.started + 1

    def revived(self, world: MatrixWorld, slot: RegisterSlot, worker: Worker | None) -> None:
        if slot.number != VICTIM or not slot.deaths:
            return
        cause = slot.deaths[-1]
        self.causes.append(cause)
        if cause == self.armed_point:
            self.injections += 1
            self.armed_point = None

    def end(self, world: MatrixWorld) -> None:
        """Wait for an armed point still to be hit (after the replay), then revive."""
        slot = world.slots[VICTIM]
        deadline = time.monotonic() + EFFECT_WAIT_S
        while self.armed_point is not None and time.monotonic() < deadline:
            self.nudge(world)
            if not slot.service.alive:
                world.bring_back(slot)
            time.sleep(0.3)
        super().end(world)

    def nudge(self, world: MatrixWorld) -> None:
        """Make the armed point be passed after the replay (default nothing)."""


class MidSaleRow(_VictimRow):
    fault = "register killed -9 mid-sale"
    how = "SIGKILL after a rung line (every 3rd basket); cart recovered, sale resumed"

    def __init__(self, target: int = 1) -> None:
        super().__init__(target)
        self.index = 0
        self.recovered = 0

    def before_basket(self, worker: Worker, index: int) -> None:
        if worker.number == VICTIM:
            self.index = index

    def line_rung(self, worker: Worker, basket: Basket, index: int) -> None:
        if (worker.number == VICTIM and self.index % 3 == 1 and len(basket.lines) >= 2
                and index == len(basket.lines) // 2 - 1 and self.world is not None):
            self.world.slots[VICTIM].service.kill()
            self.armed_point = "SIGKILL"
            self.started += 1

    def revived(self, world: MatrixWorld, slot: RegisterSlot, worker: Worker | None) -> None:
        super().revived(world, slot, worker)
        status = worker.api.status() if worker is not None else None
        if status is not None and status.ok and \
                (status.body.get("cart") or {}).get("recovered") == "open cart":
            self.recovered += 1

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        self.effect = f"{self.injections} kills, {self.recovered} open carts recovered"
        self.effect_ok = self.injections >= 1 and self.recovered >= 1


class MidCommitRow(_VictimRow):
    fault = "register killed -9 mid-commit"
    how = "failpoints " + ", ".join(p.removeprefix("pos.commit.") for p in COMMIT_POINTS)

    def before_basket(self, worker: Worker, index: int) -> None:
        if worker.number != VICTIM or self.armed_point is not None or index % 2 == 0:
            return
        point = COMMIT_POINTS[self.started % len(COMMIT_POINTS)]
        if self.started >= max(self.target, len(COMMIT_POINTS)):
            return
        self.arm(worker, point)
        if "offline" in point:
            worker.api.operation_917("disconnect")

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        hit = sorted({c.removeprefix("pos.commit.") for c in self.causes if c in COMMIT_POINTS})
        self.effect = f"{self.injections} deaths at {', '.join(hit) or 'no commit point'}"
        self.effect_ok = self.injections >= 1


class MidApplyRow(_VictimRow):
    fault = "register killed -9 mid-package-apply"
    how = "failpoint sync.apply.before_commit; a delta package made at HQ"
    point = "sync.apply.before_commit"

    def __init__(self, target: int = 1) -> None:
        super().__init__(target)
        self.packages = 0

    def begin(self, world: MatrixWorld) -> None:
        super().begin(world)
        self.arm(None, self.point)
        self.package(world)

    def package(self, world: MatrixWorld) -> None:
        """One delta package for the store's data group (a changed commerce parameter)."""
        from kassa.hq.web.settings import save_parameters

        assert world.hq_engine is not None and world.admin is not None
        self.packages += 1
        save_parameters(world.hq_engine, {"fault_matrix_marker": json.dumps(
            f"{time.time_ns()}")})
        world.admin.run_schedule([world.data_group])

    def before_basket(self, worker: Worker, index: int) -> None:
        if (worker.number == VICTIM and self.armed_point is None and self.world is not None
                and self.started < self.target and index % 5 == 4):
            self.arm(worker, self.point)
            self.package(self.world)

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        store, register = world.checkpoints(world.slots[VICTIM])
        self.effect = (f"{self.injections} deaths inside the apply of {self.packages} "
                       f"package(s); checkpoint {register} = store server {store}")
        self.effect_ok = self.injections >= 1 and store == register


class MidUploadRow(_VictimRow):
    fault = "register killed -9 mid-upload"
    how = "failpoint pos.upload.after_send (acknowledged, not yet marked); Disconnect/Connect"
    point = "pos.upload.after_send"

    def __init__(self, target: int = 1) -> None:
        super().__init__(target)
        self.armed_at = 0

    def before_basket(self, worker: Worker, index: int) -> None:
        if worker.number != VICTIM:
            return
        if self.armed_point is None and self.started < self.target:
            self.arm(worker, self.point)
            worker.api.operation_917("disconnect")
            self.armed_at = index
        elif self.armed_point is not None and index == self.armed_at + 2:
            worker.api.operation_917("connect")

    def nudge(self, world: MatrixWorld) -> None:
        world.connect(world.slots[VICTIM])

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        self.effect = f"{self.injections} deaths after the store server acknowledged a batch"
        self.effect_ok = self.injections >= 1


class HQGiftCardRow(FaultRow):
    fault = "HQ down during a gift card call"
    how = "HQ SIGSTOP before a card lock / redeem, SIGKILL 0.6 s into the call, restart"
    gift_percent = 40.0
    gift_minimum = 4

    def __init__(self, target: int = 2) -> None:
        super().__init__(max(2, target))
        self.world: MatrixWorld | None = None
        self.kills = {"lock": 0, "redeem": 0}
        self.outage: threading.Thread | None = None

    def begin(self, world: MatrixWorld) -> None:
        self.world = world

    def _down(self, kind: str) -> None:
        """Freeze HQ now; kill it 0.6 s later (the call is in flight), then restart it."""
        assert self.world is not None and self.world.hq is not None
        hq = self.world.hq
        with self.lock:
            if self.outage is not None and self.outage.is_alive():
                return
            hq.freeze()

            def outage() -> None:
                time.sleep(0.6)
                hq.kill()
                self.kills[kind] += 1
                self.injections += 1
                hq.restart()

            # started before it is published: a worker may join it at once (before_basket)
            thread = threading.Thread(target=outage, name="matrix-hq-outage", daemon=True)
            thread.start()
            self.outage = thread

    def _online(self, worker: Worker) -> bool:
        status = worker.api.status()
        return status.ok and status.body.get("header", {}).get("mode") == "online"

    def before_basket(self, worker: Worker, index: int) -> None:
        """Wait for HQ to be back from the last outage (so the next card call can work)."""
        outage = self.outage
        if outage is not None:
            outage.join(120)

    def line_rung(self, worker: Worker, basket: Basket, index: int) -> None:
        number = worker.gift.cards.get(basket.household_id)
        if (index == len(basket.lines) - 1 and basket.basket_id in worker.gift.baskets
                and number is not None and worker.gift.spend(number, 1) > 0
                and self.kills["lock"] <= self.kills["redeem"] and self._online(worker)):
            self._down("lock")

    def before_complete(self, worker: Worker, basket: Basket) -> None:
        if basket.basket_id not in worker.gift.baskets or self.kills["redeem"] >= \
                self.kills["lock"] or not self._online(worker):
            return
        cart = worker.api.cart().cart
        if any(t.get("type") == "gift_card" and not t.get("voided")
               for t in cart.get("tenders") or []):
            self._down("redeem")

    def end(self, world: MatrixWorld) -> None:
        if self.outage is not None:
            self.outage.join(120)
        super().end(world)

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        paid = sum(1 for r in results if r.status == COMPLETED and r.gift_cents)
        refused = sum(1 for r in results if r.gift_refused)
        self.effect = (f"HQ killed {self.kills['lock']}× during a lock, "
                       f"{self.kills['redeem']}× during a redeem; {paid} card sales, "
                       f"{refused} card tenders refused")
        self.effect_ok = self.kills["lock"] >= 1 and self.kills["redeem"] >= 1


class DiskFullRow(FaultRow):
    fault = "disk full on the offline DB"
    how = "register 3 offline, its tmpfs filled before completing (every 3rd basket)"
    gift_percent = 0.0
    gift_minimum = 0
    registers = (3,)

    def __init__(self, target: int = 1) -> None:
        super().__init__(target)
        self.world: MatrixWorld | None = None
        self.index = 0
        self.problems: list[str] = []
        self.refusal = ""
        self.filled: set[int] = set()

    def begin(self, world: MatrixWorld) -> None:
        self.world = world
        assert world.disk is not None
        self.how = f"{self.how}; {world.disk.mode}"
        world.disconnect(world.slots[3])

    def before_basket(self, worker: Worker, index: int) -> None:
        self.index = index

    def before_complete(self, worker: Worker, basket: Basket) -> None:
        world = self.world
        if (world is None or world.disk is None or not world.disk.mounted or self.index % 3
                or basket.basket_id in self.filled):
            return
        self.filled.add(basket.basket_id)  # once per basket, also when it is resumed
        before = worker.api.cart().cart
        world.disk.fill(world.slots[3].offline_db)
        try:
            answer = worker.api.complete()
            after = worker.api.cart().cart
        finally:
            world.disk.free()
        kept = after.get("id") == before.get("id") and after.get("status") == "open" and \
            len(after.get("lines") or []) == len(before.get("lines") or [])
        clear = (answer.status in (409, 503, 507) and "Traceback" not in answer.message
                 and "disk" in answer.message.lower())
        if clear and kept:
            self.injections += 1
            self.refusal = f"{answer.status} {answer.code}: {answer.message}"
        else:
            self.problems.append(f"answer {answer.status} {answer.code}: {answer.message!r}; "
                                 f"cart kept: {kept}")

    def check(self, world: MatrixWorld, results: list[BasketResult]) -> None:
        if world.disk is not None and not world.disk.mounted:
            self.effect = f"not run: {world.disk.why}"
        elif self.problems:
            self.effect = f"NOT a clear refusal: {self.problems[0]}"
        else:
            self.effect = f"{self.refusal}; cart kept; completed once after freeing space"
        self.effect_ok = self.injections >= 1 and not self.problems
