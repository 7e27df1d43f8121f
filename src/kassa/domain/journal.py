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

The store server's verdict on the entries it receives is :func:`received_breaks` (pure; the
reasons are listed in :mod:`kassa.store.journal`, which reads the chain state once per batch).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kassa.domain.errors import InvalidInput
from kassa.domain.transaction_record import record_json, same_record

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


def received_canonical_json(received: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    """``canonical_json(received)`` — the same text — for a record ``received`` that
    ``Transaction.from_record`` accepted, given ``record``, the ``to_record()`` of the
    transaction it made: when ``received`` is ``record`` as JSON but for the
    :data:`UNCHAINED` keys (:func:`~kassa.domain.transaction_record.same_record`, the usual
    case: registers send what ``to_record`` made), ``record`` without them is written by
    :func:`~kassa.domain.transaction_record.record_json` (same settings as
    :func:`canonical_json`: sorted keys, no spaces, ASCII; a fifth of the time); otherwise
    ``received`` itself by :func:`canonical_json`. The hash input never changes.
    """
    if same_record(received, record, UNCHAINED):
        return made_canonical_json(record)
    return canonical_json(received)


def made_canonical_json(record: Mapping[str, Any]) -> str:
    """``canonical_json(record)`` — the same text — for a record made by ``to_record()``
    (JSON primitives without floats), written by
    :func:`~kassa.domain.transaction_record.record_json` (``orjson`` where it gives the same
    bytes): what the register hashes when it stamps its own transactions."""
    return record_json({k: v for k, v in record.items() if k not in UNCHAINED})


def entry_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """``SHA-256(prev_hash + canonical_json(record))`` as 64 lower-case hex characters."""
    return hash_of(prev_hash, canonical_json(record))


def hash_of(prev_hash: str, canonical: str) -> str:
    """``SHA-256(prev_hash + canonical)`` (hex) for ``canonical`` = :func:`canonical_json`
    of a record, made already."""
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


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


# ----- the store server's verdict on received entries (issue 8 §4) ------------------------


@dataclass(frozen=True)
class Break:
    """One break of a register's chain: register, transaction, ``journal.*`` reason, text
    for people; ``prev_hash`` of a missing predecessor; ``pending`` until confirmed (the
    reasons: :mod:`kassa.store.journal`)."""

    register_id: uuid.UUID
    transaction_id: uuid.UUID
    reason: str
    detail: str
    prev_hash: str | None = None
    pending: bool = False


@dataclass(frozen=True)
class Received:
    """One record as the store server received it, after its rows were inserted.

    ``entry``: the entry it carries (``None``: none or a malformed one); ``new``: inserted
    now (``False``: its id was stored already); ``stored``: for a duplicate, the stored
    ``(prev_hash, hash)`` (``None`` when the row is not there); ``canonical``:
    :func:`canonical_json` of ``record`` when the caller made it already (e.g. with
    :func:`received_canonical_json`), else ``None`` (made here when needed).
    """

    transaction_id: uuid.UUID
    record: Mapping[str, Any]
    entry: JournalEntry | None
    new: bool
    stored: tuple[str | None, str | None] | None = None
    canonical: str | None = None

    def matches(self) -> bool:
        """True when ``entry`` is the entry of ``record`` (False without an entry)."""
        entry = self.entry
        if entry is None:
            return False
        if self.canonical is None:
            return entry.matches(self.record)
        return hash_of(entry.prev_hash, self.canonical) == entry.hash


def received_breaks(
    register_id: uuid.UUID,
    items: Sequence[Received],
    holders: Mapping[str, Sequence[uuid.UUID]],
    successors: Mapping[str, Sequence[uuid.UUID]],
    *,
    upload: bool,
) -> list[Break]:
    """The breaks of ``items`` (in the register's chain order) — pure: the store server
    reads the chain state once per batch (:mod:`kassa.store.journal`).

    Args:
        register_id: the sending register (every item is its own).
        items: the records of one commit or upload batch, in the order received.
        holders: for every ``prev_hash`` of a new item, the ids of the register's
            transactions (this batch's already inserted) whose ``hash`` it is.
        successors: for every ``prev_hash`` of a new item, the ids of the register's
            transactions (likewise) that name it as their ``prev_hash``, oldest first.
        upload: the records came offline (``POST /api/uploads``): a missing predecessor is
            confirmed at once, else it is pending.

    Returns:
        Per item in order: ``journal.missing``; or for a duplicate
        ``journal.duplicate_mismatch``; or for a new one ``journal.hash_mismatch``,
        ``journal.missing_predecessor``, ``journal.fork`` (in that order, each when it
        applies). Never raises for bad records.
    """
    out: list[Break] = []
    first = genesis(register_id)
    for item in items:
        tid, entry = item.transaction_id, item.entry
        if entry is None:
            out.append(Break(register_id, tid, "journal.missing",
                             f"transaction {tid} came without a valid journal entry"))
            continue
        if not item.new:
            stored = item.stored
            if stored is not None and stored[1] is not None and stored != (
                    entry.prev_hash, entry.hash):
                out.append(Break(
                    register_id, tid, "journal.duplicate_mismatch",
                    f"transaction {tid} came again with another journal entry "
                    f"(hash {entry.hash[:12]}…, stored {str(stored[1])[:12]}…)"))
            continue
        if not item.matches():
            out.append(Break(register_id, tid, "journal.hash_mismatch",
                             f"transaction {tid} does not match its journal hash "
                             f"{entry.hash[:12]}…: it was changed after it was recorded"))
        prev = entry.prev_hash
        if prev != first and not any(h != tid for h in holders.get(prev, ())):
            where = "was never received" if upload else "is not here (yet)"
            out.append(Break(register_id, tid, "journal.missing_predecessor",
                             f"the transaction before {tid} (hash {prev[:12]}…) "
                             f"{where}: a transaction is missing from the journal",
                             prev_hash=prev, pending=not upload))
        other = next((s for s in successors.get(prev, ()) if s != tid), None)
        if other is not None:
            out.append(Break(register_id, tid, "journal.fork",
                             f"transactions {tid} and {other} both follow hash "
                             f"{prev[:12]}…: the journal was rewritten or restarted"))
    return out
