"""One register process, wired: identity, offline DB, switch, data sources, POS engine,
background health check and async sync client (DESIGN §2, §3, §5).

Start-up order:

1. open (and migrate) the offline DB ``<data dir>/offline-<store>-<n>.sqlite``
   (``synchronous=FULL``);
2. settings (offline profile, Support offline, receipt texts) from the offline DB, else from
   the store server's ``GET /api/me`` (one attempt; its ``journal.head`` seeds the
   tamper-evident journal of the empty offline DB, :mod:`.journal`), else defaults;
3. the switch starts online; it may go offline only when Support offline is set and the
   offline DB has a package checkpoint (§3.5);
4. the engine recovers the cart of a previous run (``current_cart``);
5. the health checker thread runs (it only probes when ``health_check_interval_s`` is set);
   the sync client thread starts after the first successful sign-in.

``overrides`` replace fields of whatever offline profile is loaded (``{"timeout_s": 0.5}``):
site diagnostics and tests with short deadlines. Always :meth:`RegisterRuntime.close`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kassa.config import Locations, sqlite_url
from kassa.db.engine import make_engine
from kassa.db.migrate import prepare_database
from kassa.domain.clock import Clock, SystemClock
from kassa.domain.errors import KassaError
from kassa.domain.offline_profile import OfflineProfile, RetryPolicy
from kassa.domain.switch import ConnectionSwitch
from kassa.pos import settings as register_settings
from kassa.pos.cart_store import CartStore
from kassa.pos.connection import HealthChecker, SwitchingSource
from kassa.pos.engine import PosEngine
from kassa.pos.identity import RegisterIdentity
from kassa.pos.journal import seed_of
from kassa.pos.offline_source import OfflineSource
from kassa.pos.settings import RegisterSettings
from kassa.pos.status import mode_label, register_status
from kassa.pos.store_http import StoreHttp
from kassa.pos.store_source import StoreServerSource
from kassa.sync.apply import ApplyResult
from kassa.sync.client import SyncClient

log = logging.getLogger("kassa.pos.runtime")

#: Shortest per-request deadline of the sync client, seconds. The sync runs in the
#: background (no cashier waits for it): a busy store server or a big snapshot must not make
#: it fail just because the switch's ``timeout_s`` is short.
SYNC_MIN_TIMEOUT_S = 10.0


def sync_policy(profile: OfflineProfile) -> RetryPolicy:
    """The sync client's request policy: one attempt, ``max(timeout_s, 10 s)``."""
    return RetryPolicy(max(float(profile.timeout_s), SYNC_MIN_TIMEOUT_S), 0)


