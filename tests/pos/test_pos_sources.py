"""The two data sources answer alike, so online and offline give the same totals (DESIGN §2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kassa.domain.errors import InvalidInput, NotAuthenticated, NotFound
from pos.world import PASSWORDS, PRODUCTS, barcode, store_world


def test_the_store_server_and_the_offline_db_give_the_same_answers(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        reg = world.register()
        store, offline = reg.source.store, reg.source.offline
        for pid, *_ in PRODUCTS:
            assert store.product(pid) == offline.product(pid)
            assert store.product_by_barcode(barcode(pid)) == offline.product_by_barcode(
                barcode(pid))
        assert sorted(store.tax_groups(), key=lambda g: g.id) == offline.tax_groups()
        assert store.parameters() == offline.parameters()
        assert {p.id for p in store.search("milk")} == {p.id for p in offline.search("milk")}
        assert store.sign_in("1002", PASSWORDS["1002"]) == offline.sign_in(
            "1002", PASSWORDS["1002"])
        for source in (store, offline):
            with pytest.raises(NotFound):
                source.product(424242)
            with pytest.raises(NotAuthenticated):
                source.sign_in("1003", "wrong-password")
            with pytest.raises(NotAuthenticated):
                source.sign_in("nobody", "whatever")
        assert offline.customer(7)["loyalty_card"] == store.customer(7)["loyalty_card"]
        assert offline.customer_by_card("400000000007")["id"] == 7


def test_offline_name_search_matches_every_word_case_insensitively(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        offline = world.register().source.offline
        assert [p.id for p in offline.search("WHOLE milk")] == [1001]
        assert [p.id for p in offline.search("milk whole")] == [1001]
        assert offline.search("50%_off") == []
        assert len(offline.search("a", limit=2)) == 2
        with pytest.raises(InvalidInput):
            offline.search("  ")
        with pytest.raises(InvalidInput):
            offline.search("milk", limit=0)
