"""The register's one data-source interface and its value types (DESIGN §2, §3.1).

Two implementations answer the same questions with the same shapes: the store server over
HTTP (:class:`kassa.pos.store_source.StoreServerSource`) and the register's offline DB
(:class:`kassa.pos.offline_source.OfflineSource`); :class:`kassa.pos.connection.
SwitchingSource` chooses between them. Because both return the same values, a sale gives the
same totals online and offline for the same master data (DESIGN §2).

Shapes follow docs/API.md "Store server": money in integer cents, tax rates in basis points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from kassa.domain.errors import InvalidInput
from kassa.domain.operator import Role

#: Longest name-search answer (products).
MAX_SEARCH_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """A product as the register sees it (``GET /api/products/{id}``).

    ``price_cents`` is the shelf price per unit in integer cents, ``None`` when the product
    has no price (it cannot be sold). ``tax_rate_bp`` is the rate of ``tax_group_id`` in
    basis points (625 = 6.25 %).
    """

    id: int
    name: str
    barcode: str
    price_cents: int | None
    tax_group_id: str
    tax_rate_bp: int
    department: str | None = None
    brand: str | None = None
    category: str | None = None
    product_type: str | None = None
    package_size: str | None = None
    unit_of_measure: str = "each"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, the store server's product shape."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ProductInfo:
        """Parse the store server's product JSON.

        Raises:
            InvalidInput: code ``store.bad_answer`` for a missing or mistyped field.
        """
        try:
            price = data["price_cents"]
            return cls(
                id=int(data["id"]), name=str(data["name"]), barcode=str(data["barcode"]),
                price_cents=None if price is None else int(price),
                tax_group_id=str(data["tax_group_id"]), tax_rate_bp=int(data["tax_rate_bp"]),
                department=data.get("department"), brand=data.get("brand"),
                category=data.get("category"), product_type=data.get("product_type"),
                package_size=data.get("package_size"),
                unit_of_measure=str(data.get("unit_of_measure") or "each"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"the store server sent a bad product: {exc!r}",
                               code="store.bad_answer") from exc


@dataclass(frozen=True, slots=True)
class OperatorInfo:
    """An operator who signed in: id, display name and :class:`Role`."""

    operator_id: str
    name: str
    role: Role

    def to_dict(self) -> dict[str, Any]:
        """``{"operator_id", "name", "role"}``."""
        return {"operator_id": self.operator_id, "name": self.name, "role": self.role.value}


@dataclass(frozen=True, slots=True)
class TaxGroupInfo:
    """``{"id", "name", "rate_bp"}`` of ``GET /api/tax-groups``."""

    id: str
    name: str
    rate_bp: int


@dataclass(frozen=True, slots=True)
class CommitOutcome:
    """Where a finished transaction went and what the receiver said.

    ``where``: ``"store"`` (committed to the channel DB through the store server) or
    ``"offline"`` (committed to the offline DB with upload state ``pending``, DESIGN §5).
    ``result``: ``"committed"`` or ``"duplicate"`` (already there: the commit is idempotent).
    """

    where: Literal["store", "offline"]
    result: Literal["committed", "duplicate"]


class DataSource(Protocol):
    """What the POS engine asks of its data (store server or offline DB).

    Every method raises :class:`~kassa.domain.errors.NotFound` (``product.not_found``,
    ``customer.not_found``) for an unknown key and
    :class:`~kassa.domain.errors.NotAuthenticated` (``auth.bad_credentials``) for a wrong
    sign-in; the store server implementation also raises
    :class:`kassa.pos.store_http.StoreUnreachable` when the server cannot be reached (the
    switch decides what happens then).
    """

    def product(self, product_id: int) -> ProductInfo:
        """The product with dataset id ``product_id``."""
        ...

    def product_by_barcode(self, code: str) -> ProductInfo:
        """The product with barcode ``code`` (8-14 digits)."""
        ...

    def search(self, q: str, limit: int = 20) -> list[ProductInfo]:
        """Products whose name matches ``q`` (at most ``limit``, 1..100)."""
        ...

    def customer(self, customer_id: int) -> dict[str, Any]:
        """The customer (household) ``customer_id`` as a JSON dict."""
        ...

    def customer_by_card(self, loyalty_card: str) -> dict[str, Any]:
        """The customer whose loyalty card is ``loyalty_card``."""
        ...

    def parameters(self) -> dict[str, Any]:
        """Commerce parameters ``{key: JSON value}``."""
        ...

    def tax_groups(self) -> list[TaxGroupInfo]:
        """All tax groups."""
        ...

    def sign_in(self, operator_id: str, password: str) -> OperatorInfo:
        """Check an operator's password (argon2 hash) and return who signed in."""
        ...

    def commit(self, record: dict[str, Any]) -> CommitOutcome:
        """Commit a finished (completed or voided) transaction record, idempotent by id."""
        ...


def check_search(q: object, limit: object) -> tuple[str, int]:
    """Validate a name search: ``q`` 1..100 characters after stripping, ``limit`` 1..100.

    Raises:
        InvalidInput: code ``search.invalid``.
    """
    if not isinstance(q, str) or not q.strip() or len(q) > 100:
        raise InvalidInput("a search needs 1 to 100 characters", code="search.invalid")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise InvalidInput(f"limit must be 1..{MAX_SEARCH_LIMIT} (got {limit!r})",
                           code="search.invalid")
    return q.strip(), limit
