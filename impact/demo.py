"""Demo figures for the impact report: page views and past bulletin sends.

``load_impact_demo()`` is idempotent: page views are made only if there are none
yet, and each send only if its demo key is not there, so a re-run adds nothing.
Run it after the other apps' demos: it spreads views over their live pages and
sends to their demo subscribers. The numbers are made up, repeatably (a fixed
seed). No page feedback is made up: readers' answers stay real ones only.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone
from wagtail.models import Page

from bulletins.models import Delivery, DeliveryEvent, Send, Subscriber

from .models import PageViewDaily

WEEKS = 66  # a little over fifteen months: this quarter and the four before it


def load_impact_demo(today: datetime.date | None = None) -> None:
    today = today or timezone.localdate()
    rng = random.Random(9)  # noqa: S311 - repeatable demo data
    pages = list(Page.objects.live().filter(depth__gt=1).order_by("path"))
    seed_page_views(pages, today, rng)
    seed_sends(today)


def seed_page_views(pages: list[Page], today: datetime.date, rng) -> int:
    """A row a week per live page (deeper pages read less), growing over time."""
    if PageViewDaily.objects.exists():
        return 0
    rows = []
    for week in range(WEEKS):
        day = today - datetime.timedelta(weeks=WEEKS - 1 - week)
        growth = 1 + week / WEEKS
        for page in pages:
            views = int(rng.randint(5, 60) * growth / max(1, page.depth - 2))
            rows.append(
                PageViewDaily(
                    day=day,
                    page=page,
                    content_type_id=page.content_type_id,
                    views=views,
                )
            )
    PageViewDaily.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def seed_sends(today: datetime.date) -> int:
    """A monthly bulletin for the last six months to the demo's active people,
    each delivered, with one soft bounce; made once (the sends' keys)."""
    people = list(Subscriber.objects.active().order_by("pk"))
    made = 0
    for months_ago in range(1, 7):
        key = f"demo:impact:bulletin:{months_ago}"
        if not people or Send.objects.filter(key=key).exists():
            continue
        started = timezone.now() - datetime.timedelta(days=30 * months_ago)
        send = Send.objects.create(
            kind=Send.Kind.BULLETIN,
            status=Send.Status.SENT,
            key=key,
            subject=f"Monthly learning bulletin ({started:%B %Y})",
            text="The demo bulletin.",
            started_at=started,
            finished_at=started + datetime.timedelta(minutes=3),
            recipient_count=len(people),
        )
        Delivery.objects.bulk_create(
            Delivery(
                send=send,
                subscriber=person,
                email=person.email,
                status=Delivery.Status.SENT,
                attempts=1,
                sent_at=started,
            )
            for person in people
        )
        DeliveryEvent.objects.create(
            kind=DeliveryEvent.Kind.SOFT_BOUNCE,
            email=people[months_ago % len(people)].email,
            subscriber=people[months_ago % len(people)],
            send=send,
            source="demo",
            description="Mailbox full (demo)",
            received_at=started + datetime.timedelta(hours=1),
        )
        made += 1
    return made
