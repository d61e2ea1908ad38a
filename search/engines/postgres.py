"""The default engine: PostgreSQL full text search over the index tables.

- ``websearch_to_tsquery`` in the ``cdr`` configuration (English stems, accents
  removed): quotes make phrases, ``or`` and ``-word`` work, and no input can be
  a syntax error. Phrases of plain words match through the pair lexemes the
  index stores (``search/engines/tsquery.py``).
- Counting reads only the narrow ``SearchMatch`` rows (the GIN index answers
  without reading a vector), grouped by facet combination; the combinations
  become the total and the facets here (array operations over ``_Incidence``),
  each facet counted with every other filter applied (so the options of a
  chosen facet stay visible with counts).
  A single common word uses counts taken ahead at the current index version.
- Ranking: matches in the title or summary first, scored on ``rank_vector``
  (title over summary, newer pages boosted), only the newest ``MAX_RANKED`` of
  them; then the others, newest first.
- Snippets are ``ts_headline`` over the first part of the body, escaped here,
  with ``<mark>`` around the matched words.
- "Did you mean" replaces each query word that matches no known word with the
  most similar known word (pg_trgm), when there are few hits.
"""

from __future__ import annotations

import re
import threading
from html import escape
from typing import NamedTuple

import numpy as np
from django.db import connection, transaction

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
from .tsquery import with_pairs, with_prefixes

HEADLINE_CHARS = 20_000
FEW_HITS = 3
MAX_RANKED = 1000  # the search page offers 100 pages of 10
WALK_SHARE = 0.6  # of entries: a query matching more walks the date index
BITMAP_FIRST = 20_000  # matches: up to this many, sort them rather than walk dates
_SINGLE_LEXEME = re.compile(r"'(?:[^'\\]|''|\\.)+'")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
START, STOP = "\x02", "\x03"
HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=15, "
    "MaxFragments=2, FragmentDelimiter=\x04"
)


class _Incidence(NamedTuple):
    """Every facet combination this process has seen, as a matrix: a row per
    combination, a column per (facet, value), 1 where the combination has it.

    Expanding a search's matches per combination (10,000 and more of them at
    100,000 entries) into facet counts is then a few array operations instead
    of a Python loop over every combination, which cost 15-30 ms a search.
    """

    row_of: np.ndarray  # combination id -> its row, -1 if not seen
    matrix: np.ndarray  # rows x columns, int64 0 or 1
    columns: list[tuple[str, str]]
    column_of: dict[tuple[str, str], int]
    by_facet: dict[str, np.ndarray]  # a facet's column numbers


def _build(combinations: dict[int, tuple]) -> _Incidence:
    columns: list[tuple[str, str]] = []
    column_of: dict[tuple[str, str], int] = {}
    cells: list[tuple[int, int]] = []
    ids = sorted(combinations)
    for row, pk in enumerate(ids):
        kind, themes, audiences, year = combinations[pk]
        pairs = [
            ("type", kind),
            *(("theme", t) for t in themes),
            *(("audience", a) for a in audiences),
            ("year", str(year)),
        ]
        for pair in pairs:
            column = column_of.get(pair)
            if column is None:
                column = column_of[pair] = len(columns)
                columns.append(pair)
            cells.append((row, column))
    matrix = np.zeros((len(ids), len(columns)), dtype=np.int64)
    if cells:
        at = np.array(cells)
        matrix[at[:, 0], at[:, 1]] = 1
    row_of = np.full((max(ids) + 1) if ids else 0, -1, dtype=np.int64)
    row_of[ids] = np.arange(len(ids))
    by_facet = {
        name: np.array([n for n, (f, _) in enumerate(columns) if f == name], dtype=int)
        for name in FACETS
    }
    return _Incidence(row_of, matrix, columns, column_of, by_facet)


# Combinations never change once written (a new one gets a new id), so each
# process keeps those it has seen, and swaps in a new matrix when it meets more.
_COMBINATIONS: dict[int, tuple] = {}
_INCIDENCE = _build({})
_LOADING = threading.Lock()


def _incidence(cursor, ids: np.ndarray) -> _Incidence:
    """The matrix, with a row for each of ``ids`` (read from the database if new)."""
    global _INCIDENCE
    incidence = _INCIDENCE
    if not ids.size or (
        ids.max() < incidence.row_of.size and (incidence.row_of[ids] >= 0).all()
    ):
        return incidence
    with _LOADING:  # threads of one worker build it once
        known = max(_COMBINATIONS, default=0)
        missing = [int(pk) for pk in ids if pk < known and pk not in _COMBINATIONS]
        # All of them the first time (one read of a small table), then only new
        # ones.
        cursor.execute(
            "SELECT id, type, themes, audiences, year FROM search_facetcombination"
            " WHERE id > %s OR id = ANY(%s)",
            [known, missing],
        )
        for pk, kind, themes, audiences, year in cursor.fetchall():
            _COMBINATIONS[pk] = (kind, tuple(themes), tuple(audiences), year)
        _INCIDENCE = _build(_COMBINATIONS)
        return _INCIDENCE


