"""Stores and registers with the **Support offline** switch (DESIGN §1, §4; reference "POS
offline functionality", Setup).

* ``GET /stores?q=&page=`` — 25 stores a page (filter by store id or part of the name), each
  with its registers, Support offline and the register's offline database entity.
* ``POST /stores/registers/{id}/support-offline`` (``on`` = 1 or 0) —
  :func:`kassa.hq.distribution.setup.set_support_offline`: creates or retires the offline
  entity and gives the register row a new change version (job 1070 carries it).
* ``POST /stores/registers/{id}/activation-code`` — a one-time activation code (24 h) shown
  once, for setting up the register's till (:func:`kassa.hq.distribution.access.
  issue_activation_code`).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from kassa.domain.errors import InvalidInput
from kassa.hq.distribution import access, setup
from kassa.hq.web.pages import Form, WebContext, when
from kassa.hq.web.readmodel import store_page
from kassa.hq.web.sessions import Session


def _back(form: Form, store_id: int) -> str:
    params = {k: form.get(k) for k in ("q", "page") if form.get(k)}
    query = f"?{urlencode(params)}" if params else ""
    return f"/stores{query}#store-{store_id}"


def add_routes(router: APIRouter, ctx: WebContext) -> None:
    """Add the stores pages to ``router``."""

    @router.get("/stores")
    def stores(
        request: Request,
        q: str = Query("", max_length=120),
        page: int = Query(1, ge=1, le=1_000_000),
        session: Session = ctx.dep_session(),
    ) -> Response:
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            rows, paging = store_page(conn, query=q, page=page)
        return ctx.page(
            request, "stores.html", title="Stores & registers", stores=rows, paging=paging, q=q
        )

    @router.post("/stores/registers/{register_id}/support-offline")
    def support_offline(register_id: str, form: Form = ctx.dep_form()) -> Response:
        wanted = form.get("on")
        if wanted not in ("0", "1"):
            raise InvalidInput("Support offline must be switched on (1) or off (0).",
                               code="support_offline.invalid")
        with ctx.engine.begin() as conn:
            result = setup.set_support_offline(conn, register_id, wanted == "1", ctx.clock.now())
            number = setup.get_register(conn, result.register_id).number
        where = f"Store {result.store_id}, register {number}"
        if not result.changed:
            state = "on" if result.support_offline else "off"
            form.session.flash("ok", f"{where}: Support offline was already {state}.")
        elif result.support_offline:
            form.session.flash(
                "ok",
                f"{where}: Support offline is on — offline database entity "
                f"{str(result.entity_id)[:8]}… created; the register's offline database "
                "gets its data with the next schedule run.",
            )
        else:
            form.session.flash(
                "ok", f"{where}: Support offline is off — its offline database entity was retired."
            )
        return ctx.redirect(_back(form, result.store_id))

    @router.post("/stores/registers/{register_id}/activation-code")
    def activation_code(register_id: str, form: Form = ctx.dep_form()) -> Response:
        with ctx.engine.begin() as conn:
            code = access.issue_activation_code(conn, register_id, ctx.clock.now())
        form.session.flash(
            "ok",
            f"Activation code for store {code.store_id}, register {code.register_number}: "
            f"{code.code} (one use, valid until {when(code.expires_at)}). It is shown only now.",
        )
        return ctx.redirect(_back(form, code.store_id))
