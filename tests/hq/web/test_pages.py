"""The HQ back office over real HTTP (issue 6 §2; DESIGN §4, §8): sign-in and sessions, CSRF,
Support offline, offline profiles, commerce parameters and "Run now"."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kassa.db import hq_schema as s
from kassa.db.hq_distribution_schema import channel_db_entities as e
from kassa.hq.web.sessions import COOKIE_NAME, IDLE_S, MAX_FAILURES
from support.hq_web import ADMIN, Web
from support.hq_world import STORE_A, STORE_B, read_package, tables_by_name

PAGES = ["/", "/stores", "/offline-profiles", "/offline-profiles/1", "/parameters",
         "/schedules", "/dashboard", "/giftcards", "/sales"]


def counter(web: Web) -> int:
    with web.world.engine.connect() as conn:
        return int(conn.execute(select(s.change_counter.c.value)).scalar_one())


def offline_entities(web: Web, register: object) -> list[tuple[bool, object]]:
    with web.world.engine.connect() as conn:
        return [(bool(r.active), r.retired_at) for r in conn.execute(
            select(e.c.active, e.c.retired_at).where(e.c.register_id == register,
                                                     e.c.kind == "offline"))]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_sign_in(web: Web, path: str) -> None:
    # when a page is asked for without a session
    answer = web.http.get(path)
    # then the browser is sent to the sign-in page, which brings it back afterwards
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
    if path != "/":
        assert answer.headers["location"] == f"/login?next={path}"


def test_forms_and_feed_need_sign_in_too(web: Web) -> None:
    register = web.world.registers[(STORE_A, 1)]
    answer = web.http.post(f"/stores/registers/{register}/support-offline", data={"on": "1"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert offline_entities(web, register) == []
    feed = web.http.get("/dashboard.json")
    assert feed.status_code == 401 and feed.json()["error"]["code"] == "auth.required"


def test_sign_in_with_the_admin_token_gives_a_strict_http_only_cookie(web: Web) -> None:
    answer = web.sign_in()
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    page = web.http.get("/stores")
    assert page.status_code == 200 and "Stores &amp; registers" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_a_wrong_token_is_refused_and_repeated_attempts_are_throttled(web: Web) -> None:
    answer = web.sign_in("not-the-token")
    assert answer.status_code == 401
    assert "not the admin token" in answer.text and "set-cookie" not in answer.headers
    assert web.http.get("/").status_code == 303
    for _ in range(MAX_FAILURES - 1):
        web.sign_in("still-wrong")
    refused = web.sign_in(ADMIN)
    assert refused.status_code == 401 and "Too many wrong tokens" in refused.text
    web.world.clock.advance(120)
    assert web.sign_in(ADMIN).status_code == 303


def test_a_forged_cookie_is_not_a_session(web: Web) -> None:
    web.sign_in()
    real = web.http.cookies[COOKIE_NAME]
    sid, _ = real.split(".")
    web.http.cookies.clear()
    web.http.cookies.set(COOKIE_NAME, f"{sid}.{'0' * 64}")
    assert web.http.get("/").status_code == 303


def test_sessions_end_by_sign_out_and_after_idle_time(web: Web) -> None:
    web.sign_in()
    assert "End this back-office session?" in web.http.get("/logout").text
    out = web.post_form("/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert web.http.get("/").status_code == 303
    web.sign_in()
    web.world.clock.advance(IDLE_S + 1)
    assert web.http.get("/").status_code == 303


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_form_without_the_session_csrf_token_is_refused(web: Web, token: str | None) -> None:
    web.sign_in()
    register = web.world.registers[(STORE_A, 1)]
    data = {"on": "1"} if token is None else {"on": "1", "csrf_token": token}
    answer = web.http.post(f"/stores/registers/{register}/support-offline", data=data)
    assert answer.status_code == 403
    assert "security token" in answer.text and "Traceback" not in answer.text
    assert offline_entities(web, register) == []


def test_a_form_from_another_origin_is_refused(web: Web) -> None:
    web.sign_in()
    register = web.world.registers[(STORE_A, 1)]
    answer = web.http.post(
        f"/stores/registers/{register}/support-offline",
        data={"on": "1", "csrf_token": web.csrf("/stores")},
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403 and offline_entities(web, register) == []


def test_toggling_support_offline_creates_then_retires_the_entity(web: Web) -> None:
    web.sign_in()
    register = web.world.registers[(STORE_A, 2)]
    before = web.world.version_of(s.registers, register)
    # when the admin turns Support offline on
    on = web.post_form(f"/stores/registers/{register}/support-offline",
                       {"on": "1", "q": str(STORE_A)}, from_page="/stores")
    assert on.headers["location"] == f"/stores?q={STORE_A}#store-{STORE_A}"
    page = web.follow(on)
    # then the offline entity exists, the register row has a new version, the page says so
    assert offline_entities(web, register) == [(True, None)]
    assert web.world.version_of(s.registers, register) > before
    assert "Support offline is on" in page.text and "entity" in page.text
    assert f'id="store-{STORE_A}"' in page.text and f'id="store-{STORE_B}"' not in page.text
    # when it is turned off
    off = web.follow(web.post_form(f"/stores/registers/{register}/support-offline",
                                   {"on": "0"}, from_page="/stores"))
    # then the entity is retired (kept for history)
    [(active, retired_at)] = offline_entities(web, register)
    assert not active and retired_at is not None
    assert "Support offline is off" in off.text


def test_an_activation_code_is_shown_once_after_the_button(web: Web) -> None:
    web.sign_in()
    register = web.world.registers[(STORE_A, 1)]
    page = web.follow(web.post_form(f"/stores/registers/{register}/activation-code", {}))
    assert f"Activation code for store {STORE_A}, register 1:" in page.text
    assert "valid until" in page.text and "shown only now" in page.text
    assert "Activation code for" not in web.http.get("/stores").text


def test_a_bad_profile_value_shows_the_field_error_and_saves_nothing(web: Web) -> None:
    web.sign_in()
    with web.world.engine.connect() as conn:
        stored = dict(conn.execute(select(s.offline_profiles)).mappings().one())
    start = counter(web)
    form = {"name": "Default", "timeout_s": "0", "retry_count_to_offline": "2",
            "reconnect_interval_s": "60", "health_check_interval_s": "",
            "download_interval_s": "60", "upload_interval_s": "abc", "upload_batch_size": "100"}
    answer = web.post_form("/offline-profiles/1", form, from_page="/offline-profiles/1")
    assert answer.status_code == 422
    assert "Nothing was saved" in answer.text
    assert 'id="e-timeout_s"' in answer.text and "Must be &gt; 0" in answer.text
    assert 'id="e-upload_interval_s"' in answer.text and "number of seconds" in answer.text
    assert 'value="abc"' in answer.text  # what was typed is shown again
    with web.world.engine.connect() as conn:
        assert dict(conn.execute(select(s.offline_profiles)).mappings().one()) == stored
    assert counter(web) == start


def test_a_good_profile_edit_gets_one_new_version_and_a_repeat_none(web: Web) -> None:
    web.sign_in()
    before = web.world.version_of(s.offline_profiles, 1)
    form = {"name": "Default", "timeout_s": "2.5", "retry_count_to_offline": "1",
            "reconnect_interval_s": "30", "health_check_interval_s": "10",
            "prompt_on_seamless_offline": "on", "download_interval_s": "60",
            "upload_interval_s": "10", "upload_batch_size": "50"}
    page = web.follow(web.post_form("/offline-profiles/1", form))
    assert "saved as change version" in page.text
    with web.world.engine.connect() as conn:
        row = conn.execute(select(s.offline_profiles)).mappings().one()
    assert row["version"] > before and row["timeout_s"] == 2.5
    assert row["health_check_interval_s"] == 10 and row["prompt_on_seamless_offline"] is True
    again = web.follow(web.post_form("/offline-profiles/1", form))
    assert "nothing changed" in again.text
    assert web.world.version_of(s.offline_profiles, 1) == row["version"]


def test_a_new_profile_is_created_and_its_name_must_be_unique(web: Web) -> None:
    web.sign_in()
    form = {"name": "Busy stores", "timeout_s": "1", "retry_count_to_offline": "0",
            "reconnect_interval_s": "15", "health_check_interval_s": "5",
            "download_interval_s": "30", "upload_interval_s": "5", "upload_batch_size": "200"}
    page = web.follow(web.post_form("/offline-profiles/new", form))
    assert "Offline profile Busy stores: saved as change version" in page.text
    assert "<th scope=\"row\">Busy stores</th>" in page.text
    again = web.post_form("/offline-profiles/new", form)
    assert again.status_code == 422 and 'id="e-name"' in again.text
    assert "already called" in again.text
    with web.world.engine.connect() as conn:
        names = conn.execute(select(s.offline_profiles.c.name)).scalars().all()
    assert sorted(names) == ["Busy stores", "Default"]


def test_a_parameter_change_gets_a_new_version_and_travels_with_the_next_run(web: Web) -> None:
    web.sign_in()
    key = "allow_offline_gift_card_conclusion"
    before = web.world.version_of(s.commerce_parameters, key)
    web.post_form("/schedules/1/run", {"group": str(STORE_A)})  # the group's baseline
    page = web.http.get("/parameters")
    assert "Allow concluding gift card transactions in offline mode" in page.text
    assert "Allow concluding credit memo transactions in offline mode" in page.text
    # when the admin switches "allow concluding gift card transactions offline" on
    form = {f"p.{key}": "on", "p.receipt_line_width": "42"}
    saved = web.follow(web.post_form("/parameters", form))
    assert "saved as change version" in saved.text
    # then the row has the new value with a new version
    with web.world.engine.connect() as conn:
        value, version = conn.execute(
            select(s.commerce_parameters.c.value, s.commerce_parameters.c.version)
            .where(s.commerce_parameters.c.key == key)).one()
    assert json.loads(value) is True and version > before
    # and the next run of "All jobs" carries it in a package
    web.follow(web.post_form("/schedules/1/run", {"group": str(STORE_A)}))
    _, content = read_package(web.world.engine, STORE_A, 2)
    rows = tables_by_name(content)["commerce_parameters"].rows
    assert [key, "true"] in [[r[0], r[1]] for r in rows]


def test_a_parameter_that_is_not_json_is_refused_and_nothing_saved(web: Web) -> None:
    web.sign_in()
    start = counter(web)
    answer = web.post_form("/parameters", {"p.receipt_line_width": "forty-two"})
    assert answer.status_code == 422 and "Not a JSON value" in answer.text
    assert counter(web) == start


def test_run_now_writes_a_package_shown_in_the_list(web: Web) -> None:
    web.sign_in()
    first = web.follow(web.post_form("/schedules/1/run", {"group": str(STORE_A)}))
    assert "baseline package 1" in first.text
    register = web.world.registers[(STORE_A, 1)]
    web.post_form(f"/stores/registers/{register}/support-offline", {"on": "1"})
    answer = web.post_form("/schedules/1/run", {"group": str(STORE_A)})
    assert answer.headers["location"] == f"/schedules?group={STORE_A}#packages"
    page = web.follow(answer)
    assert f"group {STORE_A}: package 2 (1 rows" in page.text
    table = page.text[page.text.index('id="package-list"'):]
    assert "<strong>2</strong>" in table and "registers 1" in table
    _, content = read_package(web.world.engine, STORE_A, 2)
    assert [r[0] for r in tables_by_name(content)["registers"].rows] == [register.hex]


def test_errors_are_readable_pages_never_tracebacks(web: Web) -> None:
    web.sign_in()
    bad_page = web.http.get("/stores?page=abc")
    assert bad_page.status_code == 422 and "The address has a bad value" in bad_page.text
    unknown = web.http.get("/offline-profiles/999")
    assert unknown.status_code == 404 and "no offline profile 999" in unknown.text
    no_register = web.post_form("/stores/registers/not-an-id/support-offline", {"on": "1"})
    assert no_register.status_code == 422 and "register id" in no_register.text
    no_group = web.post_form("/schedules/1/run", {"group": "99999"})
    assert no_group.status_code == 404 and "no channel data group 99999" in no_group.text
    for answer in (bad_page, unknown, no_register, no_group):
        assert "Traceback" not in answer.text and answer.headers["content-type"].startswith(
            "text/html")
