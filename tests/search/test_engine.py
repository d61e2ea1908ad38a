"""The PostgreSQL engine: matching, ranking, facets, snippets, suggestions."""

import pytest

from search.engines import Filters, clean_query, get_engine
from search.engines.postgres import PostgresEngine, snippet_html
from search.models import SearchEntry

pytestmark = pytest.mark.django_db


def titles(results):
    return [hit.title for hit in results.hits]


def test_the_default_engine_is_postgres(settings):
    settings.ELASTICSEARCH_URL = ""
    assert isinstance(get_engine(), PostgresEngine)


def test_title_match_outranks_a_passing_mention(content):
    results = get_engine().search("safe sleep", Filters())
    assert titles(results)[0] == "Safe sleep for babies"
    assert "November bulletin" not in titles(results)[:1]


def test_stemming_and_accents(content):
    assert titles(get_engine().search("sleeping babies", Filters()))[0] == (
        "Safe sleep for babies"
    )
    assert "Safe sleep for babies" in titles(get_engine().search("bábies", Filters()))


def test_web_search_syntax(content):
    engine = get_engine()
    assert titles(engine.search('"clear cot"', Filters())) == ["Safe sleep for babies"]
    assert titles(engine.search('"cot clear"', Filters())) == []
    either = titles(engine.search("cot OR suicide", Filters()))
    assert set(either) == {"Safe sleep for babies", "Learning from child suicide"}
    assert "November bulletin" not in titles(engine.search("sleep -panels", Filters()))


def test_recommendations_and_body_fields_are_searched(content):
    assert titles(get_engine().search("pathways", Filters())) == [
        "Learning from child suicide"
    ]
    # A key message is body text of a safety message.
    assert titles(get_engine().search("flat", Filters())) == ["Safe sleep for babies"]


def test_prefix_fallback_finds_longer_words_when_few_match(content):
    # No page says "safer"; "safe" finds "Safe sleep" exactly; "saf" finds it by prefix.
    assert titles(get_engine().search("saf slee", Filters()))[0] == (
        "Safe sleep for babies"
    )


def test_facets_count_with_the_other_filters_applied(content):
    results = get_engine().search("", Filters(audience="schools"))
    assert set(titles(results)) == {"November bulletin", "Learning from child suicide"}
    facets = {
        name: {v.value: v.count for v in vs} for name, vs in results.facets.items()
    }
    # The chosen facet keeps its other options (counted without it) ...
    assert facets["audience"] == {"schools": 2, "health-visitors": 1}
    # ... and every other facet is counted within it.
    assert facets["theme"] == {"suicide-self-harm": 1}
    assert facets["type"] == {"bulletin": 1, "qi-pack": 1}

    narrowed = get_engine().search("", Filters(audience="schools", type="qi-pack"))
    assert titles(narrowed) == ["Learning from child suicide"]
    assert narrowed.total == 1


def test_a_combination_first_seen_after_counting_began_is_counted(content):
    """Each process keeps a matrix of the facet combinations it has seen; a page
    with a new combination adds a row, and a filter on a value no page has yet
    counts nothing (rather than failing)."""
    from search import indexing
    from tests.factories import ThemeFactory

    engine = get_engine()
    assert engine.search("sleep", Filters(theme="water-safety")).total == 0
    water = ThemeFactory(name="Water safety", slug="water-safety")
    content.message.themes.add(water)
    content.message.save_revision().publish()
    indexing.sync_page(content.message.pk)

    results = engine.search("sleep", Filters(theme="water-safety"))
    assert titles(results) == ["Safe sleep for babies"]
    themes = {v.value: v.count for v in results.facets["theme"]}
    # Counted without its own filter: every theme of a "sleep" match shows.
    assert themes["water-safety"] == 1 and themes["safe-sleep"] == 1
    assert engine.search("sleep", Filters(theme="no-such-theme")).total == 0


def test_filters_by_theme_and_year(content):
    content.message.refresh_from_db()
    year = content.message.first_published_at.year
    results = get_engine().search("sleep", Filters(theme="safe-sleep", year=year))
    assert titles(results) == ["Safe sleep for babies"]
    assert get_engine().search("sleep", Filters(year=year - 5)).total == 0


def test_snippets_are_escaped_and_marked():
    assert snippet_html("<b>\x02sleep\x03</b> & more") == (
        "&lt;b&gt;<mark>sleep</mark>&lt;/b&gt; &amp; more"
    )


def test_snippet_from_the_body(content):
    hit = get_engine().search("flat", Filters()).hits[0]
    assert "<mark>flat</mark>" in hit.snippet_html


def test_did_you_mean_suggests_a_known_word(content):
    SearchEntry.objects.filter(page=content.pack).update(
        title="Sudden unexpected death in infancy and childhood (SUDIC)"
    )
    from search.indexing import _add_words

    _add_words({"sudic"})
    results = get_engine().search("sudc", Filters())
    assert results.suggestion == "sudic"


def test_suggest_titles(content):
    found = get_engine().suggest("safe sl")
    assert found[0].title == "Safe sleep for babies"
    assert found[0].url == content.message.url
    assert get_engine().suggest("s") == []


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_000,
        "& | ! <-> :*",
        '"unbalanced',
        "'; DROP TABLE search_searchentry; --",
        "<script>alert(1)</script>",
        "sleep\x00sleep",
        "-",
        "or or or",
        "(((",
        "\\",
        "%_%",
    ],
)
def test_hostile_queries_return_results_not_errors(content, query):
    results = get_engine().search(clean_query(query), Filters())
    assert results.total >= 0
    assert get_engine().suggest(query) is not None
    assert SearchEntry.objects.count() == 3
