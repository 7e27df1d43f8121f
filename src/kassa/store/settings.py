"""Settings of one store server process and where its two secrets come from (DESIGN §8).

Two secrets, never logged, never stored in a database:

* **store server token** — what the store server presents to HQ
  (``Authorization: Bearer …``; HQ keeps only its SHA-256, ``kassa hq store-token STORE``
  prints one). From ``--store-token``, else ``KASSA_STORE_TOKEN``, else the file
  ``<data dir>/store-<id>.token``.
* **HQ pull token** — what HQ presents to the store server for the P-job
  (``GET /api/hq/transactions``, DESIGN §5). HQ cannot derive it from anything it holds
  (it keeps only hashes), so the store server owns it: from ``--hq-pull-token``, else
  ``KASSA_HQ_PULL_TOKEN``, else the file ``<data dir>/store-<id>-hq-pull.token``, created
  (mode 0600, 256 random bits) on the first ``kassa store serve``. The store server sends
  it to HQ in every ``POST /api/status`` report (field ``hq_pull_token``, over the
  store-token-authenticated channel) together with its own base URL
  (``store_server_url``), so HQ always knows how to reach and authenticate to it; the
  store server compares what HQ presents in constant time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kassa.auth.tokens import new_token
from kassa.domain.errors import InvalidInput

STORE_TOKEN_ENV: Final = "KASSA_STORE_TOKEN"
HQ_PULL_TOKEN_ENV: Final = "KASSA_HQ_PULL_TOKEN"
#: Default seconds between two pulls from HQ.
DEFAULT_PULL_INTERVAL_S: Final = 30.0
#: Default deadline (seconds) of one call to HQ; a package body gets ``BODY_TIMEOUT_S``.
DEFAULT_HQ_TIMEOUT_S: Final = 10.0
BODY_TIMEOUT_S: Final = 120.0


@dataclass(frozen=True)
class StoreSettings:
    """What one store server needs besides its channel database.

    Attributes:
        store_id: the store this server belongs to (The Complete Journey store id).
        hq_pull_token: secret HQ presents for ``GET /api/hq/transactions``.
        hq_url: base URL of HQ (``http://127.0.0.1:8700``); None runs without HQ (no pull,
            no activation relay — answers 503 ``hq.not_configured``).
        store_token: the store server token for HQ; required with ``hq_url``.
        public_url: base URL under which HQ reaches this server (sent with the status).
        pull_interval_s: seconds between pulls (> 0).
        hq_timeout_s: deadline of one HQ call in seconds (> 0).

    Raises:
        InvalidInput: ``store.settings`` for a bad value.
    """

    store_id: int
    hq_pull_token: str
    hq_url: str | None = None
    store_token: str | None = None
    public_url: str | None = None
    pull_interval_s: float = DEFAULT_PULL_INTERVAL_S
    hq_timeout_s: float = DEFAULT_HQ_TIMEOUT_S

    def __post_init__(self) -> None:
        if isinstance(self.store_id, bool) or not isinstance(self.store_id, int) or (
            self.store_id < 0
        ):
            raise InvalidInput("store id must be a non-negative int", code="store.settings")
        if not self.hq_pull_token or len(self.hq_pull_token) < 16:
            raise InvalidInput("the HQ pull token needs at least 16 characters",
                               code="store.settings")
        if self.hq_url is not None and not self.store_token:
            raise InvalidInput(
                "a store server that talks to HQ needs its store server token "
                f"(--store-token, {STORE_TOKEN_ENV} or the token file)", code="store.settings")
        if self.pull_interval_s <= 0 or self.hq_timeout_s <= 0:
            raise InvalidInput("intervals and timeouts must be more than 0 seconds",
                               code="store.settings")


def _read(path: Path) -> str | None:
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        return value or None
    return None


def _write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")


def store_token_path(data_dir: Path, store_id: int) -> Path:
    """``<data dir>/store-<id>.token``."""
    return data_dir / f"store-{store_id}.token"


def hq_pull_token_path(data_dir: Path, store_id: int) -> Path:
    """``<data dir>/store-<id>-hq-pull.token``."""
    return data_dir / f"store-{store_id}-hq-pull.token"


def resolve_store_token(data_dir: Path, store_id: int, explicit: str | None = None) -> str | None:
    """The store server token: argument > ``KASSA_STORE_TOKEN`` > token file > None."""
    return (
        (explicit or "").strip()
        or os.environ.get(STORE_TOKEN_ENV, "").strip()
        or _read(store_token_path(data_dir, store_id))
    )


def resolve_hq_pull_token(data_dir: Path, store_id: int, explicit: str | None = None) -> str:
    """The HQ pull token: argument > ``KASSA_HQ_PULL_TOKEN`` > file, created when missing."""
    given = (explicit or "").strip() or os.environ.get(HQ_PULL_TOKEN_ENV, "").strip()
    if given:
        return given
    path = hq_pull_token_path(data_dir, store_id)
    found = _read(path)
    if found:
        return found
    token = new_token()
    try:
        _write_secret(path, token)
    except FileExistsError:  # created concurrently: the file wins
        return _read(path) or token
    return token
