"""Emails about a webinar that go to everyone on it: reminders, time changes and
cancellations, and "the recording is available".

Reminders (Celery beat, every few minutes: ``send_webinar_reminders``)
    Two per place, each sent once per start time: a day before and an hour
    before. The day-before reminder is due from 24 hours before the start until
    the hour-before one is; the hour-before one until the start. A reminder only
    goes to people whose place was confirmed (registered, or given a place from
    the waiting list) before that reminder fell due: someone who registers three
    hours before gets their confirmation and then only the hour-before reminder,
    not a "tomorrow" email straight after it. Waiting-list and cancelled
    registrations get none. The ledger's occasion is the start instant, so a
    webinar that moves gets reminders for its new time, and beat running twice
    (or two workers at once) sends nothing twice.

Changes (``announce_changes``, after each publication)
    What registrants were last told is kept on the webinar (``announced_*``).
    The first publication only records it. After that, a new start or end time,
    a cancellation, or taking a cancellation back raises the calendar
    ``SEQUENCE`` by one, under a lock on the webinar's row, and emails everyone
    registered or on the waiting list once for that sequence; people with a place
    get their calendar entry with it (updated, or a CANCEL). Publishing again
    with nothing changed finds nothing to announce. Nothing is sent about a
    webinar that was over at both the old and the new time.

Recordings (``send_recording_available``, after publication and hourly)
    Once a webinar has ended and has a recording, everyone who registered (with a
    place or on the waiting list) gets one email with the link, and people with
    a place also get the link to the feedback form. Then one broadcast goes to
    the subscribers whose "immediately" subscriptions the webinar's themes and
    audiences reach, leaving out the registrants' addresses so nobody gets two.
    Its send key names the webinar, so it goes once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, Lower
from django.template.loader import render_to_string
from django.utils import timezone

from bulletins.email import TOKENS
from bulletins.matching import subscribers_for_page
from bulletins.models import Send, Subscription, absolute
from bulletins.sending import create_send

from . import emails
from .models import UK, Registration, WebinarEmail, WebinarPage

logger = logging.getLogger(__name__)

Kind = WebinarEmail.Kind
Status = Registration.Status

DAY_BEFORE = dt.timedelta(hours=24)
HOUR_BEFORE = dt.timedelta(hours=1)


# --- Reminders --------------------------------------------------------------------


@dataclass
class ReminderRun:
    """What one run queued, per kind of reminder."""

    now: dt.datetime
    sent: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.sent.values())


def occasion_for(webinar: WebinarPage) -> str:
    """The start instant in UTC: one reminder of each kind per start time."""
    return webinar.starts_at.astimezone(dt.UTC).isoformat()


def reminder_due(webinar: WebinarPage, now: dt.datetime) -> tuple[str, dt.timedelta]:
    """Which reminder is due now (and how long before the start it fell due),
    or ("", 0) when none is."""
    if webinar.starts_at - HOUR_BEFORE <= now < webinar.starts_at:
        return Kind.REMINDER_1H, HOUR_BEFORE
    if webinar.starts_at - DAY_BEFORE <= now < webinar.starts_at - HOUR_BEFORE:
        return Kind.REMINDER_24H, DAY_BEFORE
    return "", dt.timedelta(0)


REMINDER_SUBJECTS = {
    Kind.REMINDER_24H: "{day}: {title}",
    Kind.REMINDER_1H: "Starting in an hour: {title}",
}


def send_webinar_reminders(now: dt.datetime | None = None) -> ReminderRun:
    """Queue every reminder due now that has not been sent; each goes once."""
    now = now or timezone.now()
    run = ReminderRun(now=now)
    webinars = WebinarPage.objects.live().filter(
        is_cancelled=False, starts_at__gt=now, starts_at__lte=now + DAY_BEFORE
    )
    for webinar in webinars.order_by("starts_at", "pk"):
        kind, lead = reminder_due(webinar, now)
        if not kind:
            continue
        try:
            sent = _remind(webinar, kind, lead, now)
            run.sent[kind] = run.sent.get(kind, 0) + sent
        except Exception:
            # One webinar's failure must not stop the others' reminders; what it
            # did not send goes on the next run.
            logger.exception("Webinar %s: %s reminders failed", webinar.pk, kind)
    if run.total:
        logger.info("Webinar reminders at %s: %s", now.isoformat(), run.sent)
    return run


def _remind(
    webinar: WebinarPage, kind: str, lead: dt.timedelta, now: dt.datetime
) -> int:
    occasion = occasion_for(webinar)
    due_from = webinar.starts_at - lead
    registrations = (
        Registration.objects.filter(webinar=webinar, status=Status.REGISTERED)
        .annotate(confirmed_at=Coalesce("promoted_at", "created_at"))
        .filter(confirmed_at__lt=due_from)
        .exclude(
            Exists(
                WebinarEmail.objects.filter(
                    registration=OuterRef("pk"), kind=kind, occasion=occasion
                )
            )
        )
        .order_by("pk")
    )
    # "Tomorrow", unless beat was down and the day-before reminder is late.
    same_day = timezone.localdate(webinar.starts_at, UK) == timezone.localdate(now, UK)
    day = "Today" if same_day else "Tomorrow"
    subject = REMINDER_SUBJECTS[kind].format(day=day, title=webinar.title)
    context = {**_context(webinar), "day": day.lower()}
    sent = 0
    for registration in registrations:
        registration.webinar = webinar
        record = emails.send_once(
            registration,
            kind,
            template="emails/webinar_reminder.txt",
            subject=subject,
            occasion=occasion,
            context={**context, "kind": kind, "hour_before": kind == Kind.REMINDER_1H},
        )
        sent += record is not None
    return sent


def _context(webinar: WebinarPage) -> dict:
    return {
        "when": webinar.when_label,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "contact_line": settings.CONTACT_LINE,
    }


# --- Time changes and cancellations ----------------------------------------------


def announce_changes(webinar: WebinarPage | int, now: dt.datetime | None = None) -> str:
    """Tell registrants about a new time, a cancellation or a reinstatement, once.

    Returns what happened: "first", "unchanged", "moved", "cancelled",
    "reinstated", "past" (recorded without emails) or "not-live".
    """
    now = now or timezone.now()
    webinar_id = webinar if isinstance(webinar, int) else webinar.pk
    with transaction.atomic():
        # The webinar's own row, as registration.py locks it: a concurrent
        # announcement waits here and then finds the change already recorded.
        page = (
            WebinarPage.objects.select_for_update(of=("self",))
            .filter(pk=webinar_id)
            .first()
        )
        if page is None or not page.live:
            return "not-live"
        announced = {
            "announced_starts_at": page.starts_at,
            "announced_ends_at": page.ends_at,
            "announced_cancelled": page.is_cancelled,
        }
        if page.announced_starts_at is None:
            WebinarPage.objects.filter(pk=page.pk).update(**announced)
            return "first"
        moved = (
            page.starts_at != page.announced_starts_at
            or page.ends_at != page.announced_ends_at
        )
        if page.is_cancelled and not page.announced_cancelled:
            what = "cancelled"
        elif page.announced_cancelled and not page.is_cancelled:
            what = "reinstated"
        elif moved and not page.is_cancelled:
            what = "moved"
        else:
            if moved:  # a cancelled webinar's time edited: nobody to tell
                WebinarPage.objects.filter(pk=page.pk).update(**announced)
            return "unchanged"
        if max(page.ends_at, page.announced_ends_at) <= now:
            WebinarPage.objects.filter(pk=page.pk).update(**announced)
            return "past"
        page.ics_sequence += 1
        WebinarPage.objects.filter(pk=page.pk).update(
            ics_sequence=page.ics_sequence, **announced
        )
        previous = {
            "starts_at": page.announced_starts_at,
            "ends_at": page.announced_ends_at,
        }
        count = _tell_registrants(page, what, previous)
    logger.info(
        "Webinar %s %s: sequence %s, %s people emailed",
        page.pk,
        what,
        page.ics_sequence,
        count,
    )
    return what


CHANGE_SUBJECTS = {
    "moved": "New time: {title}",
    "reinstated": "Going ahead after all: {title}",
    "cancelled": "Cancelled: {title}",
}


def _tell_registrants(page: WebinarPage, what: str, previous: dict) -> int:
    registrations = Registration.objects.filter(
        webinar=page, status__in=[Status.REGISTERED, Status.WAITLISTED]
    ).order_by("pk")
    old = WebinarPage(starts_at=previous["starts_at"], ends_at=previous["ends_at"])
    context = {**_context(page), "what": what, "previous_when": old.when_label}
    subject = CHANGE_SUBJECTS[what].format(title=page.title)
    if what == "cancelled":
        kind, template = Kind.CANCELLED, "emails/webinar_cancelled.txt"
        occasion = f"webinar-{page.ics_sequence}"
    else:
        kind, template = Kind.UPDATED, "emails/webinar_updated.txt"
        occasion = str(page.ics_sequence)
    count = 0
    for registration in registrations:
        registration.webinar = page
        has_place = registration.status == Status.REGISTERED
        record = emails.send_once(
            registration,
            kind,
            template=template,
            subject=subject,
            occasion=occasion,
            context={**context, "has_place": has_place},
            # Only a place has a calendar entry (the waiting list gets none).
            with_calendar=has_place,
        )
        count += record is not None
    return count


# --- Recordings -------------------------------------------------------------------


def recording_key(webinar_id: int) -> str:
    """The broadcast's send key: one "recording available" send per webinar."""
    return f"webinar-recording:{webinar_id}"


