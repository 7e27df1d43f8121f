"""Catalogue lookups on the channel DB: products, prices, tax groups, customers (issue 4 §1).

Product answer (``GET /api/products/…``; money in integer cents, ``price_cents`` None when
the product has no price; a product whose tax group is missing gets rate 0 and its group id
as name, as the register's offline source does)::

    {"id", "name", "barcode", "price_cents", "tax_group_id", "tax_group_name",
     "tax_rate_bp", "department", "brand", "category", "product_type", "package_size",
     "unit_of_measure"}

Name search (:func:`search_products`): the words of ``q`` (letters and digits, at most
:data:`MAX_WORDS`), each matched as a prefix, all required, best match first:

* SQLite: FTS5 external-content table ``products_fts`` (channel migration 0002), ranked by
  bm25 (``ORDER BY rank``);
* PostgreSQL: ``to_tsvector('simple', name) @@ to_tsquery('simple', 'w1:* & w2:*')`` on the
  GIN index ``ix_products_name_fts``, ranked by ``ts_rank``;
* more than :data:`RANK_CAP` matches: the first ones by id, unranked (bounded cost).

Lookups by id and barcode are primary-key / unique-index reads (``uq_products_barcode``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from sqlalchemy import BigInteger, Connection, Float, Select, column, func, select, text

from kassa.db import channel_schema as cs
from kassa.domain.errors import InvalidInput, NotFound

_PRODUCTS = cs.metadata.tables["products"]
_PRICES = cs.metadata.tables["prices"]
_TAX = cs.metadata.tables["tax_groups"]
_CUSTOMERS = cs.metadata.tables["customers"]

#: Most words of a search taken into account; longer words are cut to :data:`MAX_WORD`.
MAX_WORDS: Final = 8
MAX_WORD: Final = 40
#: Largest ``limit`` of a search.
MAX_LIMIT: Final = 100
#: Most matches a search ranks (see :func:`search_products`).
RANK_CAP: Final = 2000
_WORD = re.compile(r"\w+", re.UNICODE)

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


def product_by_id(conn: Connection, product_id: int) -> dict[str, Any]:
    """One product by its id. Raises NotFound ``product.not_found``."""
    rec = conn.execute(_product_select().where(_p.id == product_id)).first()
    if rec is None:
        raise NotFound(f"no product {product_id}", code="product.not_found",
                       details={"product_id": product_id})
    return _answer(rec)


def product_by_barcode(conn: Connection, barcode: str) -> dict[str, Any]:
    """One product by its barcode (digits as scanned). Raises NotFound ``product.not_found``."""
    code = barcode.strip()
    rec = conn.execute(_product_select().where(_p.barcode == code)).first()
    if rec is None:
        raise NotFound(f"no product with barcode {code}", code="product.not_found",
                       details={"barcode": code})
    return _answer(rec)


def search_words(q: str) -> list[str]:
    """The words a search uses: lower case, letters/digits only, at most :data:`MAX_WORDS`.

    Raises:
        InvalidInput: ``search.empty`` when ``q`` has no letter or digit.
    """
    words = [w[:MAX_WORD] for w in _WORD.findall(q.lower())][:MAX_WORDS]
    if not words:
        raise InvalidInput("type at least one letter or digit to search", code="search.empty")
    return words


#: SQL per dialect: (count matches up to :cap, ranked hits, unranked hits). Every statement
#: yields ``id`` and ``score`` (lower = better) for :func:`search_products`.
_SEARCH_SQL: Final[dict[str, tuple[str, str, str]]] = {
    "sqlite": (
        "SELECT count(*) FROM (SELECT 1 FROM products_fts WHERE products_fts MATCH :match "
        "LIMIT :cap)",
        "SELECT rowid AS id, rank AS score FROM products_fts "
        "WHERE products_fts MATCH :match ORDER BY rank LIMIT :limit",
        "SELECT rowid AS id, rowid AS score FROM products_fts "
        "WHERE products_fts MATCH :match ORDER BY rowid LIMIT :limit",
    ),
    "postgresql": (
        "SELECT count(*) FROM (SELECT 1 FROM products "
        "WHERE to_tsvector('simple', name) @@ to_tsquery('simple', :match) LIMIT :cap) m",
        "SELECT id, -ts_rank(to_tsvector('simple', name), to_tsquery('simple', :match)) "
        "AS score FROM products "
        "WHERE to_tsvector('simple', name) @@ to_tsquery('simple', :match) "
        "ORDER BY score, id LIMIT :limit",
        "SELECT id, id AS score FROM products "
        "WHERE to_tsvector('simple', name) @@ to_tsquery('simple', :match) "
        "ORDER BY id LIMIT :limit",
    ),
}


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
    words = search_words(q)
    if conn.dialect.name == "sqlite":
        match = " AND ".join(f'"{w}"*' for w in words)
    else:
        match = " & ".join(f"{w}:*" for w in words)
    count_sql, ranked_sql, unranked_sql = _SEARCH_SQL[conn.dialect.name]
    matches = conn.execute(text(count_sql), {"match": match, "cap": RANK_CAP + 1}).scalar_one()
    hits = (
        text(ranked_sql if matches <= RANK_CAP else unranked_sql)
        .bindparams(match=match, limit=limit)
        .columns(column("id", BigInteger), column("score", Float))
        .subquery("hits")
    )
    stmt = _product_select().join(hits, hits.c.id == _p.id).order_by(hits.c.score, _p.id)
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
