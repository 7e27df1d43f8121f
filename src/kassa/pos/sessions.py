"""Operator sessions of the register (DESIGN §8): a random token per sign-in.

Tokens live in memory only: after a register restart the operator signs in again (the open
cart is kept on disk, see :mod:`kassa.pos.cart_store`). The most recent sign-in is the
operator the status header shows.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

from kassa.domain.errors import NotAuthenticated
from kassa.pos.datasource import OperatorInfo


@dataclass(frozen=True)
class Session:
    """One signed-in operator: ``token`` (43 URL-safe characters), who, since when (UTC)."""

    token: str
    operator: OperatorInfo
    started_at: datetime


class Sessions:
    """The register's sessions (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_token: dict[str, Session] = {}
        self._latest: Session | None = None

    def open(self, operator: OperatorInfo, now: datetime) -> Session:
        """A new session for ``operator``."""
        session = Session(secrets.token_urlsafe(32), operator, now)
        with self._lock:
            self._by_token[session.token] = session
            self._latest = session
        return session

    def get(self, token: str | None) -> Session:
        """The session of ``token``.

        Raises:
            NotAuthenticated: ``auth.session`` for a missing, unknown or closed token.
        """
        with self._lock:
            session = self._by_token.get(token or "")
        if session is None:
            raise NotAuthenticated("sign in first (no valid session)", code="auth.session")
        return session

    def close(self, token: str) -> None:
        """End the session (idempotent)."""
        with self._lock:
            session = self._by_token.pop(token, None)
            if session is not None and session is self._latest:
                self._latest = next(reversed(self._by_token.values()), None)

    @property
    def current(self) -> Session | None:
        """The most recent open session, or ``None``."""
        return self._latest
