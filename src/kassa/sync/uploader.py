"""Upload offline transactions to the store server, exactly once (DESIGN §5; issue 4 §4).

One :meth:`Uploader.run_once` sends the ``pending`` rows of ``upload_queue`` (oldest first)
in batches of ``upload_batch_size`` to ``POST /api/uploads``. The store server inserts them
idempotently (insert-or-ignore by id) and answers ``{"acknowledged": [id, …], "rejected":
[{"id", "error"}]}``. Only acknowledged ids that were in the batch are marked ``uploaded``,
in one offline-DB transaction after the answer arrived. Hence:

* crash (or lost answer) before the answer → nothing marked → the batch is sent again and
  the store server acknowledges the duplicates: **nothing duplicated**;
* crash after the answer but before marking → same as above;
* a row is marked only when the server said it has it: **nothing lost**.

A rejected record stays ``pending`` with ``attempts`` + 1 and ``last_error``; it is not
retried within the same run (so one bad record cannot stop the others).

Records go in the offline DB's commit order (``transactions.seq``), each with its link of the
tamper-evident journal (``"journal": {"prev_hash", "hash"}``, issue 8 §4), so the store
server sees every predecessor before its successor.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select, update

from kassa.db import offline_schema as s
from kassa.domain.clock import Clock
from kassa.domain.errors import KassaError
from kassa.domain.journal import JournalEntry, with_entry
from kassa.failpoints import failpoint
from kassa.pos.store_http import StoreHttp
from kassa.sync import attempts

log = logging.getLogger("kassa.sync.upload")
_q, _t = s.upload_queue, s.transactions


def _with_journal(record: dict[str, Any], prev_hash: str | None,
                  digest: str | None) -> dict[str, Any]:
    """The record as uploaded: with its journal entry when the row has one (issue 8 §4)."""
    if prev_hash is None or digest is None:
        return record
    return with_entry(record, JournalEntry(prev_hash, digest))


class Uploader:
    """Uploads one register's pending transactions.

    Args:
        http: the sync client's :class:`StoreHttp`. engine: the offline DB. clock: time.
    """

    def __init__(self, http: StoreHttp, engine: Engine, clock: Clock) -> None:
        self.http = http
        self.engine = engine
        self._clock = clock

    def _batch(self, size: int, skip: set[UUID]) -> list[tuple[UUID, dict[str, Any]]]:
        stmt = (select(_q.c.transaction_id, _t.c.record, _t.c.prev_hash, _t.c.hash)
                .join(_t, _t.c.id == _q.c.transaction_id)
                .where(_q.c.state == "pending")
                .order_by(_t.c.seq))  # commit order = the journal's chain order
        if skip:
            stmt = stmt.where(_q.c.transaction_id.not_in(skip))
        with self.engine.connect().execution_options(kassa_readonly=True) as conn:
            rows = conn.execute(stmt.limit(size)).all()
        return [(r.transaction_id, _with_journal(json.loads(r.record), r.prev_hash, r.hash))
                for r in rows]

    def _mark(self, acked: set[UUID], rejected: dict[UUID, str]) -> None:
        now = self._clock.now()
        with self.engine.begin() as conn:
            if acked:
                conn.execute(update(_q).where(_q.c.transaction_id.in_(acked),
                                              _q.c.state == "pending")
                             .values(state="uploaded", uploaded_at=now, last_error=None))
            for tid, error in rejected.items():
                conn.execute(update(_q).where(_q.c.transaction_id == tid)
                             .values(attempts=_q.c.attempts + 1, last_error=error[:2000]))

    def _failed(self, ids: list[UUID], error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(_q).where(_q.c.transaction_id.in_(ids))
                         .values(attempts=_q.c.attempts + 1, last_error=error[:2000]))

    def send(self, batch: list[tuple[UUID, dict[str, Any]]]) -> tuple[set[UUID], dict[UUID, str]]:
        """POST one batch; return (acknowledged ids in the batch, {rejected id: error}).

        Raises:
            StoreUnreachable / KassaError: the batch did not get an answer (nothing marked).
        """
        sent = {tid for tid, _ in batch}
        answer = self.http.post_json("/api/uploads",
                                     {"transactions": [record for _, record in batch]})
        if not isinstance(answer, dict):
            raise KassaError(f"bad upload answer: {str(answer)[:200]}", code="store.bad_answer")
        acked = {UUID(str(x)) for x in answer.get("acknowledged") or []} & sent
        rejected: dict[UUID, str] = {}
        for item in answer.get("rejected") or []:
            try:
                tid = UUID(str(item["id"]))
            except (KeyError, TypeError, ValueError):
                continue
            if tid in sent and tid not in acked:
                rejected[tid] = json.dumps(item.get("error"))[:2000]
        return acked, rejected

    def run_once(self, batch_size: int) -> attempts.Attempt:
        """Upload every pending transaction in batches of ``batch_size`` (1..10000); record
        the attempt (``count`` = acknowledged now). Never raises for network errors."""
        at = self._clock.now()
        done = 0
        skip: set[UUID] = set()
        error: str | None = None
        failed = False
        while True:
            batch = self._batch(batch_size, skip)
            if not batch:
                break
            try:
                acked, rejected = self.send(batch)
            except KassaError as exc:
                error, failed = f"{exc.code}: {exc.message}", True
                self._failed([tid for tid, _ in batch], error)
                log.warning("upload failed: %s", error)
                break
            failpoint("pos.upload.after_send")
            self._mark(acked, rejected)
            done += len(acked)
            skip |= set(rejected)
            if rejected and error is None:
                error = f"{len(rejected)} transaction(s) rejected: {next(iter(rejected.values()))}"
            if not acked and not rejected:
                error, failed = "the store server acknowledged nothing", True
                break
        if failed:
            result = "error"
        elif skip:
            result = "rejected"
        else:
            result = "ok" if done else "nothing_new"
        attempt = attempts.Attempt("upload", at, result, count=done, error=error)
        attempts.record(self.engine, attempt)
        return attempt
