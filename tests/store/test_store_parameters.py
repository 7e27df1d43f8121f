"""A changed commerce parameter is effective on the store server's next request after the
package carrying it is applied (DESIGN §4: the parameter cache is dropped at once)."""

from __future__ import annotations

from datetime import UTC, datetime

from kassa.store.parameters import CacheEpoch, ParameterCache
from kassa.sync.apply import apply_package
from support.package_factory import PARAMETER_COLUMNS, package
from support.store_world import StoreServer


def _params(store: StoreServer) -> dict[str, object]:
    answer = store.client.get("/api/parameters", headers=store.auth())
    assert answer.status_code == 200
    result: dict[str, object] = answer.json()
    return result


def test_parameter_change_is_effective_on_the_next_request(store: StoreServer) -> None:
    # given the register has read the parameters (now cached)
    assert _params(store)["allow_offline_gift_card_conclusion"] is False
    # when a package changing one parameter is applied to the channel DB (by another process
    # or the puller — here straight through apply_package)
    header, body = package(2, commerce_parameters=(
        PARAMETER_COLUMNS, [["allow_offline_gift_card_conclusion", "true", 2]], []))
    apply_package(store.engine, header, body, now=datetime(2017, 3, 2, tzinfo=UTC))
    # then the very next request sees the new value
    assert _params(store)["allow_offline_gift_card_conclusion"] is True


def test_cache_is_read_once_per_epoch_and_checkpoint(store: StoreServer) -> None:
    epoch = CacheEpoch()
    cache = ParameterCache(epoch)
    with store.engine.connect() as conn:
        first = cache.get(conn)
        assert cache.get(conn) == first and cache.loads == 1
        epoch.bump()
        assert cache.get(conn) == first and cache.loads == 2
