"""Weekly digests: each person gets one email of what was published for them.

``send_weekly_digests()`` (Celery beat, Mondays 07:30) makes one ``DigestRun`` per
ISO week. The run covers the time since the previous run ended (or the last seven
days) and takes every page first published in it that is live, public, in the
site's default language and of a content type people subscribe to. The database
works out, for every active subscriber with a weekly subscription, which of those
pages reach them (``bulletins/matching.py``); people with the same set of pages get
the same email, compiled once, in one ``Send``. People with nothing get no email.

The whole run is one transaction, so it either happens completely or not at all:
a rerun of a week that ran sends nothing, a run that failed halfway left nothing
behind to repeat, and a second run started at the same moment waits for the first
and then finds the week done. Each send's key names the week and its pages, and
nobody who already has a delivery from this week's digests is added to another.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone
from mjml import mjml2html
from wagtail.models import Locale, Page, get_page_models

from . import sending
from .email import TOKENS, CompiledEmail, make_absolute
from .matching import subscribers_with_pages, with_frequency
from .models import Delivery, DigestRun, Send, Subscriber, Subscription, absolute

logger = logging.getLogger(__name__)

WEEKLY = Subscription.Frequency.WEEKLY
DEFAULT_PERIOD = timedelta(days=7)

# Headings for each kind of page, in the order the digest shows them; kinds not
# named here (new content types) follow, under their model's plural name.
GROUP_HEADINGS = {
    "learning.safetymessagepage": "Safety messages",
    "learning.learningresourcepage": "Learning materials",
    "bulletins.bulletinpage": "Bulletins",
}


def iso_week(moment: datetime) -> str:
    """The ISO week of ``moment`` in the site's time zone, like ``2026-W47``."""
    year, week, _ = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


def digest_page_models() -> list[type[Page]]:
    """Content people subscribe to: every tagged content type but plain pages.

    Plain pages (about, privacy, help) are the site's furniture, not news.
    """
    from website.models import StandardPage, TaggedContentPage

    return [
        model
        for model in get_page_models()
        if issubclass(model, TaggedContentPage) and not issubclass(model, StandardPage)
    ]


def pages_published_between(start: datetime, end: datetime):
    """Pages to digest first published in [start, end): live, public, main locale."""
    return (
        Page.objects.live()
        .public()
        .type(*digest_page_models())
        .filter(
            locale=Locale.get_default(),
            first_published_at__gte=start,
            first_published_at__lt=end,
        )
    )


# --- The email --------------------------------------------------------------------


@dataclass
class DigestItem:
    kind: str
    title: str
    summary: str
    url: str


@dataclass
class DigestGroup:
    heading: str
    items: list[DigestItem]


def _heading(model) -> str:
    label = model._meta.label_lower
    if label in GROUP_HEADINGS:
        return GROUP_HEADINGS[label]
    return str(model._meta.verbose_name_plural).removesuffix(" pages").capitalize()


def group_pages(pages) -> list[DigestGroup]:
    """Specific pages grouped by kind (in ``GROUP_HEADINGS`` order), newest first."""
    order = list(GROUP_HEADINGS)
    by_model: dict = {}
    for page in sorted(pages, key=lambda p: (p.first_published_at, p.pk), reverse=True):
        by_model.setdefault(type(page), []).append(page)
    models = sorted(
        by_model,
        key=lambda m: (
            order.index(m._meta.label_lower)
            if m._meta.label_lower in order
            else len(order),
            _heading(m),
        ),
    )
    return [
        DigestGroup(
            heading=_heading(model),
            items=[
                DigestItem(
                    kind=page.get_listing_type(),
                    title=page.title,
                    summary=page.summary,
                    url=absolute(page.url),
                )
                for page in by_model[model]
            ],
        )
        for model in models
    ]


def _period_words(start: datetime, end: datetime) -> str:
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - timedelta(microseconds=1)).date()
    if first == last:
        return f"on {last:%-d %B %Y}"
    if first.year != last.year:
        return f"from {first:%-d %B %Y} to {last:%-d %B %Y}"
    if first.month != last.month:
        return f"from {first:%-d %B} to {last:%-d %B %Y}"
    return f"from {first:%-d} to {last:%-d %B %Y}"


