"""``kassa hq …``: serve HQ and the distribution admin verbs (DESIGN §8).

* ``kassa hq serve [--host 127.0.0.1] [--port 8700] [--data-dir] [--database-url]``
  [--scheduler-poll 1.0]`` — migrate the HQ database, seed jobs and schedules, create missing
  channel database entities, then serve the HQ API with uvicorn (interval schedules run in
  the background unless ``--scheduler-poll 0``).
* ``kassa hq store-token STORE`` — issue a store server token (printed once).
* ``kassa hq activation-code STORE REGISTER_NUMBER`` — one-time activation code (24 h).
* ``kassa hq support-offline STORE REGISTER_NUMBER on|off`` — Support offline.

``--data-dir`` may also be given before the command (``kassa --data-dir D hq …``); the
option after the command wins. Errors (unknown store/register, unreachable database …) are
printed as one red line on stderr with exit code 2, like every ``kassa`` command.

:func:`register` adds these commands to the ``kassa hq`` Typer of :mod:`kassa.cli.main`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from kassa.auth.tokens import admin_token
from kassa.cli.render import error_line
from kassa.config import locations
from kassa.db.migrate import prepare_database
from kassa.domain.clock import SystemClock
from kassa.domain.errors import KassaError
from kassa.hq.distribution import access, setup
from kassa.hq.distribution.jobs import seed_distribution

hq_app = typer.Typer(help="HQ: serve the API and administer distribution.", no_args_is_help=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="data directory (default $KASSA_DATA_DIR or ./kassa-data)"),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        "--hq-url",
        help="HQ database URL (default $KASSA_HQ_DATABASE_URL or <data-dir>/hq.sqlite)",
    ),
]
T = TypeVar("T")
#: Exit code of a reported error (same as :mod:`kassa.cli.main`).
EXIT_ERROR = 2


class OnOff(StrEnum):
    on = "on"
    off = "off"


def open_hq(data_dir: Path | None, database_url: str | None) -> Engine:
    """Migrate and open the HQ database, with jobs, schedules and entities in place."""
    loc = locations(data_dir)
    engine = prepare_database(loc.hq_url(database_url), "hq")
    with engine.begin() as conn:
        seed_distribution(conn)
        setup.reconcile_entities(conn, SystemClock().now())
    return engine


def register(target: typer.Typer) -> None:
    """Add the commands of :data:`hq_app` to ``target`` (the ``kassa hq`` group)."""
    target.registered_commands.extend(hq_app.registered_commands)


def data_dir_of(ctx: typer.Context, explicit: Path | None) -> Path | None:
    """``--data-dir`` after the command, else the global one (``kassa --data-dir``)."""
    if explicit is not None:
        return explicit
    root = ctx.find_root().obj
    found = getattr(root, "data_dir", None)
    return found if isinstance(found, Path) else None


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn a :class:`KassaError` or a database error into one red line and exit code 2."""
    try:
        yield
    except KassaError as exc:
        error_line(exc.message, exc.code)
        raise typer.Exit(EXIT_ERROR) from exc
    except SQLAlchemyError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        error_line(f"database error: {first}", "database.error")
        raise typer.Exit(EXIT_ERROR) from exc


def in_transaction(
    data_dir: Path | None, database_url: str | None, work: Callable[[Connection], T]
) -> T:
    """Run ``work`` in one HQ write transaction, errors reported by :func:`cli_errors`."""
    with cli_errors():
        engine = open_hq(data_dir, database_url)
        try:
            with engine.begin() as conn:
                return work(conn)
        finally:
            engine.dispose()


@hq_app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port")] = 8700,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    scheduler_poll: Annotated[
        float, typer.Option(min=0, help="seconds between interval-schedule checks; 0 = off")
    ] = 1.0,
    posting_interval: Annotated[
        float, typer.Option(min=0, help="seconds between P-job runs (pull + post); 0 = off")
    ] = 5.0,
) -> None:
    """Serve the HQ API (OpenAPI docs at /docs); runs schedules and the P-job in the background."""
    from kassa.cli.serving import serve as serve_app
    from kassa.hq.app import create_app
    from kassa.hq.web import web_router

    data_dir = data_dir_of(ctx, data_dir)
    with cli_errors():
        loc = locations(data_dir)
        engine = open_hq(data_dir, database_url)
        token = admin_token(loc.root)
    from_env = bool(os.environ.get("KASSA_ADMIN_TOKEN"))
    source = "$KASSA_ADMIN_TOKEN" if from_env else loc.root / "admin-token"
    typer.echo(f"HQ on http://{host}:{port} — admin token in {source}")
    app = create_app(
        engine,
        admin_token=token,
        scheduler_poll_s=scheduler_poll or None,
        posting_interval_s=posting_interval or None,
        routers=[web_router(engine, token)],
    )
    try:
        serve_app(app, host=host, port=port)
    finally:
        engine.dispose()


@hq_app.command("store-token")
def store_token(
    ctx: typer.Context,
    store: Annotated[int, typer.Argument(help="store id")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a new store server token (replaces the previous one; shown only now)."""
    now = SystemClock().now()
    issued = in_transaction(
        data_dir_of(ctx, data_dir), database_url, lambda c: access.issue_store_token(c, store, now)
    )
    typer.echo(f"store {issued.store_id} (data group {issued.data_group_id}) server token:")
    typer.echo(issued.token)


@hq_app.command("activation-code")
def activation_code(
    ctx: typer.Context,
    store: Annotated[int, typer.Argument(help="store id")],
    register_number: Annotated[int, typer.Argument(help="register number within the store")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a one-time activation code for a register (valid 24 hours)."""
    now = SystemClock().now()

    def work(conn: Connection) -> access.ActivationCode:
        rid = setup.register_by_number(conn, store, register_number)
        return access.issue_activation_code(conn, rid, now)

    code = in_transaction(data_dir_of(ctx, data_dir), database_url, work)
    typer.echo(f"register {store}-{register_number} ({code.register_id}) activation code:")
    typer.echo(code.code)
    typer.echo(f"valid until {code.expires_at.isoformat()}")


@hq_app.command("support-offline")
def support_offline(
    ctx: typer.Context,
    store: Annotated[int, typer.Argument(help="store id")],
    register_number: Annotated[int, typer.Argument(help="register number within the store")],
    state: Annotated[OnOff, typer.Argument(help="on or off")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set or clear Support offline on a register (creates / retires its offline entity)."""
    now = SystemClock().now()

    def work(conn: Connection) -> setup.SupportOffline:
        rid = setup.register_by_number(conn, store, register_number)
        return setup.set_support_offline(conn, rid, state is OnOff.on, now)

    result = in_transaction(data_dir_of(ctx, data_dir), database_url, work)
    change = "set to" if result.changed else "already"
    typer.echo(f"register {store}-{register_number}: Support offline {change} {state.value}")
    if result.entity_id is not None:
        typer.echo(f"offline channel database entity {result.entity_id}")
    typer.echo("run the distribution schedules to send the change (kassa schedule run)")
