"""The search engine in use: Elasticsearch when ``ELASTICSEARCH_URL`` is set,
otherwise PostgreSQL. Views call ``get_engine()`` and never know which."""

from __future__ import annotations

import functools
import hashlib
import json

from django.conf import settings
from django.db import transaction

from website.generations import Generation, remember

from .base import PAGE_SIZE, Filters, Results, SearchEngine, clean_query  # noqa: F401

# Results kept until the index changes (search.indexing retires them).
RESULTS = Generation("searchresults")


@functools.cache
def _engine(url: str) -> SearchEngine:
    if url:
        from .elasticsearch import ElasticsearchEngine

        return ElasticsearchEngine(url)
    from .postgres import PostgresEngine

    return PostgresEngine()


def get_engine() -> SearchEngine:
    return _engine(getattr(settings, "ELASTICSEARCH_URL", "") or "")


def search(
    query: str, filters: Filters, page: int = 1, page_size: int = PAGE_SIZE
) -> Results:
    """The engine's results, kept in the cache for SEARCH_RESULTS_CACHE_SECONDS
    or until any entry changes, whichever comes first."""
    engine = get_engine()
    key = hashlib.sha256(
        json.dumps([engine.name, query, filters.as_dict(), page, page_size]).encode()
    ).hexdigest()
    return remember(
        RESULTS,
        key,
        settings.SEARCH_RESULTS_CACHE_SECONDS,
        lambda: engine.search(query, filters, page=page, page_size=page_size),
    )


def forget_results() -> None:
    """Retire every kept result once the transaction commits (an entry changed),
    and the search pages the page cache keeps."""
    RESULTS.retire()
    forget_search_pages()


def forget_search_pages() -> None:
    """Purge every cached search page (any query) once the transaction commits."""
    from django.urls import reverse

    from website import page_cache

    transaction.on_commit(
        lambda: page_cache.purge_paths([reverse("search")]), robust=True
    )
