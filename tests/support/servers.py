"""Real HTTP servers for tests: an ASGI app served by uvicorn in a thread on 127.0.0.1.

``with run_app_in_thread(app) as base_url:`` starts uvicorn on a free port (port 0, the OS
picks), waits until it accepts connections, yields ``"http://127.0.0.1:<port>"`` and always
stops the server (and joins its thread) when the block ends, even on an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

#: Longest wait for a server to start or stop, seconds.
START_TIMEOUT_S = 15.0


@contextmanager
def run_app_in_thread(app: Any, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on ``host`` and a free port in a background thread; yield its base URL.

    Raises:
        RuntimeError: when the server does not start within :data:`START_TIMEOUT_S`.
    """
    config = uvicorn.Config(app, host=host, port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
