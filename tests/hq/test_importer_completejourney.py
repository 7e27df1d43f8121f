"""The real import of The Complete Journey (issue 2 §4, DESIGN §9) on SQLite and PostgreSQL.

One full import + re-import per dialect (each takes a few seconds): the published counts,
every row accounted for, the summary, and that running it twice changes nothing.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select

from kassa.auth.passwords import verify_password
from kassa.db import hq_schema as s
from kassa.db.migrate import prepare_database
from kassa.domain.barcode import validate_gtin
from kassa.domain.loyalty import validate_loyalty_card
from kassa.hq.importer import run_import
from kassa.hq.importer.chain import DEMO_PASSWORD
from kassa.hq.summary import hq_summary

pytestmark = pytest.mark.timeout(600)


def _versions(engine: Engine) -> dict[str, list[tuple[int, int]]]:
    """(version, row count) per master-data table."""
    out = {}
    with engine.connect() as conn:
        for table in s.MASTER_DATA_TABLES:
            stmt = select(table.c.version, func.count()).group_by(table.c.version)
            out[table.name] = sorted((int(v), int(n)) for v, n in conn.execute(stmt))
    return out


def test_full_import_counts_and_idempotent_reimport(db_url: str) -> None:
    engine = prepare_database(db_url, "hq")
    try:
        # given an empty HQ, when the published data is imported
        report = run_import(engine)

        # then the published counts are there, every source row accounted for
        assert report.version == 1
        assert report["products"].imported == 92_331
        assert report["customers"].imported == 2_469
        assert report.customers_with_demographics == 801
        assert report["stores"].imported == 457
        assert report["data groups"].imported == 457
        assert report["registers"].imported == 457 * 4
        lines = report["sales lines"]
        assert lines.read == 1_469_307
        assert lines.rejected["zero quantity"] > 0 and lines.rejected["zero value"] > 0
        prices = report["prices"]
        assert prices.imported + prices.rejected_total == 92_331
        assert prices.rejected["no price: never sold"] > 0
        assert all(o.accounted for o in report.entities.values())

        with engine.connect() as conn:
            summary = hq_summary(conn)
            assert (summary.products, summary.customers, summary.stores) == (92_331, 2_469, 457)
            assert summary.customers_with_demographics == 801
            assert summary.priced_products == prices.imported
            assert summary.registers == summary.registers_offline == 1_828
            assert summary.data_groups == 457 and summary.operators == 6
            # a few rows look right
            product = conn.execute(select(s.products).where(s.products.c.id == 25671)).one()
            assert product.name == "ICE - CRUSHED/CUBED 22 LB (National)"
            assert validate_gtin(product.barcode) == "400000256719"
            assert product.tax_group_id == "FOOD"
            customer = conn.execute(select(s.customers).where(s.customers.c.id == 1)).one()
            assert validate_loyalty_card(customer.loyalty_card) and customer.age == "65+"
            store = conn.execute(select(s.stores).where(s.stores.c.id == 367)).one()
            group = conn.execute(
                select(s.data_groups.c.name).where(s.data_groups.c.id == store.data_group_id)
            ).scalar_one()
            assert group == "Store 367" and store.currency == "USD"
            manager = conn.execute(select(s.operators).where(s.operators.c.id == "1001")).one()
            assert manager.role == "manager" and verify_password(
                manager.password_hash, DEMO_PASSWORD
            )
            assert conn.execute(select(func.min(s.prices.c.price_cents))).scalar_one() >= 1
            run = conn.execute(select(s.import_runs)).one()
            assert json.loads(run.outcome)["entities"]["products"]["imported"] == 92_331
            reasons = {
                r.reason: r.count
                for r in conn.execute(
                    select(s.import_rejections).where(s.import_rejections.c.entity == "sales lines")
                )
            }
            assert reasons == lines.rejected
        versions_before = _versions(engine)
        hashes_before = _operator_hashes(engine)

        # when the same data is imported again
        again = run_import(engine)

        # then nothing changes: no version taken, every row unchanged, same hashes
        assert again.version is None and not again.changed
        for name, outcome in again.entities.items():
            if outcome.stored:
                assert outcome.imported == outcome.updated == 0, name
                assert outcome.unchanged == report[name].used, name
        assert _versions(engine) == versions_before
        assert _operator_hashes(engine) == hashes_before
        with engine.connect() as conn:
            assert conn.execute(select(s.change_counter.c.value)).scalar_one() == 1
            assert conn.execute(select(func.count()).select_from(s.import_runs)).scalar_one() == 2
    finally:
        engine.dispose()


def _operator_hashes(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(s.operators.c.id, s.operators.c.password_hash)).all())
