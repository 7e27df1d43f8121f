"""The store server verifies each register's journal chain (issue 8 §4; kassa.store.journal).

Rule source: issue 8 §4 — "the store server verifies the chain on upload and flags breaks";
DESIGN §5 — a sale is never lost, so a break is recorded and the sale still acknowledged.
Real store server on 127.0.0.1 over a real channel DB (SQLite and PostgreSQL); records are
made by the domain and chained with :mod:`kassa.domain.journal` as the register does.
"""

from __future__ import annotations

import uuid
from typing import Any

from kassa.domain.journal import JournalEntry, Received, genesis, received_breaks, with_entry
from kassa.store import journal
from support.store_world import StoreServer, sale_record


def _chain(store: StoreServer, count: int, prev: str | None = None) -> list[dict[str, Any]]:
    """``count`` sales of the store's register, chained after ``prev`` (its genesis)."""
    out, head = [], prev or genesis(store.register_id)
    for seq in range(1, count + 1):
        record = sale_record(store.register_id, seq)
        entry = JournalEntry.make(head, record)
        out.append(with_entry(record, entry))
        head = entry.hash
    return out


def _upload(store: StoreServer, records: list[dict[str, Any]]) -> dict[str, Any]:
    answer = store.client.post("/api/uploads", json={"transactions": records},
                               headers=store.auth())
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert sorted(body["acknowledged"]) == sorted({r["id"] for r in records})  # never refused
    return body


def _commit(store: StoreServer, record: dict[str, Any]) -> str:
    answer = store.client.post("/api/transactions", json=record, headers=store.auth())
    assert answer.status_code == 200, answer.text
    return str(answer.json()["result"])


def _status(store: StoreServer, pending: int) -> None:
    answer = store.client.post("/api/status", headers=store.auth(),
                               json={"pending_uploads": pending, "mode": "online"})
    assert answer.status_code == 200, answer.text


