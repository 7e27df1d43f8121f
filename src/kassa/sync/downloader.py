"""Download data packages into the register's offline DB (DESIGN §4; issue 3 §6).

One :meth:`Downloader.run_once`:

1. reads the offline DB's checkpoint (``None`` for a new register);
2. ``GET /api/packages?after=<checkpoint>`` (no ``after``: the store server lists the newest
   snapshot first, then the later deltas — never a replay of history);
3. for each header: ``GET /api/packages/{number}/body?kind=`` and
   :func:`kassa.sync.apply.apply_package` — verify checksum, apply the rows and the new
   checkpoint in ONE SQLite transaction. A refused package (truncated, bad checksum, gap)
   leaves the offline DB as it was; the next attempt re-fetches;
4. repeats while packages keep coming (listings are paged), then records the attempt in
   ``sync_attempts`` (time, result, last package number, rows, error).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from kassa.domain.clock import Clock
from kassa.domain.errors import KassaError
from kassa.pos.store_http import StoreHttp
from kassa.sync import attempts
from kassa.sync.apply import ApplyResult, apply_package, checkpoint_of

log = logging.getLogger("kassa.sync.download")

#: Most listing rounds in one attempt (each round applies up to a page of packages).
MAX_ROUNDS = 1000


class Downloader:
    """Fetches and applies packages for one register.

    Args:
        http: the sync client's :class:`StoreHttp` (device token).
        engine: the offline DB.
        clock: time source (``applied_at``, attempt time).
        on_applied: called after each package that changed the offline DB.
    """

    def __init__(
        self,
        http: StoreHttp,
        engine: Engine,
        clock: Clock,
        on_applied: Callable[[ApplyResult], None] | None = None,
    ) -> None:
        self.http = http
        self.engine = engine
        self._clock = clock
        self._on_applied = on_applied

    def _headers(self, checkpoint: int | None) -> list[dict[str, Any]]:
        params = {} if checkpoint is None else {"after": checkpoint}
        body = self.http.get_json("/api/packages", params=params)
        headers = body.get("packages") if isinstance(body, dict) else None
        if not isinstance(headers, list) or not all(isinstance(h, dict) for h in headers):
            raise KassaError(f"bad package listing: {str(body)[:200]}", code="store.bad_answer")
        return headers

    def _apply(self, header: dict[str, Any]) -> ApplyResult:
        number, kind = header.get("number"), header.get("kind")
        response = self.http.request("GET", f"/api/packages/{int(str(number))}/body",
                                     params={"kind": kind})
        result = apply_package(self.engine, header, response.content, now=self._clock.now())
        if not result.skipped and self._on_applied is not None:
            self._on_applied(result)
        return result

    def run_once(self) -> attempts.Attempt:
        """One download attempt (module docstring); never raises for network or package
        errors — they are recorded in the attempt (``result="error"``, ``error``)."""
        at = self._clock.now()
        applied = rows = 0
        last: int | None = None
        error: str | None = None
        try:
            for _ in range(MAX_ROUNDS):
                progressed = False
                for header in self._headers(checkpoint_of(self.engine)):
                    result = self._apply(header)
                    if not result.skipped:
                        applied, rows, last = applied + 1, rows + result.rows, result.number
                        progressed = True
                if not progressed:
                    break
        except KassaError as exc:
            error = f"{exc.code}: {exc.message}"
            log.warning("package download failed: %s", error)
        result_text = "error" if error is not None else ("ok" if applied else "nothing_new")
        attempt = attempts.Attempt("download", at, result_text,
                                   last if last is not None else checkpoint_of(self.engine),
                                   rows, None, error)
        attempts.record(self.engine, attempt)
        return attempt
