"""Catalogue lookups on the channel DB: products, prices, tax groups, customers (issue 4 §1).

Product answer (``GET /api/products/…``; money in integer cents, ``price_cents`` None when
the product has no price; a product whose tax group is missing gets rate 0 and its group id
as name, as the register's offline source does)::

    {"id", "name", "barcode", "price_cents", "tax_group_id", "tax_group_name",
     "tax_rate_bp", "department", "brand", "category", "product_type", "package_size",
     "unit_of_measure"}

Name search (:func:`search_products`): the words of ``q`` each matched as a prefix, all
required, best match first — SQLite FTS5 ``products_fts`` ranked by bm25, PostgreSQL
full-text on the GIN index ``ix_products_name_fts`` ranked by ``ts_rank``, more than
:data:`RANK_CAP` matches in id order — as :mod:`kassa.db.product_search` describes; the
register's offline DB runs the same search, so online and offline answers agree.

Lookups by id and barcode are primary-key / unique-index reads (``uq_products_barcode``).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Connection, Select, bindparam, func, select

from kassa.db import channel_schema as cs
from kassa.db import product_search
from kassa.db.product_search import MAX_WORD as MAX_WORD  # re-exported: the search's rules
from kassa.db.product_search import MAX_WORDS as MAX_WORDS
from kassa.db.product_search import RANK_CAP as RANK_CAP
from kassa.db.product_search import search_words as search_words
from kassa.domain.errors import InvalidInput, NotFound

_PRODUCTS = cs.metadata.tables["products"]
_PRICES = cs.metadata.tables["prices"]
_TAX = cs.metadata.tables["tax_groups"]
_CUSTOMERS = cs.metadata.tables["customers"]

#: Largest ``limit`` of a search.
MAX_LIMIT: Final = 100

_p = _PRODUCTS.c
_PRODUCT_COLUMNS = (
    _p.id, _p.name, _p.barcode, _PRICES.c.price_cents, _p.tax_group_id,
    func.coalesce(_TAX.c.name, _p.tax_group_id).label("tax_group_name"),
    func.coalesce(_TAX.c.rate_bp, 0).label("tax_rate_bp"), _p.department,
    _p.brand, _p.category, _p.product_type, _p.package_size, _p.unit_of_measure,
)


def _product_select() -> Select[Any]:
    return select(*_PRODUCT_COLUMNS).select_from(
        _PRODUCTS.outerjoin(_PRICES, _PRICES.c.product_id == _p.id).outerjoin(
            _TAX, _TAX.c.id == _p.tax_group_id
        )
    )


def _answer(rec: Any) -> dict[str, Any]:
    out = dict(rec._mapping)
    out["id"] = int(out["id"])
    return out


#: Built once: a statement built per call costs more than the lookup itself (SQLAlchemy
#: builds its cache key again for every new statement object; issue 7).
_BY_ID = _product_select().where(_p.id == bindparam("product_id"))
_BY_BARCODE = _product_select().where(_p.barcode == bindparam("barcode"))


def product_by_id(conn: Connection, product_id: int) -> dict[str, Any]:
    """One product by its id. Raises NotFound ``product.not_found``."""
    rec = conn.execute(_BY_ID, {"product_id": product_id}).first()
    if rec is None:
        raise NotFound(f"no product {product_id}", code="product.not_found",
                       details={"product_id": product_id})
    return _answer(rec)


def product_by_barcode(conn: Connection, barcode: str) -> dict[str, Any]:
    """One product by its barcode (digits as scanned). Raises NotFound ``product.not_found``."""
    code = barcode.strip()
    rec = conn.execute(_BY_BARCODE, {"barcode": code}).first()
    if rec is None:
        raise NotFound(f"no product with barcode {code}", code="product.not_found",
                       details={"barcode": code})
    return _answer(rec)


def search_products(conn: Connection, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """Products whose name holds every word of ``q`` (as a prefix), best first.

    Ranking needs a score for every match, so it is done only when at most
    :data:`RANK_CAP` products match; a broader search (``"c"``, ``"private"``) returns the
    first matches in id order instead — the cashier narrows it by typing on, and no search
    costs more than a bounded amount of work.

    Args:
        q: what the cashier typed.
        limit: 1…:data:`MAX_LIMIT`.

    Raises:
        InvalidInput: ``search.empty``, ``search.limit``.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1..{MAX_LIMIT}", code="search.limit")
    found = product_search.hits(conn, q, limit)
    stmt = _product_select().join(found, found.c.id == _p.id).order_by(found.c.score, _p.id)
    return [_answer(r) for r in conn.execute(stmt)]


def tax_groups(conn: Connection) -> list[dict[str, Any]]:
    """Every tax group: ``[{"id", "name", "rate_bp"}]`` by id."""
    t = _TAX.c
    return [dict(r._mapping) for r in conn.execute(select(t.id, t.name, t.rate_bp).order_by(t.id))]


_CUSTOMER_COLUMNS = [c for c in _CUSTOMERS.c if c.name != "version"]


def customer_by_id(conn: Connection, customer_id: int) -> dict[str, Any]:
    """A customer (household) by id: every column but ``version``.

    Raises:
        NotFound: ``customer.not_found``.
    """
    rec = conn.execute(
        select(*_CUSTOMER_COLUMNS).where(_CUSTOMERS.c.id == customer_id)
    ).first()
    if rec is None:
        raise NotFound(f"no customer {customer_id}", code="customer.not_found")
    return dict(rec._mapping)


def customer_by_card(conn: Connection, loyalty_card: str) -> dict[str, Any]:
    """A customer by loyalty card number. Raises NotFound ``customer.not_found``."""
    card = loyalty_card.strip()
    rec = conn.execute(
        select(*_CUSTOMER_COLUMNS).where(_CUSTOMERS.c.loyalty_card == card)
    ).first()
    if rec is None:
        raise NotFound(f"no customer with loyalty card {card}", code="customer.not_found")
    return dict(rec._mapping)
