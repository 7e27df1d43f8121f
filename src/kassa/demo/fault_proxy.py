"""A fault-injecting TCP proxy for tests and the fault matrix, with real sockets (issue 4 §6,
issue 8 §1; the one copy: ``tests/support/fault_proxy.py`` re-exports it).

``FaultProxy(target_host, target_port)`` listens on ``127.0.0.1`` at a free port (port 0,
the OS picks) and forwards every connection to the target, from background threads (one
listener thread plus one thread per connection). Point the code under test at
:attr:`FaultProxy.url` and change the network's behaviour at any time:

==============  ==========================================================================
mode            effect
==============  ==========================================================================
``PASS``        forward both ways.
``REFUSE``      close the listening socket: connects fail with ECONNREFUSED at once; open
                connections are reset. Leaving REFUSE listens again on the **same** port.
``BLACKHOLE``   accept and never answer, never close; open connections stop forwarding.
                Leaving BLACKHOLE resets every connection (their streams are broken).
``SLOW``        delay every chunk of the answer by ``delay_s`` seconds.
``CUT``         forward the request, send part of the answer (``cut_after_bytes``, default
                half of the first chunk), then reset the connection (RST) mid-response.
==============  ==========================================================================

Mode changes are synchronous: when :meth:`FaultProxy.set_mode` returns, the listener is
closed or open as asked and the connections to reset are gone. Always stop the proxy
(``with FaultProxy(...) as proxy:`` or :meth:`FaultProxy.stop`): it closes every socket and
joins every thread it started.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import struct
import threading
import time
from enum import StrEnum
from types import TracebackType

#: Granularity (seconds) at which threads notice a reset or a stop.
_TICK_S = 0.05
#: Longest wait (seconds) for a mode change, a rebind or a thread to finish.
_WAIT_S = 5.0


class Mode(StrEnum):
    """Network behaviour of the proxy (see the module table)."""

    PASS = "pass"
    REFUSE = "refuse"
    BLACKHOLE = "blackhole"
    SLOW = "slow"
    CUT = "cut"


class _Reset(Exception):
    """Internal: the connection must end now."""


def _hard_close(sock: socket.socket | None) -> None:
    """Close with RST (SO_LINGER 0) so the peer sees ECONNRESET, not a clean end."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Pipe:
    """One proxied connection: client ⇄ upstream, pumped by its own thread."""

    def __init__(self, proxy: FaultProxy, client: socket.socket, number: int) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.reset = threading.Event()
        self.cut_sent = 0
        self.thread = threading.Thread(
            target=self._run, name=f"fault-proxy-{proxy.port}-conn-{number}", daemon=True
        )

    def _send(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.reset.is_set():
                raise _Reset
            try:
                sent = sock.send(view)
            except TimeoutError:
                continue
            view = view[sent:]

    def _answer(self, data: bytes) -> None:
        mode, delay_s, cut_after = self.proxy.settings()
        if mode is Mode.BLACKHOLE:
            return
        if mode is Mode.SLOW and self.reset.wait(delay_s):
            raise _Reset
        if mode is Mode.CUT:
            limit = cut_after if cut_after is not None else len(data) // 2
            part = max(0, limit - self.cut_sent)
            if part < len(data):
                self._send(self.client, data[:part])
                raise _Reset
            self.cut_sent += len(data)
        self._send(self.client, data)

    def _run(self) -> None:
        try:
            self.upstream = socket.create_connection(self.proxy.target, timeout=_WAIT_S)
        except OSError:
            _hard_close(self.client)
            return
        graceful = False
        upstream = self.upstream
        sel = selectors.DefaultSelector()
        try:
            for sock in (self.client, upstream):
                sock.settimeout(_TICK_S)
                sel.register(sock, selectors.EVENT_READ, sock)
            while not self.reset.is_set():
                for key, _ in sel.select(_TICK_S):
                    data = key.data.recv(65536)
                    if not data:
                        graceful = True
                        raise _Reset
                    if key.data is upstream:
                        self._answer(data)
                    elif self.proxy.settings()[0] is not Mode.BLACKHOLE:
                        self._send(upstream, data)
        except (_Reset, OSError):
            pass
        finally:
            sel.close()
            if graceful and not self.reset.is_set():
                for sock in (self.client, upstream):
                    with contextlib.suppress(OSError):
                        sock.close()
            else:
                _hard_close(self.client)
                _hard_close(upstream)


class FaultProxy:
    """TCP proxy to ``(target_host, target_port)`` with switchable faults.

    Attributes:
        port: the proxy's port on ``host`` (fixed for its lifetime, also across REFUSE).
        url: ``"http://<host>:<port>"``.
        accepted: number of connections accepted so far.

    Raises:
        OSError: when the listening socket cannot be bound (at start or when leaving REFUSE
            after :data:`_WAIT_S` seconds of retries).
    """

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.accepted = 0
        self._mode = Mode.PASS
        self._delay_s = 0.0
        self._cut_after: int | None = None
        self._cond = threading.Condition()
        self._generation = 0
        self._applied = 0
        self._stopping = False
        self._error: BaseException | None = None
        self._pipes: list[_Pipe] = []
        self._held: list[socket.socket] = []
        self._listener: socket.socket | None = self._bind(0)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._serve, name=f"fault-proxy-{self.port}", daemon=True
        )
        self._thread.start()

    # -- public API ------------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return self._mode

    def settings(self) -> tuple[Mode, float, int | None]:
        """``(mode, delay_s, cut_after_bytes)`` as one consistent snapshot."""
        with self._cond:
            return self._mode, self._delay_s, self._cut_after

    def set_mode(
        self, mode: Mode, *, delay_s: float = 0.0, cut_after_bytes: int | None = None
    ) -> None:
        """Switch to ``mode`` now (``delay_s`` seconds for SLOW, ``cut_after_bytes`` for CUT).

        Raises:
            ValueError: negative ``delay_s`` / ``cut_after_bytes``.
            RuntimeError: after :meth:`stop`, or when the listener did not follow in time.
        """
        mode = Mode(mode)
        if delay_s < 0 or (cut_after_bytes is not None and cut_after_bytes < 0):
            raise ValueError("delay_s and cut_after_bytes must not be negative")
        with self._cond:
            if self._stopping:
                raise RuntimeError("the fault proxy is stopped")
            leaving_blackhole = self._mode is Mode.BLACKHOLE and mode is not Mode.BLACKHOLE
            # Connections broken by the blackhole: the ones open at this moment.
            broken = (list(self._pipes), list(self._held)) if leaving_blackhole else None
            self._mode, self._delay_s, self._cut_after = mode, float(delay_s), cut_after_bytes
            self._generation += 1
            generation = self._generation
        self._wake()
        with self._cond:
            applied = self._cond.wait_for(
                lambda: self._applied >= generation or self._error is not None, timeout=_WAIT_S
            )
            if not applied:
                raise RuntimeError(f"fault proxy did not switch to {mode} in time")
            if self._error is not None:
                raise RuntimeError(f"fault proxy failed: {self._error!r}") from self._error
        if mode is Mode.REFUSE:
            self._reset_connections()  # after the listener closed: nothing new slips in
        elif broken is not None:
            self._reset_connections(*broken)

    def pass_through(self) -> None:
        """Forward both ways (the default)."""
        self.set_mode(Mode.PASS)

    def refuse(self) -> None:
        """Refuse new connections (ECONNREFUSED) and reset open ones."""
        self.set_mode(Mode.REFUSE)

    def blackhole(self) -> None:
        """Accept and never answer."""
        self.set_mode(Mode.BLACKHOLE)

    def slow(self, delay_s: float) -> None:
        """Delay every chunk of every answer by ``delay_s`` seconds."""
        self.set_mode(Mode.SLOW, delay_s=delay_s)

    def cut(self, after_bytes: int | None = None) -> None:
        """Reset answers after ``after_bytes`` bytes (default: half of the first chunk)."""
        self.set_mode(Mode.CUT, cut_after_bytes=after_bytes)

    def stop(self) -> None:
        """Close every socket and join every thread. Idempotent."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
        self._wake()
        self._thread.join(_WAIT_S)
        self._reset_connections()
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------
    def _bind(self, port: int) -> socket.socket:
        give_up = time.monotonic() + _WAIT_S
        while True:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.host, port))
                sock.listen(128)
                sock.setblocking(False)
                return sock
            except OSError as exc:
                sock.close()
                if exc.errno != errno.EADDRINUSE or time.monotonic() > give_up:
                    raise
                time.sleep(_TICK_S)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _reset_connections(
        self, pipes: list[_Pipe] | None = None, held: list[socket.socket] | None = None
    ) -> None:
        """Reset the given connections (default: all of them) and join their threads."""
        with self._cond:
            if pipes is None or held is None:
                pipes, held = self._pipes, self._held
            self._pipes = [p for p in self._pipes if p not in pipes]
            self._held = [h for h in self._held if h not in held]
        for pipe in pipes:
            pipe.reset.set()
        for pipe in pipes:
            if pipe.thread.ident is not None:
                pipe.thread.join(_WAIT_S)
        for sock in held:
            _hard_close(sock)

    def _reconcile(self, sel: selectors.BaseSelector) -> None:
        with self._cond:
            want_listening = self._mode is not Mode.REFUSE
            generation = self._generation
        if want_listening and self._listener is None:
            self._listener = self._bind(self.port)
            sel.register(self._listener, selectors.EVENT_READ, "listener")
        elif not want_listening and self._listener is not None:
            sel.unregister(self._listener)
            self._listener.close()
            self._listener = None
        with self._cond:
            self._applied = generation
            self._cond.notify_all()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            self.accepted += 1
            with self._cond:
                if self._mode is Mode.BLACKHOLE:
                    self._held.append(client)
                    continue
                pipe = _Pipe(self, client, self.accepted)
                self._pipes = [p for p in self._pipes if p.thread.is_alive()] + [pipe]
            pipe.thread.start()

    def _serve(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        assert self._listener is not None
        sel.register(self._listener, selectors.EVENT_READ, "listener")
        try:
            while not self._stopping:
                self._reconcile(sel)
                for key, _ in sel.select(_TICK_S * 4):
                    if key.data == "wake":
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(4096)
                    elif key.data == "listener" and self._listener is not None:
                        self._accept()
        except BaseException as exc:  # reported by set_mode; the thread must not die silently
            self._error = exc
        finally:
            sel.close()
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            with self._cond:
                self._applied = self._generation
                self._cond.notify_all()
