"""The stored record text and the journal hash input, pinned (DESIGN §5, issue 8 §4).

The journal chain is verified against hashes the register computed, and HQ reads the stored
record: neither may change by a byte when the store server writes them faster
(``orjson`` where it gives the same bytes, one ``to_record`` per upload, the hash input made
from the record the domain wrote back). The pinned texts and hashes below were made by the
``json``-only code before that change.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kassa.domain.errors import KassaError
from kassa.domain.journal import (
    JournalEntry,
    Received,
    canonical_json,
    entry_hash,
    genesis,
    received_canonical_json,
    with_entry,
)
from kassa.domain.transaction import Line, Transaction
from kassa.domain.transaction_record import record_json, same_record
from support.posting_baskets import random_records

NOW = datetime(2017, 12, 31, tzinfo=UTC)
#: A completed offline sale: a non-ASCII name, weighed goods with a discount, a voided line
#: whose name holds a tab, quotes, a backslash and DEL; cash with change.
RECORD: dict[str, Any] = {'completed_at': '2017-03-01T09:02:00.000000Z',
     'customer_id': 2047,
     'format': 1,
     'id': '0191a3b4-c5d6-7e8f-9a0b-000000000002',
     'lines': [{'barcode': '4006381333931',
                'discount_cents': 0,
                'gross_cents': 498,
                'id': '0191a3b4-c5d6-7e8f-9a0b-00000000000a',
                'is_return': False,
                'name': 'Café crème 250 g',
                'net_cents': 498,
                'original_transaction_id': None,
                'price_override_cents': None,
                'product_id': 1001,
                'quantity': '2',
                'tax_cents': 0,
                'tax_group_id': 'FOOD',
                'tax_group_name': 'Food',
                'tax_rate_bp': 0,
                'unit_price_cents': 249,
                'voided': False},
               {'barcode': '',
                'discount_cents': 50,
                'gross_cents': 493,
                'id': '0191a3b4-c5d6-7e8f-9a0b-00000000000b',
                'is_return': False,
                'name': 'Bananas',
                'net_cents': 443,
                'original_transaction_id': None,
                'price_override_cents': None,
                'product_id': 2002,
                'quantity': '1.235',
                'tax_cents': 28,
                'tax_group_id': 'STANDARD',
                'tax_group_name': 'Standard',
                'tax_rate_bp': 625,
                'unit_price_cents': 399,
                'voided': False},
               {'barcode': '',
                'discount_cents': 0,
                'gross_cents': 100,
                'id': '0191a3b4-c5d6-7e8f-9a0b-00000000000c',
                'is_return': False,
                'name': 'Tab\there "quoted" \\ DEL\x7f',
                'net_cents': 100,
                'original_transaction_id': None,
                'price_override_cents': None,
                'product_id': 3003,
                'quantity': '1',
                'tax_cents': 6,
                'tax_group_id': 'STANDARD',
                'tax_group_name': 'Standard',
                'tax_rate_bp': 625,
                'unit_price_cents': 100,
                'voided': True}],
     'mode': 'offline',
     'operator_id': 'op1',
     'receipt_number': '364-1-000042',
     'register_id': '0191a3b4-c5d6-7e8f-9a0b-000000000001',
     'register_number': 1,
     'started_at': '2017-03-01T09:00:00.123456Z',
     'status': 'completed',
     'store_id': 364,
     'tenders': [{'amount_cents': 2000,
                  'id': '0191a3b4-c5d6-7e8f-9a0b-000000000009',
                  'reference': None,
                  'type': 'cash',
                  'voided': False}],
     'totals': {'amount_due_cents': -1031,
                'change_due_cents': 1031,
                'discount_total_cents': 50,
                'paid_cents': 2000,
                'subtotal_cents': 941,
                'tax_total_cents': 28,
                'total_cents': 969},
     'voided_at': None}
STORED = (
    '{"completed_at":"2017-03-01T09:02:00.000000Z","customer_id":2047,"format":1,"id":"01'
    '91a3b4-c5d6-7e8f-9a0b-000000000002","lines":[{"barcode":"4006381333931","discount_ce'
    'nts":0,"gross_cents":498,"id":"0191a3b4-c5d6-7e8f-9a0b-00000000000a","is_return":fal'
    'se,"name":"Caf\\u00e9 cr\\u00e8me 250 g","net_cents":498,"original_transaction_id":nul'
    'l,"price_override_cents":null,"product_id":1001,"quantity":"2","tax_cents":0,"tax_gr'
    'oup_id":"FOOD","tax_group_name":"Food","tax_rate_bp":0,"unit_price_cents":249,"voide'
    'd":false},{"barcode":"","discount_cents":50,"gross_cents":493,"id":"0191a3b4-c5d6-7e'
    '8f-9a0b-00000000000b","is_return":false,"name":"Bananas","net_cents":443,"original_t'
    'ransaction_id":null,"price_override_cents":null,"product_id":2002,"quantity":"1.235"'
    ',"tax_cents":28,"tax_group_id":"STANDARD","tax_group_name":"Standard","tax_rate_bp":'
    '625,"unit_price_cents":399,"voided":false},{"barcode":"","discount_cents":0,"gross_c'
    'ents":100,"id":"0191a3b4-c5d6-7e8f-9a0b-00000000000c","is_return":false,"name":"Tab\\'
    'there \\"quoted\\" \\\\ DEL\\u007f","net_cents":100,"original_transaction_id":null,"price'
    '_override_cents":null,"product_id":3003,"quantity":"1","tax_cents":6,"tax_group_id":'
    '"STANDARD","tax_group_name":"Standard","tax_rate_bp":625,"unit_price_cents":100,"voi'
    'ded":true}],"mode":"offline","operator_id":"op1","receipt_number":"364-1-000042","re'
    'gister_id":"0191a3b4-c5d6-7e8f-9a0b-000000000001","register_number":1,"started_at":"'
    '2017-03-01T09:00:00.123456Z","status":"completed","store_id":364,"tenders":[{"amount'
    '_cents":2000,"id":"0191a3b4-c5d6-7e8f-9a0b-000000000009","reference":null,"type":"ca'
    'sh","voided":false}],"totals":{"amount_due_cents":-1031,"change_due_cents":1031,"dis'
    'count_total_cents":50,"paid_cents":2000,"subtotal_cents":941,"tax_total_cents":28,"t'
    'otal_cents":969},"voided_at":null}'
)
HASH = "4d088ab4283be7bbaeac5aea29343ffc9eb650225f98fb7356abba6827f33cee"
#: RECORD with ASCII names only (the text ``orjson`` writes).
ASCII_RECORD: dict[str, Any] = copy.deepcopy(RECORD)
ASCII_RECORD["lines"][0]["name"] = "Cafe creme 250 g"
ASCII_RECORD["lines"][2]["name"] = 'Tab\there "quoted" \\ end'
ASCII_STORED = (
    '{"completed_at":"2017-03-01T09:02:00.000000Z","customer_id":2047,"format":1,"id":"01'
    '91a3b4-c5d6-7e8f-9a0b-000000000002","lines":[{"barcode":"4006381333931","discount_ce'
    'nts":0,"gross_cents":498,"id":"0191a3b4-c5d6-7e8f-9a0b-00000000000a","is_return":fal'
    'se,"name":"Cafe creme 250 g","net_cents":498,"original_transaction_id":null,"price_o'
    'verride_cents":null,"product_id":1001,"quantity":"2","tax_cents":0,"tax_group_id":"F'
    'OOD","tax_group_name":"Food","tax_rate_bp":0,"unit_price_cents":249,"voided":false},'
    '{"barcode":"","discount_cents":50,"gross_cents":493,"id":"0191a3b4-c5d6-7e8f-9a0b-00'
    '000000000b","is_return":false,"name":"Bananas","net_cents":443,"original_transaction'
    '_id":null,"price_override_cents":null,"product_id":2002,"quantity":"1.235","tax_cent'
    's":28,"tax_group_id":"STANDARD","tax_group_name":"Standard","tax_rate_bp":625,"unit_'
    'price_cents":399,"voided":false},{"barcode":"","discount_cents":0,"gross_cents":100,'
    '"id":"0191a3b4-c5d6-7e8f-9a0b-00000000000c","is_return":false,"name":"Tab\\there \\"qu'
    'oted\\" \\\\ end","net_cents":100,"original_transaction_id":null,"price_override_cents"'
    ':null,"product_id":3003,"quantity":"1","tax_cents":6,"tax_group_id":"STANDARD","tax_'
    'group_name":"Standard","tax_rate_bp":625,"unit_price_cents":100,"voided":true}],"mod'
    'e":"offline","operator_id":"op1","receipt_number":"364-1-000042","register_id":"0191'
    'a3b4-c5d6-7e8f-9a0b-000000000001","register_number":1,"started_at":"2017-03-01T09:00'
    ':00.123456Z","status":"completed","store_id":364,"tenders":[{"amount_cents":2000,"id'
    '":"0191a3b4-c5d6-7e8f-9a0b-000000000009","reference":null,"type":"cash","voided":fal'
    'se}],"totals":{"amount_due_cents":-1031,"change_due_cents":1031,"discount_total_cent'
    's":50,"paid_cents":2000,"subtotal_cents":941,"tax_total_cents":28,"total_cents":969}'
    ',"voided_at":null}'
)
ASCII_HASH = "2824aa711f35952de2dc3c587be36335abc734d954db6191c95d79aa35565fd1"


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize(("record", "stored"), [(RECORD, STORED), (ASCII_RECORD, ASCII_STORED)])
def test_the_stored_text_of_a_known_record_is_pinned(record: dict[str, Any],
                                                      stored: str) -> None:
    # given a known record, read by the domain as the store server reads an upload
    written = Transaction.from_record(copy.deepcopy(record)).to_record()
    # then the domain writes it back unchanged, and its stored text is the pinned one
    assert written == record
    assert record_json(written) == stored == _json(written)


@pytest.mark.parametrize(("record", "digest"), [(RECORD, HASH), (ASCII_RECORD, ASCII_HASH)])
def test_the_journal_hash_of_a_known_record_is_pinned(record: dict[str, Any],
                                                      digest: str) -> None:
    # given the known record as the register sends it: with its journal entry
    head = genesis(uuid.UUID(record["register_id"]))
    entry = JournalEntry.make(head, record)
    received = with_entry(record, entry)
    # when the store server makes the hash input from the record the domain wrote back
    canonical = received_canonical_json(received, Transaction.from_record(received).to_record())
    # then it is the register's, and so is the hash (mode is outside it)
    assert entry.hash == digest == entry_hash(head, {**record, "mode": "online"})
    assert canonical == canonical_json(received)
    assert Received(uuid.UUID(record["id"]), received, entry, True, None, canonical).matches()
    assert not Received(uuid.UUID(record["id"]), received, entry, True, None,
                        canonical.replace("969", "968")).matches()


_TEXT = st.text(st.characters(max_codepoint=0x2FF)) | st.sampled_from(
    ["", "\x7f", "\ud800", "é", "\u2028", "😀", "a\x00b", '"\\/'])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_record_json_writes_the_bytes_json_dumps_writes(value: object) -> None:
    # any JSON value without floats: control characters, DEL, non-ASCII, lone surrogates,
    # integers beyond 64 bits
    assert record_json({"v": value}) == _json({"v": value})


def _variants(record: dict[str, Any]) -> list[dict[str, Any]]:
    """``record`` as senders other than the register's ``to_record`` may write it (the domain
    accepts most; none is its normal form but the last, whose ``mode`` alone differs)."""
    def changed(edit: Any) -> dict[str, Any]:
        out = copy.deepcopy(record)
        edit(out)
        return out

    line = 0
    return [
        changed(lambda r: r.update(format=True)),
        changed(lambda r: r.update(format=1.0)),
        changed(lambda r: r.update(extra="kept in the hash")),
        changed(lambda r: r.update(id=r["id"].upper())),
        changed(lambda r: r.update(started_at=r["started_at"].replace("Z", "+00:00"))),
        changed(lambda r: r["totals"].update(total_cents=float(r["totals"]["total_cents"]))),
        changed(lambda r: r.pop("totals")),
        changed(lambda r: r["lines"][line].update(gross_cents=float(
            r["lines"][line]["gross_cents"]))),
        changed(lambda r: r["lines"][line].update(tax_cents=r["lines"][line]["tax_cents"] == 1)),
        changed(lambda r: r["lines"][line].pop("net_cents")),
        changed(lambda r: r["lines"][line].update(note="x")),
        changed(lambda r: r["lines"][line].update(quantity=r["lines"][line]["quantity"] + ".0"
                                                  if "." not in r["lines"][line]["quantity"]
                                                  else r["lines"][line]["quantity"] + "0")),
        changed(lambda r: r["lines"][line].update(id="{" + r["lines"][line]["id"] + "}")),
        changed(lambda r: r.update(mode="online")),
    ]


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_records_not_in_normal_form_keep_their_hash_input_and_stored_text(seed: int) -> None:
    # given real baskets (returns, overrides, voided lines, weighed goods), each sent in
    # its normal form and in forms the domain accepts but would write differently
    for base in random_records(3, seed=seed, store_id=364, registers=1):
        variants = _variants(base)
        for received in [base, *variants]:
            try:
                txn = Transaction.from_record(copy.deepcopy(received))
            except KassaError:  # a variant the domain refuses is not this case
                continue
            written = txn.to_record()
            # then the hash input is the received record's, the stored text json's
            assert received_canonical_json(received, written) == canonical_json(received)
            assert record_json(written) == _json(written)
            # (only the mode, outside the hash, may differ from the normal form)
            assert same_record(received, written, frozenset({"journal", "mode"})) == (
                received is base or received is variants[-1])
            # and every line writes what a line built by the constructor writes
            for line, rec in zip(txn.lines, written["lines"], strict=True):
                fresh = replace(line)
                assert rec == fresh.to_record()
                assert [type(v) for v in rec.values()] == [
                    type(fresh.to_record()[k]) for k in rec]


def test_a_line_read_from_a_record_is_not_changed_by_the_record_or_its_output() -> None:
    # given a line read from its record
    record = copy.deepcopy(RECORD["lines"][1])
    line = Line.from_record(record)
    # when the record it was read from and a record it gave are changed
    record["name"] = "changed"
    line.to_record()["quantity"] = "99"
    # then the line still writes its own values
    assert line.to_record() == RECORD["lines"][1]
    assert line == Line.from_record(RECORD["lines"][1])
