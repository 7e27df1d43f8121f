"""The fault proxy against a tiny real HTTP server, with httpx and real timeouts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from support.fault_proxy import FaultProxy, Mode

BODY = b"kassa" * 20_000  # 100 kB: several chunks, so a cut lands mid-response
TIMEOUT_S = 0.5


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: pooled connections, like the real client

    def do_GET(self) -> None:
        body = b"pong" if self.path == "/ping" else BODY
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    """A real HTTP server on 127.0.0.1 and a free port, in a thread; always shut down."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.05,), name="test-http", daemon=True
    )
    thread.start()
    try:
        yield "127.0.0.1", httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def proxy(server: tuple[str, int]) -> Iterator[FaultProxy]:
    with FaultProxy(*server) as p:
        yield p


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(TIMEOUT_S)) as c:
        yield c


def test_pass_forwards_requests_and_answers(proxy: FaultProxy, client: httpx.Client) -> None:
    response = client.get(proxy.url + "/big")
    assert response.status_code == 200 and response.content == BODY
    assert client.get(proxy.url + "/ping").content == b"pong"
    assert proxy.url == f"http://127.0.0.1:{proxy.port}" and proxy.mode is Mode.PASS


def test_refuse_makes_connects_fail_at_once(proxy: FaultProxy, client: httpx.Client) -> None:
    # given a pooled keep-alive connection through the proxy
    assert client.get(proxy.url + "/ping").status_code == 200
    # when the proxy refuses
    proxy.refuse()
    started = time.monotonic()
    # then the next request cannot connect, well before any timeout
    with pytest.raises(httpx.ConnectError):
        client.get(proxy.url + "/ping")
    assert time.monotonic() - started < TIMEOUT_S
    # and a raw connect is refused by the OS
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()


def test_leaving_refuse_listens_again_on_the_same_port(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    port = proxy.port
    proxy.refuse()
    proxy.pass_through()
    assert proxy.port == port
    assert client.get(proxy.url + "/ping").content == b"pong"


def test_blackhole_times_out_after_the_client_timeout(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    # given the blackhole
    proxy.blackhole()
    started = time.monotonic()
    # when a request is sent
    with pytest.raises(httpx.ReadTimeout):
        client.get(proxy.url + "/ping")
    # then it waited for the full client timeout: accepted, never answered, never closed
    assert time.monotonic() - started >= TIMEOUT_S * 0.95


def test_blackhole_also_stops_open_connections(proxy: FaultProxy, client: httpx.Client) -> None:
    # given an open keep-alive connection
    assert client.get(proxy.url + "/ping").status_code == 200
    # when the blackhole starts, the same connection no longer answers
    proxy.blackhole()
    with pytest.raises(httpx.ReadTimeout):
        client.get(proxy.url + "/ping")
    # and after it, everything works again
    proxy.pass_through()
    assert client.get(proxy.url + "/ping").content == b"pong"


def test_slow_delays_the_answer(proxy: FaultProxy) -> None:
    # given a 0.3 s delay per chunk
    proxy.slow(0.3)
    assert proxy.settings() == (Mode.SLOW, 0.3, None)
    started = time.monotonic()
    # when
    with httpx.Client(timeout=5) as slow_client:
        response = slow_client.get(proxy.url + "/ping")
    # then the answer is complete but late
    assert response.content == b"pong"
    assert time.monotonic() - started >= 0.3


def test_slow_beyond_the_client_timeout_is_a_read_timeout(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    proxy.slow(TIMEOUT_S * 3)
    with pytest.raises(httpx.ReadTimeout):
        client.get(proxy.url + "/ping")


def test_cut_breaks_the_answer_mid_response(proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.cut()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(proxy.url + "/big")
    proxy.pass_through()
    assert client.get(proxy.url + "/big").content == BODY


def test_cut_after_a_number_of_bytes_delivers_no_complete_answer(proxy: FaultProxy) -> None:
    # given a cut after 1000 bytes
    proxy.cut(after_bytes=1000)
    # when a raw client reads everything it can
    received = b""
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=2) as sock:
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    # then at most 1000 bytes arrived
    assert len(received) <= 1000


def test_a_down_target_resets_the_client(client: httpx.Client) -> None:
    # given a proxy to a port where nothing listens
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        dead_port = placeholder.getsockname()[1]
    expected = (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError)
    with FaultProxy("127.0.0.1", dead_port) as proxy, pytest.raises(expected):
        client.get(proxy.url + "/ping")


def test_stop_closes_every_socket_and_thread(server: tuple[str, int]) -> None:
    # given a proxy that served a keep-alive connection and holds a blackholed one
    proxy = FaultProxy(*server)
    with httpx.Client(timeout=TIMEOUT_S) as c:
        assert c.get(proxy.url + "/ping").status_code == 200
        proxy.blackhole()
        held = socket.create_connection(("127.0.0.1", proxy.port), timeout=1)
        time.sleep(0.1)
        # when it stops (twice: stop is idempotent)
        proxy.stop()
        proxy.stop()
    # then no proxy thread is left, the port is closed and the held socket was reset
    assert not [t for t in threading.enumerate() if t.name.startswith(f"fault-proxy-{proxy.port}")]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1).close()
    with held, pytest.raises(ConnectionResetError):
        held.recv(1)
    assert proxy.accepted >= 2
    with pytest.raises(RuntimeError):
        proxy.pass_through()


def test_bad_settings_are_refused(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError):
        proxy.slow(-1)
    with pytest.raises(ValueError):
        proxy.set_mode("sideways")  # type: ignore[arg-type]
