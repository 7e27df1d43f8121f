"""Live view of the replay: baskets done, per-register mode and pending uploads, throughput.

:class:`StatusPoller` asks every register for its status header (``GET /api/status``, the
same the cashier's screen shows) every :data:`POLL_S` seconds from its own thread and adds
up the time each register spends offline from the header's ``since`` (the register's own
time of its last switch), so a period is measured exactly even between two polls; it also
records every mode change with its reason. :class:`LiveProgress` draws a rich progress bar
and a register table while the replay runs (on a terminal; otherwise one plain line every
few seconds, e.g. in tests and CI logs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from kassa.demo.provisioning import RegisterHandle
from kassa.demo.replay import ReplayState

#: Seconds between two status polls of one register.
POLL_S: Final = 1.0
#: Seconds between two plain progress lines when the console is not a terminal.
PLAIN_EVERY_S: Final = 5.0


@dataclass
class RegisterView:
    """What the poller knows of one register (mode label, pending uploads, offline time)."""

    handle: RegisterHandle
    mode: str = "?"
    pending: int = 0
    offline_s: float = 0.0
    offline_since: datetime | None = None
    switches: list[tuple[float, str, str | None]] = field(default_factory=list)
    last_poll: float | None = None
    errors: int = 0


class StatusPoller(threading.Thread):
    """Polls the registers' status (module docstring). Use :meth:`stop` to end it."""

    def __init__(self, registers: list[RegisterHandle], poll_s: float = POLL_S) -> None:
        super().__init__(name="demo-status", daemon=True)
        self.views = {r.number: RegisterView(r) for r in registers}
        self.poll_s = poll_s
        self.started = time.monotonic()
        self._halt = threading.Event()

    def stop(self) -> None:
        """End the thread (after its current poll) and wait for it."""
        self._halt.set()
        if self.is_alive():
            self.join(10)

    def run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while not self._halt.is_set():
                for view in self.views.values():
                    self._poll(client, view)
                self._halt.wait(self.poll_s)

    def _poll(self, client: httpx.Client, view: RegisterView) -> None:
        now = time.monotonic()
        try:
            header = client.get(f"{view.handle.url}/api/status").json()["header"]
            since = datetime.fromisoformat(str(header["since"]))
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            view.errors += 1
            return
        if header.get("mode") == "online":
            if view.offline_since is not None:
                view.offline_s += max(0.0, (since - view.offline_since).total_seconds())
                view.offline_since = None
        elif view.offline_since is None:
            view.offline_since = since
        label = str(header.get("mode_label") or header.get("mode"))
        if label != view.mode:
            view.switches.append((now - self.started, label, header.get("reason")))
        view.mode, view.last_poll = label, now
        view.pending = int(header.get("pending_uploads") or 0)

    def offline_seconds(self) -> dict[int, float]:
        """Register number → seconds spent offline so far (a period still going on counts
        up to now)."""
        now = datetime.now(UTC)
        return {n: v.offline_s + (0.0 if v.offline_since is None
                                  else max(0.0, (now - v.offline_since).total_seconds()))
                for n, v in self.views.items()}


class LiveProgress:
    """The live display for one replay (a context manager).

    Args:
        state: the replay's shared progress.
        poller: the running status poller.
        title: first words of the bar (``store 367``).
        events: returns the fault log lines to show (newest last).
        console: where to draw (default stderr).
    """

    def __init__(self, state: ReplayState, poller: StatusPoller, title: str,
                 events: Callable[[], list[str]] = list, console: Console | None = None) -> None:
        self.state, self.poller, self.title, self.events = state, poller, title, events
        self.console = console or Console(stderr=True)
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                            TimeElapsedColumn(), console=self.console)
        self.task = self.bar.add_task(f"{title} baskets", total=state.total, rate="")
        self._live: Live | None = None
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="demo-progress", daemon=True)
        self._last_plain = 0.0

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal:
            self._live = Live(self._render(), console=self.console, refresh_per_second=4,
                              transient=False)
            self._live.__enter__()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._halt.set()
        self._thread.join(5)
        self._update()
        if self._live is not None:
            self._live.__exit__(None, None, None)
        else:
            self._plain(force=True)

    def _loop(self) -> None:
        while not self._halt.wait(0.25):
            self._update()

    def rate(self) -> float:
        """Baskets per second so far."""
        elapsed = self.state.elapsed_s
        return self.state.done_total / elapsed if elapsed > 0 else 0.0

    def _update(self) -> None:
        self.bar.update(self.task, completed=self.state.done_total,
                        rate=f"{self.rate():6.1f} baskets/s")
        if self._live is not None:
            self._live.update(self._render())
        else:
            self._plain()

    def _plain(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_plain < PLAIN_EVERY_S:
            return
        self._last_plain = now
        modes = ", ".join(f"{v.handle.number}:{v.mode}/{v.pending}"
                          for v in self.poller.views.values())
        self.console.print(f"{self.title}: {self.state.done_total}/{self.state.total} baskets, "
                           f"{self.rate():.1f}/s; registers (mode/pending) {modes}",
                           highlight=False)

    def _render(self) -> Group:
        table = Table(box=None, pad_edge=False)
        for name in ("register", "mode", "pending uploads", "baskets", "offline s"):
            table.add_column(name, justify="left" if name in ("register", "mode") else "right")
        for number, view in self.poller.views.items():
            style = "green" if view.mode == "online" else "yellow"
            table.add_row(view.handle.name, f"[{style}]{view.mode}[/]", str(view.pending),
                          f"{self.state.done.get(number, 0)}/{self.state.planned.get(number, 0)}",
                          f"{self.poller.offline_seconds().get(number, 0.0):.1f}")
        lines = [Text(line) for line in self.events()[-6:]]
        return Group(self.bar, table, *lines)
