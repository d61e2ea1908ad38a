"""Thin Celery tasks for the impact report (the schedule is in website/celery.py)."""

import datetime

from celery import shared_task

from . import pageviews, services


@shared_task(
    name="impact.flush_page_views",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def flush_page_views_task() -> int:
    """Every five minutes: move page-view counters from Redis into the table."""
    return pageviews.flush().views


@shared_task(name="impact.send_quarterly_summary", ignore_result=True)
def send_quarterly_summary_task(today: str | None = None) -> int:
    """First day of each quarter: email staff the last quarter's headline figures.

    ``today`` (an ISO date) stands in for today's date, for a rerun or a test.
    """
    day = datetime.date.fromisoformat(today) if today else None
    return services.send_quarterly_summary(day)
