"""Operator passwords: argon2id hashes, never plain text (DESIGN §8).

Parameters follow the OWASP Password Storage Cheat Sheet minimum for argon2id
(m = 19 MiB, t = 2, p = 1): about 25–30 ms per hash or verify on one core of a small
server, inside the ≤ 50 ms budget a cashier's sign-in (online or from the offline DB) can
afford. Hashes are PHC strings (``$argon2id$v=19$m=19456,t=2,p=1$…``, ~97 characters) that
carry their own parameters, so old hashes keep verifying after the parameters change and
:func:`needs_rehash` says when to upgrade one.
"""

from __future__ import annotations

import secrets
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kassa.domain.errors import InvalidInput

#: argon2id time cost (passes over memory).
TIME_COST: Final = 2
#: argon2id memory cost in KiB (19 MiB).
MEMORY_COST_KIB: Final = 19_456
#: argon2id lanes.
PARALLELISM: Final = 1
#: Shortest password Kassa stores (operators type it on a till keyboard).
MIN_PASSWORD_LENGTH: Final = 4

_hasher: Final = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM
)


def hash_password(password: str) -> str:
    """Hash ``password`` with a fresh random salt; returns the PHC string to store.

    Raises:
        InvalidInput: code ``password.invalid`` for a non-string or a password shorter than
            :data:`MIN_PASSWORD_LENGTH` characters.
    """
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
            code="password.invalid",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False on mismatch or a broken hash.

    Never raises for bad input: a corrupt or foreign stored hash just fails to verify.
    """
    if not isinstance(password_hash, str) or not isinstance(password, str):
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_dummy_hash: list[str] = []


def verify_or_burn(password_hash: str | None, password: str) -> bool:
    """:func:`verify_password`, or — for ``None`` (unknown operator, another store's) — the
    same argon2 work against a throw-away hash, then False: the answer takes as long either
    way, so operator ids cannot be probed by timing (issue 8 §3)."""
    if password_hash is None:
        if not _dummy_hash:
            _dummy_hash.append(_hasher.hash(secrets.token_urlsafe(16)))
        verify_password(_dummy_hash[0], password)
        return False
    return verify_password(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made with other parameters than the current ones.

    A hash that is not an argon2 PHC string at all also needs a rehash.
    """
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
