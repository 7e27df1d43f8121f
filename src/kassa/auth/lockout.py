"""Operator lockout after repeated failed sign-ins (issue 8 §3; DESIGN §8).

Rule: :data:`MAX_FAILURES` (5) failed sign-ins for one operator id within
:data:`WINDOW_S` (5 minutes) lock that id for :data:`LOCK_S` (5 minutes), counted from the
failure that reached the limit. While locked every sign-in of the id is refused with
:class:`~kassa.domain.errors.LockedOut` (``auth.locked_out``, HTTP 429 with ``Retry-After``)
*before* the password is looked at — the right password does not help, so guessing is
capped at 5 tries per 5 minutes and id. A good sign-in forgets the id's failures.

Applied at the store server (``POST /api/sign-in``, per store server process) and at the
register while it signs in from its offline DB (per register process). Unknown operator
ids are counted like known ones, so the answers do not tell which ids exist. State lives in
memory: a process restart forgets it (a restart is slower than the lock). Times come from
the injected clock's ``monotonic`` (tests move a :class:`~kassa.domain.clock.FixedClock`).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from typing import Final, TypeVar

from kassa.domain.clock import Clock
from kassa.domain.errors import LockedOut, NotAuthenticated

#: Failed sign-ins within :data:`WINDOW_S` that lock an operator id.
MAX_FAILURES: Final = 5
#: Window of counted failures, seconds.
WINDOW_S: Final = 300.0
#: How long the id stays locked, seconds.
LOCK_S: Final = 300.0
#: Operator ids tracked at once; beyond it ids without a lock are forgotten, oldest first.
MAX_TRACKED: Final = 10_000

T = TypeVar("T")


class OperatorLockout:
    """Failed sign-ins per operator id and the locks they cause (thread-safe).

    Args:
        clock: time source (``monotonic``).
        max_failures, window_s, lock_s: the rule (module docstring).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        max_failures: int = MAX_FAILURES,
        window_s: float = WINDOW_S,
        lock_s: float = LOCK_S,
    ) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = window_s
        self._lock_s = lock_s
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._mutex = threading.Lock()

    def retry_after_s(self, operator_id: str) -> int:
        """Whole seconds until ``operator_id`` may sign in again (0: not locked)."""
        now = self._clock.monotonic()
        with self._mutex:
            until = self._locked_until.get(operator_id)
            if until is None:
                return 0
            if until <= now:
                del self._locked_until[operator_id]
                self._failures.pop(operator_id, None)
                return 0
            return max(1, math.ceil(until - now))

    def check(self, operator_id: str) -> None:
        """Refuse a locked id.

        Raises:
            LockedOut: ``auth.locked_out`` with ``details`` ``operator_id`` and
                ``retry_after_s``.
        """
        wait = self.retry_after_s(operator_id)
        if wait:
            raise LockedOut(
                f"operator {operator_id} is locked after {self._max} failed sign-ins; "
                f"try again in {wait} seconds",
                details={"operator_id": operator_id, "retry_after_s": wait},
            )

    def failed(self, operator_id: str) -> None:
        """Count one failed sign-in; the :data:`MAX_FAILURES`-th within the window locks."""
        now = self._clock.monotonic()
        with self._mutex:
            times = self._failures.setdefault(operator_id, deque())
            while times and now - times[0] > self._window:
                times.popleft()
            times.append(now)
            if len(times) >= self._max:
                self._locked_until[operator_id] = now + self._lock_s
                times.clear()
            self._trim(now)

    def succeeded(self, operator_id: str) -> None:
        """Forget the id's failures after a good sign-in."""
        with self._mutex:
            self._failures.pop(operator_id, None)

    def attempt(self, operator_id: str, sign_in: Callable[[], T]) -> T:
        """Run ``sign_in`` for ``operator_id`` under the rule: refused while locked; a
        :class:`NotAuthenticated` from it counts as a failure; success clears the count.

        Raises:
            LockedOut: the id is locked (``sign_in`` is not called), or this failure locked it.
            NotAuthenticated: whatever ``sign_in`` raised (e.g. ``auth.bad_credentials``).
        """
        self.check(operator_id)
        try:
            result = sign_in()
        except LockedOut:
            raise
        except NotAuthenticated:
            self.failed(operator_id)
            self.check(operator_id)  # the failure that reaches the limit says so at once
            raise
        self.succeeded(operator_id)
        return result

    def _trim(self, now: float) -> None:
        if len(self._locked_until) > MAX_TRACKED:
            for key, until in list(self._locked_until.items()):
                if until <= now:
                    del self._locked_until[key]
        if len(self._failures) > MAX_TRACKED:
            for key in list(self._failures)[: len(self._failures) - MAX_TRACKED]:
                if key not in self._locked_until:
                    del self._failures[key]
