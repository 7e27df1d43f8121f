"""Real processes on loopback for the demo: HQ, store servers and registers (DESIGN §2, §8).

Every tier runs as its own process of this installation's ``kassa`` command (the console
script next to :data:`sys.executable`, else ``python -c`` on :mod:`kassa.cli.main`), in a new
session (so a Ctrl-C in the terminal reaches only the demo, which then stops them in order),
with stdin closed and stdout/stderr in ``<data dir>/logs/<name>.log``.

A :class:`Cluster` owns every process it started and **always** stops them all
(:meth:`Cluster.stop_all`, also from ``__exit__`` and an ``atexit`` hook): a frozen one is
continued first, then each gets SIGTERM, and SIGKILL after :data:`STOP_GRACE_S`; each is
waited for, so no zombie stays behind. Faults use :meth:`Service.freeze` (SIGSTOP),
:meth:`Service.thaw` (SIGCONT), :meth:`Service.kill` (SIGKILL) and :meth:`Service.restart`
(same command, same port).

Ports: HQ and store servers get a free loopback port picked before start
(:func:`free_port`); a register is started with ``--port 0`` and its URL is read from the
first line it prints (``register 367/1 on http://127.0.0.1:PORT …``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final

import httpx

from kassa.domain.errors import Unavailable

#: Seconds a process gets after SIGTERM before SIGKILL.
STOP_GRACE_S: Final = 8.0
#: Longest wait for a process to answer its health check, seconds.
START_TIMEOUT_S: Final = 60.0
_REGISTER_LINE: Final = re.compile(r"on (http://127\.0\.0\.1:\d+)")
#: Environment variables that would point a child at other files than the demo's.
_PRIVATE_ENV: Final = ("KASSA_DATA_DIR", "KASSA_HQ_DATABASE_URL", "KASSA_STORE_DATABASE_URL",
                       "KASSA_STORE_TOKEN", "KASSA_HQ_PULL_TOKEN", "KASSA_FAILPOINTS")


def kassa_command() -> list[str]:
    """The argv prefix that runs this installation's ``kassa`` CLI."""
    script = Path(sys.executable).with_name("kassa")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-c", "from kassa.cli.main import app; app(prog_name='kassa')"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a live process has used so far; 0.0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file (empty when there is none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


