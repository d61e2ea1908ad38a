"""While Redis is out of reach, Django's cache reads as empty and pages are served.

The production cache backend (website.cache.RedisCache) is pointed at a Redis
server of the test's own, which is stopped and started again. Wagtail reads and
writes the cache while serving a page, so with Django's own backend each of these
pages would be a 500 (bench/faults.py found it).
"""

from __future__ import annotations

import socket
import time
from http import HTTPStatus

import pytest
import redis
from django.core.cache import cache
from wagtail.models import Site
from wagtail.models.sites import (
    SITE_ROOT_PATHS_CACHE_KEY,
    SITE_ROOT_PATHS_CACHE_VERSION,
)

from tests.factories import StandardPageFactory
from website import cache as site_cache
from website import embedded


@pytest.fixture
def redis_server(settings, tmp_path_factory):
    """The site's cache on a Redis server this test can stop."""
    base = tmp_path_factory.mktemp("cache-down")
    server = embedded.EmbeddedRedis(base)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "website.cache.RedisCache",
            "LOCATION": embedded.redis_url(0, base),
        }
    }
    try:
        yield server
    finally:
        server.stop()


def site_root_paths_cached() -> bool:
    return (
        cache.get(SITE_ROOT_PATHS_CACHE_KEY, version=SITE_ROOT_PATHS_CACHE_VERSION)
        is not None
    )


@pytest.mark.django_db
def test_pages_are_served_while_redis_is_stopped(client, site, redis_server):
    page = StandardPageFactory(parent=site, title="About the programme")
    assert client.get(page.url).status_code == HTTPStatus.OK
    assert site_root_paths_cached()  # Wagtail used the cache to serve it

    redis_server.stop()

    for url in ("/", page.url):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
    assert "About the programme" in response.content.decode()

    redis_server.start()
    Site.clear_site_root_paths_cache()
    assert client.get(page.url).status_code == HTTPStatus.OK
    assert site_root_paths_cached()  # filled again once Redis is back


def test_reads_miss_and_writes_are_dropped_but_deletes_and_counters_raise(
    redis_server,
):
    cache.set("kept", "before the outage")
    redis_server.stop()

    assert cache.get("kept") is None
    assert cache.get("kept", "a default") == "a default"
    assert cache.get_many(["kept"]) == {}
    assert cache.has_key("kept") is False
    cache.set("kept", "during the outage")  # dropped, not raised
    cache.set_many({"kept": "during the outage"})
    # A purge, a lock or a counter must not pretend to have worked.
    for call in (
        lambda: cache.delete("kept"),
        lambda: cache.add("lock", 1),
        lambda: cache.incr("kept"),
    ):
        with pytest.raises(redis.ConnectionError):
            call()

    redis_server.start()
    assert (
        cache.get("kept") == "before the outage"
    )  # Redis kept it; nothing was written


def test_a_redis_that_does_not_answer_is_a_miss_within_the_timeout(settings):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    port = silent.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "website.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }
    try:
        started = time.monotonic()
        assert cache.get("anything", "missed") == "missed"
        waited = time.monotonic() - started
    finally:
        silent.close()

    assert site_cache.TIMEOUT_SECONDS <= waited < site_cache.TIMEOUT_SECONDS + 2


def test_one_redis_client_serves_every_operation(redis_server):
    """Django's backend builds a client per operation; ours keeps one per pool,
    and it reconnects by itself after an outage."""
    backend = cache._cache
    assert backend.get_client(write=True) is backend.get_client(write=False)
    cache.set("kept", 1)
    redis_server.stop()
    assert cache.get("kept") is None
    redis_server.start()
    cache.set("kept", 2)
    assert cache.get("kept") == 2
