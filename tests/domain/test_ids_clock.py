"""Ids (UUIDv7, DESIGN §5) and the injectable UTC clock (ARCHITECTURE: time)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kassa.domain.clock import FixedClock, SystemClock, ensure_utc
from kassa.domain.errors import InvalidInput
from kassa.domain.ids import new_id, parse_id


def test_new_id_is_uuid_version_7() -> None:
    value = new_id()
    assert isinstance(value, uuid.UUID)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_new_ids_are_unique_and_in_creation_order() -> None:
    # given many ids made one after another
    ids = [new_id() for _ in range(2000)]
    # then they never repeat and sort in the order they were made
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)


def test_parse_id_accepts_uuid_and_text() -> None:
    value = new_id()
    assert parse_id(value) is value
    assert parse_id(str(value)) == value


@pytest.mark.parametrize("bad", ["nope", "", 42, None, b"x"])
def test_parse_id_refuses_everything_else(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_id(bad, "register id")
    assert err.value.code == "id.invalid"
    assert "register id" in err.value.message


def test_system_clock_is_aware_utc() -> None:
    clock = SystemClock()
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    first = clock.monotonic()
    assert clock.monotonic() >= first


def test_fixed_clock_stands_still_until_advanced() -> None:
    # given
    start = datetime(2017, 3, 1, 9, 30, tzinfo=UTC)
    clock = FixedClock(start)
    mono = clock.monotonic()
    # when
    clock.advance(90)
    # then
    assert clock.now() == start + timedelta(seconds=90)
    assert clock.monotonic() == mono + 90


def test_fixed_clock_converts_to_utc_and_refuses_naive() -> None:
    plus_two = timezone(timedelta(hours=2))
    clock = FixedClock(datetime(2017, 1, 1, 14, 0, tzinfo=plus_two))
    assert clock.now() == datetime(2017, 1, 1, 12, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC
    with pytest.raises(ValueError):
        FixedClock(datetime(2017, 1, 1))


def test_fixed_clock_default_start_is_aware() -> None:
    assert FixedClock().now().tzinfo is not None


def test_ensure_utc() -> None:
    local = datetime(2017, 1, 1, 7, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert ensure_utc(local) == datetime(2017, 1, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        ensure_utc(datetime(2017, 1, 1))