class Service:
    """One ``kassa …`` child process (module docstring).

    Args:
        name: short name (``hq``, ``store-367``, ``register-367-1``), also the log file name.
        args: arguments after ``kassa``.
        log_dir: where ``<name>.log`` goes (appended across restarts).
        url: the base URL when known before start (HQ, store server).
        health: path answering 200 when the process is ready.

    Attributes:
        env: extra environment of the **next** start (e.g. ``KASSA_FAILPOINTS``,
            :mod:`kassa.failpoints`); a restart without it runs without them.
        exit_code: how the last run ended (``-9``: SIGKILL), ``None`` while it runs.
    """

    def __init__(self, name: str, args: list[str], log_dir: Path, *, url: str | None = None,
                 health: str = "/api/health") -> None:
        self.name = name
        self.args = list(args)
        self.log_path = log_dir / f"{name}.log"
        self.url = url
        self.health = health
        self.frozen = False
        self.starts = 0
        self.env: dict[str, str] = {}
        self.cpu_before_s = 0.0  # CPU of earlier runs of this service (before restarts)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the process (no wait). Raises Unavailable ``demo.start_failed``."""
        env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV}
        env.update(self.env)
        self._close_log()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child
        self._log.write(f"--- start {self.starts + 1}: kassa {' '.join(self.args)}\n".encode())
        self._log.flush()
        try:
            self._proc = subprocess.Popen(
                [*kassa_command(), *self.args], stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, env=env, start_new_session=True)
        except OSError as exc:
            raise Unavailable(f"cannot start {self.name}: {exc}",
                              code="demo.start_failed") from exc
        self.starts += 1
        self.frozen = False

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return None if self._proc is None else self._proc.pid

    def cpu_s(self) -> float:
        """CPU seconds this service has used over all its runs (read from /proc)."""
        live = process_cpu_s(self._proc.pid) if self.alive and self._proc is not None else 0.0
        return self.cpu_before_s + live

    def _account(self) -> None:
        if self.alive and self._proc is not None:
            self.cpu_before_s += process_cpu_s(self._proc.pid)

    @property
    def alive(self) -> bool:
        """True while the process has not exited."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The last run's exit status (negative: killed by that signal); ``None`` while it
        runs or before the first start."""
        return None if self._proc is None else self._proc.poll()

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S,
                   ready: Callable[[httpx.Response], bool] | None = None) -> None:
        """Wait until ``GET url+health`` answers 200 (and ``ready(answer)``); a register's URL
        is first read from its log.

        Raises:
            Unavailable: ``demo.start_failed`` when the process exits or the deadline passes
                (the message carries the end of its log).
        """
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise self._failed("exited during start")
                if self.url is None:
                    found = _REGISTER_LINE.search(tail(self.log_path, 40))
                    self.url = found.group(1) if found else None
                if self.url is not None:
                    try:
                        answer = client.get(self.url + self.health)
                        if answer.status_code == 200 and (ready is None or ready(answer)):
                            return
                    except httpx.HTTPError:
                        pass
                time.sleep(0.1)
        raise self._failed(f"not ready after {timeout_s:g} s")

    def _failed(self, what: str) -> Unavailable:
        return Unavailable(f"{self.name} {what}; end of {self.log_path}:\n"
                           f"{tail(self.log_path)}", code="demo.start_failed")

    # -- faults ------------------------------------------------------------------------------
    def _signal(self, sig: int) -> None:
        if self.alive and self._proc is not None:
            os.kill(self._proc.pid, sig)

    def freeze(self) -> None:
        """SIGSTOP: the process stops answering; its sockets stay open."""
        self._signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        """SIGCONT after :meth:`freeze`."""
        self._signal(signal.SIGCONT)
        self.frozen = False

    def kill(self) -> None:
        """SIGKILL and reap it (a crash: nothing is shut down cleanly)."""
        if self._proc is not None:
            self._account()
            if self.alive:
                self._proc.kill()
            self._proc.wait()
        self.frozen = False

    def terminate(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL after :data:`STOP_GRACE_S`; reaped."""
        if self._proc is None:
            return
        if self.frozen:
            self.thaw()
        self._account()
        if self.alive:
            self._proc.terminate()
            try:
                self._proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc.wait()

    def restart(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start the same command again (same port) and wait until it is ready."""
        self.start()
        self.wait_ready(timeout_s)

    def stop(self) -> None:
        """:meth:`terminate`, then close the log. Idempotent."""
        try:
            self.terminate()
        finally:
            self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class Cluster:
    """Every process of one demo run; a context manager that always stops them all.

    Args:
        log_dir: directory for the log files (created).
    """

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.services: dict[str, Service] = {}
        self.history: list[Service] = []  # every service ever started (CPU accounting)
        self._lock = threading.Lock()
        atexit.register(self.stop_all)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()
        atexit.unregister(self.stop_all)

    def add(self, service: Service) -> Service:
        """Start ``service`` and keep it for :meth:`stop_all`."""
        with self._lock:
            self.services[service.name] = service
            self.history.append(service)
        service.start()
        return service

    def hq(self, data_dir: Path, *, database_url: str | None, posting_interval_s: float
           ) -> Service:
        """Start ``kassa hq serve`` on a free port (no interval schedules; P-job running)."""
        port = free_port()
        args = ["hq", "serve", "--port", str(port), "--data-dir", str(data_dir),
                "--scheduler-poll", "0", "--posting-interval", f"{posting_interval_s:g}"]
        if database_url:
            args += ["--database-url", database_url]
        return self.add(Service("hq", args, self.log_dir, url=f"http://127.0.0.1:{port}"))

    def store(self, store_id: int, data_dir: Path, *, hq_url: str, store_token: str,
              database_url: str | None, pull_interval_s: float) -> Service:
        """Start ``kassa store serve`` for ``store_id`` on a free port."""
        port = free_port()
        args = ["store", "serve", "--store", str(store_id), "--hq-url", hq_url,
                "--store-token", store_token, "--port", str(port), "--data-dir", str(data_dir),
                "--pull-interval-s", f"{pull_interval_s:g}"]
        if database_url:
            args += ["--database-url", database_url]
        return self.add(Service(f"store-{store_id}", args, self.log_dir,
                                url=f"http://127.0.0.1:{port}"))

    def register(self, store_id: int, number: int, data_dir: Path, *, port: int = 0
                 ) -> Service:
        """Start ``kassa pos serve`` for register ``number`` of ``store_id`` (``--port 0``:
        the OS picks; give a fixed ``port`` when it will be restarted and keep its URL)."""
        args = ["pos", "serve", "--store", str(store_id), "--register", str(number),
                "--port", str(port), "--data-dir", str(data_dir)]
        url = f"http://127.0.0.1:{port}" if port else None
        return self.add(Service(f"register-{store_id}-{number}", args, self.log_dir, url=url,
                                health="/api/status"))

    def cpu_by_tier(self) -> dict[str, float]:
        """CPU seconds used by the processes so far: ``{"hq", "store", "register"}``."""
        out = {"hq": 0.0, "store": 0.0, "register": 0.0}
        with self._lock:
            services = list(self.history)
        for service in services:
            tier = service.name.split("-", 1)[0]
            out[tier] = out.get(tier, 0.0) + service.cpu_s()
        return out

    def remove(self, name: str) -> None:
        """Stop one service and forget it."""
        with self._lock:
            service = self.services.pop(name, None)
        if service is not None:
            service.stop()

    def stop_all(self) -> None:
        """Stop every service, newest first (registers before stores before HQ). Idempotent;
        a failure to stop one never keeps the others running."""
        with self._lock:
            services = list(self.services.values())[::-1]
            self.services.clear()
        for service in services:
            try:
                service.stop()
            except Exception:  # go on stopping the others
                if service.pid is not None:
                    with contextlib.suppress(OSError):
                        os.kill(service.pid, signal.SIGKILL)
