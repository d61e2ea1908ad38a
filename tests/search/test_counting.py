"""Searches are counted in Redis as they are answered, from the page cache too,
and moved into the editors' table exactly once (search.analytics); a cached
search page is purged when the index or an editor's pick changes."""

import datetime

import pytest
from django.utils import timezone
from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from search import analytics, engines
from search.models import SearchCountBatch, SearchQuery
from website.celery import app

pytestmark = pytest.mark.django_db


def _rows() -> dict:
    return {q.query: (q.count, q.hits) for q in SearchQuery.objects.all()}


def test_a_search_from_the_page_cache_is_counted(
    client, content, page_cache_on, counters
):
    first = client.get("/search/", {"q": "sleep"})
    assert first["X-Cache"] == "miss"
    hits = first.context["search"].results.total
    response = client.get("/search/", {"q": "sleep"})
    assert response["X-Cache"] == "hit"
    assert "X-Search-Hits" not in response
    assert analytics.flush().searches == 2
    assert _rows() == {"sleep": (2, hits)}


def test_counts_are_added_once_however_often_flushed(content, counters):
    analytics.record("Water  Safety", 4)
    analytics.record("water safety", 3)
    assert analytics.flush().searches == 2
    assert analytics.flush().searches == 0
    assert _rows() == {"water safety": (2, 3)}  # the latest number of results
    analytics.record("water safety", 5)
    analytics.flush()
    assert _rows() == {"water safety": (3, 5)}


def test_a_batch_a_killed_flush_left_is_added_by_the_next(content, counters):
    analytics.record("car seats", 1)
    key = analytics.day_key(timezone.localdate())
    left = f"{analytics.BATCH_PREFIX}{timezone.localdate().isoformat()}:dead"
    counters.rename(key, left)  # renamed, then the run died
    assert analytics.flush().searches == 1
    assert _rows() == {"car seats": (1, 1)}
    # Added and recorded, then the run died before deleting it: only deleted.
    analytics.record("car seats", 1)
    counters.rename(key, left.replace("dead", "dead2"))
    SearchCountBatch.objects.create(key=left.replace("dead", "dead2"))
    result = analytics.flush()
    assert (result.batches, result.repeats) == (0, 1)
    assert _rows() == {"car seats": (1, 1)}
    assert counters.keys("search:*") == []


def test_a_hostile_query_is_counted_cleaned_or_not_at_all(client, content, counters):
    client.get("/search/", {"q": "sleep\x07 <script>alert(1)</script>"})
    client.get("/search/", {"q": "x" * 5000})
    client.get("/search/", {"q": "AB1 2CD"})  # a postcode: personal
    analytics.flush()
    queries = set(_rows())
    assert "sleep <script>alert(1)</script>" in queries
    assert all(len(q) <= analytics.MAX_STORED for q in queries)
    assert not any("ab1" in q for q in queries)


def test_an_unreachable_redis_answers_the_search_uncounted(
    client, content, monkeypatch
):
    import redis

    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(analytics, "redis_client", lambda: dead)
    response = client.get("/search/", {"q": "sleep"})
    assert response.status_code == 200
    assert "Safe sleep for babies" in response.content.decode()


def test_a_changed_index_purges_cached_searches(
    client, content, page_cache_on, django_capture_on_commit_callbacks
):
    client.get("/search/", {"q": "sleep"})
    assert client.get("/search/", {"q": "sleep"})["X-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        engines.forget_results()
    assert client.get("/search/", {"q": "sleep"})["X-Cache"] == "miss"


def test_a_new_pick_purges_cached_searches(
    client, content, page_cache_on, django_capture_on_commit_callbacks
):
    client.get("/search/", {"q": "sleep"})
    assert client.get("/search/", {"q": "sleep"})["X-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        SearchPromotion.objects.create(
            query=Query.objects.create(query_string="sleep"),
            page=content.pack,
            description="Start here.",
            sort_order=0,
        )
    response = client.get("/search/", {"q": "sleep"})
    assert response["X-Cache"] == "miss"
    assert "Start here." in response.content.decode()


def test_counts_are_flushed_every_five_minutes_on_the_periodic_queue():
    entry = app.conf.beat_schedule["search-flush-queries"]
    assert entry["task"] == "search.flush_queries"
    assert entry["schedule"] == 300.0
    assert entry["options"]["queue"] == "periodic"


def test_the_ledger_is_kept_a_week(content, counters):
    old = SearchCountBatch.objects.create(key="search:queries:batch:old")
    SearchCountBatch.objects.filter(pk=old.pk).update(
        added_at=timezone.now() - datetime.timedelta(days=8)
    )
    recent = SearchCountBatch.objects.create(key="search:queries:batch:recent")
    analytics.flush()
    assert list(SearchCountBatch.objects.values_list("pk", flat=True)) == [recent.pk]
