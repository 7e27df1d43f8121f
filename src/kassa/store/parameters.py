"""Commerce parameters with a cache that a package apply drops at once (DESIGN §4).

DESIGN §4: "drops its parameter cache at once: a changed commerce parameter takes effect on
the next transaction, not after 24 hours". The cache is valid for one **epoch**:

* :class:`CacheEpoch` — a counter the puller bumps right after every package it applies
  (in this process);
* the channel DB's ``package_checkpoint`` — read with each lookup (one primary-key row), so
  a package applied by another process (``kassa store pull``) drops the cache too.

So the first request after any apply reads the ``commerce_parameters`` rows again.
Values are the parameters' JSON values (``{"allow_offline_gift_card_conclusion": false,
"receipt_line_width": 42, …}``).
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection, select

from kassa.db import channel_schema as cs
from kassa.store.channel import parameters_from_rows
from kassa.sync.apply import read_checkpoint

_PARAMETERS = cs.metadata.tables["commerce_parameters"]


class CacheEpoch:
    """A thread-safe counter; every :meth:`bump` invalidates what was cached before."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    @property
    def value(self) -> int:
        """The current epoch (starts at 0)."""
        return self._value

    def bump(self) -> int:
        """Start a new epoch (call after applying a package); returns it."""
        with self._lock:
            self._value += 1
            return self._value


class ParameterCache:
    """The commerce parameters of the channel DB, cached per (epoch, checkpoint)."""

    def __init__(self, epoch: CacheEpoch) -> None:
        self._epoch = epoch
        self._key: tuple[int, int | None] | None = None
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()
        #: How many times the rows were read (observability and tests).
        self.loads = 0

    def get(self, conn: Connection) -> dict[str, Any]:
        """The parameters as ``{key: JSON value}`` (a copy), reloaded when the epoch or the
        checkpoint moved since the last load."""
        key = (self._epoch.value, read_checkpoint(conn))
        with self._lock:
            if key == self._key:
                return dict(self._values)
        rows = conn.execute(select(_PARAMETERS.c.key, _PARAMETERS.c.value)).all()
        values = parameters_from_rows([(str(k), str(v)) for k, v in rows])
        with self._lock:
            self._key, self._values = key, values
            self.loads += 1
            return dict(values)
