"""Content review: which pages are due a check, and reminding their owners once."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.models import Page, get_page_models

from .models import ReviewReminder, TaggedContentPage

logger = logging.getLogger(__name__)


@dataclass
class DueReview:
    """A live page whose review date has passed (or is about to)."""

    page: TaggedContentPage
    due_on: dt.date

    @property
    def overdue_days(self) -> int:
        return (timezone.localdate() - self.due_on).days


def tagged_page_models() -> list[type[TaggedContentPage]]:
    return [m for m in get_page_models() if issubclass(m, TaggedContentPage)]


def pages_due_for_review(
    on: dt.date | None = None, within_days: int = 0
) -> list[DueReview]:
    """Live pages due a review on or before ``on`` (+ ``within_days``), oldest first."""
    cutoff = (on or timezone.localdate()) + dt.timedelta(days=within_days)
    due = []
    for model in tagged_page_models():
        pages = (
            model.objects.live()
            .select_related("owner")
            .only(
                "id",
                "title",
                "url_path",
                "depth",
                "path",
                "last_reviewed",
                "review_interval_months",
                "first_published_at",
                "owner",
                "locale_id",
            )
        )
        for page in pages:
            due_on = page.review_due_on
            if due_on is not None and due_on <= cutoff:
                due.append(DueReview(page, due_on))
    return sorted(due, key=lambda d: (d.due_on, d.page.pk))


def reminder_recipient(page: Page) -> str:
    """The page owner's address, else the editorial team's."""
    owner = getattr(page, "owner", None)
    if owner is not None and owner.is_active and owner.email:
        return owner.email
    return settings.EDITORIAL_TEAM_EMAIL


def send_review_reminders(on: dt.date | None = None) -> int:
    """Email each overdue page's owner once per due date. Returns emails sent.

    Safe to run any number of times: the (page, due date) row is claimed in the
    same transaction as the send, so a rerun (or a second worker) skips it, and a
    failed send rolls the claim back for the next run.
    """
    sent = 0
    for item in pages_due_for_review(on):
        recipient = reminder_recipient(item.page)
        try:
            with transaction.atomic():
                ReviewReminder.objects.create(
                    page=item.page, due_on=item.due_on, recipient=recipient
                )
                _send_reminder(item, recipient)
        except IntegrityError:
            continue  # already reminded for this due date
        sent += 1
        logger.info(
            "review reminder sent page_id=%s due_on=%s", item.page.pk, item.due_on
        )
    return sent


def _send_reminder(item: DueReview, recipient: str) -> None:
    admin = f"{settings.WAGTAILADMIN_BASE_URL}/admin"
    context = {
        "page": item.page,
        "due_on": item.due_on,
        "edit_url": f"{admin}/pages/{item.page.pk}/edit/",
        "page_url": item.page.full_url,
        "report_url": f"{admin}/reports/due-for-review/",
    }
    EmailMessage(
        subject=f"Review due: {item.page.title}",
        body=render_to_string("emails/review_reminder.txt", context),
        to=[recipient],
    ).send()
