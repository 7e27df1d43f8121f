"""The P-job: HQ pulls each store's finished transactions and posts them (DESIGN §5).

For every store with a known endpoint (:func:`kassa.hq.posting.cursors.record_store_endpoint`)
:meth:`Puller.pull_store` repeats until an empty page (so a store that caps ``limit`` lower
is still drained in one run)::

    GET {base_url}/api/hq/transactions?after={cursor}&limit={page_size}
        Authorization: Bearer {pull_token}
    → {"transactions": [{"seq": int, "record": {...}}, …], "last_seq": int}

and posts each page in **one** HQ DB transaction that also moves the cursor to the page's
highest ``seq`` (:func:`~kassa.hq.posting.posting.post`, :func:`~.cursors.advance_cursor`).
So: the cursor is a monotonic counter, never a time; a crash or an HQ outage between two
pages loses nothing and duplicates nothing; the next run continues from the cursor.

Failures are recorded on the store's cursor (``last_error``, ``last_error_at``), never
raised out of :meth:`Puller.run_once`; error texts start with a stable code:

* ``store.timeout`` — no answer within ``timeout_s``;
* ``store.unreachable`` — refused / reset / DNS (the store server is down);
* ``store.http_error`` — any status other than 200 (e.g. 401 for a wrong pull token);
* ``store.bad_answer`` — not JSON, wrong shape, or ``seq`` not increasing above the cursor;
* ``hq.database`` — HQ's own database failed while posting (retried next run);
* ``posting.failed`` — anything else (e.g. a posting handler's bug); retried next run.

A page that the database refuses as a whole (one bad row), or in which a posting handler
refuses a transaction with a :class:`~kassa.domain.errors.KassaError`, is posted again
record by record (``isolate=True``), so a single bad record is quarantined instead of
blocking the store.
:meth:`Puller.start` runs :meth:`Puller.run_once` every ``interval_s`` in a daemon thread.

A store whose pull failed on the store's side (``store.*``) is not pulled again by the
periodic runs until its retry time:
:data:`RETRY_FIRST_S` after the first failure, doubled after each further one, at most
:data:`RETRY_MAX_S` — unless its store server reports its status again meanwhile (a new
``reported_at`` on its endpoint: it is back), then the next run pulls it at once. So stores
that are down (closed for the night, switched off, gone) cost the chain's posting a refused
connection now and then instead of one per run each, and a blackholed one no longer holds
every run for ``timeout_s``. A pull of one named store (``run_once(store_id)``, the
operator's "run now") always tries.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kassa.domain.clock import Clock, SystemClock
from kassa.domain.errors import KassaError
from kassa.failpoints import failpoint
from kassa.hq.posting import cursors
from kassa.hq.posting.posting import STORAGE_REFUSALS, PostingHandler, PostOutcome, post

log = logging.getLogger(__name__)

#: Transactions asked for per request (the store server may cap it lower).
DEFAULT_PAGE_SIZE = 500
#: Seconds to connect to / wait for a store server.
DEFAULT_TIMEOUT_S = 10.0
#: Seconds before a store whose pull failed is tried again (doubled per further failure).
RETRY_FIRST_S = 2.0
#: The longest wait between two tries of a failing store, seconds.
RETRY_MAX_S = 60.0


@dataclass(frozen=True)
class _Retry:
    """When a failing store is tried again: after ``failures`` failures in a row, not
    before ``not_before`` (the clock's monotonic seconds) unless its endpoint is reported
    again after ``reported_at``."""

    failures: int
    not_before: float
    reported_at: datetime | None


def retry_delay_s(failures: int) -> float:
    """Seconds to wait after ``failures`` (>= 1) failed pulls in a row (module docstring)."""
    return min(RETRY_FIRST_S * 2 ** min(max(failures, 1) - 1, 30), RETRY_MAX_S)


class PullError(Exception):
    """A pull of one store failed; ``code`` is one of the module docstring's codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class StorePullResult:
    """What one pull of one store did. ``error`` is ``"<code>: <message>"`` or ``None``."""

    store_id: int
    pulled: int = 0
    pages: int = 0
    outcome: PostOutcome = field(default_factory=PostOutcome)
    last_seq: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"store_id", "pulled", "pages", "posted", "duplicates", "rejected",
        "rejected_by_code", "last_seq", "error"}``."""
        return {"store_id": self.store_id, "pulled": self.pulled, "pages": self.pages,
                **self.outcome.to_dict(), "last_seq": self.last_seq, "error": self.error}


def _page(answer: Any, after: int) -> tuple[list[int], list[Any]]:
    """Seqs and records of a store answer, checked: strictly increasing seqs above ``after``.

    Raises:
        PullError: ``store.bad_answer``.
    """
    items = answer.get("transactions") if isinstance(answer, dict) else None
    if not isinstance(items, list):
        raise PullError("store.bad_answer", "the answer has no 'transactions' list")
    seqs: list[int] = []
    records: list[Any] = []
    previous = after
    for item in items:
        seq = item.get("seq") if isinstance(item, dict) else None
        if isinstance(seq, bool) or not isinstance(seq, int) or seq <= previous:
            raise PullError("store.bad_answer",
                            f"seq {seq!r} is not an integer above {previous} (cursor {after})")
        seqs.append(seq)
        records.append(item.get("record"))
        previous = seq
    return seqs, records


class Puller:
    """The P-job of one HQ (thread-safe: concurrent :meth:`run_once` calls run one at a time).

    Args:
        engine: the HQ database (migrated).
        clock: time source (default the system clock).
        page_size: transactions per request, >= 1.
        timeout_s: connect/read timeout per request, seconds.
        handlers: posting handlers (default :data:`~kassa.hq.posting.posting.POSTING_HANDLERS`).
        transport: an httpx transport (e.g. for a proxy in tests); default a plain one.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        handlers: list[PostingHandler] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.engine = engine
        self.clock = clock or SystemClock()
        self.page_size = page_size
        self.timeout_s = timeout_s
        self.handlers = handlers
        self._transport = transport
        self._run_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._retry: dict[int, _Retry] = {}
        self.last_results: list[StorePullResult] = []

    # ----- one run ---------------------------------------------------------------------

    def run_once(self, store_id: int | None = None) -> list[StorePullResult]:
        """Pull every store with a known endpoint (or only ``store_id``); return the results.

        Without ``store_id``, a failing store whose retry time has not come is left out
        (module docstring); its last error stays on its cursor.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: only when HQ's database cannot even list the
                endpoints (nothing to record the error in).
        """
        with self._run_lock:
            with self.engine.connect().execution_options(kassa_readonly=True) as conn:
                known = cursors.endpoints(conn, store_id)
            if store_id is None:
                known = [e for e in known if self._due(e)]
            with httpx.Client(timeout=self.timeout_s, transport=self._transport) as client:
                results = [self._pull_store(client, endpoint) for endpoint in known]
            self.last_results = results
            return results

    def waiting(self) -> dict[int, float]:
        """``{store_id: seconds until its next try}`` of the failing stores (module
        docstring), 0 when due."""
        now, retry = self.clock.monotonic(), dict(self._retry)
        return {sid: max(0.0, r.not_before - now) for sid, r in sorted(retry.items())}

    def _due(self, endpoint: cursors.StoreEndpoint) -> bool:
        retry = self._retry.get(endpoint.store_id)
        return (retry is None or self.clock.monotonic() >= retry.not_before
                or endpoint.reported_at != retry.reported_at)

    def _note(self, endpoint: cursors.StoreEndpoint, failed: bool) -> None:
        if not failed:
            self._retry.pop(endpoint.store_id, None)
            return
        before = self._retry.get(endpoint.store_id)
        failures = 1 if before is None else before.failures + 1
        self._retry[endpoint.store_id] = _Retry(
            failures, self.clock.monotonic() + retry_delay_s(failures), endpoint.reported_at)

    def pull_store(self, endpoint: cursors.StoreEndpoint) -> StorePullResult:
        """Pull one store now (see the module docstring); errors are in the result."""
        with self._run_lock, httpx.Client(timeout=self.timeout_s,
                                          transport=self._transport) as client:
            return self._pull_store(client, endpoint)

    def _pull_store(self, client: httpx.Client, endpoint: cursors.StoreEndpoint
                    ) -> StorePullResult:
        result = StorePullResult(endpoint.store_id)
        try:
            with self.engine.connect().execution_options(kassa_readonly=True) as conn:
                after = cursors.cursor_of(conn, endpoint.store_id)
            result.last_seq = after
            while True:
                seqs, records = self._fetch(client, endpoint, after)
                if not seqs:
                    break
                after, _ = self._post_page(endpoint.store_id, after, seqs, records, result)
                result.last_seq = after
            with self.engine.begin() as conn:
                cursors.record_pull_ok(conn, endpoint.store_id, self.clock.now())
        except PullError as exc:
            result.error = str(exc)
        except SQLAlchemyError as exc:
            result.error = f"hq.database: {type(exc).__name__}: {exc}"
        except KassaError as exc:
            result.error = f"{exc.code}: {exc.message}"
        except Exception as exc:  # a bug or a handler's failure: recorded, other stores go on
            log.exception("posting pull of store %s failed", endpoint.store_id)
            result.error = f"posting.failed: {type(exc).__name__}: {exc}"
        if result.error is not None:
            log.warning("posting pull of store %s failed: %s", endpoint.store_id, result.error)
            self._record_error(endpoint.store_id, result.error)
        # only the store's own failures wait; HQ's (hq.database, posting.failed) retry next run
        self._note(endpoint, result.error is not None and result.error.startswith("store."))
        return result

    def _record_error(self, store_id: int, error: str) -> None:
        try:
            with self.engine.begin() as conn:
                cursors.record_pull_error(conn, store_id, error, self.clock.now())
        except SQLAlchemyError:
            log.exception("could not record the posting error of store %s", store_id)

    def _fetch(self, client: httpx.Client, endpoint: cursors.StoreEndpoint, after: int
               ) -> tuple[list[int], list[Any]]:
        url = f"{endpoint.base_url.rstrip('/')}/api/hq/transactions"
        try:
            answer = client.get(url, params={"after": after, "limit": self.page_size},
                                headers={"Authorization": f"Bearer {endpoint.pull_token}"})
        except httpx.TimeoutException as exc:
            raise PullError("store.timeout", f"{url} did not answer within "
                                             f"{self.timeout_s:g} s ({type(exc).__name__})"
                            ) from exc
        except httpx.TransportError as exc:
            raise PullError("store.unreachable", f"cannot reach {url}: {exc!r}") from exc
        if answer.status_code != 200:
            raise PullError("store.http_error",
                            f"{url} answered {answer.status_code}: {answer.text[:300]}")
        try:
            body = answer.json()
        except ValueError as exc:
            raise PullError("store.bad_answer", f"{url} did not answer JSON") from exc
        return _page(body, after)

    def _post_page(self, store_id: int, after: int, seqs: list[int], records: list[Any],
                   result: StorePullResult) -> tuple[int, bool]:
        """Post one page and move the cursor, in one HQ transaction.

        Returns:
            ``(cursor, True)`` after posting, or ``(cursor, False)`` when another puller had
            moved the cursor meanwhile (nothing posted; fetch again from ``cursor``).
        """
        for isolate in (False, True):
            try:
                with self.engine.begin() as conn:
                    current = cursors.lock_cursor(conn, store_id)
                    if current != after:  # another puller moved it: refetch from there
                        return current, False
                    outcome = post(conn, records, now=self.clock.now(), store_id=store_id,
                                   seqs=seqs, handlers=self.handlers, isolate=isolate)
                    cursors.advance_cursor(conn, store_id, seqs[-1], outcome, self.clock.now())
                    failpoint("hq.posting.before_commit")
            except (*STORAGE_REFUSALS, KassaError):
                if isolate:
                    raise
                log.warning("store %s page after %s refused as a whole; posting it record "
                            "by record", store_id, after)
                continue
            result.pulled += len(seqs)
            result.pages += 1
            result.outcome.add(outcome)
            return seqs[-1], True
        raise AssertionError("unreachable")

    # ----- background loop -------------------------------------------------------------

    def start(self, interval_s: float) -> None:
        """Run :meth:`run_once` now and then every ``interval_s`` seconds in a daemon
        thread until :meth:`stop`. Raises ValueError for ``interval_s`` <= 0."""
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval_s,),
                                        name="kassa-posting", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Ask the loop to stop and wait up to ``timeout_s`` for the current run."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    @property
    def running(self) -> bool:
        """True while the background loop runs."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self, interval_s: float) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the loop must survive anything; the next run retries
                log.exception("posting run failed")
            self._stop.wait(interval_s)
