"""schemathesis against HQ's OpenAPI over real HTTP (issue 8 §2): zero 5xx, every answer
documented (status, content type, body schema).

The HQ of :func:`fuzz.world.serve_hq` runs once for the module. Four runs:

* valid tokens — the admin token and store 367's server token, each where the operation's
  security scheme asks for it, plus ``ignored_auth`` (an operation that answered 2xx is
  asked again without and with an invalid token and must refuse both);
* store 368's server token — a store server asking for another store's group, registers
  and cards (403s);
* a wrong token for every scheme — every operation must answer a documented 401;
* ``POST /api/stores/{store_id}/server-token`` on its own HQ: issuing a token for store 367
  or 368 replaces the one the other runs present, so it gets a world of its own.
"""

from __future__ import annotations

from typing import Final

import schemathesis

from fuzz.world import (
    ACTIVATION_CODE,
    ADMIN_TOKEN,
    CARD,
    CHECKS,
    MAX_EXAMPLES,
    MEMO,
    OTHER_STORE_TOKEN,
    REGISTER_A,
    REGISTER_B,
    STORE_TOKEN,
    WRONG_TOKEN,
    Served,
    fuzz_config,
    fuzz_settings,
    offline_openapi_of_hq,
)
from kassa.hq.distribution.jobs import ALL_JOB_IDS
from support.hq_world import STORE_A, STORE_B

SPEC: Final = offline_openapi_of_hq()
#: Real values of the world, mixed into generated requests half of the time.
KNOWN: Final = {
    "cards": [CARD, MEMO, 1, 2],  # {number}: a card number or a package number
    # not REGISTER_NEW: a new activation code for it would void ACTIVATION_CODE
    "registers": [str(REGISTER_A), str(REGISTER_B)],
    "stores": [STORE_A, STORE_B],
    "jobs": list(ALL_JOB_IDS),
    "schedules": [1, 2],
    "checkpoints": [0, 1, 2],
    "codes": [ACTIVATION_CODE],
    "amounts": [1, 100, 2500],
}
BINDINGS: Final = {
    "path.number": "cards",
    "path.register_id": "registers",
    "body.register_id": "registers",
    "path.store_id": "stores",
    "query.store_id": "stores",
    "query.data_group_id": "stores",
    "path.job_id": "jobs",
    "path.schedule_id": "schedules",
    "query.after": "checkpoints",
    "body.code": "codes",
    "body.amount_cents": "amounts",
}
SERVER_TOKEN_PATH: Final = "/api/stores/{store_id}/server-token"
OTHER_EXAMPLES: Final = max(10, MAX_EXAMPLES // 2)
WRONG_EXAMPLES: Final = max(5, MAX_EXAMPLES // 5)

valid = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={"AdminToken": ADMIN_TOKEN, "StoreServerToken": STORE_TOKEN},
    known=KNOWN, bindings=BINDINGS, checks=(*CHECKS, "ignored_auth")))
other_store = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={"AdminToken": ADMIN_TOKEN, "StoreServerToken": OTHER_STORE_TOKEN},
    known=KNOWN, bindings=BINDINGS, max_examples=OTHER_EXAMPLES))
wrong = schemathesis.openapi.from_dict(SPEC, config=fuzz_config(
    tokens={"AdminToken": WRONG_TOKEN, "StoreServerToken": WRONG_TOKEN},
    known=KNOWN, bindings=BINDINGS, max_examples=WRONG_EXAMPLES))


@valid.exclude(path=SERVER_TOKEN_PATH).parametrize()
@fuzz_settings()
def test_hq_api_with_valid_tokens(case: schemathesis.Case, hq: Served) -> None:
    case.call_and_validate(base_url=hq.url)


@other_store.exclude(path=SERVER_TOKEN_PATH).include(
    tag=["store server", "real-time service"]).parametrize()
@fuzz_settings(OTHER_EXAMPLES)
def test_hq_api_with_another_stores_token(case: schemathesis.Case, hq: Served) -> None:
    case.call_and_validate(base_url=hq.url)


@wrong.exclude(path=SERVER_TOKEN_PATH).parametrize()
@fuzz_settings(WRONG_EXAMPLES)
def test_hq_api_with_wrong_tokens(case: schemathesis.Case, hq: Served) -> None:
    case.call_and_validate(base_url=hq.url)


@valid.include(path=SERVER_TOKEN_PATH).parametrize()
@fuzz_settings()
def test_hq_store_token_issue_on_its_own_world(
    case: schemathesis.Case, throwaway_hq: Served
) -> None:
    case.call_and_validate(base_url=throwaway_hq.url)
