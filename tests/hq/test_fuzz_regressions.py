"""What schemathesis found in HQ's API (issue 8 §2; tests/fuzz/test_schemathesis_hq.py), each
pinned over real HTTP on SQLite and PostgreSQL:

* an id, group or package number beyond 64 bits crashed the query (SQLite: "Python int too
  large to convert to SQLite INTEGER") → 500, and on PostgreSQL already a store, group, job
  or schedule id beyond 32 bits (``Integer`` columns); now refused as invalid input (422
  ``request.invalid``);
* a JSON body that is not UTF-8 answered 400 ``http.error``, a status no operation
  documents; now 422 ``request.invalid`` like any other unreadable body;
* error answers were undocumented (401, 403, 404, 409) or documented with FastAPI's
  ``{"detail": [...]}`` instead of Kassa's error body (422).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from kassa.domain.ids import new_id
from kassa.hq.app import create_app
from support.hq_world import build_world
from support.servers import run_app_in_thread

ADMIN = "admin-token-for-fuzz-regressions"
ID = 2**31  # one past a 32-bit Integer column (stores, data groups, jobs, schedules)
NUMBER = 2**63  # one past a 64-bit BigInteger column (package numbers)


@dataclass
class Hq:
    http: httpx.Client
    store_token: str

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN}"}

    def store(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.store_token}"}


@pytest.fixture
def hq(db_url: str) -> Iterator[Hq]:
    world = build_world(db_url)
    app = create_app(world.engine, admin_token=ADMIN, clock=world.clock)
    try:
        # a server error closes the keep-alive connection: one connection per request
        with run_app_in_thread(app) as base, httpx.Client(
            base_url=base, timeout=20, headers={"Connection": "close"}
        ) as http:
            answer = http.post("/api/stores/367/server-token",
                               headers={"Authorization": f"Bearer {ADMIN}"})
            assert answer.status_code == 201, answer.text
            yield Hq(http, answer.json()["token"])
    finally:
        world.engine.dispose()


def assert_invalid(answer: httpx.Response) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "request.invalid"


ADMIN_CALLS = (
    ("PUT", f"/api/jobs/{ID}/exclude-from-offline", {"on": True}),
    ("POST", f"/api/schedules/{ID}/run", None),
    ("POST", f"/api/schedules/1/run?data_group_id={ID}", None),
    ("GET", f"/api/packages?data_group_id={ID}", None),
    ("GET", f"/api/packages?data_group_id=367&before={NUMBER}", None),
    ("GET", f"/api/channel-databases?data_group_id={ID}", None),
    ("GET", f"/api/channel-databases?store_id={ID}", None),
    ("POST", f"/api/stores/{ID}/server-token", None),
    ("GET", f"/api/reports/sales?store_id={ID}", None),
    ("POST", f"/api/posting/run?store_id={ID}", None),
)
STORE_SERVER_CALLS = (
    f"/api/distribution/packages?after={NUMBER}",
    f"/api/distribution/packages?data_group_id={ID}",
    f"/api/distribution/packages/{NUMBER}/body",
)


def test_ids_and_numbers_beyond_their_columns_are_invalid_input(hq: Hq) -> None:
    # given calls naming an id or package number its column cannot hold
    # when they are sent
    answers = [(m, p, hq.http.request(m, p, json=b, headers=hq.admin()))
               for m, p, b in ADMIN_CALLS]
    answers += [("GET", p, hq.http.get(p, headers=hq.store())) for p in STORE_SERVER_CALLS]
    # then each is refused as invalid input, not a server error
    wrong = [(m, p, a.status_code, a.text[:80]) for m, p, a in answers
             if a.status_code != 422 or a.json()["error"]["code"] != "request.invalid"]
    assert wrong == []


@pytest.mark.parametrize(
    ("path", "caller"),
    [("/api/giftcards", "admin"), ("/api/status", "store"),
     ("/api/realtime/gift_card/issue", "store")],
)
def test_a_json_body_that_is_not_utf8_is_invalid_input(hq: Hq, path: str, caller: str) -> None:
    # given a body declared as JSON whose bytes are not UTF-8
    headers = {**(hq.admin() if caller == "admin" else hq.store()),
               "Content-Type": "application/json"}
    # when it is posted
    answer = hq.http.post(path, content=b"\x80\x81", headers=headers)
    # then it is the same 422 as any unreadable body
    assert_invalid(answer)


def test_a_status_report_naming_an_unknown_register_is_a_documented_404(hq: Hq) -> None:
    answer = hq.http.post("/api/status", headers=hq.store(), json={
        "checkpoint": 0, "registers": [{"register_id": str(new_id())}]})
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "register.unknown"
    documented = hq.http.get("/openapi.json").json()["paths"]["/api/status"]["post"]
    assert "404" in documented["responses"]


def test_the_openapi_documents_kassas_error_body_for_every_error_answer(hq: Hq) -> None:
    # given HQ's OpenAPI document
    spec = hq.http.get("/openapi.json").json()
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            # then every secured operation documents its 401
            if operation.get("security"):
                assert "401" in responses, (method, path)
            # and every documented error has Kassa's body, never FastAPI's {"detail": [...]}
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == error_ref, (method, path, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    body = spec["components"]["schemas"]["ErrorDetail"]
    assert set(body["required"]) == {"code", "message", "details"}


NUL_CALLS = (
    ("admin", "GET", "/api/giftcards/12%0034", None),
    ("admin", "GET", "/api/reports/sales?store_id=367&day=%00", None),
    ("store", "POST", "/api/activate", {"code": "ab\u0000cdef"}),
    ("store", "POST", "/api/status", {"checkpoint": 0, "mode": "on\u0000line"}),
    ("store", "POST", "/api/realtime/gift_card/12%0034/lock",
     {"register_id": str(new_id()), "transaction_id": str(new_id())}),
)


@pytest.mark.parametrize(("caller", "method", "path", "body"), NUL_CALLS)
def test_text_with_a_nul_character_is_invalid_input(
        hq: Hq, caller: str, method: str, path: str, body: dict[str, object] | None) -> None:
    # given a call carrying the NUL character (PostgreSQL cannot store it: it was a 500)
    headers = hq.admin() if caller == "admin" else hq.store()
    # when it is sent
    answer = hq.http.request(method, path, json=body, headers=headers)
    # then it is refused as invalid input, saying where the NUL is
    assert_invalid(answer)
    assert "NUL" in answer.json()["error"]["message"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(hq: Hq) -> None:
    # given a status report whose mode is the six characters \u0000 (an escaped backslash)
    answer = hq.http.post("/api/status", headers=hq.store(),
                          json={"checkpoint": 0, "mode": "\\u0000"})
    # then the guard lets it through to the route (which answers for itself, not 500)
    assert answer.status_code < 500, answer.text
    assert "NUL" not in answer.text
