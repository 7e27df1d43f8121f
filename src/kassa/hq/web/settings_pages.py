"""Offline profiles and commerce parameters (DESIGN §1, §6), edited as versioned master data
(:mod:`kassa.hq.web.settings`).

* ``GET /offline-profiles`` — every profile with its values, version and stores using it.
* ``GET|POST /offline-profiles/{id}`` and ``/offline-profiles/new`` — the edit form; a bad
  value shows the field's error (status 422) and nothing is saved.
* ``GET|POST /parameters`` — commerce parameters; the two offline-conclusion switches first.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from kassa.domain.errors import InvalidInput
from kassa.domain.offline_profile import OfflineProfile
from kassa.hq.distribution.jobs import CHANNEL_CONFIGURATION, GLOBAL_CONFIGURATION
from kassa.hq.web import settings
from kassa.hq.web.pages import Form, WebContext
from kassa.hq.web.sessions import Session


def _saved_text(what: str, saved: settings.Saved, job: int) -> str:
    if saved.version is None:
        return f"{what}: nothing changed (no new version)."
    return (
        f"{what}: saved as change version {saved.version}; it reaches stores and registers "
        f"with the next run of a schedule with job {job}."
    )


def add_routes(router: APIRouter, ctx: WebContext) -> None:
    """Add the settings pages to ``router``."""

    def form_page(
        request: Request, profile: dict[str, Any], errors: dict[str, str], status: int = 200
    ) -> Response:
        title = f"Offline profile {profile['name']}" if profile.get("id") else "New offline profile"
        return ctx.page(
            request, "offline_profile_form.html", title=title, status=status, profile=profile,
            errors=errors, fields=OfflineProfile.FIELDS, help=settings.FIELD_HELP,
            labels=settings.FIELD_LABELS, bools=settings.BOOL_FIELDS,
        )

    def save(request: Request, form: Form, profile_id: int | None) -> Response:
        name, values, errors = settings.parse_profile_form(form.fields)
        shown = {"id": profile_id, "name": name, **values}
        if not errors:
            try:
                saved = settings.save_profile(
                    ctx.engine, profile_id, name, OfflineProfile.from_mapping(values)
                )
            except InvalidInput as exc:
                errors[str(exc.details.get("field", "form"))] = exc.message
            else:
                form.session.flash("ok", _saved_text(f"Offline profile {name}", saved,
                                                     CHANNEL_CONFIGURATION))
                return ctx.redirect("/offline-profiles")
        return form_page(request, shown, errors, status=422)

    @router.get("/offline-profiles")
    def profiles(request: Request, session: Session = ctx.dep_session()) -> Response:
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            rows = settings.list_profiles(conn)
        return ctx.page(
            request, "offline_profiles.html", title="Offline profiles", profiles=rows,
            fields=OfflineProfile.FIELDS, labels=settings.FIELD_LABELS,
        )

    @router.get("/offline-profiles/new")
    def new_profile(request: Request, session: Session = ctx.dep_session()) -> Response:
        return form_page(request, settings.blank_profile(), {})

    @router.post("/offline-profiles/new")
    def create_profile(request: Request, form: Form = ctx.dep_form()) -> Response:
        return save(request, form, None)

    @router.get("/offline-profiles/{profile_id}")
    def edit_profile(
        request: Request, profile_id: int, session: Session = ctx.dep_session()
    ) -> Response:
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            profile = settings.get_profile(conn, profile_id)
        return form_page(request, profile, {})

    @router.post("/offline-profiles/{profile_id}")
    def update_profile(request: Request, profile_id: int, form: Form = ctx.dep_form()) -> Response:
        return save(request, form, profile_id)

    def parameters_page(
        request: Request, params: list[settings.Parameter], errors: dict[str, str],
        typed: dict[str, str] | None = None, status: int = 200,
    ) -> Response:
        return ctx.page(
            request, "parameters.html", title="Commerce parameters", status=status,
            params=params, errors=errors, typed=typed or {}, switches=settings.OFFLINE_SWITCHES,
        )

    @router.get("/parameters")
    def parameters(request: Request, session: Session = ctx.dep_session()) -> Response:
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            params = settings.list_parameters(conn)
        return parameters_page(request, params, {})

    @router.post("/parameters")
    def save_parameters(request: Request, form: Form = ctx.dep_form()) -> Response:
        with ctx.engine.connect().execution_options(kassa_readonly=True) as conn:
            params = settings.list_parameters(conn)
        values, errors = settings.parse_parameter_form(form.fields, params)
        if errors:
            return parameters_page(request, params, errors, typed=values, status=422)
        saved = settings.save_parameters(ctx.engine, values)
        changed = saved.counts.written
        what = f"Commerce parameters ({changed} changed)" if changed else "Commerce parameters"
        form.session.flash("ok", _saved_text(what, saved, GLOBAL_CONFIGURATION))
        return ctx.redirect("/parameters")
