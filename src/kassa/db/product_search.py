"""Product name search, shared by the store server's channel DB and the register's offline DB
(issue 4 §1; DESIGN §2: a cashier sees the same results online and offline).

The words of a search (:func:`search_words`: letters and digits, lower case, at most
:data:`MAX_WORDS`) are each matched as a **prefix** of a word of the product name, all
required, best match first:

* SQLite (channel DB and offline DB): the FTS5 external-content table ``products_fts(name)``
  over ``products`` (channel migrations 0002/0004, offline migration 0003: the same
  tokenizer, prefix indexes of 2…8 characters, kept in step by triggers and rebuilt after a
  snapshot by :mod:`kassa.sync.apply_ddl`), ranked by bm25 (``ORDER BY rank``). The two
  databases hold the same rows and the same index, so they give the same ids in the same
  order.
* PostgreSQL (channel DB only): ``to_tsvector('simple', name) @@ to_tsquery('simple',
  'w1:* & w2:*')`` on the GIN index ``ix_products_name_fts``, ranked by ``ts_rank``.
* More than :data:`RANK_CAP` matches: the first ``limit`` matches by id, unranked — ranking
  needs a score for every match, so a broad search (``"c"``, ``"national"``) would otherwise
  cost work in proportion to the catalogue; the cashier narrows it by typing on.

Cost: two statements — the matches are counted up to ``RANK_CAP + 1``, then the ranked (or
id-ordered) hits are read. On SQLite the count is cheap because every typed prefix of up to
8 characters has its own doclist in the prefix index (without it, FTS5 merges the doclists
of every term with the prefix in full, e.g. the ~78,000 entries of ``national`` for
``"nation"*``, in both statements). Measured and not adopted: one statement that ranks the
first ``RANK_CAP + 1`` matches (SQLite: bm25 of 2001 rows costs more than the count it
saves; PostgreSQL: a ``MATERIALIZED`` CTE of the matches made the planner scan instead of
walking the primary key for broad searches, p99 ×2).
"""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy import BigInteger, Connection, Float, Subquery, column, text

from kassa.domain.errors import InvalidInput

#: Most words of a search taken into account; longer words are cut to :data:`MAX_WORD`.
MAX_WORDS: Final = 8
MAX_WORD: Final = 40
#: Most matches a search ranks (module docstring).
RANK_CAP: Final = 2000
_WORD = re.compile(r"\w+", re.UNICODE)

#: SQL per dialect: (count matches up to :cap, ranked hits, unranked hits). Every statement
#: yields ``id`` and ``score`` (lower = better; 0 for all unranked hits, so id order).
_SQL: Final[dict[str, tuple[str, str, str]]] = {
    "sqlite": (
        "SELECT count(*) FROM (SELECT 1 FROM products_fts WHERE products_fts MATCH :match "
        "LIMIT :cap)",
        "SELECT rowid AS id, rank AS score FROM products_fts "
        "WHERE products_fts MATCH :match ORDER BY rank LIMIT :limit",
        "SELECT rowid AS id, 0.0 AS score FROM products_fts "
        "WHERE products_fts MATCH :match ORDER BY rowid LIMIT :limit",
    ),
    "postgresql": (
        "SELECT count(*) FROM (SELECT 1 FROM products "
        "WHERE to_tsvector('simple', name) @@ to_tsquery('simple', :match) LIMIT :cap) m",
        "SELECT id, -ts_rank(to_tsvector('simple', name), to_tsquery('simple', :match)) "
        "AS score FROM products "
        "WHERE to_tsvector('simple', name) @@ to_tsquery('simple', :match) "
        "ORDER BY score, id LIMIT :limit",
        "SELECT id, 0.0 AS score FROM products "
        "WHERE to_tsvector('simple', name) @@ to_tsquery('simple', :match) "
        "ORDER BY id LIMIT :limit",
    ),
}


def search_words(q: str) -> list[str]:
    """The words a search uses: lower case, letters/digits only, at most :data:`MAX_WORDS`,
    each cut to :data:`MAX_WORD` characters.

    Raises:
        InvalidInput: ``search.empty`` when ``q`` has no letter or digit.
    """
    words = [w[:MAX_WORD] for w in _WORD.findall(q.lower())][:MAX_WORDS]
    if not words:
        raise InvalidInput("type at least one letter or digit to search", code="search.empty")
    return words


def match_expression(words: list[str], dialect: str) -> str:
    """The full-text query of ``words``: FTS5 ``"w1"* AND "w2"*`` on SQLite, ``w1:* & w2:*``
    for PostgreSQL's ``to_tsquery`` (``words`` from :func:`search_words`: no quotes, no
    operators)."""
    if dialect == "sqlite":
        return " AND ".join(f'"{w}"*' for w in words)
    return " & ".join(f"{w}:*" for w in words)


def hits(conn: Connection, q: str, limit: int) -> Subquery:
    """The best ``limit`` matches of ``q`` as a subquery ``hits(id, score)``: join it to the
    product row and order by ``(score, id)`` (lower score = better match).

    Args:
        conn: a channel DB (SQLite or PostgreSQL) or an offline DB connection.
        q: what the cashier typed (:func:`search_words`).
        limit: most hits (the caller checks its range).

    Raises:
        InvalidInput: ``search.empty``.
    """
    dialect = conn.dialect.name
    match = match_expression(search_words(q), dialect)
    count_sql, ranked_sql, unranked_sql = _SQL[dialect]
    matches = conn.execute(text(count_sql), {"match": match, "cap": RANK_CAP + 1}).scalar_one()
    return (
        text(ranked_sql if matches <= RANK_CAP else unranked_sql)
        .bindparams(match=match, limit=limit)
        .columns(column("id", BigInteger), column("score", Float))
        .subquery("hits")
    )
