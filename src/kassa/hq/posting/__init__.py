"""Posting at HQ (DESIGN §5, issue 4 §5): the P-job pulls finished transactions from each
store server after a per-store cursor and posts them exactly once; reports are computed from
what is posted.

* :mod:`.records` — a format-1 record checked and turned into posting rows.
* :mod:`.posting` — :func:`post` (idempotent, quarantine, posting handlers hook).
* :mod:`.cursors` — per-store cursors, store endpoints, posting status.
* :mod:`.puller` — :class:`Puller`, the HTTP pull and its background loop.
* :mod:`.report` — sales per store, register and business day.
"""

from kassa.hq.posting.cursors import (
    StoreEndpoint,
    endpoints,
    posting_status,
    record_store_endpoint,
)
from kassa.hq.posting.posting import (
    POSTING_HANDLERS,
    PostingHandler,
    PostOutcome,
    post,
    register_posting_handler,
)
from kassa.hq.posting.puller import Puller, StorePullResult
from kassa.hq.posting.records import PostedTransaction
from kassa.hq.posting.report import print_sales_report, sales_report

__all__ = [
    "POSTING_HANDLERS",
    "PostOutcome",
    "PostedTransaction",
    "PostingHandler",
    "Puller",
    "StoreEndpoint",
    "StorePullResult",
    "endpoints",
    "post",
    "posting_status",
    "print_sales_report",
    "record_store_endpoint",
    "register_posting_handler",
    "sales_report",
]

# Issue 5: gift card / credit memo redemptions and unlocks are posted by a handler that
# registers itself on import (DESIGN §6).
import kassa.hq.realtime.posting_handler  # noqa: F401
