"""schemathesis against the store server's OpenAPI over real HTTP (issue 8 §2): zero 5xx,
every answer documented (status, content type, body schema).

The store server of :func:`fuzz.world.serve_store` (store 367, its channel DB pulled
from a real HQ that also answers its gift card relay) runs once for the module:

* valid tokens — the register's device token and HQ's pull token, each where the
  operation's security scheme asks for it, plus ``ignored_auth`` (an operation that
  answered 2xx is asked again without and with an invalid token and must refuse both);
* a wrong token for every scheme — every operation must answer a documented 401 (the
  unauthenticated ``/api/health`` and ``/api/activate`` answer as usual);
* transaction records — a real sale changed field by field (below), committed and uploaded.
"""

from __future__ import annotations

from typing import Any, Final

import schemathesis
from hypothesis import given, seed
from hypothesis import strategies as st

from fuzz.world import (
    BARCODES,
    CARD,
    CHECKS,
    DEVICE_TOKEN,
    MAX_EXAMPLES,
    MEMO,
    PASSWORD,
    PRODUCT_IDS,
    PULL_TOKEN,
    REGISTER_A,
    SEED,
    WRONG_TOKEN,
    Served,
    fuzz_config,
    fuzz_settings,
    offline_openapi_of_store,
)
from support.hq_world import STORE_A
from support.store_world import sale_record

SPEC: Final = offline_openapi_of_store()
#: Real values of the world, mixed into generated requests half of the time.
KNOWN: Final = {
    "cards": [CARD, MEMO, 1, 2],  # {number}: a card number or a package number
    "products": PRODUCT_IDS,
    "barcodes": BARCODES,
    "customers": [1, 2],
    "loyalty_cards": ["400000000001", "400000000002"],
    "operators": ["1001", "367-1"],
    "passwords": [PASSWORD],
    "words": ["milk", "bread", "bananas"],
    "checkpoints": [0, 1, 2],
}
BINDINGS: Final = {
    "path.number": "cards",
    "path.product_id": "products",
    "path.code": "barcodes",
    "path.customer_id": "customers",
    "path.loyalty_card": "loyalty_cards",
    "body.operator_id": "operators",
    "body.password": "passwords",
    "query.q": "words",
    "query.after": "checkpoints",
    "body.checkpoint": "checkpoints",
}
WRONG_EXAMPLES: Final = max(5, MAX_EXAMPLES // 5)

valid = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={"DeviceToken": DEVICE_TOKEN, "HQPullToken": PULL_TOKEN},
    known=KNOWN, bindings=BINDINGS, checks=(*CHECKS, "ignored_auth")))
wrong = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={"DeviceToken": WRONG_TOKEN, "HQPullToken": WRONG_TOKEN},
    known=KNOWN, bindings=BINDINGS, max_examples=WRONG_EXAMPLES))


@valid.parametrize()
@fuzz_settings()
def test_store_api_with_valid_tokens(case: schemathesis.Case, store: Served) -> None:
    case.call_and_validate(base_url=store.url)


@wrong.parametrize()
@fuzz_settings(WRONG_EXAMPLES)
def test_store_api_with_wrong_tokens(case: schemathesis.Case, store: Served) -> None:
    case.call_and_validate(base_url=store.url)


# --- transaction records -------------------------------------------------------------------
# The body of POST /api/transactions and of each POST /api/uploads item is a free-form record
# (``dict[str, Any]`` in the OpenAPI; ``Transaction.from_record`` checks it field by field),
# so generated bodies hardly ever get past the format check. Here a real completed sale is
# changed — every field in turn set to each edge value of its type (an int of 2**63, a text
# of 300 characters, null…) or removed; then, generated, in one to three places at once —
# and sent through the same checks.

RECORD_EXAMPLES: Final = MAX_EXAMPLES * 2
RECORDS: Final = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={"DeviceToken": DEVICE_TOKEN}, known={}, bindings={}))
AUTH: Final = {"Authorization": f"Bearer {DEVICE_TOKEN}"}
REMOVED: Final = object()
EDGE_INTS: Final = [-1, 0, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]
EDGE_TEXTS: Final = ["", " ", "\u0000", "-1", "1e309", "NaN", "9" * 40, "x" * 33, "x" * 300,
                     "2017-02-30T00:00:00.000000Z", "367-3-" + "9" * 40]
EDGES: Final = {
    int: EDGE_INTS,
    str: EDGE_TEXTS,
    bool: [None, 1, "true"],
    type(None): [0, 2**63, "", "x" * 300, True, [], {}],
    list: [None, {}, [None], "x"],
    dict: [None, [], "x"],
}
INTS: Final = st.one_of(st.sampled_from(EDGE_INTS), st.integers(-(2**70), 2**70))
TEXTS: Final = st.one_of(st.sampled_from(EDGE_TEXTS), st.text(max_size=40))


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=3),
                     st.dictionaries(st.text(max_size=8), inner, max_size=3))


JSON_VALUES: Final = st.recursive(
    st.one_of(st.none(), st.booleans(), INTS, TEXTS,
              st.floats(allow_nan=False, allow_infinity=False)),
    _containers, max_leaves=4)


def a_sale() -> dict[str, Any]:
    return sale_record(REGISTER_A, store_id=STORE_A, register_number=3)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a record: dict keys and list indexes, outermost first."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def changed(record: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """``record`` with the field at ``path`` set to ``value`` (removed: :data:`REMOVED`)."""
    *parents, last = path
    holder: Any = record
    for step in parents:
        holder = holder[step]
    if value is REMOVED:
        if isinstance(holder, dict):
            del holder[last]
    else:
        holder[last] = value
    return record


def single_field_edges() -> list[dict[str, Any]]:
    """One record per (field, edge value of the field's type) and per removed field."""
    out = []
    for path in _paths(a_sale()):
        current: Any = a_sale()
        for step in path:
            current = current[step]
        out.append(changed(a_sale(), path, REMOVED))
        out += [changed(a_sale(), path, edge) for edge in EDGES[type(current)]]
    return out


def test_store_takes_every_field_at_its_edges_without_a_server_error(store: Served) -> None:
    # given a sale changed in one field, for every field and edge value
    records = single_field_edges()
    # when each is committed, and all are uploaded in batches
    for record in records:
        case = RECORDS["/api/transactions"]["POST"].Case(body=record)
        case.call_and_validate(base_url=store.url, headers=AUTH)
    for start in range(0, len(records), 100):
        case = RECORDS["/api/uploads"]["POST"].Case(
            body={"transactions": records[start:start + 100]})
        case.call_and_validate(base_url=store.url, headers=AUTH)
    # then every answer was documented and none was a server error (call_and_validate)


@st.composite
def mutated_records(draw: st.DrawFn) -> dict[str, Any]:
    record = a_sale()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(record)))
        value = draw(st.one_of(JSON_VALUES, st.just(REMOVED)))
        record = changed(record, path, value)
    return record


@given(record=mutated_records())
@fuzz_settings(RECORD_EXAMPLES)
@seed(SEED)
def test_store_takes_any_changed_transaction_record_without_a_server_error(
    store: Served, record: dict[str, Any]
) -> None:
    commit = RECORDS["/api/transactions"]["POST"].Case(body=record)
    commit.call_and_validate(base_url=store.url, headers=AUTH)
    upload = RECORDS["/api/uploads"]["POST"].Case(body={"transactions": [record]})
    upload.call_and_validate(base_url=store.url, headers=AUTH)
