"""Publishing a safety message emails the people who asked to hear at once.

When a safety message is first published, ``page_published`` enqueues
``bulletins.notify_page_published`` once the transaction commits; the task makes
one send of the message's email to every active subscriber with an "immediately"
subscription the message reaches (``bulletins/matching.py``), one email each
however many of their lists match. The send's key names the page, so publishing
again, or the task running twice, never emails anyone a second time.

Only original-language, live, public messages with "Email subscribers when first
published" ticked are sent; translations never are (their readers get the
English original's email, which links to every language).
"""

from __future__ import annotations

import logging

from django.db import transaction
from wagtail.signals import page_published

from . import sending
from .matching import subscribers_for_page
from .models import Send, Subscription

logger = logging.getLogger(__name__)


def notify_key(page_id: int) -> str:
    return f"notify:page:{page_id}"


def notify_page_published(page_id: int) -> Send | None:
    """Email a newly published safety message to its "immediately" subscribers.

    Returns the send (the earlier one if this page was already notified), or None
    when the page is not one to email.
    """
    from learning.models import SafetyMessagePage

    page = (
        SafetyMessagePage.objects.live()
        .public()
        .filter(pk=page_id)
        .select_related("locale")
        .first()
    )
    if page is None or page.is_translation or not page.email_subscribers_on_publish:
        return None
    key = notify_key(page.pk)
    existing = Send.objects.filter(key=key).first()
    if existing is not None:
        return existing  # already notified: compile nothing, send nothing
    email = page.compile_email()
    send = sending.create_send(
        kind=Send.Kind.SAFETY_MESSAGE,
        page=page,
        subject=email.subject,
        preheader=email.preheader,
        html=email.html,
        text=email.text,
        recipients=subscribers_for_page(page, Subscription.Frequency.IMMEDIATE),
        key=key,
    )
    logger.info(
        "Safety message %s published: send %s to %s people",
        page.pk,
        send.pk,
        send.recipient_count,
    )
    return send


def on_page_published(sender, instance, **kwargs) -> None:
    """Queue the notification for a message's first publication, after commit.

    Later publications (corrections) and scheduled publications that have not
    gone live yet queue nothing; the task checks the rest.
    """
    first = (
        instance.live
        and instance.first_published_at is not None
        and instance.first_published_at == instance.last_published_at
    )
    if not first or not instance.email_subscribers_on_publish:
        return
    from .tasks import notify_page_published_task

    page_id = instance.pk
    transaction.on_commit(lambda: notify_page_published_task.delay(page_id))


def connect() -> None:
    """Connect the receiver (call from ``BulletinsConfig.ready()``)."""
    from learning.models import SafetyMessagePage

    page_published.connect(
        on_page_published,
        sender=SafetyMessagePage,
        dispatch_uid="bulletins.notify.on_page_published",
    )
