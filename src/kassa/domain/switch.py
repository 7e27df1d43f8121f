"""The connection manager's state machine: online / offline (automatic) / offline (manual).

Pure and clock-driven (DESIGN §3): it performs no I/O. The register's data layer asks it what
to do and reports what happened; the caller does the HTTP and the probing.

States::

    online ──request_failed / health probe fails──▶ offline (automatic, since, reason)
    online ──disconnect() (917)───────────────────▶ offline (manual, since)
    offline (automatic) ──probe ok at transaction start / health probe ok──▶ online
    offline (any) ──connect_requested() + connect_result(ok=True) (917)───▶ online

Each rule is documented on the method that implements it (§3.1 :meth:`~ConnectionSwitch.
request_failed`, §3.2 :meth:`~ConnectionSwitch.transaction_starting`, §3.3
:meth:`~ConnectionSwitch.background_probe_due`, §3.4 :meth:`~ConnectionSwitch.disconnect` /
:meth:`~ConnectionSwitch.connect_requested`, §3.5 the ``Unavailable`` errors).

Timers (intervals, deadlines) use ``clock.monotonic()`` seconds; ``since`` and
``last_probe_at`` use ``clock.now()`` (aware UTC). All methods are thread-safe.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from kassa.domain.clock import Clock
from kassa.domain.errors import Conflict, Unavailable
from kassa.domain.offline_profile import (  # request policy, re-exported here
    DEFAULT,
    SWITCHING_STATUSES,
    Deadline,
    FailureKind,
    OfflineProfile,
    RetryPolicy,
    classify_http_status,
    failure_text,
    parse_failure_kind,
)

__all__ = [
    "SWITCHING_STATUSES", "ConnectionSwitch", "Deadline", "FailoverDecision", "FailureKind",
    "Mode", "ProbePurpose", "ProbeRequest", "RetryPolicy", "SwitchStatus", "WarningStyle",
    "classify_http_status",
]


class Mode(StrEnum):
    """Where the register's data requests go."""

    ONLINE, OFFLINE = "online", "offline"


class WarningStyle(StrEnum):
    """How the cashier is told about a seamless switch (``prompt_on_seamless_offline``)."""

    DIALOG, BANNER = "dialog", "banner"


class ProbePurpose(StrEnum):
    """Why a probe is asked for: reconnect at transaction start (§3.2), background health
    check (§3.3), operation 917 Connect (§3.4)."""

    RECONNECT, HEALTH, CONNECT = "reconnect", "health", "connect"


@dataclass(frozen=True)
class ProbeRequest:
    """The caller must probe the store server once, within ``deadline_s`` seconds."""

    purpose: ProbePurpose
    deadline_s: float


@dataclass(frozen=True)
class FailoverDecision:
    """Answer of :meth:`ConnectionSwitch.request_failed`: ``answer_from_offline`` is always
    True (serve the same request from the offline DB now); ``switched`` tells whether this
    failure caused the switch; ``warning`` (only when ``switched``) how to warn the cashier;
    ``message`` is fit to show."""

    answer_from_offline: bool
    switched: bool
    warning: WarningStyle | None
    message: str


