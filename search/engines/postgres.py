"""The default engine: PostgreSQL full text search over ``SearchEntry``.

- ``websearch_to_tsquery`` in the ``cdr`` configuration (English stems, accents
  removed): quotes make phrases, ``or`` and ``-word`` work, and no input can be
  a syntax error.
- Matching uses the whole ``vector`` (GIN index); ranking uses ``rank_vector``
  (title and summary only), so a common word's thousands of matches are ranked
  without reading their bodies. A match in the title outranks one in the
  summary, which outranks one only in the body; newer pages get a boost.
- Facet counts come from one statement: each facet counted with every other
  filter applied (so the options of a chosen facet stay visible with counts).
- Snippets are ``ts_headline`` over the first part of the body, escaped here,
  with ``<mark>`` around the matched words.
- "Did you mean" replaces each query word that matches no known word with the
  most similar known word (pg_trgm), when there are few hits.
"""

from __future__ import annotations

import re
from html import escape

from django.db import connection

from ..models import CONFIG
from .base import (
    FACETS,
    PAGE_SIZE,
    FacetValue,
    Filters,
    Hit,
    Results,
    SearchEngine,
    Suggestion,
    clean_query,
)

HEADLINE_CHARS = 20_000
FEW_HITS = 3
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
START, STOP = "\x02", "\x03"
HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=15, "
    "MaxFragments=2, FragmentDelimiter=\x04"
)


def _filter_sql(filters: Filters, skip: str = "") -> tuple[str, list]:
    clauses, params = [], []
    if filters.type and skip != "type":
        clauses.append("e.type = %s")
        params.append(filters.type)
    if filters.theme and skip != "theme":
        clauses.append("e.themes @> ARRAY[%s]::varchar[]")
        params.append(filters.theme)
    if filters.audience and skip != "audience":
        clauses.append("e.audiences @> ARRAY[%s]::varchar[]")
        params.append(filters.audience)
    if filters.year and skip != "year":
        clauses.append("e.date >= make_date(%s, 1, 1) AND e.date < make_date(%s, 1, 1)")
        params.extend([filters.year, filters.year + 1])
    return "".join(f" AND {c}" for c in clauses), params


def _tsquery(prefix: bool) -> str:
    """SQL for the query (one parameter). With ``prefix`` every stemmed word
    also matches longer words that start with it ("safe" finds "safer")."""
    strict = f"websearch_to_tsquery('{CONFIG}', %s)"
    if not prefix:
        return strict
    # 'safe' & 'sleep' -> 'safe':* & 'sleep':* (quotes inside a lexeme are doubled).
    pattern = "'''((?:[^'']|'''''')+)'''"
    return f"regexp_replace({strict}::text, {pattern}, '''\\1'':*', 'g')::tsquery"


def _match_sql(query: str, prefix: bool = False) -> tuple[str, list]:
    if not query:
        return "TRUE", []
    return f"e.vector @@ {_tsquery(prefix)}", [query]


FACET_SQL = {
    "type": ("e.type", ""),
    "theme": ("t.v", ", unnest(e.themes) AS t(v)"),
    "audience": ("a.v", ", unnest(e.audiences) AS a(v)"),
    "year": ("extract(year FROM e.date)::int::text", ""),
}


def _facets(rows: list[dict]) -> dict[str, list[FacetValue]]:
    facets: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    for row in rows:
        facets[row["f"]].append(FacetValue(value=row["v"], count=row["c"]))
    for name, values in facets.items():
        if name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        else:
            values.sort(key=lambda v: (-v.count, v.value))
    return facets


def snippet_html(headline: str) -> str:
    """A ts_headline result as safe HTML: escaped, matches in <mark>."""
    text = escape(headline.replace("\x04", " … "))
    return text.replace(START, "<mark>").replace(STOP, "</mark>")


