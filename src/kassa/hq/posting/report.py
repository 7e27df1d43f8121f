"""Sales report from HQ's posted transactions, per store, register and business day.

Rule source: issue 4 §5 ("HQ can report sales per store, register and day") and issue 7
(the demo reconciles to the cent from these numbers). All money is integer cents, signed
(returns and refunds are negative). Definitions, over posted transactions:

* ``business_day`` — UTC date (``YYYY-MM-DD``) of the completion (or void) time.
* ``baskets`` — completed transactions; ``voided`` — voided ones (counted, no money).
* ``lines`` — active (not voided) lines of completed transactions.
* ``net_sales_cents`` = Σ subtotal (Σ line net, after discounts, before tax);
  ``tax_cents`` = Σ tax; ``discount_cents`` = Σ line discounts (signed like the lines);
  ``total_cents`` = Σ total = net sales + tax.
* ``paid_cents`` = Σ active tenders; ``change_cents`` = Σ cash change given;
  ``paid_cents - change_cents == total_cents`` for every group (a completed transaction
  balances to the cent, DESIGN §5).
* ``tenders`` — ``{tender_type: Σ amount_cents}`` of active tenders of completed baskets.
* ``online`` / ``offline`` — completed baskets by the mode their register was in at start.

:func:`sales_report` returns plain dicts (JSON-able); :func:`print_sales_report` prints
them as rich tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, case, func, select

from kassa.db.hq_posting_schema import posted_tenders, posted_transactions
from kassa.domain.errors import InvalidInput
from kassa.domain.money import format_money, from_cents

#: Summed integer fields of every report row, in display order.
MONEY_FIELDS: Final = ("net_sales_cents", "tax_cents", "discount_cents", "total_cents",
                       "paid_cents", "change_cents")
COUNT_FIELDS: Final = ("baskets", "voided", "lines", "online", "offline")


def parse_day(value: str | None) -> str | None:
    """``"2017-03-01"`` → the same text after checking it is a date; ``None`` passes.

    Raises:
        InvalidInput: ``report.bad_day``.
    """
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise InvalidInput(f"day must be YYYY-MM-DD, got {value!r}",
                           code="report.bad_day") from None


def _empty() -> dict[str, Any]:
    return {**dict.fromkeys(COUNT_FIELDS, 0), **dict.fromkeys(MONEY_FIELDS, 0), "tenders": {}}


def _add(into: dict[str, Any], row: dict[str, Any]) -> None:
    for key in (*COUNT_FIELDS, *MONEY_FIELDS):
        into[key] += row[key]
    for kind, cents in row["tenders"].items():
        into["tenders"][kind] = into["tenders"].get(kind, 0) + cents


def sales_report(
    conn: Connection, *, store_id: int | None = None, day: str | None = None
) -> dict[str, Any]:
    """Sales per store, register and business day (definitions: module docstring).

    Args:
        conn: HQ connection.
        store_id: only this store (default all).
        day: only this business day ``YYYY-MM-DD`` (default all).

    Returns:
        ``{"filters": {"store_id", "day"},
        "rows": [{"store_id", "register_number", "register_id", "business_day", "baskets",
        "voided", "lines", "online", "offline", "net_sales_cents", "tax_cents",
        "discount_cents", "total_cents", "paid_cents", "change_cents",
        "tenders": {type: cents}}, …],
        "stores": [{"store_id", the same counts and sums}, …],
        "total": {the same counts and sums}}`` — rows ordered by store, day, register.

    Raises:
        InvalidInput: ``report.bad_day``.
    """
    day = parse_day(day)
    t = posted_transactions
    done = t.c.status == "completed"

    def when_done(expr: Any) -> Any:
        return func.coalesce(func.sum(case((done, expr), else_=0)), 0)

    keys = (t.c.store_id, t.c.business_day, t.c.register_number, t.c.register_id)
    query = select(
        *keys,
        when_done(1).label("baskets"),
        func.coalesce(func.sum(case((t.c.status == "voided", 1), else_=0)), 0).label("voided"),
        when_done(t.c.line_count).label("lines"),
        when_done(case((t.c.mode == "online", 1), else_=0)).label("online"),
        when_done(case((t.c.mode == "offline", 1), else_=0)).label("offline"),
        when_done(t.c.subtotal_cents).label("net_sales_cents"),
        when_done(t.c.tax_cents).label("tax_cents"),
        when_done(t.c.discount_cents).label("discount_cents"),
        when_done(t.c.total_cents).label("total_cents"),
        when_done(t.c.paid_cents).label("paid_cents"),
        when_done(t.c.change_cents).label("change_cents"),
    ).group_by(*keys).order_by(*keys)
    p = posted_tenders
    tender_query = (
        select(*keys, p.c.tender_type, func.sum(p.c.amount_cents).label("cents"))
        .select_from(p.join(t, p.c.transaction_id == t.c.id))
        .where(done, p.c.voided.is_(False))
        .group_by(*keys, p.c.tender_type)
    )
    if store_id is not None:
        query = query.where(t.c.store_id == store_id)
        tender_query = tender_query.where(t.c.store_id == store_id)
    if day is not None:
        query = query.where(t.c.business_day == day)
        tender_query = tender_query.where(t.c.business_day == day)
    tenders: dict[tuple[Any, ...], dict[str, int]] = {}
    for tr in conn.execute(tender_query):
        group = tenders.setdefault((tr.store_id, tr.business_day, tr.register_number,
                                    tr.register_id), {})
        group[tr.tender_type] = int(tr.cents)
    rows: list[dict[str, Any]] = []
    for r in conn.execute(query):
        key = (r.store_id, r.business_day, r.register_number, r.register_id)
        row = {"store_id": r.store_id, "register_number": r.register_number,
               "register_id": str(r.register_id), "business_day": r.business_day}
        row.update({k: int(getattr(r, k)) for k in (*COUNT_FIELDS, *MONEY_FIELDS)})
        row["tenders"] = dict(sorted(tenders.get(key, {}).items()))
        rows.append(row)
    stores: dict[int, dict[str, Any]] = {}
    total = _empty()
    for row in rows:
        _add(stores.setdefault(row["store_id"], {"store_id": row["store_id"], **_empty()}), row)
        _add(total, row)
    return {"filters": {"store_id": store_id, "day": day}, "rows": rows,
            "stores": [stores[k] for k in sorted(stores)], "total": total}


def _money(cents: int) -> str:
    return format_money(from_cents(cents))


def _tenders(tenders: dict[str, int]) -> str:
    return ", ".join(f"{kind} {_money(cents)}" for kind, cents in sorted(tenders.items())) or "—"


def _table(title: str, first: list[str], rows: list[tuple[list[str], dict[str, Any]]]) -> Table:
    table = Table(title=title)
    for name in first:
        table.add_column(name)
    for name in ("baskets", "lines", "net sales", "tax", "discounts", "total", "tenders",
                 "online", "offline", "voided"):
        table.add_column(name, justify="left" if name == "tenders" else "right")
    for cells, row in rows:
        table.add_row(*cells, str(row["baskets"]), str(row["lines"]),
                      _money(row["net_sales_cents"]), _money(row["tax_cents"]),
                      _money(row["discount_cents"]), _money(row["total_cents"]),
                      _tenders(row["tenders"]), str(row["online"]), str(row["offline"]),
                      str(row["voided"]))
    return table


def print_sales_report(report: dict[str, Any], console: Console | None = None) -> None:
    """Print :func:`sales_report`'s result: one table per store/day/register, one per store
    with the grand total."""
    console = console or Console()
    if not report["rows"]:
        console.print("no posted transactions match", style="yellow")
        return
    console.print(_table(
        "Sales per store, business day (UTC) and register",
        ["store", "day", "register"],
        [([str(r["store_id"]), r["business_day"], str(r["register_number"])], r)
         for r in report["rows"]]))
    store_rows = [([str(s["store_id"])], s) for s in report["stores"]]
    store_rows.append((["all stores"], report["total"]))
    console.print(_table("Totals per store", ["store"], store_rows))