def recording_ready(webinar: WebinarPage, now: dt.datetime | None = None) -> bool:
    """Live, went ahead, over, and with a recording to watch."""
    return (
        webinar.live
        and not webinar.is_cancelled
        and webinar.has_recording
        and webinar.ends_at <= (now or timezone.now())
    )


@dataclass
class RecordingRun:
    """Who was told about one webinar's recording."""

    registrants: int = 0
    send: Send | None = None


def send_recording_available(
    webinar: WebinarPage | int, now: dt.datetime | None = None
) -> RecordingRun:
    """Email registrants, then "immediately" subscribers, that the recording is
    up; each once (a rerun sends only what was not sent)."""
    run = RecordingRun()
    webinar_id = webinar if isinstance(webinar, int) else webinar.pk
    page = WebinarPage.objects.filter(pk=webinar_id).first()
    if page is None or not recording_ready(page, now):
        return run
    context = {**_context(page), "recording_url": absolute(page.url or "")}
    registrations = (
        Registration.objects.filter(
            webinar=page, status__in=[Status.REGISTERED, Status.WAITLISTED]
        )
        .exclude(
            Exists(
                WebinarEmail.objects.filter(
                    registration=OuterRef("pk"), kind=Kind.RECORDING
                )
            )
        )
        .order_by("pk")
    )
    for registration in registrations:
        registration.webinar = page
        has_place = registration.status == Status.REGISTERED
        record = emails.send_once(
            registration,
            Kind.RECORDING,
            template="emails/webinar_recording.txt",
            subject=f"Watch the recording: {page.title}",
            context={
                **context,
                "has_place": has_place,
                "feedback_url": emails.feedback_url(registration) if has_place else "",
            },
        )
        run.registrants += record is not None
    if not page.get_view_restrictions().exists():
        run.send = _broadcast(page, context)
    logger.info(
        "Webinar %s recording: %s registrants emailed, broadcast send %s",
        page.pk,
        run.registrants,
        run.send.pk if run.send else None,
    )
    return run