def _breaks(store: StoreServer) -> list[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        return [(str(b["transaction_id"]), b["reason"], b["state"])
                for b in journal.breaks_of(conn, store.register_id)]


def test_a_chain_uploaded_in_any_batch_order_has_no_break(store: StoreServer) -> None:
    # given five chained offline sales
    records = _chain(store, 5)
    # when they are uploaded in two batches, the second one out of order
    _upload(store, records[:2])
    _upload(store, [records[4], records[2], records[3]])
    # then nothing is flagged
    assert _breaks(store) == []


def test_an_edited_record_is_acknowledged_and_flagged_as_hash_mismatch(
        store: StoreServer) -> None:
    # given three chained sales, the second changed after its entry was made
    records = _chain(store, 3)
    records[1]["operator_id"] = "1002"
    # when they are uploaded
    _upload(store, records)
    # then all three are stored and the second is flagged
    assert store.count("transactions") == 3
    assert _breaks(store) == [(records[1]["id"], "journal.hash_mismatch", "confirmed")]


def test_a_record_without_a_journal_entry_is_acknowledged_and_flagged(store: StoreServer) -> None:
    # given a sale without an entry and one with a malformed entry
    bare = sale_record(store.register_id, 1)
    malformed = {**sale_record(store.register_id, 2), "journal": {"prev_hash": "x", "hash": 1}}
    # when both are uploaded
    _upload(store, [bare, malformed])
    # then both are stored and flagged as missing
    assert store.count("transactions") == 2
    assert sorted(_breaks(store)) == sorted([(bare["id"], "journal.missing", "confirmed"),
                                             (malformed["id"], "journal.missing", "confirmed")])


def test_an_upload_whose_predecessor_never_came_is_flagged_at_once(store: StoreServer) -> None:
    # given three chained sales of which the middle one is never sent
    records = _chain(store, 3)
    # when the first and the third are uploaded
    _upload(store, [records[0], records[2]])
    # then the third is flagged: its predecessor is missing
    assert _breaks(store) == [(records[2]["id"], "journal.missing_predecessor", "confirmed")]


def test_two_sales_after_the_same_predecessor_are_a_fork(store: StoreServer) -> None:
    # given a chain of two, and a third sale that claims the first as its predecessor too
    records = _chain(store, 2)
    third = sale_record(store.register_id, 3)
    rival = with_entry(third, JournalEntry.make(records[0]["journal"]["hash"], third))
    # when all are committed
    _upload(store, records)
    _upload(store, [rival])
    # then the rival is flagged as a fork
    assert _breaks(store) == [(rival["id"], "journal.fork", "confirmed")]


def test_a_commit_in_doubt_sent_again_offline_keeps_its_place_in_the_chain(
        store: StoreServer) -> None:
    # given a sale committed online whose answer the register never saw
    records = _chain(store, 2)
    assert _commit(store, {**records[0], "mode": "online"}) == "committed"
    # when the register commits it offline (mode offline, same entry) and uploads it with
    # the next sale
    _upload(store, [{**records[0], "mode": "offline"}, records[1]])
    # then nothing is flagged
    assert _breaks(store) == []


def test_a_duplicate_with_another_entry_is_flagged(store: StoreServer) -> None:
    # given a committed sale
    (record,) = _chain(store, 1)
    assert _commit(store, record) == "committed"
    # when the same transaction comes again with another entry
    other = with_entry(record, JournalEntry.make("0" * 64, record))
    assert _commit(store, other) == "duplicate"
    # then the duplicate is flagged
    assert _breaks(store) == [(record["id"], "journal.duplicate_mismatch", "confirmed")]


def test_an_online_commit_ahead_of_its_uploads_waits_and_is_resolved(store: StoreServer) -> None:
    # given two offline sales still queued and a third committed online after them
    records = _chain(store, 3)
    assert _commit(store, records[2]) == "committed"
    assert _breaks(store) == [(records[2]["id"], "journal.missing_predecessor", "pending")]
    # when the register reports pending uploads, then uploads them
    _status(store, pending=2)
    assert [b[2] for b in _breaks(store)] == ["pending"]
    _upload(store, records[:2])
    _status(store, pending=0)
    # then the waiting link is resolved: no break
    assert _breaks(store) == []


def test_an_online_commit_whose_predecessor_never_comes_is_confirmed_when_nothing_is_left(
        store: StoreServer) -> None:
    # given a sale committed online after a predecessor the store never gets
    records = _chain(store, 2)
    assert _commit(store, records[1]) == "committed"
    # when the register reports that nothing is left to upload
    _status(store, pending=0)
    # then the break is confirmed
    assert _breaks(store) == [(records[1]["id"], "journal.missing_predecessor", "confirmed")]


def test_the_report_to_hq_has_the_count_and_the_latest_break_per_register(
        store: StoreServer) -> None:
    # given two breaks of the register
    records = _chain(store, 4)
    records[1]["operator_id"] = "1002"
    _upload(store, [records[0], records[1], records[3]])
    # when the store server builds its status report
    with store.engine.connect() as conn:
        report = journal.report(conn)
    # then the register appears once with both counted and the latest named
    assert len(report) == 1
    item = report[0]
    assert item["register_id"] == str(store.register_id) and item["count"] == 2
    assert item["transaction_id"] == records[3]["id"]
    assert item["reason"] == "journal.missing_predecessor"
    assert uuid.UUID(item["register_id"]) == store.register_id


def test_two_sales_after_the_same_predecessor_in_one_batch_are_both_forks(
        store: StoreServer) -> None:
    # given a chain of two, and a rival of the second that follows the first as well
    records = _chain(store, 2)
    third = sale_record(store.register_id, 3)
    rival = with_entry(third, JournalEntry.make(records[0]["journal"]["hash"], third))
    # when all three come in one batch
    _upload(store, [*records, rival])
    # then both successors of the first are flagged, in the order received
    assert _breaks(store) == [(records[1]["id"], "journal.fork", "confirmed"),
                              (rival["id"], "journal.fork", "confirmed")]


def test_a_gap_inside_a_full_batch_flags_only_the_record_after_it(store: StoreServer) -> None:
    # given 100 chained sales of which the 51st is never sent
    records = _chain(store, 100)
    # when the other 99 are uploaded in one batch, out of order
    _upload(store, [*records[60:], *records[:50], *records[51:60]])
    # then only the 52nd is flagged: its predecessor is missing
    assert _breaks(store) == [(records[51]["id"], "journal.missing_predecessor", "confirmed")]


def test_the_chain_rule_is_pure_and_reports_each_reason_in_order() -> None:
    # given a register, an entry after its genesis, and records around it
    rid = uuid.uuid4()
    first = sale_record(rid, 1)
    entry = JournalEntry.make(genesis(rid), first)
    tid = [uuid.uuid4() for _ in range(4)]
    changed = {**first, "operator_id": "1002"}
    lost = JournalEntry.make("1" * 64, first)
    items = [
        Received(tid[0], first, None, new=True),  # no entry
        Received(tid[1], changed, entry, new=True),  # edited, and a fork with tid[2]
        Received(tid[2], first, lost, new=False, stored=(entry.prev_hash, entry.hash)),
        Received(tid[3], first, lost, new=True),  # predecessor nobody has
    ]
    # when the rule judges them, with tid[2] stored after the genesis too
    found = received_breaks(rid, items, holders={}, successors={
        genesis(rid): [tid[1], tid[2]]}, upload=True)
    # then every break is named, per record in order, and nothing else
    assert [(b.transaction_id, b.reason, b.pending) for b in found] == [
        (tid[0], "journal.missing", False),
        (tid[1], "journal.hash_mismatch", False),
        (tid[1], "journal.fork", False),
        (tid[2], "journal.duplicate_mismatch", False),
        (tid[3], "journal.missing_predecessor", False),
    ]
    assert found[2].detail.startswith(f"transactions {tid[1]} and {tid[2]} both follow")
    # and an online commit's missing predecessor is only pending
    (pending,) = received_breaks(rid, items[3:], {}, {}, upload=False)
    assert pending.pending and pending.prev_hash == "1" * 64
