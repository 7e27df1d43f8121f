"""How every Kassa server process (HQ, store server, register) runs its ASGI app (issue 7).

One uvicorn configuration for the three ``serve`` commands:

* the C HTTP parser (``httptools``) and event loop (``uvloop``) — both dependencies of
  Kassa — instead of uvicorn's pure-Python ``h11`` parser and the stock asyncio loop: a
  store server answers a register call per scanned line, so per-request parsing cost is
  the sale path's cost;
* no access log (one formatted line per request is measurable CPU at hundreds of calls per
  second); startup lines, warnings and errors are still logged at ``log_level``.

:func:`serve` listens either on ``host:port`` or on a socket the caller bound (the register
binds its own to report the port the OS picked).
"""

from __future__ import annotations

import socket
from typing import Any

#: uvicorn's C HTTP/1.1 parser and event loop (``pip install httptools uvloop``).
HTTP_IMPL = "httptools"
LOOP_IMPL = "uvloop"


def server_config(app: Any, *, host: str = "127.0.0.1", port: int = 0,
                  log_level: str = "info") -> Any:
    """The ``uvicorn.Config`` of a Kassa server for ``app`` (module docstring).

    Args:
        app: the ASGI app. host, port: where to listen (ignored when serving a socket).
        log_level: uvicorn's log level (``"info"``: startup lines; ``"warning"``: quiet).
    """
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                          http=HTTP_IMPL, loop=LOOP_IMPL)


def serve(app: Any, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "info",
          sock: socket.socket | None = None) -> None:
    """Run ``app`` until the process is told to stop (SIGINT / SIGTERM).

    Args:
        sock: a bound listening socket to serve instead of ``host:port``.
    """
    import uvicorn

    server = uvicorn.Server(server_config(app, host=host, port=port, log_level=log_level))
    server.run(sockets=None if sock is None else [sock])
