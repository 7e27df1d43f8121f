"""Bearer tokens: device tokens of registers and stores, the HQ admin token (DESIGN §8).

Tokens are 256-bit random strings; servers keep only their SHA-256 (a high-entropy token
needs no slow hash) and compare digests in constant time. Activation codes are short
one-time codes, also stored hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from kassa.domain.errors import NotAuthenticated

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh URL-safe bearer token (43 characters, 256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_activation_code() -> str:
    """A one-time activation code a person can type: 12 characters, e.g. ``7KQ2-M9XD-4HPA``."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def token_hash(token: str) -> str:
    """Hex SHA-256 of a token or activation code (what servers store)."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    """Constant-time check of ``token`` against a stored hash."""
    if not stored_hash or not token:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


def bearer_token(authorization: str | None) -> str:
    """Extract the token from an ``Authorization: Bearer <token>`` header.

    Raises:
        NotAuthenticated: code ``auth.missing_token`` when absent or malformed.
    """
    if not authorization:
        raise NotAuthenticated("missing Authorization header", code="auth.missing_token")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated(
            "Authorization header must be 'Bearer <token>'", code="auth.missing_token"
        )
    return value.strip()


def admin_token(data_dir: Path) -> str:
    """The HQ admin token: ``KASSA_ADMIN_TOKEN`` if set, else ``<data_dir>/admin-token``
    (created with mode 0600 on first use)."""
    env = os.environ.get("KASSA_ADMIN_TOKEN")
    if env:
        return env.strip()
    path = data_dir / "admin-token"
    if path.exists():
        return path.read_text().strip()
    token = new_token()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token