def _match(parsed: str) -> tuple[str, list]:
    if not parsed:
        return "TRUE", []
    return "m.vector @@ %s::tsquery", [with_pairs(parsed)]


class Counted(NamedTuple):
    """Matches per facet combination: two parallel arrays."""

    ids: np.ndarray
    counts: np.ndarray


class Tally(NamedTuple):
    total: int
    facets: dict[str, list[FacetValue]]
    passing: list[int]  # combinations with matches that pass every filter


def _count(counted: Counted, filters: Filters, incidence: _Incidence) -> Tally:
    """The total with every filter, and each facet counted with every filter
    but its own (so a chosen facet's other options keep their counts)."""
    ids, n = counted
    sub = incidence.matrix[incidence.row_of[ids]] if ids.size else None
    sums = np.zeros(len(incidence.columns), dtype=np.int64)
    passing: list[int] = []
    if sub is None:
        total = 0
    elif not any(filters.as_dict().values()):
        total = int(n.sum())
        sums = n @ sub
    else:
        everything = np.ones(len(ids), dtype=bool)

        def passes(facet: str, value) -> np.ndarray:
            if not value:
                return everything
            column = incidence.column_of.get((facet, str(value)))
            if column is None:
                return ~everything
            return sub[:, column].astype(bool)

        t = passes("type", filters.type)
        h = passes("theme", filters.theme)
        a = passes("audience", filters.audience)
        y = passes("year", filters.year)
        every = t & h & a & y
        total = int(n[every].sum())
        passing = ids[every].tolist()
        # Each facet with every filter but its own.
        for facet, others in (
            ("type", h & a & y),
            ("theme", t & a & y),
            ("audience", t & h & y),
            ("year", t & h & a),
        ):
            columns = incidence.by_facet[facet]
            sums[columns] = (n * others) @ sub[:, columns]
    grouped: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    for column in np.flatnonzero(sums):
        name, value = incidence.columns[column]
        grouped[name].append(FacetValue(value=value, count=int(sums[column])))
    for name, values in grouped.items():
        if name == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        else:
            values.sort(key=lambda v: (-v.count, v.value))
    return Tally(total, grouped, passing)


def snippet_html(headline: str) -> str:
    """A ts_headline result as safe HTML: escaped, matches in <mark>."""
    text = escape(headline.replace("\x04", " … "))
    return text.replace(START, "<mark>").replace(STOP, "</mark>")


