"""What schemathesis found in the store server's API (issue 8 §2;
tests/fuzz/test_schemathesis_store.py), each pinned over real HTTP on SQLite and PostgreSQL:

* a checkpoint or cursor beyond 64 bits (``GET /api/packages?after=``, HQ's
  ``GET /api/hq/transactions?after=``) crashed the query → 500; now 422 ``request.invalid``;
* a transaction record with a customer or product id beyond 64 bits (both dialects), or an
  operator id / receipt number longer than its column (PostgreSQL) crashed the insert →
  500 for ``POST /api/transactions`` and the whole ``POST /api/uploads``; now 422
  ``record.out_of_range`` (one rejected record in an upload);
* a money field of more than 28 digits (``unit_price_cents``: 10**30) crashed the decimal
  conversion (``decimal.InvalidOperation``) → 500; now 422 ``money.too_large``;
* a JSON body that is not UTF-8 answered 400 ``http.error``, a status no operation
  documents; now 422 ``request.invalid`` like any other unreadable body;
* error answers were undocumented (401, 403, 404, 409, 503) or documented with FastAPI's
  ``{"detail": [...]}`` instead of Kassa's error body (422).
"""

from __future__ import annotations

from typing import Any

import pytest

from support.store_world import PULL_TOKEN, StoreServer, assert_error, sale_record

HUGE = 2**64  # one past what a 64-bit INTEGER column holds


def test_cursors_beyond_64_bits_are_invalid_input(store: StoreServer) -> None:
    # given a register's checkpoint and HQ's cursor no 64-bit column can hold
    # when they are asked for (a server error would close the connection: one per call)
    packages = store.client.get(f"/api/packages?after={HUGE}",
                                headers={**store.auth(), "Connection": "close"})
    pulled = store.client.get(f"/api/hq/transactions?after={HUGE}",
                              headers={**store.auth(PULL_TOKEN), "Connection": "close"})
    # then both are refused as invalid input, not server errors
    assert_error(packages, 422, "request.invalid")
    assert_error(pulled, 422, "request.invalid")


def _with(record: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    *parents, last = path
    holder: Any = record
    for step in parents:
        holder = holder[step]
    holder[last] = value
    return record


@pytest.mark.parametrize(
    ("path", "value", "code"),
    [
        pytest.param(("customer_id",), 2**63, "record.out_of_range", id="customer_id"),
        pytest.param(("lines", 0, "product_id"), 2**63, "record.out_of_range",
                     id="product_id"),
        pytest.param(("lines", 0, "product_id"), -(2**63) - 1, "record.out_of_range",
                     id="negative_product_id"),
        pytest.param(("operator_id",), "x" * 33, "record.out_of_range", id="operator_id"),
        pytest.param(("receipt_number",), "364-1-" + "1" * 40, "record.out_of_range",
                     id="receipt_number"),
        pytest.param(("lines", 0, "unit_price_cents"), 10**30, "money.too_large",
                     id="unit_price_cents"),
        pytest.param(("tenders", 0, "amount_cents"), 10**30, "money.too_large",
                     id="amount_cents"),
    ],
)
def test_a_record_the_channel_db_cannot_hold_is_refused_not_a_server_error(
    store: StoreServer, path: tuple[Any, ...], value: Any, code: str
) -> None:
    # given a finished sale of this register with one value beyond what can be stored
    record = _with(sale_record(store.register_id), path, value)
    # when it is committed, and uploaded after a good one
    headers = {**store.auth(), "Connection": "close"}
    committed = store.client.post("/api/transactions", json=record, headers=headers)
    good = sale_record(store.register_id, seq=2)
    uploaded = store.client.post("/api/uploads", json={"transactions": [good, record]},
                                 headers=headers)
    # then the commit is refused with the reason, the upload keeps the good one only
    assert_error(committed, 422, code)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["acknowledged"] == [good["id"]]
    assert [r["error"]["code"] for r in uploaded.json()["rejected"]] == [code]
    assert store.count("transactions") == 1


@pytest.mark.parametrize("path", ["/api/sign-in", "/api/status", "/api/uploads"])
def test_a_json_body_that_is_not_utf8_is_invalid_input(store: StoreServer, path: str) -> None:
    # given a body declared as JSON whose bytes are not UTF-8
    headers = {**store.auth(), "Content-Type": "application/json"}
    # when a register posts it
    answer = store.client.post(path, content=b"\x80\x81", headers=headers)
    # then it is the same 422 as any unreadable body
    assert_error(answer, 422, "request.invalid")


def test_the_openapi_documents_kassas_error_body_for_every_error_answer(
    store: StoreServer,
) -> None:
    # given the store server's OpenAPI document
    spec = store.client.get("/openapi.json").json()
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            # then every secured operation documents its 401, register calls their 403
            if operation.get("security"):
                assert "401" in responses, (method, path)
            if {"DeviceToken": []} in operation.get("security", []):
                assert "403" in responses, (method, path)
            # and every documented error has Kassa's body, never FastAPI's {"detail": [...]}
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == error_ref, (method, path, status)
    # and the calls relayed to HQ document that HQ may be unreachable
    assert "503" in spec["paths"]["/api/activate"]["post"]["responses"]
    assert "503" in spec["paths"]["/api/realtime/{kind}/{number}/lock"]["post"]["responses"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
