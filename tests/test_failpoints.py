"""Failpoints (kassa.failpoints): armed only by KASSA_FAILPOINTS at process start, the N-th
hit SIGKILLs the process itself; unarmed they do nothing. Real child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from kassa.domain.errors import InvalidInput
from kassa.failpoints import Armed, parse, spec

_CHILD = """
import sys
from kassa.failpoints import failpoint
for i in range(1, 6):
    failpoint("demo.point")
    print("passed", i, flush=True)
"""


def _run(env_value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KASSA_FAILPOINTS"}
    if env_value is not None:
        env["KASSA_FAILPOINTS"] = env_value
    return subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_an_armed_failpoint_kills_the_process_on_its_nth_hit() -> None:
    # given a process started with the point armed for its 3rd hit
    # when it passes the point five times
    done = _run("demo.point=kill@3")
    # then it passed twice, and died of SIGKILL at the third hit, saying so on stderr
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split("\n")[:2] == ["passed 1", "passed 2"]
    assert "passed 3" not in done.stdout
    assert "failpoint demo.point hit 3: SIGKILL" in done.stderr


def test_an_unarmed_or_other_failpoint_does_nothing() -> None:
    # given processes without the variable, and with only another point armed
    for value in (None, "other.point=kill"):
        # when they pass the point five times
        done = _run(value)
        # then they run to the end
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("passed") == 5


def test_a_malformed_variable_is_refused_at_start() -> None:
    # given typos in the variable
    for bad in ("demo.point", "demo.point=crash", "demo.point=kill@0", "=kill", "p=kill@x"):
        # then reading it raises a clear error, never a silently disarmed point
        with pytest.raises(InvalidInput) as info:
            parse(bad)
        assert info.value.code == "failpoints.invalid"
    # and a process started with one stops at import
    done = _run("demo.point=explode")
    assert done.returncode != 0 and "cannot read 'demo.point=explode'" in done.stderr


def test_spec_and_parse_round_trip() -> None:
    # given points to arm
    text = spec({"a.b": 1, "c.d": 4})
    # then the variable reads back as armed points
    assert text == "a.b=kill@1,c.d=kill@4"
    assert parse(text) == {"a.b": Armed(1), "c.d": Armed(4)}
    assert parse(" ") == {}