class RegisterRuntime:
    """Everything one register process runs (module docstring).

    Args:
        identity: the register's identity (store server URL, device token).
        data_dir: the data directory (offline DB file lives there).
        clock: time source (default the system clock).
        overrides: offline profile fields to force (seconds, counts), e.g. ``timeout_s``.
        background: start the health-check thread now and the sync thread at the first
            sign-in (``False``: nothing runs in the background; tests drive the sync).
        health_poll_s: how often the health thread asks whether a probe is due (seconds).
    """

    def __init__(
        self,
        identity: RegisterIdentity,
        data_dir: Path,
        *,
        clock: Clock | None = None,
        overrides: Mapping[str, Any] | None = None,
        background: bool = True,
        health_poll_s: float = 0.2,
    ) -> None:
        self.identity = identity
        self.clock: Clock = clock or SystemClock()
        self._overrides = dict(overrides or {})
        self._background = background
        self._journal_seed: str | None = None  # the store's chain head (issue 8 §4)
        self._lock = threading.Lock()
        self._closed = False
        path = Locations(Path(data_dir)).offline_path(identity.store_id, identity.register_number)
        self.offline_db = prepare_database(sqlite_url(path), "offline")
        # One idle connection held for the process lifetime: closing the per-operation
        # connections then never checkpoints and truncates the WAL (an fsync each time).
        self._keeper = self.offline_db.raw_connection()
        # The open cart is written with synchronous=NORMAL: in WAL mode a commit survives a
        # process crash (kill -9) at once and a power cut once the next FULL commit (a
        # finished transaction) hardens the WAL; finished transactions always use FULL.
        self.cart_db = make_engine(sqlite_url(path), synchronous="NORMAL")
        try:
            self._start()
        except BaseException:
            self._dispose()
            raise

    def _start(self) -> None:
        ident = self.identity
        first = OfflineProfile.from_mapping(self._overrides)  # deadline of the /api/me call
        self.http = StoreHttp(ident.store_url, ident.device_token,
                              RetryPolicy(first.timeout_s, 0))
        self.settings = self._load_settings()
        profile = self.settings.profile
        self.http.set_policy(RetryPolicy.from_profile(profile))
        ready = register_settings.offline_db_ready(self.offline_db)
        self.switch = ConnectionSwitch(self.clock, profile,
                                       support_offline=self.settings.support_offline,
                                       offline_db_ready=ready)
        self.source = SwitchingSource(
            StoreServerSource(self.http),
            OfflineSource(self.offline_db, ident.store_id, self.clock),
            self.switch, self.clock)
        self.source.offline.chain.seed = self._journal_seed
        self.sync_http = StoreHttp(ident.store_url, ident.device_token,
                                   sync_policy(profile))
        self.sync = SyncClient(self.sync_http, self.offline_db, self.clock,
                               profile=lambda: self.settings.profile,
                               mode=lambda: mode_label(self.switch.status()),
                               on_applied=self._package_applied)
        self.engine = PosEngine(
            store_id=ident.store_id, register_number=ident.register_number,
            register_id=ident.register_id, source=self.source,
            carts=CartStore(self.cart_db, ident.register_id, self.clock), clock=self.clock,
            settings=lambda: self.settings, on_sign_in=self._signed_in)
        self.health = HealthChecker(self.source)
        if self._background:
            self.health.start()

    # -- settings ------------------------------------------------------------------------------
    def _override(self, found: RegisterSettings) -> RegisterSettings:
        if not self._overrides:
            return found
        profile = OfflineProfile.from_mapping({**found.profile.to_mapping(), **self._overrides})
        return RegisterSettings(found.store_name, found.receipt_header, found.receipt_footer,
                                profile, found.support_offline, found.data_group_id,
                                found.source)

    def _load_settings(self) -> RegisterSettings:
        ident = self.identity
        found = register_settings.from_offline_db(self.offline_db, ident.store_id,
                                                  ident.register_id)
        if found is None:
            try:
                me = StoreServerSource(self.http).me()
                found = register_settings.from_me(ident.store_id, me)
                self._journal_seed = seed_of(me)
            except KassaError as exc:
                log.warning("no settings from the store server yet: %s", exc.message)
                found = register_settings.defaults(ident.store_id)
        return self._override(found)

    def refresh_settings(self) -> RegisterSettings:
        """Reload settings from the offline DB and apply them to the switch and the HTTP
        policies (after a package, DESIGN §3.5: the first one makes the offline DB ready)."""
        with self._lock:
            found = register_settings.from_offline_db(
                self.offline_db, self.identity.store_id, self.identity.register_id)
            if found is not None:
                self.settings = self._override(found)
            profile = self.settings.profile
            self.source.configure(
                profile=profile, support_offline=self.settings.support_offline,
                offline_db_ready=register_settings.offline_db_ready(self.offline_db))
            self.sync_http.set_policy(sync_policy(profile))
            return self.settings

    def _package_applied(self, result: ApplyResult) -> None:
        self.refresh_settings()

    def _signed_in(self) -> None:
        if self._background and not self.sync.running:
            self.sync.start()

    # -- views -----------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """``GET /api/status`` (see :mod:`kassa.pos.status`)."""
        return register_status(self.engine, self.settings, self.clock,
                               sync_running=self.sync.running)

    def close(self) -> None:
        """Stop the threads, close the HTTP pools and the offline DB. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.health.stop()
        self.sync.stop()
        self.http.close()
        self.sync_http.close()
        self._dispose()

    def _dispose(self) -> None:
        engine = getattr(self, "engine", None)  # absent when the start failed before it
        if engine is not None:
            engine.carts.close()
        self.cart_db.dispose()
        self._keeper.close()
        self.offline_db.dispose()
