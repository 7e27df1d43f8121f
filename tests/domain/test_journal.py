"""The journal's hash chain, pure rules (issue 8 §4; kassa.domain.journal)."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from kassa.domain.errors import InvalidInput
from kassa.domain.journal import (
    JournalEntry,
    canonical_json,
    entry_hash,
    genesis,
    is_hash,
    made_canonical_json,
    with_entry,
)

REGISTER = uuid.UUID("01900000-0000-7000-8000-000000000001")
RECORD = {"id": "t1", "mode": "online", "totals": {"total_cents": 349}, "operator_id": "é"}


def test_hash_is_sha256_of_prev_hash_and_the_canonical_record() -> None:
    # given a record and a previous hash
    prev = genesis(REGISTER)
    # when the entry is made
    entry = JournalEntry.make(prev, RECORD)
    # then it is SHA-256 over prev_hash + canonical JSON (sorted, compact, ASCII)
    text = '{"id":"t1","operator_id":"\\u00e9","totals":{"total_cents":349}}'
    assert canonical_json(RECORD) == text
    assert entry.hash == hashlib.sha256((prev + text).encode()).hexdigest()
    assert is_hash(entry.hash) and entry.matches(RECORD)


def test_mode_and_the_entry_itself_are_outside_the_hash() -> None:
    # given a record committed online, then offline after a lost answer, carrying its entry
    entry = JournalEntry.make("0" * 64, RECORD)
    offline = with_entry({**RECORD, "mode": "offline"}, entry)
    # then it keeps its entry
    assert entry.matches(offline)


def test_any_other_change_breaks_the_hash() -> None:
    # given an entry / when an amount changes / then it no longer matches
    entry = JournalEntry.make("0" * 64, RECORD)
    assert not entry.matches({**RECORD, "totals": {"total_cents": 350}})
    assert entry_hash("1" * 64, RECORD) != entry.hash  # another predecessor too


def test_genesis_is_per_register() -> None:
    assert genesis(REGISTER) == genesis(str(REGISTER))
    assert genesis(REGISTER) != genesis(uuid.UUID(int=2))
    assert genesis(REGISTER) == hashlib.sha256(
        f"kassa-journal-v1:{REGISTER}".encode()).hexdigest()


def test_an_entry_is_read_from_its_record_and_a_bad_one_refused() -> None:
    # given records with an entry, none, and broken ones
    entry = JournalEntry.make("a" * 64, RECORD)
    assert JournalEntry.from_record(with_entry(RECORD, entry)) == entry
    assert JournalEntry.from_record(RECORD) is None
    for bad in ("x", {"prev_hash": "a" * 64}, {"prev_hash": "A" * 64, "hash": "a" * 64},
                {"prev_hash": 1, "hash": "a" * 64}):
        # then a malformed one is refused with a stable code
        with pytest.raises(InvalidInput) as err:
            JournalEntry.from_record({**RECORD, "journal": bad})
        assert err.value.code == "journal.malformed"


def test_the_registers_canonical_text_is_the_canonical_json_of_its_records() -> None:
    # given records as to_record makes them: non-ASCII, control characters, nesting, a journal
    records = [
        {"id": "a", "name": "Crème brûlée\t\"x\"\\\x7f", "lines": [{"q": "1.5", "n": 2}],
         "mode": "offline", "journal": {"prev_hash": "0" * 64, "hash": "1" * 64}},
        {"id": "b", "z": None, "a": True, "n": 2**70, "nested": {"b": [], "a": {}}},
    ]
    # then the register's text is the text the store server hashes, byte for byte
    for record in records:
        assert made_canonical_json(record) == canonical_json(record)
