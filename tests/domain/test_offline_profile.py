"""Offline profile (DESIGN §1) and the request policy derived from it (DESIGN §3.1)."""

from __future__ import annotations

import pytest

from kassa.domain.clock import FixedClock
from kassa.domain.errors import InvalidInput
from kassa.domain.offline_profile import (
    DEFAULT,
    Deadline,
    FailureKind,
    OfflineProfile,
    RetryPolicy,
    classify_http_status,
    parse_failure_kind,
)


def test_default_profile_has_the_documented_values() -> None:
    # given / when
    mapping = DEFAULT.to_mapping()
    # then
    assert mapping == {
        "timeout_s": 5,
        "retry_count_to_offline": 0,
        "reconnect_interval_s": 60,
        "health_check_interval_s": None,
        "prompt_on_seamless_offline": False,
        "download_interval_s": 60,
        "upload_interval_s": 10,
        "upload_batch_size": 100,
        "pause_offline_sync": False,
    }


def test_mapping_round_trip_keeps_every_field() -> None:
    # given
    profile = OfflineProfile(
        timeout_s=0.5, retry_count_to_offline=2, reconnect_interval_s=0,
        health_check_interval_s=15, prompt_on_seamless_offline=True, download_interval_s=30,
        upload_interval_s=5, upload_batch_size=500, pause_offline_sync=True,
    )
    # when
    again = OfflineProfile.from_mapping(profile.to_mapping())
    # then
    assert again == profile
    assert profile.to_mapping()["timeout_s"] == 0.5
    assert isinstance(profile.to_mapping()["upload_interval_s"], int)


def test_from_mapping_fills_missing_fields_with_defaults_and_ignores_row_bookkeeping() -> None:
    # given a DB row with id/name/version and only one setting
    row = {"id": 3, "name": "small store", "version": 17, "timeout_s": 2}
    # when
    profile = OfflineProfile.from_mapping(row)
    # then
    assert profile.timeout_s == 2
    assert profile.upload_batch_size == DEFAULT.upload_batch_size


def test_from_mapping_refuses_unknown_fields() -> None:
    with pytest.raises(InvalidInput) as exc:
        OfflineProfile.from_mapping({"timeout": 5})
    assert exc.value.code == "offline_profile.unknown_field"


def test_from_mapping_refuses_a_non_mapping() -> None:
    with pytest.raises(InvalidInput) as exc:
        OfflineProfile.from_mapping([("timeout_s", 5)])
    assert exc.value.code == "offline_profile.not_a_mapping"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeout_s", 0),
        ("timeout_s", -1),
        ("timeout_s", 120.5),
        ("timeout_s", float("nan")),
        ("timeout_s", float("inf")),
        ("timeout_s", "5"),
        ("timeout_s", True),
        ("retry_count_to_offline", -1),
        ("retry_count_to_offline", 11),
        ("retry_count_to_offline", 1.0),
        ("reconnect_interval_s", -0.1),
        ("reconnect_interval_s", 86_401),
        ("health_check_interval_s", 0),
        ("health_check_interval_s", -5),
        ("prompt_on_seamless_offline", 1),
        ("download_interval_s", 0),
        ("upload_interval_s", 0),
        ("upload_batch_size", 0),
        ("upload_batch_size", 10_001),
        ("upload_batch_size", "100"),
        ("pause_offline_sync", "no"),
    ],
)
def test_out_of_range_values_are_refused_with_a_field_code(field: str, value: object) -> None:
    # given a mapping with one bad value
    # when / then
    with pytest.raises(InvalidInput) as exc:
        OfflineProfile.from_mapping({field: value})
    assert exc.value.code == f"offline_profile.{field}"
    assert field in exc.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timeout_s", 120),
        ("timeout_s", 0.01),
        ("retry_count_to_offline", 0),
        ("retry_count_to_offline", 10),
        ("reconnect_interval_s", 0),
        ("health_check_interval_s", None),
        ("health_check_interval_s", 0.5),
        ("upload_batch_size", 1),
        ("upload_batch_size", 10_000),
    ],
)
def test_limit_values_are_accepted(field: str, value: object) -> None:
    profile = OfflineProfile.from_mapping({field: value})
    assert getattr(profile, field) == value


def test_profile_is_immutable() -> None:
    with pytest.raises(AttributeError):
        DEFAULT.timeout_s = 1


def test_max_wait_is_attempts_times_timeout() -> None:
    # given 2 retries of 3 s
    profile = OfflineProfile(timeout_s=3, retry_count_to_offline=2)
    # then the cashier waits at most 9 s
    assert profile.max_wait_s == 9


def test_retry_policy_counts_attempts_and_deadline_per_attempt() -> None:
    # given
    policy = RetryPolicy.from_profile(OfflineProfile(timeout_s=2.5, retry_count_to_offline=3))
    # then
    assert policy.attempts == 4
    assert policy.per_attempt_deadline_s == 2.5
    assert policy.max_wait_s == 10.0


def test_retry_policy_refuses_the_profile_limits() -> None:
    with pytest.raises(InvalidInput) as exc:
        RetryPolicy(timeout_s=0)
    assert exc.value.code == "offline_profile.timeout_s"
    with pytest.raises(InvalidInput) as exc:
        RetryPolicy(timeout_s=1, retry_count_to_offline=11)
    assert exc.value.code == "offline_profile.retry_count_to_offline"


def test_deadline_counts_down_on_the_monotonic_clock() -> None:
    # given a 5 s deadline
    clock = FixedClock()
    deadline = RetryPolicy(timeout_s=5).deadline(clock)
    # when 3 s pass
    clock.advance(3)
    # then 2 s remain, and after 2 more it has expired
    assert deadline.remaining_s() == pytest.approx(2)
    assert not deadline.expired
    clock.advance(2)
    assert deadline.expired
    clock.advance(10)
    assert deadline.remaining_s() == 0.0
    assert isinstance(deadline, Deadline)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_bad_gateway_statuses_are_switching_failures(status: int) -> None:
    assert classify_http_status(status) is FailureKind.BAD_GATEWAY_5XX


@pytest.mark.parametrize("status", [200, 400, 401, 403, 404, 409, 422, 429, 500, 501, 505])
def test_other_statuses_never_switch(status: int) -> None:
    assert classify_http_status(status) is None


def test_failure_kinds_parse_from_their_values_and_refuse_others() -> None:
    assert parse_failure_kind("refused") is FailureKind.REFUSED
    with pytest.raises(InvalidInput) as exc:
        parse_failure_kind("http_404")
    assert exc.value.code == "switch.unknown_failure"
