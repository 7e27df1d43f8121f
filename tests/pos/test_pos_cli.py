"""``kassa pos …`` commands and the register identity file (DESIGN §8)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kassa.cli.pos_commands import pos_app
from kassa.domain.errors import InvalidInput, NotFound
from kassa.pos.identity import RegisterIdentity
from pos.world import STORE, store_world

runner = CliRunner()


def test_activation_against_a_store_server_without_hq_fails_clearly(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        result = runner.invoke(pos_app, ["activate", "--store-url", world.direct_url,
                                         "--code", "AAAA-BBBB-CCCC", "--store", str(STORE),
                                         "--register", "1", "--data-dir", str(data_dir)])
        assert result.exit_code == 2
        assert "not connected to HQ" in result.output
        assert not RegisterIdentity.path(data_dir, STORE, 1).exists()


def test_activation_of_an_unreachable_store_server_fails_clearly(data_dir: Path) -> None:
    result = runner.invoke(pos_app, ["activate", "--store-url", "http://127.0.0.1:9",
                                     "--code", "AAAA-BBBB-CCCC", "--store", "1", "--register",
                                     "1", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "cannot reach the store server" in result.output


def test_sync_once_downloads_and_uploads(data_dir: Path) -> None:
    with store_world(data_dir) as world:
        world.identities[1].save(data_dir)
        result = runner.invoke(pos_app, ["sync", "--once", "--store", str(STORE),
                                         "--register", "1", "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        assert "download: ok, package 1" in result.output
        assert "upload: nothing_new" in result.output


def test_serving_a_register_that_was_never_activated_says_so(data_dir: Path) -> None:
    result = runner.invoke(pos_app, ["serve", "--store", "5", "--register", "2",
                                     "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "not activated" in result.output and "kassa pos activate" in result.output


def test_the_identity_file_is_private_and_checked(data_dir: Path) -> None:
    identity = RegisterIdentity(STORE, 3, uuid.uuid4(), "secret-token",
                                "http://127.0.0.1:1")
    path = identity.save(data_dir)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert RegisterIdentity.load(data_dir, STORE, 3) == identity
    os.chmod(path, 0o644)
    with pytest.raises(InvalidInput) as caught:
        RegisterIdentity.load(data_dir, STORE, 3)
    assert "chmod 600" in caught.value.message
    with pytest.raises(NotFound):
        RegisterIdentity.load(data_dir, STORE, 4)
