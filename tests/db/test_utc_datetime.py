"""UTCDateTime: aware UTC in, aware UTC out, naive refused — on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import StatementError

from kassa.db.channel_schema import package_checkpoint
from kassa.db.migrate import prepare_database


def test_aware_datetime_round_trips_as_aware_utc(db_url: str) -> None:
    # given a time in UTC+02:00 with microseconds
    local = datetime(2017, 3, 5, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    engine = prepare_database(db_url, "channel")
    try:
        # when it is stored and read back
        with engine.begin() as conn:
            conn.execute(
                insert(package_checkpoint).values(
                    data_group_id=1, package_number=4, applied_at=local
                )
            )
        with engine.connect() as conn:
            got = conn.execute(select(package_checkpoint.c.applied_at)).scalar_one()
        # then it is the same instant, aware, in UTC
        assert got == local
        assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
        assert got == datetime(2017, 3, 5, 12, 30, 15, 123456, tzinfo=UTC)
    finally:
        engine.dispose()


def test_naive_datetime_is_refused(db_url: str) -> None:
    engine = prepare_database(db_url, "channel")
    try:
        with pytest.raises(StatementError) as err, engine.begin() as conn:
            conn.execute(
                insert(package_checkpoint).values(
                    data_group_id=1, package_number=1, applied_at=datetime(2017, 3, 5, 12)
                )
            )
        assert isinstance(err.value.orig, ValueError)
        assert "naive" in str(err.value.orig)
    finally:
        engine.dispose()
