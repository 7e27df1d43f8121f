"""Column types shared by every schema: UUIDs, UTC timestamps, integer cents."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, String, TypeDecorator, Uuid


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes; naive values are refused, SQLite values come back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: UUID stored natively on PostgreSQL and as 32-char hex on SQLite.
UUIDType = Uuid(as_uuid=True)
#: Integer minor units (cents).
Cents = BigInteger
#: Change version from the one monotonic counter (DESIGN §4).
Version = BigInteger


def short(n: int = 120) -> String:
    """A bounded string column."""
    return String(n)


__all__ = ["Cents", "UTCDateTime", "UUIDType", "Version", "short", "uuid"]
