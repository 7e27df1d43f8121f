"""Fixtures of the API fuzz tests: the worlds of :mod:`fuzz.world`, served once per module
(HQ, a second HQ for the operation that replaces store tokens, the store server with its
HQ); each in its own temporary directory and always stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fuzz.world import Served, serve_hq, serve_store


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_hq(tmp_path_factory.mktemp("hq-fuzz")) as served:
        yield served


@pytest.fixture(scope="module")
def throwaway_hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_hq(tmp_path_factory.mktemp("hq-fuzz-tokens")) as served:
        yield served


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_store(tmp_path_factory.mktemp("store-fuzz")) as served:
        yield served
