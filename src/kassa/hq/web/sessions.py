"""Sign-in sessions of the HQ back office (DESIGN §8: "HQ admin by an admin token").

The admin signs in on ``/login`` with the admin token; HQ then keeps a :class:`Session` in
memory (never on disk: a restart signs everybody out) and gives the browser a cookie
``<session id>.<HMAC-SHA256 of the id>`` (HttpOnly, SameSite=Strict). The key of the HMAC is
random per process, so a cookie forged or kept from an earlier process is refused.

* A session expires after :data:`IDLE_S` seconds without a request, and at the latest
  :data:`MAX_AGE_S` seconds after sign-in (times from the injected clock's ``monotonic``).
* Each session carries its own CSRF token; every POST form must send it back
  (:meth:`Session.csrf_matches`, constant-time).
* :class:`LoginThrottle` refuses sign-in from a client address after
  :data:`MAX_FAILURES` wrong tokens within :data:`FAILURE_WINDOW_S` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from kassa.domain.clock import Clock

#: Cookie holding the signed session id.
COOKIE_NAME: Final = "kassa_hq_session"
#: A session ends after this many seconds without a request (30 minutes).
IDLE_S: Final = 30 * 60
#: …and at the latest this many seconds after sign-in (12 hours).
MAX_AGE_S: Final = 12 * 3600
#: Most sessions kept at once; the oldest is dropped beyond it.
MAX_SESSIONS: Final = 1000
#: Wrong tokens accepted from one client address within :data:`FAILURE_WINDOW_S`.
MAX_FAILURES: Final = 5
FAILURE_WINDOW_S: Final = 60.0


@dataclass
class Session:
    """One signed-in admin: ``csrf`` token, times (monotonic seconds) and pending flash
    messages ``(level, text)`` with level ``ok``, ``warn`` or ``error``."""

    id: str
    csrf: str
    created: float
    seen: float
    flashes: list[tuple[str, str]] = field(default_factory=list)

    def csrf_matches(self, token: str | None) -> bool:
        """True when ``token`` is this session's CSRF token (constant-time compare)."""
        if not token:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.csrf.encode("utf-8"))

    def flash(self, level: str, text: str) -> None:
        """Keep a message for the next page shown to this session."""
        self.flashes.append((level, text))

    def take_flashes(self) -> list[tuple[str, str]]:
        """The pending messages, removed from the session."""
        out, self.flashes = self.flashes, []
        return out


class SessionStore:
    """Sessions by id, in memory, thread-safe (handlers run in a thread pool)."""

    def __init__(
        self,
        clock: Clock,
        *,
        idle_s: float = IDLE_S,
        max_age_s: float = MAX_AGE_S,
        limit: int = MAX_SESSIONS,
    ) -> None:
        self._clock = clock
        self._idle_s = idle_s
        self._max_age_s = max_age_s
        self._limit = limit
        self._key = secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    @property
    def idle_s(self) -> float:
        """Seconds of inactivity after which a session ends."""
        return self._idle_s

    def _sign(self, sid: str) -> str:
        return hmac.new(self._key, sid.encode("ascii"), hashlib.sha256).hexdigest()

    def create(self) -> Session:
        """A new session (the caller sets its cookie with :meth:`cookie_value`)."""
        now = self._clock.monotonic()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._expire(now)
            while len(self._sessions) >= self._limit:
                oldest = min(self._sessions.values(), key=lambda s: s.created)
                del self._sessions[oldest.id]
            self._sessions[session.id] = session
        return session

    def cookie_value(self, session: Session) -> str:
        """``<id>.<hmac>`` — what the cookie holds."""
        return f"{session.id}.{self._sign(session.id)}"

    def lookup(self, cookie: str | None) -> Session | None:
        """The live session named by a cookie value, its idle time reset; None when the
        cookie is missing, forged, or its session ended."""
        if not cookie or cookie.count(".") != 1:
            return None
        sid, signature = cookie.split(".")
        try:
            expected = self._sign(sid)
        except UnicodeEncodeError:
            return None
        if not hmac.compare_digest(signature.encode("utf-8", "replace"), expected.encode()):
            return None
        now = self._clock.monotonic()
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if self._ended(session, now):
                del self._sessions[sid]
                return None
            session.seen = now
            return session

    def drop(self, session: Session) -> None:
        """End a session (sign-out)."""
        with self._lock:
            self._sessions.pop(session.id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _ended(self, session: Session, now: float) -> bool:
        return now - session.seen > self._idle_s or now - session.created > self._max_age_s

    def _expire(self, now: float) -> None:
        for sid in [s.id for s in self._sessions.values() if self._ended(s, now)]:
            del self._sessions[sid]


class LoginThrottle:
    """Counts wrong tokens per client address; refuses after too many in a window."""

    def __init__(
        self, clock: Clock, *, max_failures: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S
    ) -> None:
        self._clock = clock
        self._max = max_failures
        self._window = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds until ``client`` may try again (0 when it may try now)."""
        now = self._clock.monotonic()
        with self._lock:
            recent = self._recent(client, now)
            if len(recent) < self._max:
                return 0.0
            return max(0.0, recent[0] + self._window - now)

    def failed(self, client: str) -> None:
        """Record one wrong token from ``client``."""
        now = self._clock.monotonic()
        with self._lock:
            self._recent(client, now).append(now)

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures after a good sign-in."""
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] > self._window:
            times.popleft()
        return times
