"""The switch (connection manager) — every rule of DESIGN §3, driven by a FixedClock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kassa.domain.clock import FixedClock
from kassa.domain.errors import Conflict, InvalidInput, Unavailable
from kassa.domain.offline_profile import OfflineProfile
from kassa.domain.switch import (
    ConnectionSwitch,
    FailureKind,
    Mode,
    ProbePurpose,
    ProbeRequest,
    WarningStyle,
    classify_http_status,
)

RECONNECT_S = 60
TIMEOUT_S = 5


def make_switch(
    clock: FixedClock, *, support_offline: bool = True, offline_db_ready: bool = True,
    **profile: Any,
) -> ConnectionSwitch:
    settings: dict[str, Any] = {"timeout_s": TIMEOUT_S, "reconnect_interval_s": RECONNECT_S}
    settings.update(profile)
    return ConnectionSwitch(
        clock, OfflineProfile.from_mapping(settings),
        support_offline=support_offline, offline_db_ready=offline_db_ready,
    )


def offline_switch(clock: FixedClock, **profile: Any) -> ConnectionSwitch:
    switch = make_switch(clock, **profile)
    switch.request_failed(FailureKind.TIMEOUT)
    return switch


# -- §3.1 a failing data request -------------------------------------------------------------
@pytest.mark.parametrize("kind", list(FailureKind))
def test_a_failed_request_switches_to_offline_automatic(kind: FailureKind) -> None:
    # given an online register
    clock = FixedClock()
    switch = make_switch(clock)
    clock.advance(30)
    # when a request fails
    decision = switch.request_failed(kind, "GET /products")
    # then the same request is answered offline and the cashier sees a banner
    assert decision.answer_from_offline and decision.switched
    assert decision.warning is WarningStyle.BANNER
    status = switch.status()
    assert (status.mode, status.manual) == (Mode.OFFLINE, False)
    assert status.since == clock.now()
    assert status.reason is not None and "GET /products" in status.reason
    assert switch.uses_offline_db


def test_prompt_on_seamless_offline_asks_for_a_dialog() -> None:
    switch = make_switch(FixedClock(), prompt_on_seamless_offline=True)
    decision = switch.request_failed(FailureKind.REFUSED)
    assert decision.warning is WarningStyle.DIALOG
    assert "offline" in decision.message


def test_a_failure_while_already_offline_does_not_switch_again() -> None:
    # given an offline register
    clock = FixedClock()
    switch = offline_switch(clock)
    since = switch.status().since
    clock.advance(5)
    # when another request fails
    decision = switch.request_failed(FailureKind.RESET)
    # then it is answered offline without a new warning or a new "since"
    assert decision.answer_from_offline and not decision.switched
    assert decision.warning is None
    assert switch.status().since == since


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_a_4xx_never_switches(status: int) -> None:
    # given an online register and a 4xx answer
    switch = make_switch(FixedClock())
    # when the caller classifies the answer
    kind = classify_http_status(status)
    # then there is nothing to report, and the register stays online
    assert kind is None
    assert switch.mode is Mode.ONLINE


def test_a_register_without_support_offline_never_switches() -> None:
    # given a register without Support offline
    switch = make_switch(FixedClock(), support_offline=False)
    # when a request times out
    with pytest.raises(Unavailable) as exc:
        switch.request_failed(FailureKind.TIMEOUT)
    # then the cashier gets an error, and the register stays online
    assert exc.value.code == "switch.no_offline_support"
    assert "does not support offline" in exc.value.message
    assert "store server is unreachable" in exc.value.message
    assert switch.mode is Mode.ONLINE


def test_a_register_before_its_first_sync_cannot_go_offline_and_says_so() -> None:
    # given a register whose offline DB has not finished its first sync
    switch = make_switch(FixedClock(), offline_db_ready=False)
    # when a request is refused
    with pytest.raises(Unavailable) as exc:
        switch.request_failed(FailureKind.REFUSED)
    # then
    assert exc.value.code == "switch.offline_db_not_ready"
    assert "first sync" in exc.value.message
    assert switch.mode is Mode.ONLINE
    # and once the first sync finished, the same failure switches
    switch.configure(offline_db_ready=True)
    assert switch.request_failed(FailureKind.REFUSED).switched


def test_an_unknown_failure_kind_is_refused() -> None:
    switch = make_switch(FixedClock())
    with pytest.raises(InvalidInput):
        switch.request_failed("http_404")
    assert switch.mode is Mode.ONLINE


# -- §3.2 reconnect only at the start of a transaction, after the interval ---------------
def test_reconnect_attempt_at_transaction_start_only_after_the_interval() -> None:
    # given offline (automatic): no attempt before the reconnect interval
    clock = FixedClock()
    switch = offline_switch(clock)
    clock.advance(RECONNECT_S - 1)
    assert switch.transaction_starting() is None
    switch.transaction_ended()
    # when a transaction starts once the interval has passed
    clock.advance(1)
    probe = switch.transaction_starting()
    # then the caller must probe with the same deadline as a request
    assert probe == ProbeRequest(ProbePurpose.RECONNECT, TIMEOUT_S)
    # and a successful probe brings the register online before the first data request
    status = switch.probe_result(ok=True)
    assert status.mode is Mode.ONLINE
    assert status.since == clock.now()
    assert status.last_probe_at == clock.now() and status.last_probe_ok is True


def test_no_reconnect_attempt_during_a_transaction_even_after_the_interval() -> None:
    # given a transaction started while offline, before the interval
    clock = FixedClock()
    switch = offline_switch(clock, health_check_interval_s=10)
    assert switch.transaction_starting() is None
    # when much more than the interval passes during the transaction
    clock.advance(RECONNECT_S * 10)
    # then nothing asks to reconnect while it is open
    assert switch.background_probe_due() is None
    with pytest.raises(Conflict) as exc:
        switch.transaction_starting()
    assert exc.value.code == "switch.transaction_in_progress"
    assert switch.mode is Mode.OFFLINE
    # and the next transaction's start is where the attempt happens
    switch.transaction_ended()
    assert switch.transaction_starting() is not None


def test_a_switch_mid_transaction_keeps_the_transaction_offline() -> None:
    # given a transaction started online
    clock = FixedClock()
    switch = make_switch(clock)
    assert switch.transaction_starting() is None
    # when a request fails mid-sale and time passes
    assert switch.request_failed(FailureKind.TIMEOUT).switched
    clock.advance(RECONNECT_S * 2)
    # then the rest of the transaction stays offline
    assert switch.uses_offline_db
    switch.transaction_ended()
    assert switch.transaction_starting() is not None


def test_a_failed_probe_waits_a_full_interval_before_the_next_attempt() -> None:
    # given a failed reconnect attempt
    clock = FixedClock()
    switch = offline_switch(clock)
    clock.advance(RECONNECT_S)
    assert switch.transaction_starting() is not None
    status = switch.probe_result(ok=False, error="connection refused")
    assert status.mode is Mode.OFFLINE and status.last_probe_error == "connection refused"
    switch.transaction_ended()
    # when the next transactions start before a full interval since that attempt
    clock.advance(RECONNECT_S - 1)
    assert switch.transaction_starting() is None
    switch.transaction_ended()
    # then only after the interval is there a new attempt
    clock.advance(1)
    assert switch.transaction_starting() is not None


def test_reconnect_interval_zero_probes_at_every_transaction_start() -> None:
    clock = FixedClock()
    switch = offline_switch(clock, reconnect_interval_s=0)
    for _ in range(3):
        assert switch.transaction_starting() is not None
        switch.probe_result(ok=False)
        switch.transaction_ended()


def test_probe_result_without_a_pending_probe_is_refused() -> None:
    switch = offline_switch(FixedClock())
    with pytest.raises(Conflict) as exc:
        switch.probe_result(ok=True)
    assert exc.value.code == "switch.no_probe_pending"


def test_transaction_ended_is_idempotent() -> None:
    switch = make_switch(FixedClock())
    switch.transaction_ended()
    switch.transaction_starting()
    switch.transaction_ended()
    switch.transaction_ended()
    assert not switch.status().in_transaction


# -- §3.4 operation 917 Database connection status ---------------------------------------
def test_manual_disconnect_never_reconnects_automatically() -> None:
    # given a manual disconnect with advanced switching on
    clock = FixedClock()
    switch = make_switch(clock, health_check_interval_s=10)
    status = switch.disconnect()
    assert (status.mode, status.manual) == (Mode.OFFLINE, True)
    # when days pass and many transactions start
    for _ in range(5):
        clock.advance(timedelta(days=1).total_seconds())
        # then no reconnect attempt and no background probe is asked for
        assert switch.transaction_starting() is None
        assert switch.background_probe_due() is None
        switch.transaction_ended()
    # and a background result (e.g. from a probe started before) changes nothing
    switch.background_probe_result(ok=True)
    assert switch.manual and switch.mode is Mode.OFFLINE


def test_disconnect_during_a_pending_reconnect_probe_wins() -> None:
    # given a reconnect probe asked for at a transaction start
    clock = FixedClock()
    switch = offline_switch(clock)
    clock.advance(RECONNECT_S)
    assert switch.transaction_starting() is not None
    # when the operator disconnects before the probe answers ok
    switch.disconnect()
    status = switch.probe_result(ok=True)
    # then the register stays offline (manual)
    assert (status.mode, status.manual) == (Mode.OFFLINE, True)


def test_disconnect_turns_offline_automatic_into_manual_and_keeps_since() -> None:
    clock = FixedClock()
    switch = offline_switch(clock)
    since = switch.status().since
    clock.advance(10)
    status = switch.disconnect()
    assert status.manual and status.since == since


def test_disconnect_needs_support_offline_and_a_ready_offline_db() -> None:
    with pytest.raises(Unavailable) as exc:
        make_switch(FixedClock(), support_offline=False).disconnect()
    assert exc.value.code == "switch.no_offline_support"
    with pytest.raises(Unavailable) as exc:
        make_switch(FixedClock(), offline_db_ready=False).disconnect()
    assert exc.value.code == "switch.offline_db_not_ready"


def test_connect_probes_and_goes_online() -> None:
    # given offline (manual) after Disconnect: the button now says Connect
    clock = FixedClock()
    switch = make_switch(clock)
    assert switch.button_label == "Disconnect"
    assert switch.disconnect().button_label == "Connect"
    clock.advance(3)
    # when the operator presses Connect and the probe succeeds
    probe = switch.connect_requested()
    assert probe == ProbeRequest(ProbePurpose.CONNECT, TIMEOUT_S)
    status = switch.connect_result(ok=True)
    # then
    assert (status.mode, status.manual, status.button_label) == (Mode.ONLINE, False, "Disconnect")
    assert status.since == clock.now() and status.reason is None
    # and Connect while online needs no probe
    assert switch.connect_requested() is None


def test_a_failed_connect_raises_a_clear_error_and_stays_offline() -> None:
    # given offline (manual)
    switch = make_switch(FixedClock())
    switch.disconnect()
    assert switch.connect_requested() is not None
    # when the probe fails
    with pytest.raises(Unavailable) as exc:
        switch.connect_result(ok=False, error="connection refused")
    # then
    assert exc.value.code == "switch.connect_failed"
    assert "connection refused" in exc.value.message and "stays offline" in exc.value.message
    status = switch.status()
    assert (status.mode, status.manual, status.last_probe_ok) == (Mode.OFFLINE, True, False)


# -- §3.3 advanced switching by a background probe --------------------------------------
def test_background_probe_failure_online_switches_between_transactions() -> None:
    # given an online register with a 15 s health check
    clock = FixedClock()
    switch = make_switch(clock, health_check_interval_s=15)
    clock.advance(14)
    assert switch.background_probe_due() is None
    clock.advance(1)
    # when the due probe finds the server gone
    assert switch.background_probe_due() == ProbeRequest(ProbePurpose.HEALTH, TIMEOUT_S)
    status = switch.background_probe_result(ok=False, error="timed out")
    # then the next transaction starts offline without waiting for a timeout
    assert (status.mode, status.manual) == (Mode.OFFLINE, False)
    assert status.reason == "health check failed"
    assert switch.transaction_starting() is None and switch.uses_offline_db


def test_background_probe_success_offline_switches_back_online() -> None:
    clock = FixedClock()
    switch = offline_switch(clock, health_check_interval_s=15)
    clock.advance(15)
    assert switch.background_probe_due() is not None
    assert switch.background_probe_result(ok=True).mode is Mode.ONLINE


def test_background_probe_results_never_switch_during_a_transaction() -> None:
    # given an online transaction in progress
    clock = FixedClock()
    switch = make_switch(clock, health_check_interval_s=15)
    switch.transaction_starting()
    clock.advance(100)
    # when a probe started before the transaction reports a failure
    status = switch.background_probe_result(ok=False)
    # then it is recorded but the register stays online
    assert status.mode is Mode.ONLINE
    assert status.last_probe_ok is False


def test_no_background_probe_without_interval_or_when_the_register_cannot_go_offline() -> None:
    # given no health check interval, or a register without Support offline
    clock = FixedClock()
    without_interval = make_switch(clock)
    unsupported = make_switch(clock, support_offline=False, health_check_interval_s=5)
    # when a long time passes
    clock.advance(10_000)
    # then no background probe is ever due
    assert without_interval.background_probe_due() is None
    assert unsupported.background_probe_due() is None


def test_background_probe_interval_counts_from_the_last_probe() -> None:
    clock = FixedClock()
    switch = make_switch(clock, health_check_interval_s=15)
    clock.advance(15)
    switch.background_probe_result(ok=True)
    clock.advance(10)
    assert switch.background_probe_due() is None
    clock.advance(5)
    assert switch.background_probe_due() is not None


# -- §3.6 status -----------------------------------------------------------------------------
def test_status_has_mode_manual_since_reason_probe_and_button() -> None:
    # given an offline switch after a failed reconnect attempt
    clock = FixedClock()
    start = clock.now()
    switch = offline_switch(clock)
    clock.advance(RECONNECT_S)
    switch.transaction_starting()
    switch.probe_result(ok=False, error="refused")
    # when
    data = switch.status().to_dict()
    # then
    assert data["mode"] == "offline" and data["manual"] is False
    assert data["since"] == start.isoformat()
    assert data["reason"] == "the store server did not answer in time"
    assert data["last_probe_at"] == clock.now().isoformat()
    assert (data["last_probe_ok"], data["last_probe_error"]) == (False, "refused")
    assert data["button_label"] == "Connect"
    assert data["in_transaction"] is True
    assert (data["support_offline"], data["offline_db_ready"]) == (True, True)


def test_a_new_profile_applies_to_the_next_decision() -> None:
    clock = FixedClock()
    switch = offline_switch(clock)
    switch.configure(profile=OfflineProfile(reconnect_interval_s=5, timeout_s=1))
    clock.advance(5)
    assert switch.transaction_starting() == ProbeRequest(ProbePurpose.RECONNECT, 1)
