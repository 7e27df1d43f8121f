"""The register's record of sync attempts and its upload queue summary (DESIGN §3.6).

Every download and upload attempt of the async sync client becomes one ``sync_attempts`` row
of the offline DB: time, result, package number and rows (download), count (upload), error.
The Connection status window shows the latest of each kind, the pending count, the oldest
pending transaction's age and the offline data's age (time since the last package applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, select

from kassa.db import offline_schema as s

Kind = Literal["download", "upload"]
#: Results recorded: ``ok`` (something done), ``nothing_new``, ``rejected`` (upload: some
#: records refused by the store server), ``error`` (the attempt failed; see ``error``).
RESULTS = ("ok", "nothing_new", "rejected", "error")


@dataclass(frozen=True)
class Attempt:
    """One sync attempt (a ``sync_attempts`` row)."""

    kind: Kind
    at: datetime
    result: str
    package_number: int | None = None
    rows: int | None = None
    count: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"kind", "at" (ISO UTC), "result", "package_number", "rows",
        "count", "error"}``."""
        return {"kind": self.kind, "at": self.at.isoformat(), "result": self.result,
                "package_number": self.package_number, "rows": self.rows,
                "count": self.count, "error": self.error}


def record(engine: Engine, attempt: Attempt) -> None:
    """Store ``attempt`` (its own short transaction)."""
    with engine.begin() as conn:
        conn.execute(s.sync_attempts.insert().values(
            kind=attempt.kind, at=attempt.at, result=attempt.result,
            package_number=attempt.package_number, rows=attempt.rows, count=attempt.count,
            error=None if attempt.error is None else attempt.error[:2000]))


def last(engine: Engine, kind: Kind) -> Attempt | None:
    """The latest attempt of ``kind``, or ``None``."""
    t = s.sync_attempts
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        row = conn.execute(select(t).where(t.c.kind == kind)
                           .order_by(t.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    r = row._mapping  # ``row.count`` would be the tuple method
    return Attempt(r["kind"], r["at"], r["result"], r["package_number"], r["rows"], r["count"],
                   r["error"])


@dataclass(frozen=True)
class QueueSummary:
    """The upload queue and the offline data at one moment.

    ``pending``: transactions waiting for upload; ``oldest_pending_at``: when the oldest of
    them was queued (UTC) or ``None``; ``checkpoint``: last package applied or ``None``;
    ``data_applied_at``: when it was applied (UTC) or ``None``.
    """

    pending: int
    oldest_pending_at: datetime | None
    checkpoint: int | None
    data_applied_at: datetime | None

    def oldest_pending_age_s(self, now: datetime) -> float | None:
        """Seconds since the oldest pending transaction was queued, or ``None``."""
        if self.oldest_pending_at is None:
            return None
        return max(0.0, (now - self.oldest_pending_at).total_seconds())

    def data_age_s(self, now: datetime) -> float | None:
        """Seconds since the last package was applied (the offline data's age), or ``None``."""
        if self.data_applied_at is None:
            return None
        return max(0.0, (now - self.data_applied_at).total_seconds())


def summary(engine: Engine) -> QueueSummary:
    """Pending count, oldest pending, checkpoint and its time, in one read transaction."""
    q, cp = s.upload_queue, s.package_checkpoint
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(q.c.queued_at)).where(q.c.state == "pending")
        ).one()
        point = conn.execute(select(cp.c.package_number, cp.c.applied_at)
                             .order_by(cp.c.applied_at.desc()).limit(1)).first()
    if isinstance(oldest, str):  # MIN() over the column loses the type on SQLite
        oldest = datetime.fromisoformat(oldest)
    return QueueSummary(
        pending=int(count), oldest_pending_at=_aware(oldest),
        checkpoint=None if point is None else int(point.package_number),
        data_applied_at=None if point is None else point.applied_at,
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
