"""The store server's package puller: HQ → channel DB, and packages kept for registers
(DESIGN §4; issue 3 §5).

One :meth:`Puller.pull_once`:

1. No checkpoint in the channel DB → the group's **snapshot** (channel variant) from HQ,
   verified and applied (:func:`kassa.sync.apply.apply_package`).
2. Deltas after the checkpoint, in order, in pages of :data:`PAGE`: for each number the
   **offline** variant is downloaded, verified and kept in ``served_packages`` (for the
   registers, :mod:`kassa.store.served`), then the **channel** variant is downloaded and
   applied. A number whose offline header is missing stops the round (retried next time),
   so registers never see a hole.
3. The offline snapshot registers start from is fetched when none is kept, or when more than
   :data:`SNAPSHOT_REFRESH_DELTAS` deltas were kept since it (new registers then replay few
   deltas).
4. After each package applied: ``on_applied()`` (the app bumps its cache epoch, so a changed
   commerce parameter is effective on the next request).
5. A status report to HQ (``POST /api/status``): channel checkpoint, the registers' last
   reports, their journal breaks (:func:`kassa.store.journal.report`), and the P-job access
   ``hq_pull_token`` + ``store_server_url`` (:mod:`kassa.store.settings`). An HQ that does
   not accept those two fields yet (422) gets the report without them (logged once).

A failure (HQ unreachable, a refused package) ends the round with a recorded
:class:`PullAttempt`; nothing half-applied stays behind and the next round retries.
:meth:`start` runs rounds every ``pull_interval_s`` in a daemon thread; :meth:`wake` runs one
now; :meth:`stop` ends the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import Engine

from kassa.domain.clock import Clock, SystemClock
from kassa.domain.errors import InvalidInput, KassaError, PackageError
from kassa.store import channel, journal, served
from kassa.store.hq_client import HQClient
from kassa.store.settings import StoreSettings
from kassa.sync.apply import ApplyResult, Progress, apply_package, checkpoint_of, read_group
from kassa.sync.package import verify_and_decode

log = logging.getLogger("kassa.store.puller")

#: Headers asked per listing call.
PAGE: Final = 100
#: Fetch a fresh offline snapshot once this many deltas were kept after the newest one.
SNAPSHOT_REFRESH_DELTAS: Final = 50


@dataclass
class PullAttempt:
    """One pull round: when, outcome, packages applied, error."""

    at: datetime
    result: Literal["ok", "nothing_new", "error"] = "nothing_new"
    applied: list[ApplyResult] = field(default_factory=list)
    checkpoint: int | None = None
    error: str | None = None
    error_code: str | None = None

    @property
    def rows(self) -> int:
        """Rows applied in this round."""
        return sum(r.rows for r in self.applied)

    def to_dict(self) -> dict[str, Any]:
        """``{"at", "result", "packages": [n, …], "rows", "checkpoint", "error", "error_code"}``."""
        return {
            "at": self.at.isoformat(), "result": self.result,
            "packages": [r.number for r in self.applied if not r.skipped], "rows": self.rows,
            "checkpoint": self.checkpoint, "error": self.error, "error_code": self.error_code,
        }


class Puller:
    """Pulls one store's packages from HQ into its channel DB (module docstring)."""

    def __init__(
        self,
        engine: Engine,
        settings: StoreSettings,
        hq: HQClient,
        *,
        clock: Clock | None = None,
        on_applied: Callable[[], object] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.hq = hq
        self.clock = clock or SystemClock()
        self.on_applied = on_applied or (lambda: None)
        self.last: PullAttempt | None = None
        self._round = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._send_pull_token = True

    # --- one round ----------------------------------------------------------------------

    def pull_once(self, *, progress: Progress | None = None, report: bool = True) -> PullAttempt:
        """Run one round now (serialised with the background thread); never raises a
        :class:`KassaError` — the outcome is in the returned (and kept) attempt."""
        with self._round:
            attempt = PullAttempt(at=self.clock.now())
            try:
                self._pull(attempt, progress)
                attempt.result = "ok" if any(not r.skipped for r in attempt.applied) else (
                    "nothing_new")
            except KassaError as exc:
                attempt.result, attempt.error, attempt.error_code = "error", exc.message, exc.code
                log.warning("pull from HQ failed: %s (%s)", exc.message, exc.code)
            attempt.checkpoint = checkpoint_of(self.engine)
            if report:
                self._report(attempt.checkpoint)
            self.last = attempt
            return attempt

    def _applied(self, attempt: PullAttempt, result: ApplyResult) -> None:
        attempt.applied.append(result)
        if not result.skipped:
            self.on_applied()

    def _pull(self, attempt: PullAttempt, progress: Progress | None) -> None:
        checkpoint = checkpoint_of(self.engine)
        if checkpoint is None:
            listing = self.hq.packages(None, "channel")
            header = _first_snapshot(listing)
            body = self.hq.body(header["number"], "snapshot", "channel")
            result = apply_package(self.engine, header, body, now=self.clock.now(),
                                   on_table=progress)
            self._applied(attempt, result)
            checkpoint = result.number
        while True:
            headers = self.hq.packages(checkpoint, "channel", PAGE)["packages"]
            if not headers:
                break
            offline = {h["number"]: h for h in self.hq.packages(checkpoint, "offline", PAGE)[
                "packages"]}
            for header in headers:
                number = int(header["number"])
                if number not in offline:
                    raise PackageError(f"HQ listed package {number} without its offline variant",
                                       code="package.offline_missing")
                self._keep(offline[number], "delta")
                body = self.hq.body(number, "delta", "channel")
                result = apply_package(self.engine, header, body, now=self.clock.now(),
                                       on_table=progress)
                self._applied(attempt, result)
                checkpoint = number
            if len(headers) < PAGE:
                break
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            group = read_group(conn)
        if group is not None:
            self._refresh_snapshot(group)

    def _keep(self, header: dict[str, Any], kind: str) -> None:
        body = self.hq.body(int(header["number"]), kind, "offline")
        verify_and_decode(header, body)  # never serve a body that does not verify
        with self.engine.begin() as conn:
            served.keep(conn, header, body, self.clock.now())

    def _refresh_snapshot(self, group: int) -> None:
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            snap = served.newest_snapshot(conn, group)
            delta = served.newest_delta(conn, group) or 0
        if snap is not None and delta - snap <= SNAPSHOT_REFRESH_DELTAS:
            return
        header = _first_snapshot(self.hq.packages(None, "offline"))
        if snap is not None and int(header["number"]) <= snap:
            return
        self._keep(header, "snapshot")

    # --- status report ------------------------------------------------------------------

    def status_report(self, checkpoint: int | None) -> dict[str, Any]:
        """The body of ``POST /api/status`` to HQ (module docstring, step 5)."""
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            registers = channel.register_statuses(conn, self.settings.store_id)
            breaks = journal.report(conn)
        report: dict[str, Any] = {"checkpoint": checkpoint, "pending_uploads": None,
                                  "mode": "online", "registers": registers}
        if breaks:  # issue 8 §4: flagged at HQ (channel_db_entities.journal_break)
            report["journal_breaks"] = breaks
        if self._send_pull_token:
            report["hq_pull_token"] = self.settings.hq_pull_token
            report["store_server_url"] = self.settings.public_url
        return report

    def _report(self, checkpoint: int | None) -> None:
        try:
            try:
                self.hq.report_status(self.status_report(checkpoint))
            except InvalidInput:
                if not self._send_pull_token:
                    raise
                self._send_pull_token = False
                log.warning("HQ refused hq_pull_token/store_server_url in the status report; "
                            "sending the report without them")
                self.hq.report_status(self.status_report(checkpoint))
        except KassaError as exc:
            log.warning("status report to HQ failed: %s (%s)", exc.message, exc.code)

    # --- background thread ----------------------------------------------------------------

    def start(self) -> None:
        """Start the background loop (a round at once, then every ``pull_interval_s``)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="kassa-store-puller",
                                        daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next round now instead of waiting for the interval."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the loop and wait for the running round to end."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.pull_once()
            except Exception:  # a database outage must not kill the loop
                log.exception("pull round failed")
            self._wake.wait(self.settings.pull_interval_s)
            self._wake.clear()


def _first_snapshot(listing: dict[str, Any]) -> dict[str, Any]:
    headers = listing.get("packages") or []
    if not headers or headers[0].get("kind") != "snapshot":
        raise PackageError("HQ offered no snapshot to start from", code="package.no_snapshot")
    header: dict[str, Any] = headers[0]
    return header
