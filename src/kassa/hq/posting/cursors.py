"""Per-store posting cursors and store endpoints at HQ (DESIGN §5, issue 4 §5).

The cursor of a store is the channel DB ``seq`` HQ has posted through — a monotonic counter
assigned by the channel DB in commit order, never a time. It only moves forward, and only in
the same DB transaction as the rows it covers (:func:`advance_cursor` is called inside the
transaction of :func:`kassa.hq.posting.posting.post`). :func:`lock_cursor` takes the row
lock (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers are serialised by
``BEGIN IMMEDIATE``), so two pullers of one store never post the same page twice.

A store endpoint (base URL + HQ pull token) is what the store server last reported in its
``POST /api/status``; :func:`record_store_endpoint` is the function the status route calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from kassa.db.hq_posting_schema import posting_cursors, posting_rejections, store_endpoints
from kassa.db.upsert import insert_ignore, upsert
from kassa.domain.errors import Conflict, InvalidInput
from kassa.hq.posting.posting import PostOutcome

#: Longest error text kept on a cursor.
MAX_ERROR = 2000


@dataclass(frozen=True, slots=True)
class StoreEndpoint:
    """Where HQ pulls a store's transactions: ``GET {base_url}/api/hq/transactions``."""

    store_id: int
    base_url: str
    pull_token: str
    reported_at: datetime | None = None  # the store server's last status report


def record_store_endpoint(
    conn: Connection, store_id: int, base_url: str, pull_token: str, now: datetime
) -> None:
    """Remember (insert or replace) the store server's base URL and HQ pull token.

    Args:
        conn: HQ connection inside a transaction.
        store_id: the reporting store (authenticated by its store server token).
        base_url: ``http://host:port`` (or https), no trailing slash needed.
        pull_token: the bearer token the store server wants on ``/api/hq/transactions``.
        now: aware UTC report time.

    Raises:
        InvalidInput: ``posting.endpoint_invalid`` (not an http(s) URL, empty or too long
            token).
    """
    url = base_url.strip().rstrip("/") if isinstance(base_url, str) else ""
    if not url.startswith(("http://", "https://")) or len(url) > 400:
        raise InvalidInput(f"store base URL must be an http(s) URL, got {base_url!r}",
                           code="posting.endpoint_invalid")
    if not isinstance(pull_token, str) or not pull_token.strip() or len(pull_token) > 200:
        raise InvalidInput("the HQ pull token must be 1-200 characters",
                           code="posting.endpoint_invalid")
    upsert(conn, store_endpoints,
           [{"store_id": store_id, "base_url": url, "pull_token": pull_token,
             "reported_at": now}],
           key_cols=["store_id"], update_cols=["base_url", "pull_token", "reported_at"],
           only_if_changed=False)


def endpoints(conn: Connection, store_id: int | None = None) -> list[StoreEndpoint]:
    """Known store endpoints (all, or the one of ``store_id``), ordered by store."""
    query = select(store_endpoints).order_by(store_endpoints.c.store_id)
    if store_id is not None:
        query = query.where(store_endpoints.c.store_id == store_id)
    return [StoreEndpoint(r.store_id, r.base_url, r.pull_token, r.reported_at)
            for r in conn.execute(query)]


def ensure_cursor(conn: Connection, store_id: int) -> None:
    """Create the store's cursor at ``last_seq = 0`` when it has none."""
    insert_ignore(conn, posting_cursors, [{
        "store_id": store_id, "last_seq": 0, "posted_count": 0, "duplicate_count": 0,
        "rejected_count": 0,
    }])


def cursor_of(conn: Connection, store_id: int) -> int:
    """The store's ``last_seq`` (0 when it has no cursor yet)."""
    value = conn.execute(select(posting_cursors.c.last_seq)
                         .where(posting_cursors.c.store_id == store_id)).scalar_one_or_none()
    return 0 if value is None else int(value)


def lock_cursor(conn: Connection, store_id: int) -> int:
    """Create if needed, lock for this transaction, and return the store's ``last_seq``."""
    ensure_cursor(conn, store_id)
    query = (select(posting_cursors.c.last_seq)
             .where(posting_cursors.c.store_id == store_id).with_for_update())
    return int(conn.execute(query).scalar_one())


def advance_cursor(
    conn: Connection, store_id: int, last_seq: int, outcome: PostOutcome, now: datetime
) -> None:
    """Move the cursor to ``last_seq`` and add ``outcome``'s counts, in ``conn``'s
    transaction (the one that posted the rows).

    Raises:
        Conflict: ``posting.cursor_backwards`` when ``last_seq`` is below the stored one
            (the cursor never goes back).
    """
    table = posting_cursors
    ensure_cursor(conn, store_id)
    result = conn.execute(
        update(table)
        .where(table.c.store_id == store_id, table.c.last_seq <= last_seq)
        .values(last_seq=last_seq, last_pull_at=now, last_ok_at=now, last_error=None,
                last_error_at=None,
                posted_count=table.c.posted_count + len(outcome.posted),
                duplicate_count=table.c.duplicate_count + outcome.duplicates,
                rejected_count=table.c.rejected_count + outcome.rejected_count))
    if result.rowcount != 1:
        raise Conflict(f"the posting cursor of store {store_id} cannot move back to {last_seq}",
                       code="posting.cursor_backwards")


def record_pull_ok(conn: Connection, store_id: int, now: datetime) -> None:
    """A pull found nothing new: stamp the time and clear the last error."""
    ensure_cursor(conn, store_id)
    conn.execute(update(posting_cursors).where(posting_cursors.c.store_id == store_id)
                 .values(last_pull_at=now, last_ok_at=now, last_error=None, last_error_at=None))


def record_pull_error(conn: Connection, store_id: int, error: str, now: datetime) -> None:
    """Keep ``error`` (cut to :data:`MAX_ERROR`) as the store's last pull error; the cursor
    itself does not move."""
    ensure_cursor(conn, store_id)
    conn.execute(update(posting_cursors).where(posting_cursors.c.store_id == store_id)
                 .values(last_pull_at=now, last_error=error[:MAX_ERROR], last_error_at=now))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def posting_status(conn: Connection) -> dict[str, Any]:
    """Cursors and quarantine at a glance.

    Returns:
        ``{"cursors": [{"store_id", "last_seq", "last_pull_at", "last_ok_at", "last_error",
        "last_error_at", "posted_count", "duplicate_count", "rejected_count"}],
        "rejections": [{"store_id", "code", "count"}]}`` — times ISO-8601 UTC or ``None``;
        rejections count distinct quarantined records.
    """
    cursors = []
    for r in conn.execute(select(posting_cursors).order_by(posting_cursors.c.store_id)):
        cursors.append({
            "store_id": r.store_id, "last_seq": int(r.last_seq),
            "last_pull_at": _iso(r.last_pull_at), "last_ok_at": _iso(r.last_ok_at),
            "last_error": r.last_error, "last_error_at": _iso(r.last_error_at),
            "posted_count": int(r.posted_count), "duplicate_count": int(r.duplicate_count),
            "rejected_count": int(r.rejected_count),
        })
    t = posting_rejections
    query = (select(t.c.store_id, t.c.code, func.count().label("n"))
             .group_by(t.c.store_id, t.c.code).order_by(t.c.store_id, t.c.code))
    rejections = [{"store_id": r.store_id, "code": r.code, "count": int(r.n)}
                  for r in conn.execute(query)]
    return {"cursors": cursors, "rejections": rejections}
