"""Operations of an app's OpenAPI, for tests parametrised over every protected path (issue 8
§3): the operations a security scheme guards, and a concrete URL for each (path parameters
filled with well-formed values taken from their schemas)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

#: A value per path parameter type when the schema names no example.
_SAMPLE = {"integer": "1", "number": "1", "boolean": "true"}


def _sample(schema: dict[str, Any]) -> str:
    for alternative in schema.get("anyOf", []):
        if alternative.get("type") != "null":
            return _sample(alternative)
    if schema.get("enum"):
        return str(schema["enum"][0])
    if schema.get("format") == "uuid":
        return str(uuid.UUID(int=1))
    return _SAMPLE.get(str(schema.get("type")), "1000000000001")


def operations(spec: dict[str, Any], scheme: str) -> list[Any]:
    """``pytest.param(method, url, has_body, id="METHOD path")`` for every operation of
    ``spec`` whose ``security`` names ``scheme``."""
    out = []
    for path, ops in sorted(spec["paths"].items()):
        for method, op in sorted(ops.items()):
            schemes = {name for req in op.get("security") or [] for name in req}
            if scheme not in schemes:
                continue
            url = path
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    url = url.replace("{" + param["name"] + "}", _sample(param["schema"]))
            out.append(pytest.param(method.upper(), url, "requestBody" in op,
                                    id=f"{method.upper()} {path}"))
    return out
