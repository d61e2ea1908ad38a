"""The search page and the suggestions endpoint."""

from http import HTTPStatus

import pytest
from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from search import analytics
from search.models import SearchQuery

pytestmark = pytest.mark.django_db


def test_search_page_lists_hits_with_snippets_and_facets(client, content):
    response = client.get("/search/", {"q": "sleep"})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Safe sleep for babies" in html
    assert "<mark>" in html
    assert 'name="theme"' in html and "Safe sleep (1)" in html
    assert '<meta name="robots" content="noindex">' in html


def test_filters_give_shareable_urls_and_a_way_back(client, content):
    response = client.get("/search/", {"q": "sleep", "audience": "health-visitors"})
    page = response.context["search"]
    assert [h.title for h in page.results.hits] == ["Safe sleep for babies"]
    (active,) = page.active_filters
    assert active["label"] == "Health visitors"
    assert active["remove_url"] == "?q=sleep"


def test_browsing_by_filter_without_words(client, content):
    response = client.get("/search/", {"type": "qi-pack"})
    assert [h.title for h in response.context["search"].results.hits] == [
        "Learning from child suicide"
    ]


def test_empty_state_is_helpful(client, content):
    response = client.get("/search/", {"q": "xylophone"})
    html = response.content.decode()
    assert "No results for “xylophone”" in html
    assert "check the spelling" in html


def test_pagination(client, content, settings):
    settings.SEARCH_PAGE_SIZE = 1
    first = client.get("/search/", {"audience": "schools"}).context["search"]
    assert first.results.pages == 2
    assert first.next_url == "?audience=schools&page=2"
    second = client.get("/search/", {"audience": "schools", "page": 2})
    assert second.context["search"].previous_url == "?audience=schools"
    assert second.context["search"].first_number == 2


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 10_000},
        {"q": "& | ! <-> :*"},
        {"q": '"unbalanced'},
        {"q": "'; DROP TABLE search_searchentry; --"},
        {"q": "<script>alert(1)</script>"},
        {"q": "sleep", "page": "5000"},
        {"q": "sleep", "theme": "no-such-theme"},
        {"q": "-"},
    ],
)
def test_hostile_queries_get_a_page_not_an_error(client, content, params):
    response = client.get("/search/", params)
    assert response.status_code == HTTPStatus.OK
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"q": "sleep", "year": "abc"},
        {"q": "sleep", "page": "-1"},
        {"q": "sleep", "theme": "<script>"},
        {"q": "a\x00b"},
    ],
)
def test_malformed_filters_get_a_400_with_the_reason(client, content, params):
    response = client.get("/search/", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "There is a problem with this search" in response.content.decode()


def test_a_long_query_is_shortened_and_says_so(client, content):
    response = client.get("/search/", {"q": "sleep " * 100})
    assert "shortened" in response.content.decode()


def test_suggestions_json(client, content):
    response = client.get("/search/suggest/", {"q": "safe"})
    assert response.status_code == HTTPStatus.OK
    assert response.json()["suggestions"][0] == {
        "title": "Safe sleep for babies",
        "url": content.message.url,
    }
    assert client.get("/search/suggest/", {"q": "\x00" * 500}).json() == {
        "suggestions": []
    }
    assert client.post("/search/suggest/", {"q": "safe"}).status_code == 405


def test_queries_are_counted_without_personal_data(client, content, counters):
    client.get("/search/", {"q": "Safe  Sleep"})
    client.get("/search/", {"q": "safe sleep"})
    client.get("/search/", {"q": "jane.doe@example.org"})
    client.get("/search/", {"q": "943 476 5919"})
    response = client.get("/search/", {"q": "nothing matches this"})
    assert "X-Search-Hits" not in response  # read and taken off on the server
    client.get("/search/", {"q": "safe sleep", "page": 2})  # not a new search
    assert not SearchQuery.objects.exists()  # counted in Redis until flushed
    analytics.flush()
    rows = {q.query: (q.count, q.hits) for q in SearchQuery.objects.all()}
    assert rows["safe sleep"][0] == 2
    assert rows["nothing matches this"] == (1, 0)
    assert not any("@" in q or "943" in q for q in rows)


def test_editors_picks_come_first(client, content):
    query = Query.objects.create(query_string="sleep")
    SearchPromotion.objects.create(
        query=query, page=content.pack, description="Start here.", sort_order=0
    )
    html = client.get("/search/", {"q": "Sleep "}).content.decode()
    assert html.index("Start here.") < html.index("Safe sleep for babies")
    # Searching writes no promotion records of its own.
    client.get("/search/", {"q": "something else"})
    assert Query.objects.count() == 1


def test_query_count_is_bounded(client, content, django_assert_max_num_queries):
    client.get("/search/", {"q": "warm up"})  # site settings made once
    # Few hits: the search, then the wider (prefix) search, each parsing,
    # counting, ranking, filling past the strong matches and fetching snippets
    # (about five statements), "did you mean", labels, picks, the count, the
    # page's chrome. A constant: nothing here grows with the number of hits.
    with django_assert_max_num_queries(24):
        client.get("/search/", {"q": "sleep", "theme": "safe-sleep"})
    with django_assert_max_num_queries(13):
        client.get("/search/", {"q": "", "audience": "schools"})
