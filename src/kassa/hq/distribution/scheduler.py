"""The HQ scheduler: runs distribution schedules on their interval (issue 3 §3).

A schedule is *due* when it is active, has an ``interval_s`` and its ``last_run_at`` is unset
or at least ``interval_s`` seconds ago (wall clock of the injected :class:`Clock`).
:class:`Scheduler` checks every ``poll_s`` seconds in one daemon thread and runs due schedules
one after the other with :func:`writer.run_schedule`; an error is logged and the loop goes on
(the next poll tries again).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from kassa.domain.clock import Clock, SystemClock
from kassa.hq.distribution.writer import RunReport, Schedule, list_schedules, run_schedule

log = logging.getLogger("kassa.hq.scheduler")


def is_due(schedule: Schedule, now: datetime) -> bool:
    """True when ``schedule`` should run at ``now`` (module docstring)."""
    if not schedule.active or not schedule.interval_s:
        return False
    if schedule.last_run_at is None:
        return True
    return (now - schedule.last_run_at).total_seconds() >= schedule.interval_s


class Scheduler:
    """Background runner of due schedules.

    Args:
        engine: the HQ database.
        clock: decides what is due and stamps packages.
        poll_s: seconds between checks (> 0).
        on_report: called with each :class:`RunReport` (e.g. to log or count).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock | None = None,
        poll_s: float = 1.0,
        on_report: Callable[[RunReport], None] | None = None,
    ) -> None:
        if poll_s <= 0:
            raise ValueError("poll_s must be positive")
        self.engine = engine
        self.clock = clock or SystemClock()
        self.poll_s = poll_s
        self.on_report = on_report
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> list[RunReport]:
        """Run every due schedule once, now; return their reports."""
        with self.engine.connect().execution_options(kassa_readonly=True) as conn, conn.begin():
            schedules = list_schedules(conn)
        now = self.clock.now()
        reports = []
        for schedule in schedules:
            if is_due(schedule, now):
                report = run_schedule(self.engine, schedule.id, clock=self.clock)
                log.info("schedule %r: %d package(s) written", schedule.name, len(report.packages))
                if self.on_report is not None:
                    self.on_report(report)
                reports.append(report)
        return reports

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:
                log.exception("scheduler: running due schedules failed; retrying next poll")
            self._stop.wait(self.poll_s)

    def start(self) -> None:
        """Start the background thread (once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kassa-hq-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it (at most ``timeout`` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        """True while the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()
