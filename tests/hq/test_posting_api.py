"""HQ posting over HTTP (admin routes) and on the command line (``kassa posting``,
``kassa report sales``)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from fastapi import FastAPI
from sqlalchemy import Engine
from typer.testing import CliRunner

from kassa.config import sqlite_url
from kassa.db.migrate import prepare_database
from kassa.hq.app import create_app
from kassa.hq.posting import post, record_store_endpoint, sales_report
from support.posting_baskets import random_records
from support.servers import run_app_in_thread

ADMIN = "admin-token-" + "a" * 30
NOW = datetime(2017, 3, 5, 12, 0, tzinfo=UTC)


def hq_app(engine: Engine) -> FastAPI:
    """The HQ app (it includes the posting routes)."""
    return create_app(engine, admin_token=ADMIN)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def hq(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, "hq")
    yield engine
    engine.dispose()


@pytest.fixture
def client(hq: Engine) -> Iterator[httpx.Client]:
    with run_app_in_thread(hq_app(hq)) as url, httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30
    ) as c:
        yield c


def test_sales_report_route_answers_the_report_in_cents(hq: Engine,
                                                        client: httpx.Client) -> None:
    records = random_records(40, seed=31)
    with hq.begin() as conn:
        post(conn, records, now=NOW)
    answer = client.get("/api/reports/sales", params={"store_id": 367})
    assert answer.status_code == 200, answer.text
    with hq.connect() as conn:
        assert answer.json() == sales_report(conn, store_id=367)
    day = answer.json()["rows"][0]["business_day"]
    one_day = client.get("/api/reports/sales", params={"day": day}).json()
    assert {r["business_day"] for r in one_day["rows"]} == {day}


def test_sales_report_refuses_a_bad_day_and_a_missing_token(client: httpx.Client) -> None:
    bad = client.get("/api/reports/sales", params={"day": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "report.bad_day"
    anonymous = httpx.get(f"{client.base_url}/api/reports/sales")
    assert anonymous.status_code == 401
    wrong = httpx.post(f"{client.base_url}/api/posting/run",
                       headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_posting_run_route_reports_a_store_that_is_down(hq: Engine,
                                                       client: httpx.Client) -> None:
    # given a store whose server is not running
    with hq.begin() as conn:
        record_store_endpoint(conn, 367, closed_port_url(), "t" * 20, NOW)
    # when the P-job is run through the API
    answer = client.post("/api/posting/run")
    # then the answer names the store and the error, and the status keeps it
    assert answer.status_code == 200, answer.text
    [store] = answer.json()["stores"]
    assert store["store_id"] == 367 and store["posted"] == 0
    assert store["error"].startswith("store.unreachable:")
    status = client.get("/api/posting/status").json()
    assert status["cursors"][0]["last_error"].startswith("store.unreachable:")
    assert status["rejections"] == []


def test_openapi_documents_the_posting_routes(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/reports/sales", "/api/posting/run", "/api/posting/status"} <= set(paths)


# --- command line ------------------------------------------------------------------------

def cli() -> typer.Typer:
    """``kassa posting`` / ``kassa report`` as kassa.cli.main registers them."""
    from kassa.cli.posting_commands import posting_app, report_app

    app = typer.Typer()
    app.add_typer(posting_app, name="posting")
    app.add_typer(report_app, name="report")
    return app


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli(), list(args), env={"COLUMNS": "200"})


def test_cli_report_sales_prints_tables_and_json(data_dir: Path) -> None:
    engine = prepare_database(sqlite_url(data_dir / "hq.sqlite"), "hq")
    records = random_records(10, seed=32)
    with engine.begin() as conn:
        post(conn, records, now=NOW)
    with engine.connect() as conn:
        expected = sales_report(conn)
    engine.dispose()
    table = invoke("report", "sales", "--data-dir", str(data_dir))
    assert table.exit_code == 0, table.output
    assert "Totals per store" in table.output and "367" in table.output
    as_json = invoke("report", "sales", "--store", "367", "--json", "--data-dir", str(data_dir))
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["total"] == expected["total"]
    bad = invoke("report", "sales", "--day", "03/01/2017", "--data-dir", str(data_dir))
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_cli_posting_run_and_status(data_dir: Path) -> None:
    empty = invoke("posting", "run", "--data-dir", str(data_dir))
    assert empty.exit_code == 0 and "no store endpoint" in empty.output
    engine = prepare_database(sqlite_url(data_dir / "hq.sqlite"), "hq")
    with engine.begin() as conn:
        record_store_endpoint(conn, 367, closed_port_url(), "t" * 20, NOW)
    engine.dispose()
    down = invoke("posting", "run", "--timeout", "1", "--data-dir", str(data_dir))
    assert down.exit_code == 1 and "store.unreachable" in down.output
    status = invoke("posting", "status", "--data-dir", str(data_dir))
    assert status.exit_code == 0 and "store.unreachable" in status.output