class PostgresEngine(SearchEngine):
    name = "postgres"

    def search(
        self, query: str, filters: Filters, page: int = 1, page_size: int = PAGE_SIZE
    ) -> Results:
        results = self._search(query, filters, page, page_size, prefix=False)
        if query and results.total < FEW_HITS:
            # Few exact matches: let words match longer words too ("safe sleep"
            # finds "safer sleep"), and keep that if it finds more.
            wider = self._search(
                query, filters, page, page_size, prefix=True, suggest=False
            )
            if wider.total > results.total:
                wider.suggestion = results.suggestion
                return wider
        return results

    def _search(
        self,
        query: str,
        filters: Filters,
        page: int,
        page_size: int,
        *,
        prefix: bool,
        suggest: bool = True,
    ) -> Results:
        match, match_params = _match_sql(query, prefix)
        offset = (max(1, page) - 1) * page_size
        if query:
            rank = (
                f"(ts_rank_cd(e.rank_vector, {_tsquery(prefix)}, 32)"
                " + 0.05) / (1 + greatest(current_date - e.date, 0) / 730.0)"
            )
            rank_params = [query]
        else:
            rank, rank_params = "0.0", []
        # One pass over the matches (the GIN index is read once): the total, the
        # page of hits and every facet are all worked out from ``m``.
        where, where_params = _filter_sql(filters)
        facet_sql, facet_params = [], []
        for name in FACETS:
            expression, join = FACET_SQL[name]
            facet_where, params = _filter_sql(filters, skip=name)
            facet_sql.append(
                f"SELECT '{name}' AS f, {expression} AS v, count(*) AS c "  # noqa: S608
                f"FROM m e{join} WHERE TRUE{facet_where} GROUP BY 2"
            )
            facet_params.extend(params)
        sql = f"""
            WITH m AS MATERIALIZED (
                SELECT e.page_id, e.type, e.themes, e.audiences, e.date,
                    {rank} AS rank
                FROM search_searchentry e WHERE {match}
            )
            SELECT
                (SELECT count(*) FROM m e WHERE TRUE{where}),
                (SELECT array_agg(page_id) FROM (
                    SELECT e.page_id FROM m e WHERE TRUE{where}
                    ORDER BY e.rank DESC, e.date DESC, e.page_id
                    LIMIT %s OFFSET %s) AS hits),
                (SELECT json_agg(x) FROM ({" UNION ALL ".join(facet_sql)}) AS x)
        """  # noqa: S608 - fixed fragments; every value is a parameter
        params = [
            *rank_params,
            *match_params,
            *where_params,
            *where_params,
            page_size,
            offset,
            *facet_params,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            total, page_ids, facet_rows = cursor.fetchone()
            rows = self._hits(cursor, query, page_ids or [], prefix)
            suggestion = ""
            if suggest and query and total < FEW_HITS:
                suggestion = self._did_you_mean(cursor, query)
        return Results(
            query=query,
            filters=filters,
            hits=rows,
            total=total,
            page=page,
            page_size=page_size,
            facets=_facets(facet_rows or []),
            suggestion=suggestion,
        )

    @staticmethod
    def _hits(cursor, query: str, page_ids: list[int], prefix: bool) -> list[Hit]:
        """The hits' details and snippets, in the order found."""
        if not page_ids:
            return []
        headline = (
            f"ts_headline('{CONFIG}', e.summary || ' ' || "
            f"left(e.body || ' ' || e.documents, %s), {_tsquery(prefix)}, %s)"
            if query
            else "NULL"
        )
        cursor.execute(
            f"""
            SELECT e.page_id, e.title, e.type, e.type_label, e.summary, e.url,
                e.date, {headline}
            FROM search_searchentry e WHERE e.page_id = ANY(%s)
            """,  # noqa: S608 - fixed fragments; values are parameters
            [HEADLINE_CHARS, query, HEADLINE_OPTIONS, page_ids]
            if query
            else [page_ids],
        )
        found = {row[0]: row for row in cursor.fetchall()}
        return [
            Hit(
                page_id=row[0],
                title=row[1],
                type=row[2],
                type_label=row[3],
                summary=row[4],
                url=row[5],
                date=row[6],
                snippet_html=snippet_html(row[7]) if row[7] else escape(row[4]),
            )
            for row in (found.get(pk) for pk in page_ids)
            if row is not None
        ]

    @staticmethod
    def _did_you_mean(cursor, query: str) -> str:
        words = _WORD.findall(query.lower())
        if not words:
            return ""
        cursor.execute(
            """
            SELECT q.w, (
                SELECT s.word FROM search_searchword s
                WHERE s.word %% q.w
                ORDER BY similarity(s.word, q.w) DESC, s.entries DESC, s.word
                LIMIT 1
            ), EXISTS (SELECT 1 FROM search_searchword s WHERE s.word = q.w)
            FROM unnest(%s::text[]) AS q(w)
            """,
            [words],
        )
        replacements = {
            word: best
            for word, best, known in cursor.fetchall()
            if best and not known and best != word
        }
        if not replacements:
            return ""
        return " ".join(replacements.get(part.lower(), part) for part in query.split())

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        prefix = clean_query(prefix)[:100]
        if len(prefix) < 2:
            return []
        escaped = prefix.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT title, url FROM search_searchentry
                WHERE title ILIKE %s OR title %% %s
                ORDER BY (title ILIKE %s) DESC, similarity(title, %s) DESC, date DESC
                LIMIT %s
                """,
                [f"%{escaped}%", prefix, f"{escaped}%", prefix, limit],
            )
            return [Suggestion(title=t, url=u) for t, u in cursor.fetchall()]