def compile_digest(pages, *, period_start, period_end) -> CompiledEmail:
    """One digest email for a set of pages, rendered once for everyone who gets it."""
    groups = group_pages(pages)
    count = sum(len(group.items) for group in groups)
    noun = "item" if count == 1 else "items"
    subject = f"Your weekly digest: {count} new {noun}"
    titles = [item.title for group in groups for item in group.items]
    preheader = "; ".join(titles)
    if len(preheader) > 150:
        preheader = preheader[:149].rsplit(" ", 1)[0] + "\u2026"
    context = {
        "subject": subject,
        "preheader": preheader,
        "groups": groups,
        "count": count,
        "period": _period_words(period_start, period_end),
        "site_url": absolute("/"),
        "contact_line": settings.CONTACT_LINE,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "tokens": TOKENS,
    }
    html = mjml2html(render_to_string("emails/digest.mjml", context))
    text = re.sub(r"\n{3,}", "\n\n", render_to_string("emails/digest.txt", context))
    return CompiledEmail(
        subject=subject,
        preheader=preheader,
        html=make_absolute(html),
        text=text.strip() + "\n",
    )


def digest_key(week: str, page_ids) -> str:
    ids = ",".join(str(pk) for pk in sorted(page_ids))
    return f"digest:{week}:{hashlib.sha256(ids.encode()).hexdigest()[:24]}"


# --- The run ------------------------------------------------------------------------


def send_weekly_digests(now: datetime | None = None) -> DigestRun:
    """This week's digests, once: a rerun of a week returns its run, sending nothing."""
    now = now or timezone.now()
    week = iso_week(now)
    with transaction.atomic():
        run = DigestRun.objects.select_for_update().filter(week=week).first()
        if run is None:
            previous = (
                DigestRun.objects.filter(period_end__lte=now)
                .order_by("-period_end")
                .first()
            )
            start = previous.period_end if previous else now - DEFAULT_PERIOD
            try:
                with transaction.atomic():
                    run = DigestRun.objects.create(
                        week=week, period_start=start, period_end=now
                    )
            except IntegrityError:
                # Another run made this week a moment ago and has now committed.
                return DigestRun.objects.get(week=week)
        if run.finished_at is not None:
            logger.info("Digest %s already ran; nothing sent", week)
            return run
        _run(run)
        run.finished_at = timezone.now()
        run.save()
    logger.info(
        "Digest %s: %s sends, %s people, %s with nothing new",
        week,
        run.sends.count(),
        run.subscribers_sent,
        run.subscribers_with_nothing,
    )
    return run


def _run(run: DigestRun) -> None:
    published = pages_published_between(run.period_start, run.period_end)
    pages = {page.pk: page for page in published.specific()}
    if not pages:  # an empty week: no sends at all
        run.subscribers_with_nothing = with_frequency(WEEKLY).count()
        run.subscribers_sent = 0
        return
    subscribers = subscribers_with_pages(pages, WEEKLY)
    prefix = f"digest:{run.week}:"
    already_served = Exists(
        Delivery.objects.filter(
            subscriber_id=OuterRef("pk"), send__key__startswith=prefix
        )
    )
    groups = subscribers.values("page_ids").annotate(people=Count("pk")).order_by()
    nothing = 0
    for group in groups:
        page_ids = group["page_ids"]
        if not page_ids:
            nothing += group["people"]
            continue
        email = compile_digest(
            [pages[pk] for pk in page_ids],
            period_start=run.period_start,
            period_end=run.period_end,
        )
        send = sending.create_send(
            kind=Send.Kind.DIGEST,
            subject=email.subject,
            preheader=email.preheader,
            html=email.html,
            text=email.text,
            recipients=subscribers.filter(page_ids=page_ids).exclude(already_served),
            key=digest_key(run.week, page_ids),
        )
        run.sends.add(send)
    served = Subscriber.objects.filter(
        Exists(
            Delivery.objects.filter(
                subscriber_id=OuterRef("pk"), send__in=run.sends.all()
            )
        )
    )
    run.subscribers_sent = served.update(last_digest_at=run.period_end)
    run.subscribers_with_nothing = nothing
