"""A search's results are kept in the cache until any entry changes
(search/engines/__init__.py, website/generations.py)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search import indexing
from tests.factories.learning import SafetyMessagePageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def results_cache_on(settings):
    settings.SEARCH_RESULTS_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _titles(client, **params) -> list[str]:
    response = client.get("/search/", params)
    assert response.status_code == 200
    return [hit.title for hit in response.context["search"].results.hits]


def _engine_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get("/search/", params)
    return sum("search_searchmatch" in q["sql"] for q in captured.captured_queries)


def test_the_same_search_again_asks_the_engine_nothing(
    client, content, results_cache_on
):
    assert _engine_queries(client, q="sleep") > 0
    assert _engine_queries(client, q="sleep") == 0
    # Another filter, page or query is a search of its own.
    assert _engine_queries(client, q="sleep", audience="schools") > 0
    assert _engine_queries(client, q="suicide") > 0
    assert _titles(client, q="sleep", audience="health-visitors") == [
        "Safe sleep for babies"
    ]


def test_every_search_is_still_counted_for_editors(
    client, content, results_cache_on, counters
):
    from search import analytics
    from search.models import SearchQuery

    client.get("/search/", {"q": "sleep"})
    client.get("/search/", {"q": "sleep"})
    analytics.flush()
    assert SearchQuery.objects.get(query="sleep").count == 2


def test_a_new_page_is_found_as_soon_as_it_is_indexed(
    client, content, results_cache_on, django_capture_on_commit_callbacks
):
    assert "Sleep and swaddling" not in _titles(client, q="sleep")
    page = SafetyMessagePageFactory(
        parent=content.message.get_parent(),
        title="Sleep and swaddling",
        summary="Swaddled babies sleep on their back.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        indexing.sync_page(page.pk)  # what the worker runs after a publish
    assert "Sleep and swaddling" in _titles(client, q="sleep")


def test_a_removed_page_is_gone_as_soon_as_it_is_forgotten(
    client, content, results_cache_on, django_capture_on_commit_callbacks
):
    assert "Safe sleep for babies" in _titles(client, q="sleep")
    with django_capture_on_commit_callbacks(execute=True):
        content.message.unpublish()
        indexing.sync_page(content.message.pk)
    assert "Safe sleep for babies" not in _titles(client, q="sleep")


def test_turned_off_every_search_asks_the_engine(client, content, settings):
    settings.SEARCH_RESULTS_CACHE_SECONDS = 0
    assert _engine_queries(client, q="sleep") > 0
    assert _engine_queries(client, q="sleep") > 0


def test_an_unreachable_cache_still_searches(
    client, content, settings, unreachable_cache
):
    settings.SEARCH_RESULTS_CACHE_SECONDS = 300
    assert _titles(client, q="sleep")[0] == "Safe sleep for babies"
