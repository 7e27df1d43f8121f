"""Who this register is: the identity file and activation (DESIGN §8, docs/API.md).

The identity lives in the data directory as ``register-<store>-<n>.json`` with mode 0600 —
never in the offline DB, which is copied around for support. Shape::

    {"store_id": int, "register_number": int, "register_id": "uuid",
     "device_token": "...", "store_url": "http://host:port"}

Activation trades a one-time code for the device token: ``POST <store>/api/activate
{"code"}`` → ``{"register_id", "store_id", "register_number", "device_token"}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from kassa.domain.errors import InvalidInput, NotFound, Unavailable
from kassa.domain.ids import parse_id
from kassa.pos.store_http import classify_exception, error_from_answer

#: Deadline of the activation request, seconds (a person waits for it once).
ACTIVATION_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class RegisterIdentity:
    """The register's identity and credentials (module docstring)."""

    store_id: int
    register_number: int
    register_id: UUID
    device_token: str
    store_url: str

    @staticmethod
    def path(data_dir: Path, store_id: int, register_number: int) -> Path:
        """``<data_dir>/register-<store>-<n>.json``."""
        return Path(data_dir) / f"register-{store_id}-{register_number}.json"

    def to_dict(self) -> dict[str, Any]:
        """The file's JSON shape."""
        return {"store_id": self.store_id, "register_number": self.register_number,
                "register_id": str(self.register_id), "device_token": self.device_token,
                "store_url": self.store_url}

    def save(self, data_dir: Path) -> Path:
        """Write the file atomically with mode 0600 (temp file + rename); return its path."""
        target = self.path(data_dir, self.store_id, self.register_number)
        temp = target.with_suffix(".json.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self.to_dict(), fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, target)
        return target

    @classmethod
    def load(cls, data_dir: Path, store_id: int, register_number: int) -> RegisterIdentity:
        """Read the identity file.

        Raises:
            NotFound: ``register.not_activated`` when there is no file.
            InvalidInput: ``register.bad_identity`` for a file that does not parse, or that
                is readable by others (mode wider than 0600).
        """
        path = cls.path(data_dir, store_id, register_number)
        if not path.exists():
            raise NotFound(
                f"register {store_id}/{register_number} is not activated here ({path} missing); "
                "run `kassa pos activate`", code="register.not_activated")
        if path.stat().st_mode & 0o077:
            raise InvalidInput(f"{path} must be readable by its owner only (chmod 600)",
                               code="register.bad_identity")
        try:
            data = json.loads(path.read_text())
            identity = cls(int(data["store_id"]), int(data["register_number"]),
                           parse_id(data["register_id"]), str(data["device_token"]),
                           str(data["store_url"]))
        except (ValueError, KeyError, TypeError, InvalidInput) as exc:
            raise InvalidInput(f"{path} is not a register identity: {exc}",
                               code="register.bad_identity") from exc
        if (identity.store_id, identity.register_number) != (store_id, register_number):
            raise InvalidInput(f"{path} belongs to another register", code="register.bad_identity")
        return identity


def activate(
    store_url: str, code: str, store_id: int, register_number: int, data_dir: Path
) -> RegisterIdentity:
    """Activate this register at the store server and save its identity file.

    Raises:
        Unavailable: ``register.activation_unreachable`` when the store server cannot be reached.
        KassaError: the store server's refusal (e.g. 401 for a wrong or used code).
        InvalidInput: ``register.activation_mismatch`` when the code belongs to another
            store or register number than asked for.
    """
    try:
        response = httpx.post(f"{store_url.rstrip('/')}/api/activate", json={"code": code},
                              timeout=ACTIVATION_TIMEOUT_S)
    except httpx.HTTPError as exc:
        kind = classify_exception(exc)
        raise Unavailable(f"cannot reach the store server at {store_url}: {exc!r}",
                          code="register.activation_unreachable",
                          details={"kind": kind.value if kind else None}) from exc
    if response.status_code >= 400:
        raise error_from_answer(response)
    body = response.json()
    try:
        identity = RegisterIdentity(int(body["store_id"]), int(body["register_number"]),
                                    parse_id(body["register_id"]), str(body["device_token"]),
                                    store_url.rstrip("/"))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"bad activation answer: {exc!r}", code="store.bad_answer") from exc
    if (identity.store_id, identity.register_number) != (store_id, register_number):
        raise InvalidInput(
            f"this activation code is for store {identity.store_id} register "
            f"{identity.register_number}, not {store_id}/{register_number}",
            code="register.activation_mismatch")
    identity.save(data_dir)
    return identity
