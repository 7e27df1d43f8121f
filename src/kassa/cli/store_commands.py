"""``kassa store …``: the store server process (DESIGN §2, §4, §8).

* ``kassa store serve --store ID --hq-url URL [--store-token T] [--hq-pull-token P]
  [--host 127.0.0.1] [--port 8710] [--public-url URL] [--data-dir D] [--database-url URL]
  [--pull-interval-s 30]`` — migrate the channel DB, then serve the store server API with
  uvicorn while the puller keeps the channel DB in step with HQ.
* ``kassa store pull --store ID --hq-url URL [--store-token T] [--data-dir D]
  [--database-url URL]`` — one pull round now (snapshot when the channel DB is new, then the
  deltas), with a progress line per table; prints the outcome.

Secrets (:mod:`kassa.store.settings`): the store server token comes from ``--store-token``,
``$KASSA_STORE_TOKEN`` or ``<data dir>/store-<id>.token``; the HQ pull token from
``--hq-pull-token``, ``$KASSA_HQ_PULL_TOKEN`` or ``<data dir>/store-<id>-hq-pull.token``
(created on first start). The channel DB is ``--database-url``, else
``$KASSA_STORE_DATABASE_URL``, else ``<data dir>/channel-<id>.sqlite``.

Errors are one red line on stderr with exit code 2. Add to the main app with
``app.add_typer(store_app, name="store")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kassa.cli.render import error_line
from kassa.config import locations
from kassa.db.migrate import prepare_database
from kassa.domain.errors import KassaError
from kassa.store.settings import (
    DEFAULT_PULL_INTERVAL_S,
    StoreSettings,
    resolve_hq_pull_token,
    resolve_store_token,
)

store_app = typer.Typer(help="The store server: serve its API, pull packages from HQ.",
                        no_args_is_help=True)
EXIT_ERROR = 2
DEFAULT_PORT = 8710

Store = Annotated[int, typer.Option("--store", min=0, help="store id")]
HqUrl = Annotated[str, typer.Option("--hq-url", help="HQ base URL, e.g. http://127.0.0.1:8700")]
StoreToken = Annotated[str | None, typer.Option(
    "--store-token", help="store server token (default $KASSA_STORE_TOKEN or the token file)")]
DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", help="data directory (default $KASSA_DATA_DIR or ./kassa-data)")]
DatabaseUrl = Annotated[str | None, typer.Option(
    "--database-url",
    help="channel DB URL (default $KASSA_STORE_DATABASE_URL or <data-dir>/channel-<id>.sqlite)")]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except KassaError as exc:
        error_line(exc.message, exc.code)
        raise typer.Exit(EXIT_ERROR) from exc
    except SQLAlchemyError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        error_line(f"database error: {first}", "database.error")
        raise typer.Exit(EXIT_ERROR) from exc


def _data_dir(ctx: typer.Context, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    found = getattr(ctx.find_root().obj, "data_dir", None)
    return found if isinstance(found, Path) else None


def _open(
    ctx: typer.Context,
    store: int,
    data_dir: Path | None,
    database_url: str | None,
    *,
    hq_url: str,
    store_token: str | None,
    hq_pull_token: str | None = None,
    public_url: str | None = None,
    pull_interval_s: float = DEFAULT_PULL_INTERVAL_S,
) -> tuple[Engine, StoreSettings]:
    """Resolve the secrets and settings, then migrate and open the channel DB."""
    loc = locations(_data_dir(ctx, data_dir))
    settings = StoreSettings(
        store_id=store,
        hq_pull_token=resolve_hq_pull_token(loc.root, store, hq_pull_token),
        hq_url=hq_url,
        store_token=resolve_store_token(loc.root, store, store_token),
        public_url=public_url,
        pull_interval_s=pull_interval_s,
    )
    return prepare_database(loc.store_url(store, database_url), "channel"), settings


@store_app.command("serve")
def serve(
    ctx: typer.Context,
    store: Store,
    hq_url: HqUrl,
    store_token: StoreToken = None,
    hq_pull_token: Annotated[str | None, typer.Option(
        "--hq-pull-token", help="token HQ must present to pull transactions "
        "(default $KASSA_HQ_PULL_TOKEN or a generated file)")] = None,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port")] = DEFAULT_PORT,
    public_url: Annotated[str | None, typer.Option(
        "--public-url", help="URL under which HQ reaches this server "
        "(default http://HOST:PORT)")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    pull_interval_s: Annotated[float, typer.Option(
        "--pull-interval-s", min=0.1, help="seconds between pulls from HQ")
    ] = DEFAULT_PULL_INTERVAL_S,
) -> None:
    """Serve the store server API (OpenAPI docs at /docs) and pull packages from HQ."""
    from kassa.cli.serving import serve as serve_app
    from kassa.store.app import create_app

    with _errors():
        engine, settings = _open(
            ctx, store, data_dir, database_url, store_token=store_token,
            hq_pull_token=hq_pull_token, hq_url=hq_url,
            public_url=public_url or f"http://{host}:{port}", pull_interval_s=pull_interval_s)
    typer.echo(f"store server of store {store} on http://{host}:{port} — pulling from {hq_url} "
               f"every {pull_interval_s:g} s")
    try:
        serve_app(create_app(engine, settings), host=host, port=port)
    finally:
        engine.dispose()


@store_app.command("pull")
def pull(
    ctx: typer.Context,
    store: Store,
    hq_url: HqUrl,
    store_token: StoreToken = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Pull the store's packages from HQ into its channel DB once, now."""
    from kassa.store.hq_client import HQClient
    from kassa.store.puller import Puller

    with _errors():
        engine, settings = _open(ctx, store, data_dir, database_url, store_token=store_token,
                                 hq_url=hq_url)
    hq = HQClient(hq_url, settings.store_token or "", timeout_s=settings.hq_timeout_s)
    try:
        puller = Puller(engine, settings, hq)

        def progress(table: str, rows: int) -> None:
            typer.echo(f"  applied {table:<22} {rows:>9,} rows so far", err=True)

        attempt = puller.pull_once(progress=progress)
    finally:
        hq.close()
        engine.dispose()
    if attempt.result == "error":
        error_line(attempt.error or "pull failed", attempt.error_code)
        raise typer.Exit(EXIT_ERROR)
    packages = [r.number for r in attempt.applied if not r.skipped]
    what = f"packages {', '.join(map(str, packages))}" if packages else "nothing new"
    typer.echo(f"store {store}: {what}; {attempt.rows:,} rows; checkpoint {attempt.checkpoint}")
