"""Signal receivers for webinars, connected in ``WebinarsConfig.ready()``.

Publishing a webinar queues, once the transaction commits, the announcement of
any change of time or cancellation, the "recording available" emails, and
places for the waiting list if the capacity went up (the tasks decide whether
there is anything to do).

The announcement bookkeeping on the webinar (``ics_sequence``,
``announced_*``) belongs to ``webinars.reminders``, which writes it with
``UPDATE``s. Wagtail stores every field in each revision and writes them all
back when a revision is published (or reverted to, or scheduled), so without
the guard below publishing a draft started before the last announcement would
put back an old sequence (calendars would then ignore updates) or an old
"last told" time (the change would never be announced). Page saves therefore
keep what the database holds, and a new page (a copy, say) starts afresh.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import pre_save
from wagtail.signals import page_published

from .models import WebinarPage

ANNOUNCEMENT_FIELDS = (
    "ics_sequence",
    "announced_starts_at",
    "announced_ends_at",
    "announced_cancelled",
)


def keep_announcement_state(sender, instance, raw=False, **kwargs) -> None:
    """A page save never changes what registrants were last told."""
    if raw:  # loading fixtures: take them as they are
        return
    current = (
        WebinarPage.objects.filter(pk=instance.pk).values(*ANNOUNCEMENT_FIELDS).first()
        if instance.pk
        else None
    )
    if current is None:
        current = {
            name: WebinarPage._meta.get_field(name).get_default()
            for name in ANNOUNCEMENT_FIELDS
        }
    for name, value in current.items():
        setattr(instance, name, value)


def on_webinar_published(sender, instance, **kwargs) -> None:
    """Queue the announcement and recording checks after the publication commits."""
    from .tasks import (
        announce_changes_task,
        fill_places_task,
        send_recording_available_task,
    )

    page_id = instance.pk

    def queue():
        announce_changes_task.delay(page_id)
        send_recording_available_task.delay(page_id)
        fill_places_task.delay(page_id)

    transaction.on_commit(queue)


def connect() -> None:
    pre_save.connect(
        keep_announcement_state,
        sender=WebinarPage,
        dispatch_uid="webinars.keep_announcement_state",
    )
    page_published.connect(
        on_webinar_published,
        sender=WebinarPage,
        dispatch_uid="webinars.on_webinar_published",
    )
