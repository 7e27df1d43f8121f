"""``kassa pos …``: the register process (DESIGN §2, §8).

* ``kassa pos activate --store-url URL --code CODE --store ID --register N [--data-dir D]``
  — trade a one-time activation code for the device token; writes
  ``<data dir>/register-<store>-<n>.json`` (mode 0600).
* ``kassa pos serve --store ID --register N [--store-url URL] [--host 127.0.0.1] [--port P]
  [--data-dir D] [--timeout-s S]`` — run the register: offline DB, switch, POS engine,
  background health check and async sync; the register API on ``host:port``. With
  ``--port 0`` the OS picks a free port; the first output line names the URL
  (``register 367/1 on http://127.0.0.1:PORT (store server …)``).
* ``kassa pos sync --once --store ID --register N [--data-dir D]`` — one download and one
  upload round now, then print both attempts.

Errors are one red line on stderr with exit code 2. Add to the main app with
``app.add_typer(pos_app, name="pos")``; ``python -m kassa.cli.pos_commands`` runs it alone.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from kassa.cli.render import error_line
from kassa.config import data_dir as resolve_data_dir
from kassa.domain.errors import KassaError, Unavailable

pos_app = typer.Typer(help="The register (POS): activate, serve, sync.", no_args_is_help=True)
EXIT_ERROR = 2

Store = Annotated[int, typer.Option("--store", min=0, help="store id")]
RegisterNo = Annotated[int, typer.Option("--register", min=1, help="register number")]
DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="data directory (default $KASSA_DATA_DIR or ./kassa-data)"),
]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except KassaError as exc:
        error_line(exc.message, exc.code)
        raise typer.Exit(EXIT_ERROR) from exc


def _data_dir(ctx: typer.Context, explicit: Path | None) -> Path:
    if explicit is None:
        found = getattr(ctx.find_root().obj, "data_dir", None)
        explicit = found if isinstance(found, Path) else None
    return resolve_data_dir(explicit)


@pos_app.command("activate")
def activate(
    ctx: typer.Context,
    store_url: Annotated[str, typer.Option("--store-url", help="store server base URL")],
    code: Annotated[str, typer.Option("--code", help="one-time activation code")],
    store: Store,
    register: RegisterNo,
    data_dir: DataDir = None,
) -> None:
    """Activate this register at its store server (device token saved with mode 0600)."""
    from kassa.pos.identity import activate as do_activate

    with _errors():
        identity = do_activate(store_url, code, store, register, _data_dir(ctx, data_dir))
    typer.echo(f"register {identity.store_id}/{identity.register_number} activated "
               f"({identity.register_id})")


def _identity(ctx: typer.Context, store: int, register: int, store_url: str | None,
              data_dir: Path | None) -> tuple[Any, Path]:
    from kassa.pos.identity import RegisterIdentity

    root = _data_dir(ctx, data_dir)
    identity = RegisterIdentity.load(root, store, register)
    if store_url and store_url.rstrip("/") != identity.store_url:
        identity = RegisterIdentity(identity.store_id, identity.register_number,
                                    identity.register_id, identity.device_token,
                                    store_url.rstrip("/"))
        identity.save(root)
    return identity, root


@pos_app.command("serve")
def serve(
    ctx: typer.Context,
    store: Store,
    register: RegisterNo,
    store_url: Annotated[str | None, typer.Option(
        "--store-url", help="store server URL (default: the one saved at activation)")] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port")] = 8500,
    data_dir: DataDir = None,
    timeout_s: Annotated[float | None, typer.Option(
        "--timeout-s", help="override the offline profile's timeout_s (seconds)")] = None,
) -> None:
    """Run the register: POS engine, switch, sync client and the register API."""
    from kassa.cli.serving import serve as serve_app
    from kassa.pos.app import create_app
    from kassa.pos.runtime import RegisterRuntime

    with _errors():
        identity, root = _identity(ctx, store, register, store_url, data_dir)
        overrides = {} if timeout_s is None else {"timeout_s": timeout_s}
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only for
        # proto=IPPROTO_TCP; with proto 0 every answer waited ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))  # port 0: the OS picks; the line below tells which
        except OSError as exc:
            sock.close()
            raise Unavailable(f"cannot listen on {host}:{port}: {exc.strerror}",
                              code="register.port_in_use") from exc
        runtime = RegisterRuntime(identity, root, overrides=overrides)
    typer.echo(f"register {store}/{register} on http://{host}:{sock.getsockname()[1]} "
               f"(store server {identity.store_url})")
    try:
        serve_app(create_app(runtime), log_level="warning", sock=sock)
    finally:
        runtime.close()
        sock.close()


@pos_app.command("sync")
def sync(
    ctx: typer.Context,
    store: Store,
    register: RegisterNo,
    once: Annotated[bool, typer.Option("--once", help="one round, then exit")] = True,
    data_dir: DataDir = None,
) -> None:
    """Run the async sync once: download packages, upload pending transactions."""
    from kassa.pos.runtime import RegisterRuntime

    if not once:
        error_line("only --once is supported here; `kassa pos serve` runs the sync loop",
                   "cli.usage")
        raise typer.Exit(EXIT_ERROR)
    with _errors():
        identity, root = _identity(ctx, store, register, None, data_dir)
        runtime = RegisterRuntime(identity, root, background=False)
        try:
            down = runtime.sync.download_now()
            up = runtime.sync.upload_now()
        finally:
            runtime.close()
    for attempt in (down, up):
        typer.echo(f"{attempt.kind}: {attempt.result}"
                   + (f", package {attempt.package_number}" if attempt.package_number else "")
                   + (f", {attempt.rows} rows" if attempt.rows else "")
                   + (f", {attempt.count} uploaded" if attempt.count else "")
                   + (f" — {attempt.error}" if attempt.error else ""))
    if "error" in (down.result, up.result):
        raise typer.Exit(EXIT_ERROR)


if __name__ == "__main__":
    pos_app()
