"""The NUL guard's rule (kassa.http_text): which bodies and request lines carry U+0000.
Its effect over real HTTP on SQLite and PostgreSQL is in tests/hq/test_fuzz_regressions.py."""

from __future__ import annotations

import json

import pytest

from kassa.http_text import nul_in_body, nul_in_target


@pytest.mark.parametrize("text", ["\u0000", "a\u0000b", "x\\\u0000"])
def test_a_json_string_holding_nul_is_caught(text: str) -> None:
    assert nul_in_body(json.dumps({"name": text}).encode())


@pytest.mark.parametrize("text", ["\\u0000", "\\\\u0000x", "100%00", "plain"])
def test_json_text_without_nul_passes(text: str) -> None:
    # an escaped backslash followed by u0000 is six characters, not a NUL
    assert not nul_in_body(json.dumps({"name": text}).encode())


def test_percent_00_is_nul_only_in_a_form_body() -> None:
    assert nul_in_body(b"name=a%00b", form=True)
    assert not nul_in_body(b"name=a%2500b", form=True)
    assert not nul_in_body(b'{"name": "100%00"}')


def test_raw_nul_byte_is_caught_anywhere() -> None:
    assert nul_in_body(b'{"a": "\x00"}')


def test_request_line() -> None:
    assert nul_in_target({"path": "/api/giftcards/1\x002", "query_string": b""}) == "path"
    assert nul_in_target({"path": "/api/x", "query_string": b"q=a%00"}) == "query"
    assert nul_in_target({"path": "/api/x", "query_string": b"q=a%2500"}) is None
