"""The fault matrix (issue 8 §1): every fault, one after the other, on one chain of real
processes, each row replaying its own real baskets; reconciled per row from HQ's posted data.

:class:`MatrixWorld` sets up once (the catalogue import is the expensive part): HQ, the
store server of store :data:`STORE`, a :class:`~kassa.demo.fault_proxy.FaultProxy` between
the registers and the store server (the registers are activated against the proxy's URL),
registers 1 and 2 on fixed ports in the data directory, and register 3 for the disk-full row
whose data directory is a small tmpfs (:mod:`kassa.demo.disk`). The offline profile
:data:`MATRIX_PROFILE` switches within a second and uploads in batches of 5.

:meth:`MatrixWorld.run_row` runs one row (:mod:`kassa.demo.matrix_rows`): the row's gift
cards are issued, its fault armed (:meth:`FaultRow.begin`), its baskets replayed with the
row as the replay's hooks and the world as every worker's
:class:`~kassa.demo.resume.Recovery` (a dead register is restarted — without failpoints
unless the row re-arms it — signed in again, and the basket resumed), the fault stopped, then
everything is settled (proxy passing, every process up and unarmed, manual offline ended,
uploads drained, unlocks delivered, the row's transactions posted) and the row reconciled
(:func:`kassa.demo.matrix_report.row_outcome`).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
from rich.console import Console
from sqlalchemy import Engine, select

from kassa.config import Locations
from kassa.db import hq_schema as s
from kassa.db.engine import make_engine
from kassa.db.hq_posting_schema import posted_transactions
from kassa.demo import provisioning as prov
from kassa.demo.dataset import Basket
from kassa.demo.disk import SmallDisk
from kassa.demo.fault_proxy import FaultProxy
from kassa.demo.matrix_report import RowOutcome, row_outcome
from kassa.demo.matrix_rows import FaultRow
from kassa.demo.orchestrator import Cluster, Service, free_port
from kassa.demo.outcomes import COMPLETED, VOIDED, BasketResult, GiftPlan
from kassa.demo.replay import Replay, Worker
from kassa.demo.report import posted_data
from kassa.demo.resume import journal_record
from kassa.domain.errors import Unavailable
from kassa.domain.offline_profile import OfflineProfile
from kassa.pos.identity import activate

#: The store whose registers sell every row's baskets (the busiest one).
STORE: Final = 367
#: Switch within a second, reconnect after one, upload every second in batches of 5.
MATRIX_PROFILE: Final = OfflineProfile(timeout_s=1, retry_count_to_offline=0,
                                       reconnect_interval_s=1, download_interval_s=2,
                                       upload_interval_s=1, upload_batch_size=5)
#: Longest wait for uploads, unlocks and posting after a row, seconds.
SETTLE_TIMEOUT_S: Final = 120.0


@dataclass
class RegisterSlot:
    """One register of the matrix: its process, handle, offline DB and restart state.

    Attributes:
        deaths: how each run ended that the world restarted (failpoint name or ``SIGKILL``).
        next_env: environment of the next restart after a death (a row re-arming it).
    """

    number: int
    service: Service
    handle: prov.RegisterHandle
    offline_db: Path
    lock: threading.RLock = field(default_factory=threading.RLock)
    signed_start: int = 0
    deaths: list[str] = field(default_factory=list)
    next_env: dict[str, str] = field(default_factory=dict)


def death_cause(service: Service) -> str:
    """``<failpoint name>`` when the last run died at a failpoint (its log says so), else
    ``SIGKILL`` / ``exit <code>``."""
    from kassa.demo.orchestrator import tail

    last = tail(service.log_path, 30).split("--- start")[-1]
    for line in reversed(last.splitlines()):
        if line.startswith("failpoint ") and line.endswith(": SIGKILL"):
            return line.split()[1]
    code = service.exit_code
    return "SIGKILL" if code == -9 else f"exit {code}"


class MatrixWorld:
    """The chain the matrix runs on (module docstring); a context manager that always stops
    every process, the proxy and the small disk.

    Args:
        data_dir: an empty directory (or an earlier matrix's) for databases and logs.
        console: where progress lines go.
    """

    def __init__(self, data_dir: Path, console: Console | None = None) -> None:
        self.data_dir = prov.fresh_data_dir(data_dir)
        self.console = console or Console()
        self.cluster = Cluster(self.data_dir / "logs")
        self.slots: dict[int, RegisterSlot] = {}
        self.proxy: FaultProxy | None = None
        self.disk: SmallDisk | None = None
        self.hq: Service | None = None
        self.store: Service | None = None
        self.admin: prov.HQAdmin | None = None
        self.hq_engine: Engine | None = None
        self.data_group = 0
        self.all_ours: set[str] = set()
        self.gift = GiftPlan(0.0)
        self.results: list[BasketResult] = []
        self.timings: dict[str, float] = {}
        self.row: FaultRow | None = None

    # -- set up and tear down ----------------------------------------------------------------
    def __enter__(self) -> MatrixWorld:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def setup(self) -> None:
        """HQ with the catalogue, store server, proxy, registers 1-3 synced (module
        docstring). Raises KassaError when a process does not start."""
        began = time.monotonic()
        hq_url = prov.database_urls(self.data_dir, [STORE], None)[0]
        prov.import_catalogue(hq_url, 4)
        prov.configure_hq(hq_url, MATRIX_PROFILE)
        self.timings["import_s"] = time.monotonic() - began
        self.hq_engine = make_engine(hq_url)
        self.hq = self.cluster.hq(self.data_dir, database_url=hq_url, posting_interval_s=1.0)
        self.hq.wait_ready()
        self.admin = prov.HQAdmin(str(self.hq.url), self.data_dir)
        with self.hq_engine.connect() as conn:
            self.data_group = int(conn.execute(select(s.stores.c.data_group_id).where(
                s.stores.c.id == STORE)).scalar_one())
        self.admin.run_schedule([self.data_group])
        self.store = self.cluster.store(STORE, self.data_dir, hq_url=str(self.hq.url),
                                        store_token=self.admin.store_token(STORE),
                                        database_url=None, pull_interval_s=1.0)
        self.store.wait_ready(ready=lambda a: bool(a.json().get("checkpoint")))
        port = int(str(self.store.url).rsplit(":", 1)[1])
        self.proxy = FaultProxy("127.0.0.1", port)
        self.disk = SmallDisk(self.data_dir / "small-disk")
        ids = prov.register_ids(self.hq_engine, STORE, 3)
        for number in (1, 2, 3):
            where = self.disk.path if number == 3 else self.data_dir
            activate(self.proxy.url, self.admin.activation_code(ids[number]), STORE, number,
                     where)
            port = free_port()
            service = self.cluster.register(STORE, number, where, port=port)
            handle = prov.RegisterHandle(STORE, number, f"http://127.0.0.1:{port}")
            self.slots[number] = RegisterSlot(number, service, handle,
                                              Locations(where).offline_path(STORE, number))
        for slot in self.slots.values():
            slot.service.wait_ready()
            slot.signed_start = slot.service.starts
        prov.sign_in_and_sync([slot.handle for slot in self.slots.values()])
        self.disk.seal()
        self.timings["setup_s"] = time.monotonic() - began

    def close(self) -> None:
        """Stop every process, the proxy, unmount the small disk. Idempotent."""
        self.cluster.stop_all()
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.disk is not None:
            self.disk.close()
        if self.admin is not None:
            self.admin.close()
        if self.hq_engine is not None:
            self.hq_engine.dispose()

    # -- registers: restart, sign in (the Recovery of the replay) -----------------------------
    def sign_in(self, slot: RegisterSlot, worker: Worker | None = None) -> None:
        """Sign the operator in at ``slot`` (after a start) and give the workers the token."""
        with httpx.Client(timeout=30.0) as client:
            answer = client.post(f"{slot.handle.url}/api/sign-in",
                                 json={"operator_id": prov.OPERATOR, "password": prov.PASSWORD})
        if answer.status_code != 200:
            raise Unavailable(f"sign-in at register {slot.handle.name} failed: {answer.text}",
                              code="matrix.sign_in")
        slot.handle.token = str(answer.json()["token"])
        slot.signed_start = slot.service.starts
        if worker is not None:
            worker.api.set_token(slot.handle.token)

    def restart_register(self, slot: RegisterSlot, env: dict[str, str] | None = None,
                         worker: Worker | None = None) -> None:
        """Stop ``slot`` cleanly (SIGTERM), start it with ``env`` (failpoints), sign in."""
        with slot.lock:
            slot.service.terminate()
            slot.service.env = dict(env or {})
            slot.service.restart()
            self.sign_in(slot, worker)

    def _answers(self, slot: RegisterSlot) -> bool:
        try:
            with httpx.Client(timeout=2.0) as client:
                return client.get(f"{slot.handle.url}/api/status").status_code == 200
        except httpx.HTTPError:
            return False

    def bring_back(self, slot: RegisterSlot, worker: Worker | None = None) -> None:
        """Return when ``slot`` runs and is signed in: a dead register is restarted (with
        the row's :attr:`RegisterSlot.next_env`) and its death recorded."""
        with slot.lock:
            deadline = time.monotonic() + 30.0
            while slot.service.alive and not self._answers(slot):
                if time.monotonic() > deadline:  # alive but deaf: a crash the harness ends
                    slot.service.kill()
                time.sleep(0.1)
            if not slot.service.alive:
                slot.service.kill()  # reap it
                slot.deaths.append(death_cause(slot.service))
                slot.service.env, slot.next_env = slot.next_env, {}
                slot.service.restart()
            if slot.signed_start != slot.service.starts:
                self.sign_in(slot, worker)
                if self.row is not None:
                    self.row.revived(self, slot, worker)
            elif worker is not None and worker.api.token != slot.handle.token:
                worker.api.set_token(slot.handle.token)

    def revive(self, worker: Worker) -> None:
        """:class:`~kassa.demo.resume.Recovery`: bring the worker's register back."""
        self.bring_back(self.slots[worker.number], worker)

    def journal_record(self, worker: Worker, transaction_id: str) -> dict[str, Any] | None:
        """:class:`~kassa.demo.resume.Recovery`: the record in the register's offline DB."""
        return journal_record(self.slots[worker.number].offline_db, transaction_id)

    def operation_917(self, slot: RegisterSlot, action: str) -> None:
        """Press Disconnect / Connect at ``slot`` (a refusal is left to the next try)."""
        with contextlib.suppress(httpx.HTTPError), httpx.Client(timeout=30.0) as client:
            client.post(f"{slot.handle.url}/api/operations/917", json={"action": action},
                        headers={"Authorization": f"Bearer {slot.handle.token}"})

    def connect(self, slot: RegisterSlot) -> None:
        """917 Connect at ``slot``."""
        self.operation_917(slot, "connect")

    def disconnect(self, slot: RegisterSlot) -> None:
        """917 Disconnect at ``slot``."""
        self.operation_917(slot, "disconnect")

    def checkpoints(self, slot: RegisterSlot, wait_s: float = 30.0) -> tuple[Any, Any]:
        """(store server's package checkpoint, ``slot``'s) once they are equal, or as they
        are after ``wait_s`` seconds."""
        assert self.store is not None
        deadline = time.monotonic() + wait_s
        store: Any = None
        register: Any = None
        with httpx.Client(timeout=10.0) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                    store = client.get(f"{self.store.url}/api/health").json()["checkpoint"]
                    register = client.get(f"{slot.handle.url}/api/status").json()[
                        "connection"]["checkpoint"]
                    if store == register or time.monotonic() > deadline:
                        return store, register
                if time.monotonic() > deadline:
                    return store, register
                time.sleep(0.3)

    # -- one row -------------------------------------------------------------------------------
    def issue_cards(self, row: FaultRow, gift: GiftPlan) -> None:
        """Issue the row's gift cards at HQ (distinct cards per row)."""
        assert self.admin is not None
        for household in sorted(gift.households):
            value = GiftPlan.card_value(household)
            key = uuid.uuid5(uuid.NAMESPACE_URL, f"kassa-matrix:{row.fault}:{household}")
            number = self.admin.issue_gift_card(value, key)
            gift.cards[household] = number
            gift.issued[number] = value
            gift.balance[number] = value

    def run_row(self, row: FaultRow, baskets: list[Basket]) -> RowOutcome:
        """Replay ``baskets`` under ``row``'s fault, settle, reconcile (module docstring)."""
        assert self.hq_engine is not None and self.admin is not None
        began = time.monotonic()
        gift = GiftPlan.choose(baskets, row.gift_percent, minimum=row.gift_minimum)
        self.issue_cards(row, gift)
        before = self.posted_ids()
        self.row = row
        replay = Replay([self.slots[n].handle for n in row.registers], baskets, gift, row)
        for worker in replay.workers:
            worker.recovery = self
        try:
            row.begin(self)
            results = replay.run()
        finally:
            row.end(self)
            replay.close()
            self.row = None
        self.settle(results)
        row.check(self, results)
        self.all_ours |= {str(r.transaction_id) for r in results
                          if r.transaction_id and r.status in (COMPLETED, VOIDED)}
        self.results.extend(results)
        self.gift.issued.update(gift.issued)
        self.gift.balance.update(gift.balance)
        posted, lines, paid = posted_data(self.hq_engine, [STORE])
        out = row_outcome(row.fault, row.how, results, posted=posted, posted_lines=lines,
                          posted_gift=paid, new_posted=set(posted) - before,
                          all_ours=self.all_ours, gift=gift,
                          gift_cards=self.admin.gift_cards(),
                          locked=len(self.admin.gift_cards(locked=True)))
        out.injections, out.effect, out.effect_ok = row.injections, row.effect, row.effect_ok
        out.seconds = time.monotonic() - began
        return out

    # -- settling --------------------------------------------------------------------------------
    def settle(self, results: list[BasketResult]) -> None:
        """Everything back to normal, uploads drained, unlocks delivered, the row posted."""
        assert self.proxy is not None and self.hq is not None and self.store is not None
        self.proxy.pass_through()
        for service in (self.hq, self.store):
            if service.frozen:
                service.thaw()
            if not service.alive or service.env:
                service.kill()
                service.env = {}
                service.restart()
        for slot in self.slots.values():
            slot.next_env = {}
            self.bring_back(slot)
            if slot.service.env:  # still armed: run it unarmed again
                self.restart_register(slot)
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        with httpx.Client(timeout=10.0) as client:
            waiting = list(self.slots.values())
            while waiting and time.monotonic() < deadline:
                slot = waiting[0]
                with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                    auth = {"Authorization": f"Bearer {slot.handle.token}"}
                    status = client.get(f"{slot.handle.url}/api/status").json()
                    conn = status["connection"]
                    if conn["mode"] != "online":
                        client.post(f"{slot.handle.url}/api/operations/917",
                                    json={"action": "connect"}, headers=auth)
                    elif conn["pending_uploads"] == 0 and conn["pending_unlocks"] == 0:
                        waiting.pop(0)
                        continue
                time.sleep(0.2)
        self.wait_posted(results, deadline)

    def posted_ids(self) -> set[str]:
        """Ids of every transaction HQ posted for the store."""
        assert self.hq_engine is not None
        t = posted_transactions
        with self.hq_engine.connect().execution_options(kassa_readonly=True) as conn:
            return {str(x) for x in conn.execute(select(t.c.id).where(t.c.store_id == STORE))
                    .scalars()}

    def wait_posted(self, results: list[BasketResult], deadline: float) -> None:
        """Run the P-job until HQ holds every finished transaction of ``results``."""
        assert self.hq_engine is not None and self.admin is not None
        wanted = {str(r.transaction_id) for r in results
                  if r.transaction_id and r.status in (COMPLETED, VOIDED)}
        while time.monotonic() < deadline:
            if wanted <= self.posted_ids():
                return
            with contextlib.suppress(Unavailable):
                self.admin.run_posting(STORE)
            time.sleep(0.2)
