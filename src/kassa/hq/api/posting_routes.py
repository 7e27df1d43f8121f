"""Admin endpoints of HQ posting (``Authorization: Bearer <admin token>``; DESIGN §5, §8).

| method | path | what |
|---|---|---|
| GET | ``/api/reports/sales?store_id=&day=YYYY-MM-DD`` | sales per store, register, business day |
| POST | ``/api/posting/run?store_id=`` | run the P-job now → per-store counts |
| GET | ``/api/posting/status`` | cursors (last seq, last error, counters) and quarantine |

Money is integer cents; see :mod:`kassa.hq.posting.report` for the definitions. The P-job
run uses ``app.state.puller`` (a :class:`kassa.hq.posting.Puller`) when the app has one,
so a run through the API and the background loop never overlap; else a new puller on the
app's engine and clock.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from kassa.hq.api.deps import Admin, ClockDep, EngineDep
from kassa.hq.api.models import MAX_ID
from kassa.hq.posting.cursors import posting_status
from kassa.hq.posting.puller import Puller
from kassa.hq.posting.report import sales_report
from kassa.http_errors import error_responses

router = APIRouter(prefix="/api", tags=["posting"], dependencies=[Admin],
                   responses=error_responses(401))


class SalesFigures(BaseModel):
    """Counts and sums (integer cents) of one group of posted transactions."""

    baskets: int
    voided: int
    lines: int
    online: int
    offline: int
    net_sales_cents: int
    tax_cents: int
    discount_cents: int
    total_cents: int
    paid_cents: int
    change_cents: int
    tenders: dict[str, int] = Field(description="tender type → Σ amount_cents")


class SalesRow(SalesFigures):
    store_id: int
    register_number: int
    register_id: str
    business_day: str = Field(description="UTC date of completion, YYYY-MM-DD")


class StoreSales(SalesFigures):
    store_id: int


class SalesFilters(BaseModel):
    store_id: int | None
    day: str | None


class SalesReportOut(BaseModel):
    filters: SalesFilters
    rows: list[SalesRow]
    stores: list[StoreSales]
    total: SalesFigures


class StorePullOut(BaseModel):
    store_id: int
    pulled: int = Field(description="transactions received from the store server")
    pages: int
    posted: int
    duplicates: int = Field(description="already posted: counted, not posted again")
    rejected: int = Field(description="quarantined in posting_rejections")
    rejected_by_code: dict[str, int]
    last_seq: int = Field(description="the store's cursor after the run (channel DB seq)")
    error: str | None = Field(description='"<code>: <message>" when the pull failed')


class PostingRunOut(BaseModel):
    stores: list[StorePullOut]


class CursorOut(BaseModel):
    store_id: int
    last_seq: int
    last_pull_at: str | None
    last_ok_at: str | None
    last_error: str | None
    last_error_at: str | None
    posted_count: int
    duplicate_count: int
    rejected_count: int


class RejectionCountOut(BaseModel):
    store_id: int | None
    code: str
    count: int


class PostingStatusOut(BaseModel):
    cursors: list[CursorOut]
    rejections: list[RejectionCountOut]


@router.get("/reports/sales", response_model=SalesReportOut,
            summary="Sales per store, register and business day (cents)")
def get_sales_report(
    engine: EngineDep,
    store_id: Annotated[int | None, Query(ge=0, le=MAX_ID, description="only this store")] = None,
    day: Annotated[str | None, Query(description="only this business day, YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        return sales_report(conn, store_id=store_id, day=day)


@router.post("/posting/run", response_model=PostingRunOut, summary="Run the P-job now")
def post_posting_run(
    request: Request,
    engine: EngineDep,
    clock: ClockDep,
    store_id: Annotated[int | None, Query(ge=0, le=MAX_ID, description="only this store")] = None,
) -> dict[str, Any]:
    puller = getattr(request.app.state, "puller", None)
    if not isinstance(puller, Puller):
        puller = Puller(engine, clock=clock)
    return {"stores": [r.to_dict() for r in puller.run_once(store_id)]}


@router.get("/posting/status", response_model=PostingStatusOut,
            summary="Posting cursors, last errors and quarantined records")
def get_posting_status(engine: EngineDep) -> dict[str, Any]:
    with engine.connect().execution_options(kassa_readonly=True) as conn:
        return posting_status(conn)
