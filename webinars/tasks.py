"""Thin Celery tasks for webinars: ids in, call a service (``webinars.reminders``).

Which queue each runs on, and when beat runs it, is in ``website/celery.py``.
Every one is safe to run twice: the services send each email once.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task


def _moment(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@shared_task(name="webinars.send_reminders", ignore_result=True)
def send_webinar_reminders_task(now: str | None = None) -> None:
    """Every few minutes: the day-before and hour-before reminders now due.

    ``now`` (ISO date and time) is for tests and catching up; beat passes nothing.
    """
    from . import reminders

    reminders.send_webinar_reminders(_moment(now))


@shared_task(name="webinars.announce_changes", ignore_result=True)
def announce_changes_task(page_id: int) -> None:
    """After a publication: tell registrants of a new time or a cancellation."""
    from . import reminders

    reminders.announce_changes(page_id)


@shared_task(name="webinars.send_recording_available", ignore_result=True)
def send_recording_available_task(page_id: int) -> None:
    """After a publication: if the webinar is over and has a recording, say so."""
    from . import reminders

    reminders.send_recording_available(page_id)


@shared_task(name="webinars.catch_up", ignore_result=True)
def catch_up_task(now: str | None = None) -> None:
    """Hourly: recordings added and webinars ended since the last run, and any
    change whose announcement after publication was lost."""
    from . import reminders

    reminders.catch_up(_moment(now))


@shared_task(name="webinars.fill_places", ignore_result=True)
def fill_places_task(page_id: int) -> None:
    """After a publication: places added (capacity raised) go to the waiting list."""
    from . import registration
    from .models import WebinarPage

    webinar = WebinarPage.objects.filter(pk=page_id).first()
    if webinar is not None:
        registration.fill_places(webinar)


@shared_task(name="webinars.delete_unconfirmed_topics", ignore_result=True)
def delete_unconfirmed_topics_task() -> None:
    """Nightly: forget proposals and supports nobody confirmed within 7 days."""
    from .proposals import delete_unconfirmed

    delete_unconfirmed()
