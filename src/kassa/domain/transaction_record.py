"""The transaction record, format 1: THE wire and storage form of a transaction.

Rule source: issue 2 §2, DESIGN §5. The same record travels register → store server →
channel DB, sits in the offline DB while pending upload, and is posted by HQ. It holds only
JSON-able primitives: ids as text, times as fixed-width ISO-8601 UTC
(``2017-01-01T12:00:00.000000Z``), money as integer cents (``*_cents``), quantities as text
(``"1.5"``), enums as their values. Shape::

    {"format": 1, "id", "store_id", "register_id", "register_number", "receipt_number",
     "operator_id", "customer_id", "mode", "status", "started_at", "completed_at",
     "voided_at", "lines": [Line.to_record()], "tenders": [TenderLine.to_record()],
     "totals": Totals.to_record()}

``totals`` and the per-line ``gross/net/tax_cents`` are derived: readers may use them
(e.g. SQL sums at HQ) and :func:`fields_from_record` checks them again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

import orjson

from kassa.domain.errors import InvalidInput
from kassa.domain.ids import parse_id
from kassa.domain.tender_line import TenderLine
from kassa.domain.transaction_line import Line

if TYPE_CHECKING:
    from kassa.domain.transaction import Transaction

#: Version of the record; readers refuse other values (code ``record.format``).
RECORD_FORMAT: Final = 1


class TransactionStatus(StrEnum):
    """Life cycle: ``open`` → ``completed`` or ``voided`` (both final)."""

    OPEN = "open"
    COMPLETED = "completed"
    VOIDED = "voided"


class TransactionMode(StrEnum):
    """Mode of the register when the transaction started (DESIGN §3)."""

    ONLINE = "online"
    OFFLINE = "offline"


def utc(value: object, what: str = "time") -> datetime:
    """An aware ``datetime`` → the same instant in UTC.

    Raises:
        InvalidInput: code ``time.invalid`` for a naive datetime or a non-datetime.
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(f"{what} must be a timezone-aware datetime (got {value!r})",
                           code="time.invalid")
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """``2017-01-01T12:00:00.000000Z``: fixed-width ISO-8601 UTC that sorts as text.

    Raises:
        InvalidInput: code ``time.invalid`` for a naive datetime.
    """
    return utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: object, what: str = "time") -> datetime:
    """Inverse of :func:`format_utc`; any ISO-8601 text with an offset is accepted.

    Raises:
        InvalidInput: code ``time.invalid`` (not text, not ISO-8601, no offset).
    """
    if not isinstance(text, str):
        raise InvalidInput(f"{what} must be ISO-8601 text (got {text!r})", code="time.invalid")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} is not ISO-8601: {text!r}", code="time.invalid") from None
    return utc(value, what)


def _opt_time(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def record_of(txn: Transaction) -> dict[str, Any]:
    """``txn`` as a format-1 record (see the module docstring)."""
    return {
        "format": RECORD_FORMAT,
        "id": str(txn.id),
        "store_id": txn.store_id,
        "register_id": str(txn.register_id),
        "register_number": txn.register_number,
        "receipt_number": txn.receipt_number,
        "operator_id": txn.operator_id,
        "customer_id": txn.customer_id,
        "mode": txn.mode.value,
        "status": txn.status.value,
        "started_at": format_utc(txn.started_at),
        "completed_at": _opt_time(txn.completed_at),
        "voided_at": _opt_time(txn.voided_at),
        "lines": [x.to_record() for x in txn.lines],
        "tenders": [x.to_record() for x in txn.tenders],
        "totals": txn.totals_record(),
    }


def record_json(record: Mapping[str, Any]) -> str:
    """The stored text of a record (``transactions.record`` in the channel and offline DBs):
    exactly ``json.dumps(record, sort_keys=True, separators=(",", ":"))`` — sorted keys, no
    spaces, ASCII only (``\\uXXXX`` escapes) — byte for byte.

    ``record`` holds JSON primitives without floats: ``str``, ``int``, ``bool``, ``None``,
    lists and dicts with ``str`` keys, as :func:`record_of` makes them (``orjson`` and
    ``json`` write floats differently). ``orjson`` writes it (a fifth of the time) whenever
    its output is the same bytes: pure ASCII without DEL (``json`` escapes non-ASCII and
    ``\\x7f``; both escape the control characters alike); otherwise, or when ``orjson``
    refuses a value (an ``int`` beyond 64 bits, a non-``str`` key, a lone surrogate),
    ``json`` writes it. tests/domain/test_record_json.py pins the equality.
    """
    try:
        data = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(record, sort_keys=True, separators=(",", ":"))
    if data.isascii() and b"\x7f" not in data:
        return data.decode("ascii")
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def same_record(received: Mapping[str, Any], record: Mapping[str, Any],
                ignore: frozenset[str] = frozenset()) -> bool:
    """True when ``received`` — a record :meth:`Transaction.from_record` accepted — is
    ``record``, the ``to_record()`` of the transaction it made, as JSON: the same keys (but
    ``ignore``) with values ``json.dumps`` writes alike, so either may stand for the other.

    ``from_record`` checks the type of every field except those it only compares with
    ``==`` (which takes ``1 == 1.0 == True``): ``format``, the lines' ``gross_cents``,
    ``net_cents``, ``tax_cents`` and the ``totals``; these must be ``int`` here. The other
    fields are equal only as values of the same JSON type (a ``UUID`` is not its text, a
    tuple not a list). Costs a few µs: one ``==`` of the two records and 11 type checks a
    line. False for anything else (never raises for a record ``from_record`` accepted).
    """
    if ignore:
        received = {k: v for k, v in received.items() if k not in ignore}
        record = {k: v for k, v in record.items() if k not in ignore}
    if received != record or type(received["format"]) is not int:
        return False
    if any(type(cents) is not int for cents in received["totals"].values()):
        return False
    for line in received["lines"]:
        if not (type(line["gross_cents"]) is int and type(line["net_cents"]) is int
                and type(line["tax_cents"]) is int):
            return False
    return True


def fields_from_record(record: object) -> dict[str, Any]:
    """Constructor keyword arguments of ``Transaction`` read from a format-1 record.

    Raises:
        InvalidInput: ``record.format`` (not a dict or another format), ``record.invalid``
            (missing or mistyped field), ``time.invalid``, ``id.invalid`` and the line and
            tender errors.
    """
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise InvalidInput(f"unknown transaction record format (expected {RECORD_FORMAT})",
                           code="record.format")
    try:
        done, void = record["completed_at"], record["voided_at"]
        return {
            "id": parse_id(record["id"], "transaction id"),
            "store_id": record["store_id"],
            "register_id": parse_id(record["register_id"], "register id"),
            "register_number": record["register_number"],
            "receipt_number": record["receipt_number"],
            "operator_id": record["operator_id"],
            "started_at": parse_utc(record["started_at"], "started_at"),
            "customer_id": record["customer_id"],
            "mode": record["mode"],
            "status": record["status"],
            "lines": [Line.from_record(x) for x in record["lines"]],
            "tenders": [TenderLine.from_record(x) for x in record["tenders"]],
            "completed_at": None if done is None else parse_utc(done, "completed_at"),
            "voided_at": None if void is None else parse_utc(void, "voided_at"),
        }
    except (KeyError, TypeError) as exc:
        raise InvalidInput(f"bad transaction record: {exc!r}", code="record.invalid") from exc
