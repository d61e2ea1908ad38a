"""Search index tasks: ids in, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="search.sync_page", ignore_result=True)
def sync_page_task(page_id: int, with_descendants: bool = False) -> dict:
    from .indexing import sync_page

    return sync_page(page_id, with_descendants=with_descendants)


@shared_task(name="search.sync_document", ignore_result=True)
def sync_document_task(document_id: int) -> int:
    from .indexing import pages_using_document, sync_page

    pages = pages_using_document(document_id)
    for page_id in pages:
        sync_page(page_id)
    return len(pages)


@shared_task(name="search.reconcile", ignore_result=True)
def reconcile_search_task() -> dict:
    from .indexing import reconcile

    report = reconcile()
    logger.info("Search reconcile: checked %s, fixed %s", report.checked, report.fixed)
    return {"checked": report.checked, "fixed": report.fixed}


@shared_task(name="search.count_common_terms", ignore_result=True)
def count_common_terms_task(**options) -> dict:
    from .indexing import count_common_terms

    return count_common_terms(**options)


@shared_task(
    name="search.flush_queries",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def flush_queries_task() -> int:
    """Every five minutes: move search counts from Redis into the table."""
    from .analytics import flush

    return flush().searches
