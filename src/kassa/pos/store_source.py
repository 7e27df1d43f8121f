"""The store server as a :class:`~kassa.pos.datasource.DataSource` (docs/API.md "Store server").

Every call is one logical request through :class:`~kassa.pos.store_http.StoreHttp` (deadline
``timeout_s`` per attempt, ``retry_count_to_offline`` retries). Failures that mean "the server
is gone" raise :class:`~kassa.pos.store_http.StoreUnreachable`; a 4xx raises the
:class:`~kassa.domain.errors.KassaError` the server described and never switches (DESIGN §3.1).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from kassa.domain.errors import InvalidInput
from kassa.domain.operator import Role
from kassa.pos.datasource import (
    CommitOutcome,
    OperatorInfo,
    ProductInfo,
    TaxGroupInfo,
    check_search,
)
from kassa.pos.store_http import StoreHttp


def _bad(what: str, body: object) -> InvalidInput:
    return InvalidInput(f"the store server sent a bad {what}: {str(body)[:200]}",
                        code="store.bad_answer")


class StoreServerSource:
    """Reads and commits through the store server (online mode).

    Args:
        http: the register's :class:`StoreHttp` (device token, request policy).
    """

    def __init__(self, http: StoreHttp) -> None:
        self.http = http

    def product(self, product_id: int) -> ProductInfo:
        """``GET /api/products/{id}``. Raises NotFound ``product.not_found`` (from the 404)."""
        return ProductInfo.from_dict(self.http.get_json(f"/api/products/{int(product_id)}"))

    def product_by_barcode(self, code: str) -> ProductInfo:
        """``GET /api/products/by-barcode/{code}``."""
        path = f"/api/products/by-barcode/{quote(code, safe='')}"
        return ProductInfo.from_dict(self.http.get_json(path))

    def search(self, q: str, limit: int = 20) -> list[ProductInfo]:
        """``GET /api/products/search?q=&limit=`` → up to ``limit`` products."""
        q, limit = check_search(q, limit)
        body = self.http.get_json("/api/products/search", params={"q": q, "limit": limit})
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise _bad("search answer", body)
        return [ProductInfo.from_dict(x) for x in items]

    def customer(self, customer_id: int) -> dict[str, Any]:
        """``GET /api/customers/{id}``."""
        body = self.http.get_json(f"/api/customers/{int(customer_id)}")
        if not isinstance(body, dict):
            raise _bad("customer", body)
        return body

    def customer_by_card(self, loyalty_card: str) -> dict[str, Any]:
        """``GET /api/customers/by-card/{card}``."""
        body = self.http.get_json(f"/api/customers/by-card/{quote(loyalty_card, safe='')}")
        if not isinstance(body, dict):
            raise _bad("customer", body)
        return body

    def parameters(self) -> dict[str, Any]:
        """``GET /api/parameters`` → ``{key: value}``."""
        body = self.http.get_json("/api/parameters")
        if not isinstance(body, dict):
            raise _bad("parameters answer", body)
        return body

    def tax_groups(self) -> list[TaxGroupInfo]:
        """``GET /api/tax-groups``."""
        body = self.http.get_json("/api/tax-groups")
        try:
            return [TaxGroupInfo(str(x["id"]), str(x["name"]), int(x["rate_bp"]))
                    for x in body["items"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise _bad("tax group list", body) from exc

    def sign_in(self, operator_id: str, password: str) -> OperatorInfo:
        """``POST /api/sign-in``; a wrong password is the server's 401 (NotAuthenticated)."""
        body = self.http.post_json(
            "/api/sign-in", {"operator_id": operator_id, "password": password}
        )
        try:
            return OperatorInfo(str(body["operator_id"]), str(body["name"]),
                                Role.parse(body["role"]))
        except (KeyError, TypeError) as exc:
            raise _bad("sign-in answer", body) from exc

    def commit(self, record: dict[str, Any]) -> CommitOutcome:
        """``POST /api/transactions`` (insert-or-ignore by id at the store, DESIGN §5).

        Retrying is safe: a second attempt after a lost answer returns ``"duplicate"``.
        """
        body = self.http.post_json("/api/transactions", record)
        result = body.get("result") if isinstance(body, dict) else None
        if result not in ("committed", "duplicate") or body.get("id") != record.get("id"):
            raise _bad("commit answer", body)
        return CommitOutcome("store", result)

    def me(self) -> dict[str, Any]:
        """``GET /api/me``: register, store, offline profile and receipt settings."""
        body = self.http.get_json("/api/me")
        if not isinstance(body, dict):
            raise _bad("register description", body)
        return body