@dataclass(frozen=True)
class SwitchStatus:
    """Snapshot for the status header and the Connection status window (DESIGN §3.6)."""

    mode: Mode
    manual: bool
    since: datetime
    reason: str | None
    last_probe_at: datetime | None
    last_probe_ok: bool | None
    last_probe_error: str | None
    button_label: str
    in_transaction: bool
    support_offline: bool
    offline_db_ready: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the fields; times as ISO 8601 strings (UTC) or ``None``."""
        out = asdict(self)
        out["mode"] = self.mode.value
        for key in ("since", "last_probe_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


class ConnectionSwitch:
    """The switch of one register (DESIGN §3). See the module docstring for the rules.

    Args:
        clock: time source (``FixedClock`` in tests).
        profile: the store's offline profile (timeout, reconnect and health intervals).
        support_offline: the register's **Support offline** flag (§3.5).
        offline_db_ready: True once the offline DB finished its first sync (§3.5).
    """

    def __init__(
        self,
        clock: Clock,
        profile: OfflineProfile = DEFAULT,
        *,
        support_offline: bool,
        offline_db_ready: bool,
    ) -> None:
        self._clock = clock
        self._profile = profile
        self._support_offline = support_offline
        self._db_ready = offline_db_ready
        self._lock = threading.RLock()
        self._mode = Mode.ONLINE
        self._manual = False
        self._since = clock.now()
        self._reason: str | None = None
        self._in_transaction = False
        self._reconnect_pending = False
        self._last_attempt = clock.monotonic()
        self._last_probe_at: datetime | None = None
        self._last_probe_ok: bool | None = None
        self._last_probe_error: str | None = None  # last failed probe's error text

    # -- configuration -------------------------------------------------------------------
    @property
    def profile(self) -> OfflineProfile:
        return self._profile

    def configure(
        self,
        *,
        profile: OfflineProfile | None = None,
        support_offline: bool | None = None,
        offline_db_ready: bool | None = None,
    ) -> None:
        """Change settings from now on; ``None`` keeps a setting. Affects future switches only
        (e.g. a new profile from a package, the offline DB finishing its first sync, §3.5)."""
        with self._lock:
            self._profile = profile if profile is not None else self._profile
            if support_offline is not None:
                self._support_offline = support_offline
            if offline_db_ready is not None:
                self._db_ready = offline_db_ready

    # -- state -----------------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        """``online`` or ``offline``; see :attr:`manual` for offline (manual)."""
        return self._mode

    @property
    def manual(self) -> bool:
        return self._manual

    @property
    def uses_offline_db(self) -> bool:
        """True when data requests must go to the offline DB."""
        return self._mode is Mode.OFFLINE

    @property
    def button_label(self) -> str:
        """Label of the operation 917 button: ``"Disconnect"`` online, ``"Connect"`` offline."""
        return "Disconnect" if self._mode is Mode.ONLINE else "Connect"

    def status(self) -> SwitchStatus:
        """A consistent snapshot of the switch (DESIGN §3.6)."""
        with self._lock:
            return SwitchStatus(  # fields in declaration order
                self._mode, self._manual, self._since, self._reason, self._last_probe_at,
                self._last_probe_ok, self._last_probe_error, self.button_label,
                self._in_transaction, self._support_offline, self._db_ready,
            )

    # -- internals -------------------------------------------------------------------------
    def _ensure_can_go_offline(self, cause: str) -> None:
        if not self._support_offline:
            msg, code = "this register does not support offline", "switch.no_offline_support"
        elif not self._db_ready:
            msg = "this register cannot work offline yet: its offline database has not finished "
            msg, code = msg + "its first sync", "switch.offline_db_not_ready"
        else:
            return
        msg += f"; the store server is unreachable: {cause}"
        raise Unavailable(msg, code=code, details={"cause": cause})

    def _can_go_offline(self) -> bool:
        return self._support_offline and self._db_ready

    def _go_offline(self, *, manual: bool, reason: str) -> None:
        if self._mode is Mode.ONLINE:
            self._since = self._clock.now()
        self._mode = Mode.OFFLINE
        self._manual = manual
        self._reason = reason

    def _go_online(self) -> None:
        if self._mode is Mode.OFFLINE:
            self._since = self._clock.now()
        self._mode = Mode.ONLINE
        self._manual = False
        self._reason = None

    def _record_probe(self, ok: bool, error: str | None) -> None:
        self._last_probe_at = self._clock.now()
        self._last_probe_ok = ok
        self._last_probe_error = None if ok else (error or "no answer")

    # -- §3.1 data requests ----------------------------------------------------------------
    def request_failed(self, kind: FailureKind, detail: str = "") -> FailoverDecision:
        """Report a data request that failed with ``kind`` after all its attempts (§3.1).

        Returns:
            :class:`FailoverDecision`: answer the same request from the offline DB; when
            ``switched``, warn the cashier with ``warning`` (dialog if
            ``prompt_on_seamless_offline`` else banner).

        Raises:
            InvalidInput: ``switch.unknown_failure`` for a ``kind`` that is no FailureKind.
            Unavailable: ``switch.no_offline_support`` (register without Support offline) or
                ``switch.offline_db_not_ready`` (first sync not finished) — show it.
        """
        cause = failure_text(parse_failure_kind(kind)) + (f" ({detail})" if detail else "")
        with self._lock:
            if self._mode is Mode.OFFLINE:
                return FailoverDecision(True, False, None, "working offline")
            self._ensure_can_go_offline(cause)
            self._go_offline(manual=False, reason=cause)
            self._last_attempt = self._clock.monotonic()
            style = (
                WarningStyle.DIALOG if self._profile.prompt_on_seamless_offline
                else WarningStyle.BANNER
            )
            return FailoverDecision(
                True, True, style,
                f"Connection to the store server lost ({cause}); the register works offline. "
                "The sale goes on.",
            )

    # -- §3.2 reconnect at the start of a transaction -------------------------------------
    def transaction_starting(self) -> ProbeRequest | None:
        """Mark the start of a transaction; maybe ask for a reconnect probe first (§3.2).

        Returns:
            ``ProbeRequest(RECONNECT, timeout_s)`` when offline (automatic) and
            ``reconnect_interval_s`` seconds have passed since the last attempt: probe, then
            call :meth:`probe_result` before the first data request. Otherwise ``None``.

        Raises:
            Conflict: ``switch.transaction_in_progress`` if a transaction is already open
                (call :meth:`transaction_ended` when a transaction completes or is voided).
        """
        with self._lock:
            if self._in_transaction:
                raise Conflict(
                    "a transaction is already in progress on this register",
                    code="switch.transaction_in_progress",
                )
            self._in_transaction = True
            now = self._clock.monotonic()
            if (
                self._mode is Mode.OFFLINE
                and not self._manual
                and now - self._last_attempt >= self._profile.reconnect_interval_s
            ):
                self._reconnect_pending = True
                self._last_attempt = now
                return ProbeRequest(ProbePurpose.RECONNECT, float(self._profile.timeout_s))
            return None

    def probe_result(self, ok: bool, error: str | None = None) -> SwitchStatus:
        """Report the reconnect probe asked for by :meth:`transaction_starting`.

        ``ok`` → online (unless the operator disconnected meanwhile); else stay offline.

        Raises:
            Conflict: ``switch.no_probe_pending`` when no reconnect probe was asked for.
        """
        with self._lock:
            if not self._reconnect_pending:
                raise Conflict(
                    "no reconnect probe was asked for", code="switch.no_probe_pending"
                )
            self._reconnect_pending = False
            self._record_probe(ok, error)
            if ok and self._mode is Mode.OFFLINE and not self._manual:
                self._go_online()
            return self.status()

    def transaction_ended(self) -> None:
        """Mark the end (completion or void) of the transaction. Idempotent."""
        with self._lock:
            self._in_transaction = False
            self._reconnect_pending = False

    # -- §3.3 advanced switching -----------------------------------------------------------
    def background_probe_due(self) -> ProbeRequest | None:
        """``ProbeRequest(HEALTH, timeout_s)`` when a background probe should run now (§3.3).

        Only with ``health_check_interval_s`` set, between transactions, never in offline
        (manual), and only when ``health_check_interval_s`` seconds passed since the last
        attempt; online, only if the register could go offline at all. Else ``None``.
        No side effect: report the probe with :meth:`background_probe_result`.
        """
        with self._lock:
            interval = self._profile.health_check_interval_s
            if interval is None or self._in_transaction or self._manual:
                return None
            if self._mode is Mode.ONLINE and not self._can_go_offline():
                return None
            if self._clock.monotonic() - self._last_attempt < interval:
                return None
            return ProbeRequest(ProbePurpose.HEALTH, float(self._profile.timeout_s))

    def background_probe_result(self, ok: bool, error: str | None = None) -> SwitchStatus:
        """Report a background probe (deadline ``timeout_s``) (§3.3).

        Online + failed → offline (automatic), reason ``"health check failed"``;
        offline (automatic) + ok → online. Ignored for switching while a transaction is open
        or in offline (manual); the probe is still recorded.
        """
        with self._lock:
            self._record_probe(ok, error)
            self._last_attempt = self._clock.monotonic()
            if self._in_transaction or self._manual:
                return self.status()
            if self._mode is Mode.ONLINE and not ok and self._can_go_offline():
                self._go_offline(manual=False, reason="health check failed")
            elif self._mode is Mode.OFFLINE and ok:
                self._go_online()
            return self.status()

    # -- §3.4 operation 917 Database connection status ------------------------------------
    def disconnect(self) -> SwitchStatus:
        """Operation 917 "Disconnect": go to offline (manual); no automatic reconnect.

        Raises:
            Unavailable: ``switch.no_offline_support`` / ``switch.offline_db_not_ready``.
        """
        with self._lock:
            if self._mode is Mode.ONLINE:
                self._ensure_can_go_offline("the operator chose Disconnect")
            self._go_offline(manual=True, reason="disconnected by the operator")
            return self.status()

    def connect_requested(self) -> ProbeRequest | None:
        """Operation 917 "Connect": returns ``ProbeRequest(CONNECT, timeout_s)``, or ``None``
        when already online. Then call :meth:`connect_result`."""
        with self._lock:
            if self._mode is Mode.ONLINE:
                return None
            self._last_attempt = self._clock.monotonic()
            return ProbeRequest(ProbePurpose.CONNECT, float(self._profile.timeout_s))

    def connect_result(self, ok: bool, error: str | None = None) -> SwitchStatus:
        """Report the Connect probe: ``ok`` → online (even mid-transaction: the operator asked).

        Raises:
            Unavailable: ``switch.connect_failed`` when the probe failed; the register stays
                offline in the same (manual or automatic) state.
        """
        with self._lock:
            self._record_probe(ok, error)
            if ok:
                self._go_online()
                return self.status()
            raise Unavailable(
                f"Could not connect to the store server: {error or 'no answer'}. "
                "The register stays offline.",
                code="switch.connect_failed",
                details={"error": error},
            )

