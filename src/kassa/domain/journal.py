"""The tamper-evident journal of a register: a hash chain over its transactions (issue 8 §4).

Rule source: issue 8 §4 ("each offline transaction carries the hash of the previous one on
that register; a chain seeded by the store server while online; the store server verifies
the chain on upload and flags breaks at HQ"), DESIGN §5.

Every finished transaction of a register — committed online or offline — is one **entry**::

    hash = SHA-256( prev_hash + canonical JSON of the transaction record )   (hex, 64 chars)

* ``prev_hash`` is the ``hash`` of the register's previous entry; the first entry of a
  register uses its **genesis** value :func:`genesis` (SHA-256 of
  ``"kassa-journal-v1:<register id>"``), or the head the store server holds for the
  register when the register starts with an empty offline DB (``GET /api/me``).
* **Canonical JSON** (:func:`canonical_json`): the format-1 record
  (:mod:`kassa.domain.transaction_record`) without the keys of :data:`UNCHAINED`, with
  sorted keys, no spaces, ASCII only. ``mode`` is left out because it names the route of the
  commit, which may legitimately change after the entry is made: a commit in doubt (the
  store server's answer was lost, DESIGN §5) is committed again offline with ``mode`` =
  ``"offline"`` and must keep its place in the chain. Every amount, line, tender, time,
  operator and id is covered.
* On the wire the entry travels inside the record as ``"journal": {"prev_hash", "hash"}``
  (:data:`JOURNAL_KEY`, ``POST /api/transactions`` and ``POST /api/uploads``); in the
  databases it sits in ``transactions.prev_hash`` / ``transactions.hash``.

The chain makes an edit of a stored transaction visible (its hash no longer matches its
content) and a removed transaction visible (its successor names a predecessor nobody has).
It cannot reveal a removed *newest* entry, nor a chain recomputed from scratch by someone
who knows this algorithm and controls the register; what the store server has acknowledged
anchors everything before it.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from kassa.domain.errors import InvalidInput

#: Key of the journal entry inside a transaction record on the wire.
JOURNAL_KEY: Final = "journal"
#: Record keys outside the hash (module docstring).
UNCHAINED: Final = frozenset({JOURNAL_KEY, "mode"})
#: Prefix of the genesis value; the version names this algorithm.
GENESIS_PREFIX: Final = "kassa-journal-v1:"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def canonical_json(record: Mapping[str, Any]) -> str:
    """The record as hashed: without :data:`UNCHAINED` keys, sorted keys, no spaces, ASCII."""
    content = {k: v for k, v in record.items() if k not in UNCHAINED}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """``SHA-256(prev_hash + canonical_json(record))`` as 64 lower-case hex characters."""
    data = (prev_hash + canonical_json(record)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def genesis(register_id: uuid.UUID | str) -> str:
    """The ``prev_hash`` of a register's first entry (64 hex characters)."""
    rid = register_id if isinstance(register_id, uuid.UUID) else uuid.UUID(str(register_id))
    return hashlib.sha256(f"{GENESIS_PREFIX}{rid}".encode("ascii")).hexdigest()


def is_hash(value: object) -> bool:
    """True for 64 lower-case hex characters."""
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


@dataclass(frozen=True)
class JournalEntry:
    """One link of the chain: the previous entry's hash and this one's (hex SHA-256)."""

    prev_hash: str
    hash: str

    @classmethod
    def make(cls, prev_hash: str, record: Mapping[str, Any]) -> JournalEntry:
        """The entry of ``record`` after ``prev_hash``."""
        return cls(prev_hash, entry_hash(prev_hash, record))

    def matches(self, record: Mapping[str, Any]) -> bool:
        """True when ``hash`` is the hash of ``record`` after ``prev_hash``."""
        return entry_hash(self.prev_hash, record) == self.hash

    def to_dict(self) -> dict[str, str]:
        """``{"prev_hash", "hash"}`` (the wire form)."""
        return {"prev_hash": self.prev_hash, "hash": self.hash}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> JournalEntry | None:
        """The entry a record carries under :data:`JOURNAL_KEY`; ``None`` when it has none.

        Raises:
            InvalidInput: ``journal.malformed`` — not an object of two 64-hex-digit hashes.
        """
        raw = record.get(JOURNAL_KEY)
        if raw is None:
            return None
        if not isinstance(raw, Mapping) or not (
            is_hash(raw.get("prev_hash")) and is_hash(raw.get("hash"))
        ):
            raise InvalidInput(
                "the journal entry must be {\"prev_hash\", \"hash\"} of 64 hex digits each",
                code="journal.malformed",
            )
        return cls(str(raw["prev_hash"]), str(raw["hash"]))


def with_entry(record: Mapping[str, Any], entry: JournalEntry) -> dict[str, Any]:
    """A copy of ``record`` carrying ``entry`` under :data:`JOURNAL_KEY`."""
    return {**record, JOURNAL_KEY: entry.to_dict()}
