"""Time: timezone-aware UTC from an injectable clock.

Code never calls ``datetime.now()`` directly; it receives a :class:`Clock`. Production uses
:class:`SystemClock`; tests use :class:`FixedClock` and move it by hand.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes back (for deadlines, intervals)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FixedClock:
    """A clock for tests: stands still until :meth:`advance` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2017, 1, 1, 12, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both wall and monotonic time forward by ``seconds``."""
        self._now += timedelta(seconds=seconds)
        self._mono += seconds


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC. Naive datetimes are refused (ValueError): no guessing."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: Kassa only handles timezone-aware times")
    return value.astimezone(UTC)
