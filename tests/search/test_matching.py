"""What makes search fast: the narrow match rows a trigger keeps, phrases as
word pairs, ranking a bounded set, and common words counted ahead."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.engines import Filters
from search.engines.postgres import MAX_RANKED, PostgresEngine
from search.engines.tsquery import with_pairs, with_prefixes
from search.indexing import count_common_terms
from search.models import (
    FacetCombination,
    IndexVersion,
    SearchEntry,
    SearchMatch,
    SearchRank,
    TermCounts,
)
from tests.factories import StandardPageFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("parsed", "expected"),
    [
        ("'safe' <-> 'sleep'", "'safe sleep'"),
        (
            "'safe' <-> 'sleep' <-> 'babi'",
            "( 'safe sleep' & 'sleep babi' & ( 'safe' <-> 'sleep' <-> 'babi' ) )",
        ),
        ("'cot' & !( 'bed' <-> 'share' )", "'cot' & ! ( 'bed share' )"),
        # Next to a group or a gap the positions matter: left as they are.
        ("( 'a' | 'b' ) <-> 'c'", "( 'a' | 'b' ) <-> 'c'"),
        ("'a' <2> 'b' <-> 'c'", "'a' <2> 'b' <-> 'c'"),
        ("!'a' <-> 'b'", "! 'a' <-> 'b'"),
        ("'o''neil' <-> 'review'", "'o''neil review'"),
        ("'safe' & 'sleep'", "'safe' & 'sleep'"),
        ("", ""),
    ],
)
def test_phrases_become_pair_lexemes(parsed, expected):
    assert with_pairs(parsed) == expected


def test_prefixes_apply_to_plain_words_only():
    assert with_prefixes("'safe' <-> 'sleep' & !'cot'") == (
        "'safe':* <-> 'sleep':* & ! 'cot':*"
    )
    assert with_prefixes("not a tsquery ]") == "not a tsquery ]"


def _entry(page, *, title, summary="", body="", date=None, themes=(), audiences=()):
    return SearchEntry.objects.create(
        page=page,
        title=title,
        summary=summary,
        body=body,
        type="standard",
        type_label="Page",
        themes=list(themes),
        audiences=list(audiences),
        date=date or dt.date(2026, 1, 1),
        url=f"/p/{page.pk}/",
    )


@pytest.fixture
def pages(site):
    return [StandardPageFactory(parent=site, title=f"Page {n}") for n in range(6)]


def test_the_trigger_keeps_match_and_rank_rows_with_the_entry(pages):
    entry = _entry(
        pages[0],
        title="Safe sleep",
        body="Room sharing helps.",
        themes=["sleep", "babies", "sleep"],
        audiences=["midwives"],
    )
    match = SearchMatch.objects.get(page=entry)
    rank = SearchRank.objects.get(page=entry)
    combination = match.facets
    assert (combination.type, combination.themes, combination.audiences) == (
        "standard",
        ["babies", "sleep"],  # sorted, once each
        ["midwives"],
    )
    assert combination.year == 2026 and rank.facets_id == combination.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT vector @@ %s::tsquery, vector @@ %s::tsquery, "
            "rank_vector @@ %s::tsquery FROM search_searchmatch m "
            "JOIN search_searchrank r USING (page_id) WHERE page_id = %s",
            ["'room share'", "'share room'", "'room'", entry.pk],
        )
        assert cursor.fetchone() == (True, False, False)

    entry.themes = ["babies"]
    entry.date = dt.date(2025, 6, 1)
    entry.save()
    match.refresh_from_db()
    assert match.facets.themes == ["babies"] and match.facets.year == 2025
    assert match.date == dt.date(2025, 6, 1)

    # The same combination is stored once.
    _entry(
        pages[1],
        title="Other",
        themes=["babies"],
        audiences=["midwives"],
        date=dt.date(2025, 2, 2),
    )
    assert FacetCombination.objects.filter(themes=["babies"], year=2025).count() == 1
    assert SearchMatch.objects.get(page_id=pages[1].pk).facets == match.facets

    entry.delete()
    assert not SearchMatch.objects.filter(page_id=pages[0].pk).exists()
    assert not SearchRank.objects.filter(page_id=pages[0].pk).exists()


@pytest.mark.django_db(transaction=True)
def test_every_change_raises_the_index_version(pages):
    """Once per transaction: each of these commits on its own."""
    _entry(pages[0], title="One")
    first = IndexVersion.objects.get(pk=1).version
    _entry(pages[1], title="Two")
    second = IndexVersion.objects.get(pk=1).version
    SearchEntry.objects.filter(page=pages[1]).delete()
    assert first < second < IndexVersion.objects.get(pk=1).version


def test_phrases_match_adjacent_words_only(pages):
    _entry(pages[0], title="Advice", body="Put the baby in a clear cot to sleep.")
    _entry(pages[1], title="Other advice", body="A cot that is clear of pillows.")
    engine = PostgresEngine()
    hits = engine.search('"clear cot"', Filters())
    assert [h.title for h in hits.hits] == ["Advice"] and hits.total == 1
    assert engine.search('"cot clear"', Filters()).total == 0
    three = engine.search('"clear cot to sleep"', Filters())
    assert three.total == 1  # "to" is a stop word: a gap the phrase keeps
    assert engine.search('"baby clear cot"', Filters()).total == 0


def test_a_negated_word_in_the_body_excludes_a_title_match(pages):
    _entry(pages[0], title="Sleep safely", body="Never on a sofa.")
    _entry(pages[1], title="Sleep positions", body="On the back.")
    results = PostgresEngine().search("sleep -sofa", Filters())
    assert [h.title for h in results.hits] == ["Sleep positions"]
    assert results.total == 1


def test_strong_matches_first_then_the_rest_newest_first_across_pages(pages):
    _entry(pages[0], title="Cot safety", date=dt.date(2020, 1, 1))
    _entry(pages[1], title="Other", body="cot", date=dt.date(2026, 3, 1))
    _entry(pages[2], title="Another", body="cot", date=dt.date(2025, 3, 1))
    _entry(pages[3], title="Cots", summary="cot", date=dt.date(2024, 1, 1))
    _entry(pages[4], title="Unrelated", body="nothing here")
    engine = PostgresEngine()
    everything = engine.search("cot", Filters(), page_size=10)
    assert [h.title for h in everything.hits] == [
        "Cots",
        "Cot safety",
        "Other",
        "Another",
    ]
    paged = [
        h.title
        for page in (1, 2, 3)
        for h in engine.search("cot", Filters(), page=page, page_size=2).hits
    ]
    assert paged == [h.title for h in everything.hits]


def test_only_the_newest_strong_matches_are_scored(pages, monkeypatch):
    monkeypatch.setattr("search.engines.postgres.MAX_RANKED", 2)
    # Older but better: the word twice in the title and in the summary.
    _entry(pages[0], title="Cot cot", summary="cot", date=dt.date(2020, 1, 1))
    _entry(pages[1], title="A cot", date=dt.date(2026, 1, 1))
    _entry(pages[2], title="The cot", date=dt.date(2025, 1, 1))
    results = PostgresEngine().search("cot", Filters())
    assert results.total == 3
    # The best of the newest two first; the oldest is not among those scored.
    assert [h.title for h in results.hits][:2] == ["A cot", "The cot"]
    assert MAX_RANKED == 1000  # the search page offers 100 pages of 10


def _facets(results):
    return {
        name: {v.value: v.count for v in values}
        for name, values in results.facets.items()
    }


def test_common_words_counted_ahead_give_the_same_results_until_a_change(pages):
    for n, page in enumerate(pages[:5]):
        _entry(
            page,
            title=f"Sleep note {n}",
            body="advice" if n % 2 else "sleep advice",
            themes=["cars"] if n % 2 else ["sleep"],
            audiences=["midwives", "gps"][: 1 + n % 2],
            date=dt.date(2022 + n, 1, 1),
        )
    report = count_common_terms(share=0.5, min_entries=0)
    assert report["terms"] >= 2
    assert TermCounts.objects.filter(lexeme="sleep").exists()
    assert TermCounts.objects.filter(lexeme="sleep advic").exists()  # a pair
    ahead, live = PostgresEngine(), PostgresEngine()
    live.use_term_counts = False
    for query, filters in [
        ("sleep", Filters()),
        ("sleep", Filters(theme="sleep")),
        ('"sleep advice"', Filters(audience="gps")),
        ("advice", Filters(year=2023)),
    ]:
        a, b = ahead.search(query, filters), live.search(query, filters)
        assert (a.total, _facets(a), [h.page_id for h in a.hits]) == (
            b.total,
            _facets(b),
            [h.page_id for h in b.hits],
        )
    # Nothing changed: a second run keeps the counts.
    assert count_common_terms(share=0.5, min_entries=0)["terms"] is None

    # Stale counts are never used: a new entry is counted at once.
    _entry(pages[5], title="Sleep again", date=dt.date(2026, 5, 5))
    assert ahead.search("sleep", Filters()).total == 6


def test_counts_ahead_are_read_instead_of_counting(pages):
    for page in pages[:3]:
        _entry(page, title="Sleep", themes=["sleep"])
    count_common_terms(share=0.5, min_entries=0)
    engine = PostgresEngine()

    def counted_live(query):
        with CaptureQueriesContext(connection) as queries:
            results = engine.search(query, Filters())
        grouped = [q for q in queries if "GROUP BY" in q["sql"]]
        return results.total, bool(grouped)

    assert counted_live("sleep") == (3, False)
    engine.use_term_counts = False
    assert counted_live("sleep") == (3, True)


def test_a_small_index_counts_nothing_ahead(pages):
    _entry(pages[0], title="Sleep")
    assert count_common_terms(share=0.5)["terms"] == 0
    assert not TermCounts.objects.exists()
