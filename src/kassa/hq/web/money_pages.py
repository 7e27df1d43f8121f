"""Gift cards and credit memos (DESIGN §6) and the sales report (DESIGN §5, posting).

* ``GET /giftcards?kind=&after=&number=`` — locked cards with the owner register and the
  lock's age, each with a **Force unlock** form (actor and reason → audit row); every card,
  50 a page by number; the latest audit rows; a form to issue a card.
* ``POST /giftcards/{number}/force-unlock`` — :meth:`RealtimeService.force_unlock`.
* ``POST /giftcards/issue`` — :meth:`RealtimeService.issue`; the form carries a transaction
  id made when the page was shown, so sending it twice issues one card.
* ``GET /sales?store=&day=&page=`` — :func:`kassa.hq.posting.report.sales_report` per
  store, register and business day, 100 rows a page; without filters, the latest business
  day that has posted transactions.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select

from kassa.db.hq_posting_schema import posted_transactions
from kassa.domain.errors import InvalidInput, KassaError
from kassa.domain.ids import new_id
from kassa.domain.money import parse_amount, to_cents
from kassa.hq.posting.report import parse_day, sales_report
from kassa.hq.realtime.service import RealtimeService
from kassa.hq.web.distribution_pages import optional_id
from kassa.hq.web.pages import Form, WebContext, money
from kassa.hq.web.readmodel import Paging, recent_audit
from kassa.hq.web.sessions import Session

CARDS_PER_PAGE: Final = 50
LOCKED_SHOWN: Final = 100
SALES_ROWS_PER_PAGE: Final = 100
KINDS: Final = {"gift_card": "Gift card", "credit_memo": "Credit memo"}


def add_routes(router: APIRouter, ctx: WebContext) -> None:
    """Add the gift card and sales pages to ``router``."""

    def service() -> RealtimeService:
        return RealtimeService(ctx.engine, ctx.clock)

    @router.get("/giftcards")
    def giftcards(
        request: Request,
        kind: str = Query("", max_length=16),
        after: str = Query("", max_length=32),
        number: str = Query("", max_length=32),
        session: Session = ctx.dep_session(),
    ) -> Response:
        svc = service()
        problem = None
        found = None
        if kind and kind not in KINDS:
            problem, kind = f"Unknown card kind {kind!r}.", ""
        if number.strip():
            try:
                found = svc.card(number.strip())
            except KassaError as exc:
                problem = exc.message
        locked = svc.list_locked()
        cards = svc.list_cards(kind=kind or None, after=after or None, limit=CARDS_PER_PAGE)
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            audit = recent_audit(conn)
        return ctx.page(
            request, "giftcards.html", title="Gift cards & credit memos", kinds=KINDS,
            kind=kind, locked=locked[:LOCKED_SHOWN], locked_total=len(locked), cards=cards,
            more=len(cards) == CARDS_PER_PAGE, after=after, found=found, number=number,
            problem=problem, audit=audit, issue_id=new_id(),
        )

    @router.post("/giftcards/{number}/force-unlock")
    def force_unlock(number: str, form: Form = ctx.dep_form()) -> Response:
        svc = service()
        try:
            before = svc.card(number)
            done = svc.force_unlock(
                number, actor=form.get("actor"), reason=form.get("reason") or None
            )
        except KassaError as exc:
            form.session.flash("error", f"Card {number} was not unlocked: {exc.message}")
            return ctx.redirect("/giftcards")
        if not done.released:
            form.session.flash("warn", f"Card {number} was not locked; nothing to release.")
        else:
            held = ""
            if before.register_number is not None:
                held = f" (held by register {before.register_number} of store {before.store_id})"
            form.session.flash(
                "ok", f"Card {number} unlocked{held}; audit record {done.audit_id} written."
            )
        return ctx.redirect("/giftcards")

    @router.post("/giftcards/issue")
    def issue(form: Form = ctx.dep_form()) -> Response:
        kind = form.get("kind")
        try:
            if kind not in KINDS:
                raise InvalidInput(f"Unknown card kind {kind!r}.", code="giftcard.kind")
            cents = to_cents(parse_amount(form.get("amount")))
            moved = service().issue(kind, cents, transaction_id=form.get("transaction_id"))
        except KassaError as exc:
            form.session.flash("error", f"No card issued: {exc.message}")
            return ctx.redirect("/giftcards")
        again = " (this form was already sent: the same card)" if moved.replayed else ""
        amount = money(moved.amount_cents)
        form.session.flash("ok", f"{KINDS[kind]} {moved.card.number} issued for {amount}{again}.")
        return ctx.redirect(f"/giftcards?number={moved.card.number}")

    @router.get("/sales")
    def sales(
        request: Request,
        store: str = Query("", max_length=12),
        day: str = Query("", max_length=10),
        page: int = Query(1, ge=1, le=1_000_000),
        session: Session = ctx.dep_session(),
    ) -> Response:
        problem = None
        try:
            store_id = optional_id(store, "The store")
            day_text = parse_day(day.strip() or None)
        except InvalidInput as exc:
            problem, store_id, day_text = exc.message, None, None
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            latest = conn.execute(select(func.max(posted_transactions.c.business_day))).scalar()
            if store_id is None and day_text is None:
                day_text = latest
            report = (
                sales_report(conn, store_id=store_id, day=day_text)
                if latest is not None else None
            )
        paging = Paging(page, SALES_ROWS_PER_PAGE, len(report["rows"]) if report else 0)
        rows = report["rows"][paging.offset : paging.offset + paging.per_page] if report else []
        return ctx.page(
            request, "sales.html", title="Sales", report=report, rows=rows, paging=paging,
            store=store_id, day=day_text, problem=problem, latest=latest,
        )
