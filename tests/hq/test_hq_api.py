"""The HQ distribution API over real HTTP (uvicorn on 127.0.0.1, httpx): admin endpoints,
store-server endpoints with token scoping, activation (DESIGN §4, §8; issue 3)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from kassa.auth.tokens import token_hash
from kassa.db.hq_schema import registers
from kassa.hq.app import create_app
from kassa.sync.package import check_sequence, verify_and_decode
from support.hq_world import STORE_A, STORE_B, World, build_world
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-tests"


@dataclass
class Hq:
    world: World
    http: httpx.Client

    def admin(self, method: str, path: str, **kw: object) -> httpx.Response:
        return self.http.request(method, path, headers={"Authorization": f"Bearer {ADMIN}"}, **kw)  # type: ignore[arg-type]

    def store_token(self, store_id: int) -> str:
        r = self.admin("POST", f"/api/stores/{store_id}/server-token")
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


@pytest.fixture
def hq(db_url: str) -> Iterator[Hq]:
    world = build_world(db_url)
    app = create_app(world.engine, admin_token=ADMIN, clock=world.clock)
    with run_app_in_thread(app) as base, httpx.Client(base_url=base, timeout=20) as http:
        yield Hq(world, http)
    world.engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_health_and_openapi_need_no_token(hq: Hq) -> None:
    r = hq.http.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    paths = hq.http.get("/openapi.json").json()["paths"]
    assert "/api/distribution/packages" in paths and "/api/schedules/{schedule_id}/run" in paths


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/schedules"),
        ("POST", "/api/schedules/1/run"),
        ("GET", "/api/packages?data_group_id=367"),
        ("GET", "/api/channel-databases"),
        ("PUT", "/api/registers/01a205db-b6ef-79d3-b326-ae73212fe35c/support-offline"),
        ("POST", "/api/registers/01a205db-b6ef-79d3-b326-ae73212fe35c/activation-code"),
        ("POST", "/api/stores/367/server-token"),
    ],
)
def test_admin_endpoints_need_the_admin_token(hq: Hq, method: str, path: str) -> None:
    missing = hq.http.request(method, path, json={"on": True})
    wrong = hq.http.request(method, path, json={"on": True}, headers=bearer("not-the-token"))
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "auth.missing_token"
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "auth.bad_token"


def test_run_schedule_and_list_packages(hq: Hq) -> None:
    schedules = hq.admin("GET", "/api/schedules").json()
    all_jobs = next(x for x in schedules if x["name"] == "All jobs")
    first = hq.admin("POST", f"/api/schedules/{all_jobs['id']}/run").json()
    assert [g["outcome"] for g in first["groups"]] == ["baseline", "baseline"]
    hq.world.set_price(1001, 379)
    r = hq.admin("POST", f"/api/schedules/{all_jobs['id']}/run", params={"data_group_id": STORE_A})
    assert r.status_code == 200, r.text
    (group,) = r.json()["groups"]
    assert group["outcome"] == "package" and group["package"]["rows"] == 1
    listed = hq.admin("GET", "/api/packages", params={"data_group_id": STORE_A}).json()
    assert listed["latest_number"] == 2
    assert [(p["number"], p["kind"], p["rows"]) for p in listed["packages"]] == [
        (2, "delta", 1),
        (1, "delta", 0),
    ]
    assert listed["packages"][0]["size"] > 0
    assert hq.admin("POST", "/api/schedules/999/run").status_code == 404
    bad_group = hq.admin("POST", f"/api/schedules/{all_jobs['id']}/run?data_group_id=4242")
    assert bad_group.status_code == 404
    assert hq.admin("GET", "/api/packages?data_group_id=4242").status_code == 404
    assert hq.admin("GET", "/api/packages").status_code == 422


def test_new_store_gets_snapshot_then_deltas_verified_by_the_package_format(hq: Hq) -> None:
    token = hq.store_token(STORE_A)
    # a new target: no "after" → the snapshot header only
    r = hq.http.get("/api/distribution/packages", headers=bearer(token))
    assert r.status_code == 200, r.text
    (snap,) = r.json()["packages"]
    assert snap["kind"] == "snapshot" and snap["number"] == 1
    body = hq.http.get(
        f"/api/distribution/packages/{snap['number']}/body",
        params={"kind": "snapshot"},
        headers=bearer(token),
    )
    assert body.headers["content-type"] == "application/octet-stream"
    content = verify_and_decode(snap, body.content)
    assert check_sequence(snap, None)
    assert {t.name: len(t.rows) for t in content.tables}["products"] == 3
    # a change, a run, and the delta after the snapshot
    hq.world.set_price(1003, 69)
    hq.admin("POST", "/api/schedules/1/run")
    for variant in ("channel", "offline"):
        listed = hq.http.get(
            "/api/distribution/packages",
            params={"after": snap["number"], "variant": variant},
            headers=bearer(token),
        ).json()
        (delta,) = listed["packages"]
        assert (delta["number"], delta["base_number"], delta["kind"]) == (2, 1, "delta")
        raw = hq.http.get(
            "/api/distribution/packages/2/body", params={"variant": variant}, headers=bearer(token)
        ).content
        prices = {t.name: t for t in verify_and_decode(delta, raw).tables}["prices"]
        assert [r[:2] for r in prices.rows] == [[1003, 69]]
    assert (
        hq.http.get("/api/distribution/packages?after=2", headers=bearer(token)).json()["packages"]
        == []
    )
    missing = hq.http.get("/api/distribution/packages/99/body", headers=bearer(token))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "distribution.unknown_package"
    bad = hq.http.get("/api/distribution/packages?after=-1&variant=x", headers=bearer(token))
    assert bad.status_code == 422


def test_a_store_cannot_read_another_stores_group(hq: Hq) -> None:
    token_a = hq.store_token(STORE_A)
    hq.admin("POST", "/api/schedules/1/run")
    own = hq.http.get(
        "/api/distribution/packages",
        params={"after": 0, "data_group_id": STORE_A},
        headers=bearer(token_a),
    )
    assert own.status_code == 200 and own.json()["data_group_id"] == STORE_A
    other = hq.http.get(
        "/api/distribution/packages",
        params={"after": 0, "data_group_id": STORE_B},
        headers=bearer(token_a),
    )
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "distribution.other_group"
    body = hq.http.get(
        "/api/distribution/packages/1/body",
        params={"data_group_id": STORE_B},
        headers=bearer(token_a),
    )
    assert body.status_code == 403
    assert hq.http.get("/api/distribution/packages", headers=bearer("forged")).status_code == 401
    assert hq.http.get("/api/distribution/packages").status_code == 401
    # a new token replaces the old one
    token_a2 = hq.store_token(STORE_A)
    assert (
        hq.http.get("/api/distribution/packages?after=0", headers=bearer(token_a)).status_code
        == 401
    )
    assert (
        hq.http.get("/api/distribution/packages?after=0", headers=bearer(token_a2)).status_code
        == 200
    )
    # the admin token is not a store token
    assert (
        hq.http.get("/api/distribution/packages?after=0", headers=bearer(ADMIN)).status_code == 401
    )


def test_activation_is_one_time_and_scoped_to_the_store(hq: Hq) -> None:
    token_a, token_b = hq.store_token(STORE_A), hq.store_token(STORE_B)
    rid = hq.world.registers[(STORE_A, 2)]
    before = hq.world.version_of(registers, rid)
    issued = hq.admin("POST", f"/api/registers/{rid}/activation-code")
    assert issued.status_code == 201
    code = issued.json()["code"]
    # store B may not use store A's code
    other = hq.http.post("/api/activate", json={"code": code}, headers=bearer(token_b))
    assert other.status_code == 403 and other.json()["error"]["code"] == "activation.other_store"
    # store A may, once (codes are case-insensitive)
    ok = hq.http.post("/api/activate", json={"code": code.lower()}, headers=bearer(token_a))
    assert ok.status_code == 200, ok.text
    got = ok.json()
    assert (got["register_id"], got["store_id"], got["register_number"]) == (str(rid), STORE_A, 2)
    assert len(got["device_token"]) >= 40 and len(got["device_token_hash"]) == 64
    assert token_hash(got["device_token"]) == got["device_token_hash"]
    assert hq.world.version_of(registers, rid) > before
    again = hq.http.post("/api/activate", json={"code": code}, headers=bearer(token_a))
    assert again.status_code == 409 and again.json()["error"]["code"] == "activation.used"
    unknown = hq.http.post(
        "/api/activate", json={"code": "AAAA-BBBB-CCCC"}, headers=bearer(token_a)
    )
    assert unknown.status_code == 404
    assert hq.http.post("/api/activate", json={}, headers=bearer(token_a)).status_code == 422


def test_an_expired_activation_code_is_refused(hq: Hq) -> None:
    token = hq.store_token(STORE_A)
    rid = hq.world.registers[(STORE_A, 1)]
    code = hq.admin("POST", f"/api/registers/{rid}/activation-code").json()["code"]
    hq.world.clock.advance(24 * 3600 + 1)
    r = hq.http.post("/api/activate", json={"code": code}, headers=bearer(token))
    assert r.status_code == 409 and r.json()["error"]["code"] == "activation.expired"


def test_support_offline_status_reports_and_the_view(hq: Hq) -> None:
    token = hq.store_token(STORE_A)
    r1, r2 = hq.world.registers[(STORE_A, 1)], hq.world.registers[(STORE_A, 2)]
    on = hq.admin("PUT", f"/api/registers/{r1}/support-offline", json={"on": True})
    assert on.status_code == 200 and on.json()["changed"] is True
    assert (
        hq.admin("PUT", f"/api/registers/{r1}/support-offline", json={"on": "yes"}).status_code
        == 422
    )
    assert (
        hq.admin(
            "PUT",
            "/api/registers/01a205db-b6ef-79d3-b326-ae73212fe35c/support-offline",
            json={"on": True},
        ).status_code
        == 404
    )
    assert (
        hq.admin("PUT", "/api/registers/not-a-uuid/support-offline", json={"on": True}).status_code
        == 422
    )
    hq.admin("POST", "/api/schedules/1/run")
    status = hq.http.post(
        "/api/status",
        json={
            "checkpoint": 1,
            "registers": [
                {"register_id": str(r1), "checkpoint": 1, "pending_uploads": 3, "mode": "online"},
                {
                    "register_id": str(r2),
                    "checkpoint": None,
                    "pending_uploads": 0,
                    "mode": "online",
                },
            ],
        },
        headers=bearer(token),
    )
    assert status.status_code == 200, status.text
    assert status.json() == {"recorded": 2, "without_entity": [str(r2)]}
    other = hq.http.post(
        "/api/status",
        json={"registers": [{"register_id": str(hq.world.registers[(STORE_B, 1)])}]},
        headers=bearer(token),
    )
    assert other.status_code == 403
    too_long = hq.http.post("/api/status", json={"mode": "x" * 41}, headers=bearer(token))
    assert too_long.status_code == 422
    view = hq.admin("GET", "/api/channel-databases", params={"data_group_id": STORE_A}).json()
    rows = [
        (e["kind"], e["register_number"], e["checkpoint"], e["lag"], e["pending_uploads"])
        for e in view["entities"]
    ]
    assert rows == [("channel", None, 1, 0, None), ("offline", 1, 1, 0, 3)]
    assert all(e["last_contact_at"] for e in view["entities"])