def _broadcast(page: WebinarPage, context: dict) -> Send:
    key = recording_key(page.pk)
    existing = Send.objects.filter(key=key).first()
    if existing is not None:
        return existing  # told already: render nothing, send nothing
    registrant_addresses = (
        Registration.objects.filter(webinar=page)
        .exclude(status=Status.CANCELLED)
        .annotate(address=Lower("email"))
        .values("address")
    )
    # Subscriber addresses are stored in lower case.
    recipients = subscribers_for_page(page, Subscription.Frequency.IMMEDIATE).exclude(
        email__in=registrant_addresses
    )
    text = render_to_string(
        "emails/webinar_recording_broadcast.txt",
        {**context, "webinar": page, "tokens": TOKENS},
    )
    return create_send(
        kind=Send.Kind.WEBINAR,
        page=page,
        subject=f"Recording available: {page.title}",
        preheader=page.summary,
        text=text.strip() + "\n",
        recipients=recipients,
        key=key,
    )


def pending_recordings(now: dt.datetime | None = None) -> list[int]:
    """Ids of webinars over with a recording whose registrants, or (if public)
    subscribers, have not all been told: for the hourly check."""
    now = now or timezone.now()
    ready = (
        WebinarPage.objects.live()
        .filter(is_cancelled=False, ends_at__lte=now)
        .filter(Q(recording__isnull=False) | ~Q(recording_embed_url=""))
    )
    not_told = Registration.objects.filter(
        webinar=OuterRef("pk"), status__in=[Status.REGISTERED, Status.WAITLISTED]
    ).exclude(
        Exists(
            WebinarEmail.objects.filter(
                registration=OuterRef("pk"), kind=Kind.RECORDING
            )
        )
    )
    registrants = ready.filter(Exists(not_told)).values_list("pk", flat=True)
    broadcast = {
        recording_key(pk): pk for pk in ready.public().values_list("pk", flat=True)
    }
    sent = set(Send.objects.filter(key__in=broadcast).values_list("key", flat=True))
    unsent = {pk for key, pk in broadcast.items() if key not in sent}
    return sorted(set(registrants) | unsent)


def pending_announcements(now: dt.datetime | None = None):
    """Live webinars, not over, whose times or cancellation differ from what
    registrants were last told (a publication whose task was lost)."""
    now = now or timezone.now()
    return (
        WebinarPage.objects.live()
        .filter(ends_at__gt=now)
        .filter(
            Q(announced_starts_at__isnull=True)
            | ~Q(starts_at=F("announced_starts_at"))
            | ~Q(ends_at=F("announced_ends_at"))
            | ~Q(is_cancelled=F("announced_cancelled"))
        )
        .order_by("starts_at", "pk")
    )


def catch_up(now: dt.datetime | None = None) -> dict:
    """Announce changes and recordings that publication did not (safe to rerun)."""
    now = now or timezone.now()
    done = {"announced": 0, "recordings": 0}
    for page_id in pending_announcements(now).values_list("pk", flat=True):
        if announce_changes(page_id, now) not in ("unchanged", "not-live"):
            done["announced"] += 1
    for page_id in pending_recordings(now):
        send_recording_available(page_id, now)
        done["recordings"] += 1
    return done
