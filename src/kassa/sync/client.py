"""The register's async sync client (DESIGN §1 "async sync", §4, §5; issue 3 §6, issue 4 §4).

A background thread, started with the register process after the first sign-in
(:meth:`SyncClient.start`), that

* every ``download_interval_s`` seconds (and on demand, :meth:`SyncClient.download_now`)
  downloads and applies data packages (:class:`~kassa.sync.downloader.Downloader`);
* every ``upload_interval_s`` seconds (and on demand) uploads pending offline transactions
  in batches of ``upload_batch_size`` (:class:`~kassa.sync.uploader.Uploader`), then sends
  the gift card / credit memo unlocks the register queued while it could not reach HQ
  (:meth:`kassa.pos.unlock_queue.UnlockQueue.deliver`, DESIGN §6: marked sent only after
  the answer);
* after each upload round reports ``{"checkpoint", "pending_uploads", "mode",
  "oldest_pending_age_s"}`` to the store server (``POST /api/status``), which tells HQ.

``pause_offline_sync`` in the offline profile stops both (on-demand runs are refused with
``Conflict`` ``sync.paused``). Intervals are read from the profile at every turn, so a new
profile from a package takes effect at once. Every attempt is recorded in ``sync_attempts``.
The sync client talks to the store server on its own connection pool; its failures never
switch the register (only data requests do, DESIGN §3.1).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from kassa.domain.clock import Clock
from kassa.domain.errors import Conflict, KassaError
from kassa.domain.offline_profile import OfflineProfile
from kassa.pos.store_http import StoreHttp
from kassa.pos.unlock_queue import Delivery, UnlockQueue
from kassa.sync import attempts
from kassa.sync.apply import ApplyResult
from kassa.sync.downloader import Downloader
from kassa.sync.uploader import Uploader

log = logging.getLogger("kassa.sync.client")


class SyncClient:
    """The async sync loop of one register (module docstring).

    Args:
        http: a :class:`StoreHttp` for the sync client (device token; its own pool).
        engine: the offline DB.
        clock: time source.
        profile: returns the offline profile in force (intervals, batch size, pause).
        mode: returns the register's mode text for status reports (``"online"``, …).
        on_applied: called after each package that changed the offline DB (the register
            reloads its settings and tells the switch the offline DB is ready, §3.5).
    """

    def __init__(
        self,
        http: StoreHttp,
        engine: Engine,
        clock: Clock,
        profile: Callable[[], OfflineProfile],
        mode: Callable[[], str],
        on_applied: Callable[[ApplyResult], None] | None = None,
    ) -> None:
        self.http = http
        self.engine = engine
        self._clock = clock
        self._profile = profile
        self._mode = mode
        self.downloader = Downloader(http, engine, clock, on_applied)
        self.uploader = Uploader(http, engine, clock)
        self.unlocks = UnlockQueue(engine, clock)
        #: The last delivery of queued unlocks, or None before the first upload round.
        self.last_unlocks: Delivery | None = None
        self._run_lock = threading.Lock()  # one download/upload at a time (thread or on demand)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- on demand ---------------------------------------------------------------------------
    def _check_not_paused(self) -> OfflineProfile:
        profile = self._profile()
        if profile.pause_offline_sync:
            raise Conflict("offline sync is paused by the store's offline profile",
                           code="sync.paused")
        return profile

    def download_now(self) -> attempts.Attempt:
        """Download and apply packages now; the recorded attempt.

        Raises:
            Conflict: ``sync.paused`` when the offline profile pauses the sync.
        """
        self._check_not_paused()
        with self._run_lock:
            return self.downloader.run_once()

    def upload_now(self) -> attempts.Attempt:
        """Upload pending transactions now, then report the status; the recorded attempt.

        Raises:
            Conflict: ``sync.paused``.
        """
        profile = self._check_not_paused()
        with self._run_lock:
            attempt = self.uploader.run_once(profile.upload_batch_size)
            self.last_unlocks = self.unlocks.deliver(self.http)
        self.report_status()
        return attempt

    def report_status(self) -> bool:
        """``POST /api/status`` with checkpoint, pending count, mode, the oldest pending age
        (seconds) and the register's clock; True when the store server took it. Never
        raises."""
        info = attempts.summary(self.engine)
        now = self._clock.now()
        body = {"checkpoint": info.checkpoint, "pending_uploads": info.pending,
                "mode": self._mode(), "oldest_pending_age_s": info.oldest_pending_age_s(now),
                "reported_at": now.isoformat()}
        try:
            self.http.post_json("/api/status", body, attempts=1)
        except KassaError as exc:
            log.info("status report not delivered: %s", exc.message)
            return False
        return True

    # -- background loop ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while the background thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the background thread (idempotent)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="kassa-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run a download and an upload round now (used after a commit offline)."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop and join the thread (an attempt in flight ends within its deadline)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        next_download = next_upload = self._clock.monotonic()
        while not self._stop.is_set():
            profile = self._profile()
            now = self._clock.monotonic()
            woken = self._wake.is_set()
            self._wake.clear()
            if not profile.pause_offline_sync:
                try:
                    if woken or now >= next_download:
                        with self._run_lock:
                            self.downloader.run_once()
                        next_download = self._clock.monotonic() + profile.download_interval_s
                    if self._stop.is_set():
                        break
                    if woken or now >= next_upload:
                        with self._run_lock:
                            self.uploader.run_once(profile.upload_batch_size)
                            self.last_unlocks = self.unlocks.deliver(self.http)
                        self.report_status()
                        next_upload = self._clock.monotonic() + profile.upload_interval_s
                except Exception:  # the loop must survive anything; the log has it
                    log.exception("sync round failed")
            wait = min(next_download, next_upload) - self._clock.monotonic()
            if profile.pause_offline_sync:
                wait = 1.0
            self._wake.wait(max(0.05, min(wait, 5.0)))
