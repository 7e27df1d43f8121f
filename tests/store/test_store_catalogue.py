"""Store server reads for registers over real HTTP (issue 4 §1; docs/API.md "Store server"):
lookups, search, me, sign-in, parameters, tax groups, customers — and every bad input."""

from __future__ import annotations

import pytest

from support.package_factory import GROUP, STORE
from support.store_world import PASSWORD, StoreServer, assert_error


def test_health_needs_no_auth_and_reports_the_checkpoint(store: StoreServer) -> None:
    answer = store.client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "store_id": STORE, "checkpoint": 1,
                             "last_pull": None}


def test_product_by_id_and_by_barcode(store: StoreServer) -> None:
    # when a register looks a product up by id and by barcode
    by_id = store.client.get("/api/products/1002", headers=store.auth())
    by_code = store.client.get("/api/products/by-barcode/0000000001002", headers=store.auth())
    # then both give the same product with price and tax rate
    assert by_id.status_code == by_code.status_code == 200
    assert by_id.json() == by_code.json() == {
        "id": 1002, "name": "PRODUCT 1002", "barcode": "0000000001002", "price_cents": 101,
        "tax_group_id": "food", "tax_group_name": "Food", "tax_rate_bp": 0,
        "department": "GROCERY", "brand": "National", "category": "DAIRY",
        "product_type": "MILK", "package_size": "1 GA", "unit_of_measure": "each",
    }


def test_search_finds_products_by_words_of_their_name(store: StoreServer) -> None:
    answer = store.client.get("/api/products/search", params={"q": "produ 1004"},
                              headers=store.auth())
    assert answer.status_code == 200
    assert [p["id"] for p in answer.json()["items"]] == [1004]
    many = store.client.get("/api/products/search", params={"q": "product", "limit": 3},
                            headers=store.auth())
    assert len(many.json()["items"]) == 3


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/products/999999", 404, "product.not_found"),
        ("/api/products/by-barcode/4006381333931", 404, "product.not_found"),
        ("/api/products/abc", 422, "request.invalid"),
        ("/api/products/-1", 422, "request.invalid"),
        ("/api/products/99999999999999999999999", 422, "request.invalid"),
        ("/api/products/search?q=%20%2B%2B%20", 422, "search.empty"),
        ("/api/products/search", 422, "request.invalid"),
        ("/api/products/search?q=milk&limit=0", 422, "request.invalid"),
        ("/api/customers/77", 404, "customer.not_found"),
        ("/api/customers/by-card/123", 404, "customer.not_found"),
    ],
)
def test_bad_reads_get_clear_errors(store: StoreServer, path: str, status: int,
                                    code: str) -> None:
    answer = store.client.get(path, headers=store.auth())
    assert_error(answer, status, code)


@pytest.mark.parametrize(
    "path",
    ["/api/me", "/api/products/1001", "/api/products/search?q=milk", "/api/parameters",
     "/api/tax-groups", "/api/customers/1", "/api/packages"],
)
def test_every_register_read_needs_a_valid_token_of_this_store(store: StoreServer,
                                                                path: str) -> None:
    assert_error(store.client.get(path), 401, "auth.missing_token")
    assert_error(store.client.get(path, headers={"Authorization": "Basic abc"}), 401,
                 "auth.missing_token")
    assert_error(store.client.get(path, headers=store.auth("not-a-token")), 401,
                 "auth.bad_token")
    assert_error(store.client.get(path, headers=store.auth(store.other_token)), 403,
                 "auth.other_store")


def test_me_describes_register_store_profile_and_receipt(store: StoreServer) -> None:
    answer = store.client.get("/api/me", headers=store.auth())
    assert answer.status_code == 200
    me = answer.json()
    assert me["register"] == {"id": str(store.register_id), "number": 1, "name": "Register 1",
                              "support_offline": True}
    assert me["store"] == {"id": STORE, "name": f"Store {STORE}", "currency": "USD",
                           "data_group_id": GROUP}
    assert me["offline_profile"]["timeout_s"] == 5
    assert me["offline_profile"]["upload_batch_size"] == 100
    assert me["receipt"] == {"header": "Kassa Market", "footer": "Thank you!", "line_width": 42}


def test_sign_in_checks_the_password_hash(store: StoreServer) -> None:
    ok = store.client.post("/api/sign-in", json={"operator_id": "1003", "password": PASSWORD},
                           headers=store.auth())
    assert ok.status_code == 200
    assert ok.json() == {"operator_id": "1003", "name": "Demo Cashier", "role": "cashier"}
    for body in ({"operator_id": "1003", "password": "wrong"},
                 {"operator_id": "9999", "password": PASSWORD}):
        assert_error(store.client.post("/api/sign-in", json=body, headers=store.auth()), 401,
                     "auth.bad_credentials")
    assert_error(store.client.post("/api/sign-in", json={"operator_id": "1003"},
                                   headers=store.auth()), 422, "request.invalid")
    assert_error(store.client.post("/api/sign-in", content=b"{not json",
                                   headers={**store.auth(), "Content-Type": "application/json"}),
                 422, "request.invalid")


def test_parameters_tax_groups_and_customers(store: StoreServer) -> None:
    params = store.client.get("/api/parameters", headers=store.auth())
    assert params.json() == {"allow_offline_gift_card_conclusion": False,
                             "receipt_line_width": 42}
    taxes = store.client.get("/api/tax-groups", headers=store.auth())
    assert taxes.json() == {"items": [{"id": "food", "name": "Food", "rate_bp": 0},
                                      {"id": "standard", "name": "Standard", "rate_bp": 625}]}
    by_id = store.client.get("/api/customers/1", headers=store.auth()).json()
    by_card = store.client.get("/api/customers/by-card/400000000017", headers=store.auth())
    assert by_card.json() == by_id
    assert by_id["loyalty_card"] == "400000000017" and by_id["age"] == "45-54"


def test_openapi_documents_the_store_api(store: StoreServer) -> None:
    doc = store.client.get("/openapi.json").json()
    for path in ("/api/health", "/api/activate", "/api/me", "/api/sign-in",
                 "/api/products/{product_id}", "/api/products/by-barcode/{code}",
                 "/api/products/search", "/api/parameters", "/api/tax-groups",
                 "/api/transactions", "/api/uploads", "/api/packages",
                 "/api/packages/{number}/body", "/api/status", "/api/hq/transactions"):
        assert path in doc["paths"], path


def test_packages_activation_and_bodies_without_hq(store: StoreServer) -> None:
    # a store server that has kept no offline package yet offers none
    listing = store.client.get("/api/packages", headers=store.auth())
    assert listing.status_code == 200 and listing.json() == {"packages": []}
    assert_error(store.client.get("/api/packages/1/body", params={"kind": "snapshot"},
                                  headers=store.auth()), 404, "package.unknown")
    assert_error(store.client.get("/api/packages/1/body", params={"kind": "full"},
                                  headers=store.auth()), 422, "request.invalid")
    assert_error(store.client.get("/api/packages", params={"after": -1}, headers=store.auth()),
                 422, "request.invalid")
    # without HQ, activation cannot be relayed: a clear 503, not a crash
    assert_error(store.client.post("/api/activate", json={"code": "ABCD-EFGH-JKLM"}), 503,
                 "hq.not_configured")
    assert_error(store.client.post("/api/activate", json={"code": "x"}), 422, "request.invalid")
