"""The search engine in use: Elasticsearch when ``ELASTICSEARCH_URL`` is set,
otherwise PostgreSQL. Views call ``get_engine()`` and never know which."""

from __future__ import annotations

import functools

from django.conf import settings

from .base import Filters, Results, SearchEngine, clean_query  # noqa: F401


@functools.cache
def _engine(url: str) -> SearchEngine:
    if url:
        from .elasticsearch import ElasticsearchEngine

        return ElasticsearchEngine(url)
    from .postgres import PostgresEngine

    return PostgresEngine()


def get_engine() -> SearchEngine:
    return _engine(getattr(settings, "ELASTICSEARCH_URL", "") or "")
