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


def test_offline_name_search_matches_every_word_as_a_prefix_case_insensitively(
    data_dir: Path,
) -> None:
    with store_world(data_dir) as world:
        offline = world.register().source.offline
        assert [p.id for p in offline.search("WHOLE milk")] == [1001]
        assert [p.id for p in offline.search("milk whole")] == [1001]
        assert [p.id for p in offline.search("wh mi")] == [1001]
        assert offline.search("ilk") == []  # a prefix of a word, not any substring
        assert offline.search("50%_off") == []
        assert [p.id for p in offline.search("gift (no")] == [1004]
        assert len(offline.search("1")) == 2  # "1" and "12"
        assert len(offline.search("1", limit=1)) == 1
        with pytest.raises(InvalidInput) as empty:
            offline.search(" %% ")
        assert empty.value.code == "search.empty"
        with pytest.raises(InvalidInput):
            offline.search("  ")
        with pytest.raises(InvalidInput):
            offline.search("milk", limit=0)


def test_the_store_server_and_the_offline_db_search_alike(data_dir: Path) -> None:
    """Same ids in the same order online and offline, for every kind of search."""
    with store_world(data_dir) as world:
        reg = world.register()
        store, offline = reg.source.store, reg.source.offline
        for q in ("milk", "WHOLE mi", "1", "12 oz", "b", "bananas lb", "gift", "g", "zz",
                  "price", "o", "gal 1 milk whole"):
            for limit in (1, 20):
                online = store.search(q, limit)
                assert online == offline.search(q, limit), q
        with pytest.raises(InvalidInput) as online_error:
            store.search("%%", 5)
        with pytest.raises(InvalidInput) as offline_error:
            offline.search("%%", 5)
        assert online_error.value.code == offline_error.value.code == "search.empty"
