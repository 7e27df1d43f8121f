"""Committing and uploading transactions over real HTTP, exactly once (DESIGN §5; issue 4 §1,
§4), register status, and HQ's P-job pull — with every bad input leaving nothing behind."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kassa.domain.ids import new_id
from support.store_world import PULL_TOKEN, StoreServer, assert_error, sale_record


def _nothing_written(store: StoreServer) -> None:
    assert store.count("transactions") == 0
    assert store.count("transaction_lines") == 0
    assert store.count("transaction_tenders") == 0


def test_commit_is_idempotent_by_id(store: StoreServer) -> None:
    record = sale_record(store.register_id)
    # when the same transaction is committed twice (the first answer was "lost")
    first = store.client.post("/api/transactions", json=record, headers=store.auth())
    second = store.client.post("/api/transactions", json=record, headers=store.auth())
    # then one row with its line and tender, and the second answer says "duplicate"
    assert first.status_code == second.status_code == 200
    assert first.json()["result"] == "committed"
    assert second.json() == {**first.json(), "result": "duplicate"}
    assert first.json()["id"] == record["id"] and first.json()["seq"] >= 1
    assert (store.count("transactions"), store.count("transaction_lines"),
            store.count("transaction_tenders")) == (1, 1, 1)


def test_upload_batch_acknowledges_new_and_duplicate_ids(store: StoreServer) -> None:
    # given one transaction already committed online
    known = sale_record(store.register_id, 1)
    store.client.post("/api/transactions", json=known, headers=store.auth())
    batch = [known, sale_record(store.register_id, 2), sale_record(store.register_id, 3)]
    # when a batch holds it again, two new ones and one repeated inside the batch
    answer = store.client.post("/api/uploads", json={"transactions": [*batch, batch[1]]},
                               headers=store.auth())
    # then every id is acknowledged once, nothing rejected, three rows stored
    assert answer.status_code == 200
    assert sorted(answer.json()["acknowledged"]) == sorted(r["id"] for r in batch)
    assert answer.json()["rejected"] == []
    assert store.count("transactions") == 3 and store.count("transaction_lines") == 3


def test_upload_rejects_bad_records_and_stores_the_good_ones(store: StoreServer) -> None:
    good = sale_record(store.register_id, 1)
    absurd = sale_record(store.register_id, 2)
    absurd["lines"][0]["quantity"] = "1000000"
    wrong_totals = sale_record(store.register_id, 3)
    wrong_totals["totals"]["total_cents"] += 1
    answer = store.client.post("/api/uploads",
                               json={"transactions": [good, absurd, wrong_totals]},
                               headers=store.auth())
    assert answer.status_code == 200
    assert answer.json()["acknowledged"] == [good["id"]]
    rejected = {r["id"]: r["error"]["code"] for r in answer.json()["rejected"]}
    assert rejected == {absurd["id"]: "quantity.too_large",
                        wrong_totals["id"]: "record.invalid"}
    assert store.count("transactions") == 1 and store.count("transaction_lines") == 1


def _spoil(record: dict[str, Any], how: str) -> dict[str, Any]:
    bad = copy.deepcopy(record)
    if how == "negative quantity":
        bad["lines"][0]["quantity"] = "-2"
    elif how == "absurd quantity":
        bad["lines"][0]["quantity"] = "99999999"
    elif how == "float quantity":
        bad["lines"][0]["quantity"] = 2.5
    elif how == "open":
        bad.update(status="open", completed_at=None, tenders=[])
        bad["totals"].update(paid_cents=0, amount_due_cents=bad["totals"]["total_cents"],
                             change_due_cents=0)
    elif how == "missing field":
        del bad["operator_id"]
    elif how == "other format":
        bad["format"] = 2
    return bad


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("negative quantity", "quantity.not_positive"),
        ("absurd quantity", "quantity.too_large"),
        ("float quantity", "record.invalid"),
        ("open", "transaction.not_finished"),
        ("missing field", "record.invalid"),
        ("other format", "record.format"),
    ],
)
def test_bad_record_is_refused_and_nothing_is_written(store: StoreServer, how: str,
                                                      code: str) -> None:
    bad = _spoil(sale_record(store.register_id), how)
    answer = store.client.post("/api/transactions", json=bad, headers=store.auth())
    assert_error(answer, 422, code)
    _nothing_written(store)


def test_malformed_json_and_wrong_shapes_are_422(store: StoreServer) -> None:
    headers = {**store.auth(), "Content-Type": "application/json"}
    for path in ("/api/transactions", "/api/uploads", "/api/status"):
        assert_error(store.client.post(path, content=b'{"id": ', headers=headers), 422,
                     "request.invalid")
    assert_error(store.client.post("/api/transactions", json=[1, 2], headers=store.auth()),
                 422, "request.invalid")
    assert_error(store.client.post("/api/uploads", json={"transactions": [1]},
                                   headers=store.auth()), 422, "request.invalid")
    assert_error(store.client.post("/api/uploads", json={"records": []}, headers=store.auth()),
                 422, "request.invalid")
    _nothing_written(store)


def test_register_may_not_write_another_registers_transactions(store: StoreServer) -> None:
    other = sale_record(new_id())
    other_store = sale_record(store.register_id, store_id=365)
    other_number = sale_record(store.register_id, register_number=2)
    for record in (other, other_store, other_number):
        assert_error(store.client.post("/api/transactions", json=record, headers=store.auth()),
                     403, "transaction.other_register")
    # a batch with one foreign record is refused whole
    batch = {"transactions": [sale_record(store.register_id, 5), other]}
    assert_error(store.client.post("/api/uploads", json=batch, headers=store.auth()), 403,
                 "transaction.other_register")
    # the register of another store cannot write at all, nor can a wrong token
    mine = sale_record(store.register_id)
    assert_error(store.client.post("/api/transactions", json=mine,
                                   headers=store.auth(store.other_token)), 403,
                 "auth.other_store")
    assert_error(store.client.post("/api/uploads", json={"transactions": [mine]},
                                   headers=store.auth("nope")), 401, "auth.bad_token")
    _nothing_written(store)


def test_status_report_is_stored_per_register(store: StoreServer) -> None:
    body = {"checkpoint": 1, "pending_uploads": 3, "mode": "offline (automatic)",
            "oldest_pending_age_s": 12.5}
    answer = store.client.post("/api/status", json=body, headers=store.auth())
    assert answer.status_code == 200
    assert answer.json()["register_id"] == str(store.register_id)
    again = store.client.post("/api/status", json={**body, "pending_uploads": 0},
                              headers=store.auth())
    assert again.status_code == 200 and store.count("register_status") == 1
    for bad in ({**body, "pending_uploads": -1}, {**body, "mode": ""},
                {**body, "colour": "red"}, {**body, "reported_at": "2017-01-01T00:00:00"}):
        assert_error(store.client.post("/api/status", json=bad, headers=store.auth()), 422,
                     "request.invalid")


def test_hq_pulls_transactions_after_its_cursor_in_commit_order(store: StoreServer) -> None:
    records = [sale_record(store.register_id, i) for i in range(1, 6)]
    for r in records:
        store.client.post("/api/transactions", json=r, headers=store.auth())
    hq = {"Authorization": f"Bearer {PULL_TOKEN}"}
    first = store.client.get("/api/hq/transactions", params={"limit": 2}, headers=hq).json()
    assert [t["record"]["id"] for t in first["transactions"]] == [r["id"] for r in records[:2]]
    rest = store.client.get("/api/hq/transactions", params={"after": first["last_seq"]},
                            headers=hq).json()
    assert [t["record"]["id"] for t in rest["transactions"]] == [r["id"] for r in records[2:]]
    assert rest["transactions"][0]["record"] == records[2]
    done = store.client.get("/api/hq/transactions", params={"after": rest["last_seq"]},
                            headers=hq).json()
    assert done == {"transactions": [], "last_seq": rest["last_seq"]}
    # only HQ's pull token opens it: not a register's token, not a wrong one
    for headers in ({}, store.auth(), {"Authorization": "Bearer wrong"}):
        answer = store.client.get("/api/hq/transactions", headers=headers)
        assert answer.status_code == 401
    assert_error(store.client.get("/api/hq/transactions", params={"limit": 0}, headers=hq),
                 422, "request.invalid")
