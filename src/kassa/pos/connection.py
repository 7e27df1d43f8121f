"""The switching data source: the store server first, the offline DB when it is gone (DESIGN §3).

:class:`SwitchingSource` is a :class:`~kassa.pos.datasource.DataSource`. In online mode every
request goes to the store server (:class:`~kassa.pos.store_source.StoreServerSource`, deadline
``timeout_s``, ``retry_count_to_offline`` retries). When it fails with a switching failure
(:class:`~kassa.pos.store_http.StoreUnreachable`: timeout, refused, reset, 502/503/504) the
:class:`~kassa.domain.switch.ConnectionSwitch` flips to offline (automatic) and the SAME
request is answered from the offline DB at once (§3.1); the cashier-facing warning (a dialog
if ``prompt_on_seamless_offline``, else a banner) is kept for the UI in :attr:`warning`. A 4xx
or domain error passes through unchanged and never switches.

Reconnect attempts happen only (§3.2-§3.4):

* at the start of a transaction, when the switch asks for it (:meth:`transaction_starting`);
* from the optional background health check (:class:`HealthChecker`, §3.3);
* on operation 917 Connect (:meth:`connect`).

A register without Support offline, or whose offline DB is not ready, gets the switch's
``Unavailable`` error (§3.5) instead of a switch.

Calls of the real-time service (gift cards, credit memos, DESIGN §6) go through
:meth:`SwitchingSource.realtime`: the same switch, but no offline answer.

A committed record's ``mode`` is the mode it was *committed* in
(:func:`~kassa.pos.transaction_rows.committed_in`), so HQ counts a sale that switched
offline mid-way as offline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from kassa.domain.clock import Clock
from kassa.domain.errors import Unavailable
from kassa.domain.offline_profile import OfflineProfile, RetryPolicy
from kassa.domain.switch import ConnectionSwitch, Mode, SwitchStatus, WarningStyle
from kassa.domain.transaction import Transaction, TransactionMode
from kassa.failpoints import failpoint
from kassa.pos.datasource import (
    CommitOutcome,
    DataSource,
    OperatorInfo,
    ProductInfo,
    TaxGroupInfo,
)
from kassa.pos.offline_source import OfflineSource
from kassa.pos.store_http import StoreHttp, StoreUnreachable
from kassa.pos.store_source import StoreServerSource
from kassa.pos.transaction_rows import committed_in

log = logging.getLogger("kassa.pos.connection")
ONLINE, OFFLINE = TransactionMode.ONLINE, TransactionMode.OFFLINE
T = TypeVar("T")


@dataclass(frozen=True)
class CashierWarning:
    """What the cashier must be told after a switch: ``style`` dialog or banner (§3.1)."""

    style: WarningStyle
    message: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        """``{"style", "message", "at"}`` (ISO-8601 UTC)."""
        return {"style": self.style.value, "message": self.message, "at": self.at.isoformat()}


class SwitchingSource:
    """The register's data source with the automatic switch (module docstring).

    Args:
        store: the store server source (its ``http`` also runs the probes).
        offline: the offline DB source.
        switch: the register's :class:`ConnectionSwitch` (pure state machine).
        clock: time source for warnings.
    """

    def __init__(
        self,
        store: StoreServerSource,
        offline: OfflineSource,
        switch: ConnectionSwitch,
        clock: Clock,
    ) -> None:
        self.store = store
        self.offline = offline
        self.switch = switch
        self._clock = clock
        self._lock = threading.Lock()
        self._warning: CashierWarning | None = None
        self.probe_count = 0  # probes sent (reconnect, health, connect): for the status window

    # -- configuration ---------------------------------------------------------------------
    def configure(
        self,
        *,
        profile: OfflineProfile | None = None,
        support_offline: bool | None = None,
        offline_db_ready: bool | None = None,
    ) -> None:
        """Apply a new offline profile / Support offline flag / readiness (``None`` keeps)."""
        self.switch.configure(
            profile=profile, support_offline=support_offline, offline_db_ready=offline_db_ready
        )
        if profile is not None:
            self.store.http.set_policy(RetryPolicy.from_profile(profile))

    @property
    def online(self) -> bool:
        """True while data requests go to the store server."""
        return self.switch.mode is Mode.ONLINE

    # -- warnings for the cashier ----------------------------------------------------------
    @property
    def warning(self) -> CashierWarning | None:
        """The warning not yet dismissed by the cashier, or ``None``."""
        return self._warning

    def dismiss_warning(self) -> None:
        """The cashier closed the dialog / banner."""
        with self._lock:
            self._warning = None

    def _warn(self, style: WarningStyle, message: str) -> None:
        with self._lock:
            self._warning = CashierWarning(style, message, self._clock.now())
        log.warning("switched to offline: %s", message)

    # -- §3.1 every data request -------------------------------------------------------------
    def _call(self, online: Callable[[DataSource], T], offline: Callable[[OfflineSource], T]) -> T:
        if self.switch.uses_offline_db:
            return offline(self.offline)
        try:
            return online(self.store)
        except StoreUnreachable as exc:
            decision = self.switch.request_failed(exc.kind, exc.detail)  # may raise (§3.5)
            if decision.switched and decision.warning is not None:
                self._warn(decision.warning, decision.message)
            return offline(self.offline)

    def product(self, product_id: int) -> ProductInfo:
        """Product by id (store server, or the offline DB after a switch)."""
        return self._call(lambda s: s.product(product_id), lambda s: s.product(product_id))

    def product_by_barcode(self, code: str) -> ProductInfo:
        """Product by barcode."""
        return self._call(lambda s: s.product_by_barcode(code),
                          lambda s: s.product_by_barcode(code))

    def search(self, q: str, limit: int = 20) -> list[ProductInfo]:
        """Name search."""
        return self._call(lambda s: s.search(q, limit), lambda s: s.search(q, limit))

    def customer(self, customer_id: int) -> dict[str, Any]:
        """Customer by id."""
        return self._call(lambda s: s.customer(customer_id), lambda s: s.customer(customer_id))

    def customer_by_card(self, loyalty_card: str) -> dict[str, Any]:
        """Customer by loyalty card."""
        return self._call(lambda s: s.customer_by_card(loyalty_card),
                          lambda s: s.customer_by_card(loyalty_card))

    def parameters(self) -> dict[str, Any]:
        """Commerce parameters."""
        return self._call(lambda s: s.parameters(), lambda s: s.parameters())

    def tax_groups(self) -> list[TaxGroupInfo]:
        """Tax groups."""
        return self._call(lambda s: s.tax_groups(), lambda s: s.tax_groups())

    def sign_in(self, operator_id: str, password: str) -> OperatorInfo:
        """Operator sign-in (offline: argon2 hashes of the offline DB)."""
        return self._call(lambda s: s.sign_in(operator_id, password),
                          lambda s: s.sign_in(operator_id, password))

    def commit(self, record: dict[str, Any], txn: Transaction | None = None) -> CommitOutcome:
        """Commit a finished transaction (DESIGN §5).

        Online: ``POST /api/transactions`` (insert-or-ignore by id); on success a copy goes to
        the register's journal. If the answer does not arrive (timeout, reset, 5xx) the
        switch goes offline and the record is committed to the offline DB with upload state
        ``pending``: the later upload is harmless even if the server had committed it.
        Offline: straight to the offline DB, pending. ``txn`` (the parsed record, when the
        caller has it) spares the offline DB a second parse. The record's ``mode`` becomes
        the mode it is committed in (module docstring).
        """
        online, offline = (committed_in(record, m) for m in (ONLINE, OFFLINE))
        outcome = self._call(  # sent with its tamper-evident journal entry (issue 8 §4)
            lambda s: s.commit(self.offline.stamped(online)),
            lambda s: s.commit(offline, txn if offline is record else None))
        if outcome.where == "store":
            failpoint("pos.commit.after_store_answer")
            self.offline.journal(online, txn if online is record else None)
        return outcome

    def realtime(self, call: Callable[[StoreHttp], T]) -> T:
        """One call of the real-time service through the store server's relay (DESIGN §6),
        with the rules of a data request (§3.1) but no offline answer: a switching failure
        flips the switch (and warns the cashier) and is raised to the caller, whose call's
        outcome is unknown (:mod:`kassa.pos.stored_value`). A 4xx passes through.

        Raises:
            Unavailable: ``realtime.offline`` when the register is offline already; the
                switch's §3.5 errors. StoreUnreachable: the call got no answer.
        """
        if self.switch.uses_offline_db:
            raise Unavailable("the register is offline; the real-time service needs the "
                              "store server", code="realtime.offline")
        try:
            return call(self.store.http)
        except StoreUnreachable as exc:
            decision = self.switch.request_failed(exc.kind, exc.detail)  # may raise (§3.5)
            if decision.switched and decision.warning is not None:
                self._warn(decision.warning, decision.message)
            raise

    # -- §3.2 / §3.3 / §3.4 probes ---------------------------------------------------------------
    def _probe(self, deadline_s: float) -> tuple[bool, str | None]:
        with self._lock:
            self.probe_count += 1
        return self.store.http.probe(deadline_s)

    def transaction_starting(self) -> SwitchStatus:
        """Mark the start of a transaction; run the reconnect probe when the switch asks for
        one (offline automatic and ``reconnect_interval_s`` passed, §3.2).

        Raises:
            Conflict: ``switch.transaction_in_progress``.
        """
        request = self.switch.transaction_starting()
        if request is not None:
            ok, error = self._probe(request.deadline_s)
            return self.switch.probe_result(ok, error)
        return self.switch.status()

    def transaction_ended(self) -> None:
        """Mark the end of the transaction (completed or voided)."""
        self.switch.transaction_ended()

    def health_tick(self) -> SwitchStatus | None:
        """Run one background probe if one is due (§3.3); ``None`` when none was due."""
        request = self.switch.background_probe_due()
        if request is None:
            return None
        before = self.switch.mode
        ok, error = self._probe(request.deadline_s)
        status = self.switch.background_probe_result(ok, error)
        if before is Mode.ONLINE and status.mode is Mode.OFFLINE:
            self._warn(WarningStyle.BANNER,
                       f"The store server is not answering ({error}); the register works "
                       "offline.")
        return status

    def disconnect(self) -> SwitchStatus:
        """Operation 917 Disconnect → offline (manual).

        Raises:
            Unavailable: ``switch.no_offline_support`` / ``switch.offline_db_not_ready``.
        """
        return self.switch.disconnect()

    def connect(self) -> SwitchStatus:
        """Operation 917 Connect: probe, then online.

        Raises:
            Unavailable: ``switch.connect_failed`` with the reason; the register stays offline.
        """
        request = self.switch.connect_requested()
        if request is None:
            return self.switch.status()
        ok, error = self._probe(request.deadline_s)
        status = self.switch.connect_result(ok, error)
        self.dismiss_warning()
        return status


class HealthChecker:
    """Background thread of advanced switching (DESIGN §3.3): asks the switch every
    ``poll_s`` seconds whether a probe is due (``health_check_interval_s``) and runs it.

    Does nothing while ``health_check_interval_s`` is unset. Always stopped by :meth:`stop`.
    """

    def __init__(self, source: SwitchingSource, poll_s: float = 0.2) -> None:
        self._source = source
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kassa-health", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop and join the thread (waits for a probe in flight, at most ``timeout_s``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self._poll_s):
            try:
                self._source.health_tick()
            except Exception:  # the thread must survive anything; the log has the details
                log.exception("background health check failed")
