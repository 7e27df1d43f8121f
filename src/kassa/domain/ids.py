"""Identifiers: UUIDv7, made where the record is born (DESIGN §5).

UUIDv7 sorts by creation time, so ids made offline at different registers never collide
and index well. Receipt numbers are labels (see :mod:`kassa.domain.receipt`), never keys.
"""

from __future__ import annotations

import uuid

import uuid6

from kassa.domain.errors import InvalidInput


def new_id() -> uuid.UUID:
    """A fresh UUIDv7 (time-ordered, random tail)."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)


def parse_id(value: object, what: str = "id") -> uuid.UUID:
    """Parse a UUID given as ``uuid.UUID`` or its text form.

    Raises:
        InvalidInput: code ``id.invalid`` when ``value`` is not a UUID.
    """
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidInput(f"{what} is not a valid UUID: {value!r}", code="id.invalid")
