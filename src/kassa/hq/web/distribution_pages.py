"""Distribution schedules, packages and the register offline status dashboard (DESIGN §4).

* ``GET /schedules?group=&before=`` — schedules (jobs, interval, last run) each with a
  **Run now** form, and the package list of one data group (number, kind, base, jobs, size,
  rows, created), newest first, 50 a page.
* ``POST /schedules/{id}/run`` (``group`` blank = every data group) —
  :func:`kassa.hq.distribution.writer.run_schedule`; the outcome is shown as a message.
* ``GET /dashboard?store=&attention=1&page=`` — per active channel database entity: store,
  register, mode, checkpoint, lag, pending uploads, last contact
  (:func:`kassa.hq.web.readmodel.offline_status`); the page refreshes its table every
  :data:`REFRESH_S` seconds from ``GET /dashboard.json`` (same parameters) with a small
  first-party script.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from kassa.db.hq_distribution_schema import data_packages
from kassa.domain.errors import InvalidInput, NotFound
from kassa.hq.distribution import packages
from kassa.hq.distribution.jobs import SPEC_BY_ID
from kassa.hq.distribution.writer import RunReport, list_schedules, run_schedule
from kassa.hq.web.pages import SECURITY_HEADERS, Form, WebContext, duration, when
from kassa.hq.web.readmodel import offline_status
from kassa.hq.web.sessions import Session

#: Seconds between the dashboard's refreshes.
REFRESH_S: Final = 5
#: Packages a page of the package list.
PACKAGES_PER_PAGE: Final = 50


def optional_id(text: str, what: str) -> int | None:
    """Blank → None; digits → int. Raises InvalidInput ``request.invalid``."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput(f"{what} must be a whole number, not {text!r}.",
                           code="request.invalid")
    return int(text)


def _default_group(conn: Connection) -> int | None:
    p = data_packages.c
    newest = select(p.data_group_id).order_by(p.created_at.desc(), p.number.desc()).limit(1)
    return conn.execute(newest).scalar_one_or_none()


def describe_run(report: RunReport) -> str:
    """One message for people about a run of a schedule."""
    written = [g for g in report.groups if g.package is not None]
    quiet = len(report.groups) - len(written)
    groups = len(report.groups)
    head = f"Ran “{report.schedule_name}” for {groups} data group{'s' if groups != 1 else ''}: "
    if not written:
        return head + "no changes, no package written."
    shown = "; ".join(g.describe() for g in written[:3])
    more = f"; and {len(written) - 3} more" if len(written) > 3 else ""
    tail = f" {quiet} group{'s' if quiet != 1 else ''} without changes." if quiet else ""
    count = len(written)
    return f"{head}{count} package{'s' if count != 1 else ''} written ({shown}{more}).{tail}"


def add_routes(router: APIRouter, ctx: WebContext) -> None:
    """Add the distribution pages to ``router``."""

    @router.get("/schedules")
    def schedules(
        request: Request,
        group: str = Query("", max_length=12),
        before: int | None = Query(None, ge=1),
        session: Session = ctx.dep_session(),
    ) -> Response:
        problem = None
        try:
            group_id = optional_id(group, "The data group")
        except InvalidInput as exc:
            group_id, problem = None, exc.message
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            found = list_schedules(conn)
            if group_id is None:
                group_id = _default_group(conn)
            listed: list[packages.PackageSummary] = []
            latest = None
            if group_id is not None:
                try:
                    packages.require_groups(conn, [group_id])
                except NotFound as exc:
                    problem = exc.message
                else:
                    listed = packages.list_packages(
                        conn, group_id, before=before, limit=PACKAGES_PER_PAGE
                    )
                    latest = packages.latest_number(conn, group_id)
        return ctx.page(
            request, "schedules.html", title="Schedules & packages", schedules=found,
            jobs=SPEC_BY_ID, group=group_id, packages=listed, latest=latest, problem=problem,
            more=len(listed) == PACKAGES_PER_PAGE, before=before,
        )

    @router.post("/schedules/{schedule_id}/run")
    def run(schedule_id: int, form: Form = ctx.dep_form()) -> Response:
        group = optional_id(form.get("group"), "The data group")
        report = run_schedule(
            ctx.engine, schedule_id, None if group is None else [group], clock=ctx.clock
        )
        form.session.flash("ok", describe_run(report))
        shown = group
        if shown is None and report.packages:
            shown = report.packages[0].data_group_id
        query = f"?{urlencode({'group': shown})}" if shown is not None else ""
        return ctx.redirect(f"/schedules{query}#packages")

    def status(store: str, attention: str, page: int) -> dict[str, Any]:
        store_id = optional_id(store, "The store")
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            now = ctx.clock.now()
            summary, rows, paging = offline_status(
                conn, now=now, store_id=store_id, attention_only=attention == "1", page=page
            )
        return {"now": now, "summary": summary, "rows": rows, "paging": paging,
                "store": store_id, "attention": attention == "1"}

    @router.get("/dashboard")
    def dashboard(
        request: Request,
        store: str = Query("", max_length=12),
        attention: str = Query("", max_length=1),
        page: int = Query(1, ge=1, le=1_000_000),
        session: Session = ctx.dep_session(),
    ) -> Response:
        problem = None
        try:
            data = status(store, attention, page)
        except InvalidInput as exc:
            problem = exc.message
            data = status("", attention, page)
        params = urlencode({k: v for k, v in (("store", data["store"] or ""),
                                              ("attention", attention), ("page", page)) if v})
        return ctx.page(
            request, "dashboard.html", title="Register offline status", problem=problem,
            refresh_s=REFRESH_S, feed=f"/dashboard.json?{params}", **data,
        )

    @router.get("/dashboard.json")
    def dashboard_json(
        store: str = Query("", max_length=12),
        attention: str = Query("", max_length=1),
        page: int = Query(1, ge=1, le=1_000_000),
        session: Session = ctx.dep_session(),
    ) -> Response:
        data = status(store, attention, page)
        rows = []
        for r in data["rows"]:
            row = r.to_dict()
            row["last_contact"] = when(r.last_contact_at)
            row["contact_age"] = duration(r.contact_age_s)
            rows.append(row)
        paging = data["paging"]
        body = {
            "generated_at": when(data["now"]),
            "summary": data["summary"].__dict__,
            "rows": rows,
            "paging": {"page": paging.page, "pages": paging.pages, "total": paging.total},
        }
        return JSONResponse(body, headers=SECURITY_HEADERS)