class PostgresEngine(SearchEngine):
    name = "postgres"
    use_term_counts = True  # the bench turns it off to measure counting live

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
        offset = (max(1, page) - 1) * page_size
        with transaction.atomic(), connection.cursor() as cursor:
            # A word in most entries still reads the index, not every row:
            # the planner would otherwise scan the table and de-TOAST each
            # vector. The facet groups fit in memory.
            cursor.execute(
                "SELECT set_config('enable_seqscan', 'off', true), "
                "set_config('work_mem', '16MB', true), "
                "set_config('max_parallel_workers_per_gather', '0', true), "
                "websearch_to_tsquery(%s::regconfig, %s)::text, "
                "(SELECT reltuples FROM pg_class "
                "WHERE oid = 'search_searchrank'::regclass)",
                [CONFIG, query],
            )
            *_, parsed, entries = cursor.fetchone()
            parsed = parsed if query else ""
            if parsed and prefix:
                parsed = with_prefixes(parsed)
            combinations = (
                self._combinations(cursor, parsed)
                if parsed or not query
                else Counted(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
            )
            tally = _count(combinations, filters, _incidence(cursor, combinations.ids))
            total, facets = tally.total, tally.facets
            page_ids = (
                self._page(
                    cursor,
                    parsed,
                    total,
                    entries,
                    filters,
                    tally.passing,
                    offset,
                    page_size,
                )
                if total
                else []
            )
            rows = self._hits(cursor, parsed, page_ids)
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
            facets=facets,
            suggestion=suggestion,
        )

    def _combinations(self, cursor, parsed: str) -> Counted:
        """How many entries match, per facet combination.

        A single common word (or adjacent pair) whose counts were taken ahead
        at the index's current version reads them (``TermCounts``); anything
        else is one pass over the narrow match rows (the GIN index answers a
        plain query without reading any vector), grouped by a small integer.
        """
        match, params = _match(parsed)
        counts = None
        if self.use_term_counts and _SINGLE_LEXEME.fullmatch(
            params[0] if params else ""
        ):
            lexeme = params[0][1:-1].replace("''", "'").replace("\\\\", "\\")
            cursor.execute(
                "SELECT t.combinations, t.counts FROM search_termcounts t "
                "JOIN search_indexversion v ON v.id = 1 AND v.version = t.version "
                "WHERE t.lexeme = %s",
                [lexeme],
            )
            counts = cursor.fetchone()
        if counts is None:
            # Two arrays, not thousands of row tuples: less for the garbage
            # collector to chase.
            cursor.execute(
                "SELECT coalesce(array_agg(facets_id), '{}'), "  # noqa: S608
                "coalesce(array_agg(n), '{}') FROM ("
                f"SELECT m.facets_id, count(*) AS n FROM search_searchmatch m "
                f"WHERE {match} GROUP BY 1) AS c",
                params,
            )
            counts = cursor.fetchone()
        return Counted(
            np.array(counts[0], dtype=np.int64), np.array(counts[1], dtype=np.int64)
        )

    @staticmethod
    def _page(
        cursor,
        parsed: str,
        total: int,
        entries: float,
        filters: Filters,
        passing: list[int],
        offset: int,
        page_size: int,
    ) -> list[int]:
        """The page ids of one page of hits, best first.

        Strong matches (in the title or summary) come first, scored by
        ``ts_rank_cd`` on title and summary with a freshness boost; only the
        newest ``MAX_RANKED`` strong matches are scored (every match, for all
        but the commonest words). The rest follow newest first: with nothing
        in the title or summary to score, freshness alone orders them.
        """
        scope, scope_params = "", []
        if any(filters.as_dict().values()):
            scope = " AND m.facets_id = ANY(%s)"
            scope_params = [passing]
        strong_ids: list[int] = []
        if parsed:
            # With a negated word a title match may still be excluded by the
            # body: check the whole vector too (only for these candidates).
            also, match_also, also_params = "", "", []
            if "!" in parsed:
                also = "JOIN search_searchmatch m ON m.page_id = r.page_id"
                match_also, also_params = _match(parsed)
                match_also = f"AND {match_also}"
            # Most entries match: walk the date index until enough strong
            # matches are found (a few thousand rows at most). Otherwise go
            # through the index and sort: a walk would read every entry in turn
            # for a word in one title in twenty.
            walk = entries > 0 and total >= WALK_SHARE * entries
            strong = f"""
                SELECT r.page_id, r.date FROM search_searchrank r
                {also}
                WHERE r.rank_vector @@ %s::tsquery{scope.replace("m.", "r.")}
                    {match_also}
            """  # noqa: S608 - fixed fragments; values are parameters
            cursor.execute(
                f"""
                WITH strong AS {"NOT MATERIALIZED" if walk else "MATERIALIZED"}
                    ({strong}),
                newest AS (
                    SELECT s.page_id FROM strong s
                    ORDER BY s.date DESC, s.page_id LIMIT %s
                )
                SELECT r.page_id FROM newest n
                JOIN search_searchrank r ON r.page_id = n.page_id
                ORDER BY (ts_rank_cd(r.rank_vector, %s::tsquery, 32) + 0.05)
                    / (1 + greatest(current_date - r.date, 0) / 730.0) DESC,
                    r.date DESC, r.page_id
                """,  # noqa: S608 - fixed fragments; values are parameters
                [
                    with_pairs(parsed),
                    *scope_params,
                    *also_params,
                    MAX_RANKED,
                    parsed,
                ],
            )
            strong_ids = [row[0] for row in cursor.fetchall()]
        page_ids = strong_ids[offset : offset + page_size]
        if page_size in (len(page_ids), 0) or len(strong_ids) in (MAX_RANKED, total):
            return page_ids
        # The page reaches past the strong matches: the others, newest first.
        wanted = page_size - len(page_ids)
        skip = max(0, offset - len(strong_ids))
        match, params = _match(parsed)
        if total <= BITMAP_FIRST:
            # Read the matches through the index, then sort: the planner may
            # otherwise walk the date index checking each entry's vector,
            # which it does not know is stored out of line.
            found = "SELECT m.page_id, m.date, m.facets_id FROM search_searchmatch m"
            source = (
                f"(WITH found AS MATERIALIZED ({found} WHERE {match})"  # noqa: S608
                " SELECT * FROM found) AS m"
            )
            where = "TRUE"
        else:
            source, where = "search_searchmatch m", match
        cursor.execute(
            f"""
            SELECT m.page_id FROM {source}
            WHERE {where}{scope} AND NOT m.page_id = ANY(%s)
            ORDER BY m.date DESC, m.page_id LIMIT %s OFFSET %s
            """,  # noqa: S608 - fixed fragments; values are parameters
            [*params, *scope_params, strong_ids, wanted, skip],
        )
        return page_ids + [row[0] for row in cursor.fetchall()]

    @staticmethod
    def _hits(cursor, parsed: str, page_ids: list[int]) -> list[Hit]:
        """The hits' details and snippets, in the order found."""
        if not page_ids:
            return []
        headline = (
            f"ts_headline('{CONFIG}', e.summary || ' ' || "
            "left(e.body || ' ' || e.documents, %s), %s::tsquery, %s)"
            if parsed
            else "NULL"
        )
        cursor.execute(
            f"""
            SELECT e.page_id, e.title, e.type, e.type_label, e.summary, e.url,
                e.date, {headline}
            FROM search_searchentry e WHERE e.page_id = ANY(%s)
            """,  # noqa: S608 - fixed fragments; values are parameters
            [HEADLINE_CHARS, parsed, HEADLINE_OPTIONS, page_ids]
            if parsed
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
