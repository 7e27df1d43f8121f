"""Offline profile: per-store settings of the switch and of the async sync (DESIGN §1, §3, §5).

An :class:`OfflineProfile` is immutable and always valid: construction runs :meth:`validate`.
All durations are in **seconds** (``int`` or ``float``; ``bool`` is refused). Limits:

=============================  ===================  ==========================================
field                          allowed              meaning
=============================  ===================  ==========================================
``timeout_s``                  0 < x <= 120         deadline of one request to the store server
``retry_count_to_offline``     int 0..10            retries before switching to offline
``reconnect_interval_s``       0 <= x <= 86400      min. gap between reconnect attempts (§3.2)
``health_check_interval_s``    None or 0 < x <= 1d  background probe period; None = off (§3.3)
``prompt_on_seamless_offline`` bool                 dialog (True) or banner (False) on switch
``download_interval_s``        0 < x <= 86400       sync loop: package download period
``upload_interval_s``          0 < x <= 86400       sync loop: transaction upload period
``upload_batch_size``          int 1..10000         transactions per upload batch (§5)
``pause_offline_sync``         bool                 True stops the sync loop
=============================  ===================  ==========================================

The second half of the module is the **request policy** derived from the profile (DESIGN
§3.1), re-exported by :mod:`kassa.domain.switch`: :class:`FailureKind` and
:func:`classify_http_status` (what switches: timeout, refused, reset, 502/503/504 — never a
4xx), :class:`RetryPolicy` and :class:`Deadline`. A cashier waits at most
``(1 + retry_count_to_offline) * timeout_s`` seconds before the register switches to offline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Final

from kassa.domain.clock import Clock
from kassa.domain.errors import InvalidInput

#: Longest allowed request deadline (seconds).
MAX_TIMEOUT_S: Final = 120
#: Most retries before switching offline.
MAX_RETRIES: Final = 10
#: Longest allowed interval for any periodic activity (seconds): one day.
MAX_INTERVAL_S: Final = 86_400
#: Largest upload batch (transactions).
MAX_BATCH: Final = 10_000


def _err(field: str, message: str, value: object) -> InvalidInput:
    return InvalidInput(
        f"offline profile: {field} {message} (got {value!r})",
        code=f"offline_profile.{field}",
        details={"field": field, "value": repr(value)},
    )


def _seconds(field: str, value: object, *, allow_zero: bool, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(field, "must be a number of seconds", value)
    if not math.isfinite(value):
        raise _err(field, "must be finite", value)
    if value < 0 or (value == 0 and not allow_zero):
        raise _err(field, "must be " + (">= 0" if allow_zero else "> 0"), value)
    if value > maximum:
        raise _err(field, f"must be <= {maximum} seconds", value)
    return float(value)


def _int(field: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(field, "must be an integer", value)
    if not lo <= value <= hi:
        raise _err(field, f"must be between {lo} and {hi}", value)
    return value


def _bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _err(field, "must be true or false", value)
    return value


@dataclass(frozen=True)
class OfflineProfile:
    """The offline profile of a store (DESIGN §1). Immutable; always valid.

    Raises:
        InvalidInput: on construction, code ``offline_profile.<field>`` naming the first bad
            field (see the module table for limits).
    """

    timeout_s: float = 5
    retry_count_to_offline: int = 0
    reconnect_interval_s: float = 60
    health_check_interval_s: float | None = None
    prompt_on_seamless_offline: bool = False
    download_interval_s: float = 60
    upload_interval_s: float = 10
    upload_batch_size: int = 100
    pause_offline_sync: bool = False

    FIELDS: ClassVar[tuple[str, ...]] = (
        "timeout_s",
        "retry_count_to_offline",
        "reconnect_interval_s",
        "health_check_interval_s",
        "prompt_on_seamless_offline",
        "download_interval_s",
        "upload_interval_s",
        "upload_batch_size",
        "pause_offline_sync",
    )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field against its limits (module table).

        Raises:
            InvalidInput: code ``offline_profile.<field>`` for the first field out of range.
        """
        _seconds("timeout_s", self.timeout_s, allow_zero=False, maximum=MAX_TIMEOUT_S)
        _int("retry_count_to_offline", self.retry_count_to_offline, 0, MAX_RETRIES)
        _seconds(
            "reconnect_interval_s", self.reconnect_interval_s, allow_zero=True,
            maximum=MAX_INTERVAL_S,
        )
        if self.health_check_interval_s is not None:
            _seconds(
                "health_check_interval_s", self.health_check_interval_s, allow_zero=False,
                maximum=MAX_INTERVAL_S,
            )
        _bool("prompt_on_seamless_offline", self.prompt_on_seamless_offline)
        _seconds(
            "download_interval_s", self.download_interval_s, allow_zero=False,
            maximum=MAX_INTERVAL_S,
        )
        _seconds(
            "upload_interval_s", self.upload_interval_s, allow_zero=False,
            maximum=MAX_INTERVAL_S,
        )
        _int("upload_batch_size", self.upload_batch_size, 1, MAX_BATCH)
        _bool("pause_offline_sync", self.pause_offline_sync)

    @property
    def max_wait_s(self) -> float:
        """Longest time (seconds) a cashier waits before the switch: ``(1+retries)*timeout_s``."""
        return (1 + self.retry_count_to_offline) * float(self.timeout_s)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OfflineProfile:
        """Build a profile from ``{field: value}`` (e.g. a DB row or JSON body).

        Missing fields take the :data:`DEFAULT` values; extra keys ``id``, ``name`` and
        ``version`` (row bookkeeping) are ignored.

        Raises:
            InvalidInput: code ``offline_profile.unknown_field`` for any other key, or
                ``offline_profile.<field>`` for a bad value.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput(
                f"offline profile must be a mapping (got {type(data).__name__})",
                code="offline_profile.not_a_mapping",
            )
        unknown = sorted(set(data) - set(cls.FIELDS) - {"id", "name", "version"})
        if unknown:
            raise InvalidInput(
                f"offline profile: unknown field(s) {', '.join(map(str, unknown))}",
                code="offline_profile.unknown_field",
                details={"fields": [str(u) for u in unknown]},
            )
        return cls(**{name: data[name] for name in cls.FIELDS if name in data})

    def to_mapping(self) -> dict[str, Any]:
        """The profile as ``{field: value}`` with JSON types.

        Whole-second durations come out as ``int`` (fit for the ``Integer`` columns);
        fractional ones stay ``float``.
        """
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            out[f.name] = value
        return out


#: The profile a store gets when nothing else is configured (DESIGN §1).
DEFAULT: Final = OfflineProfile()


# -- request policy (DESIGN §3.1): what switches, how long a cashier waits ----------------


class FailureKind(StrEnum):
    """Why a request to the store server failed in a way that switches to offline (§3.1)."""

    TIMEOUT = "timeout"
    REFUSED = "refused"
    RESET = "reset"
    BAD_GATEWAY_5XX = "bad_gateway_5xx"


_FAILURE_TEXT = {
    FailureKind.TIMEOUT: "the store server did not answer in time",
    FailureKind.REFUSED: "the store server refused the connection",
    FailureKind.RESET: "the connection to the store server was reset",
    FailureKind.BAD_GATEWAY_5XX: "the store server answered 502/503/504",
}

#: HTTP statuses that mean "server unavailable" and switch to offline (DESIGN §3.1).
SWITCHING_STATUSES = frozenset({502, 503, 504})


def parse_failure_kind(kind: object) -> FailureKind:
    """``FailureKind`` or its value → ``FailureKind``.

    Raises:
        InvalidInput: code ``switch.unknown_failure``.
    """
    try:
        return FailureKind(str(kind))
    except ValueError:
        raise InvalidInput(
            f"unknown failure kind {kind!r}; expected one of "
            f"{', '.join(k.value for k in FailureKind)}",
            code="switch.unknown_failure",
        ) from None


def classify_http_status(status: int) -> FailureKind | None:
    """``502``/``503``/``504`` → :attr:`FailureKind.BAD_GATEWAY_5XX`; anything else → ``None``.

    A 4xx (or any other status) is an answer, not an outage: it never switches (DESIGN §3.1).
    """
    return FailureKind.BAD_GATEWAY_5XX if status in SWITCHING_STATUSES else None


def failure_text(kind: FailureKind) -> str:
    """A short human cause for ``kind`` (``"the store server refused the connection"``)."""
    return _FAILURE_TEXT[kind]


@dataclass(frozen=True)
class Deadline:
    """A deadline of ``seconds`` from ``started`` on ``clock.monotonic()``."""

    clock: Clock
    seconds: float
    started: float

    @classmethod
    def start(cls, clock: Clock, seconds: float) -> Deadline:
        """A deadline running from now."""
        return cls(clock, float(seconds), clock.monotonic())

    def remaining_s(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.started + self.seconds - self.clock.monotonic())

    @property
    def expired(self) -> bool:
        """True once ``seconds`` have passed."""
        return self.remaining_s() <= 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """How a data request is attempted before switching (DESIGN §3.1).

    ``attempts = 1 + retry_count_to_offline``, each with a deadline of ``timeout_s`` seconds,
    so the cashier waits **at most** ``(1 + retry_count_to_offline) * timeout_s`` seconds
    (:attr:`max_wait_s`) before the register answers from the offline DB.

    Raises:
        InvalidInput: ``offline_profile.timeout_s`` / ``offline_profile.retry_count_to_offline``.
    """

    timeout_s: float
    retry_count_to_offline: int = 0

    def __post_init__(self) -> None:
        # Same limits as the profile; reuse its validation.
        OfflineProfile(timeout_s=self.timeout_s, retry_count_to_offline=self.retry_count_to_offline)

    @classmethod
    def from_profile(cls, profile: OfflineProfile) -> RetryPolicy:
        """The policy of an offline profile."""
        return cls(profile.timeout_s, profile.retry_count_to_offline)

    @property
    def attempts(self) -> int:
        """Number of tries of one request: ``1 + retry_count_to_offline`` (1..11)."""
        return 1 + self.retry_count_to_offline

    @property
    def per_attempt_deadline_s(self) -> float:
        """Deadline of each try, seconds (= ``timeout_s``, at most 120)."""
        return float(self.timeout_s)

    @property
    def max_wait_s(self) -> float:
        """Longest wait before the switch, seconds: ``attempts * timeout_s``."""
        return self.attempts * float(self.timeout_s)

    def deadline(self, clock: Clock) -> Deadline:
        """A fresh per-attempt deadline starting now."""
        return Deadline.start(clock, self.per_attempt_deadline_s)
