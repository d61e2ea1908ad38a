"""Registering for a webinar without a password, the waiting list, cancelling.

Capacity holds under concurrent requests because every change to who has a
place (``register``, ``cancel``, ``fill_places``) first locks the webinar's own
row (``SELECT ... FOR UPDATE`` on ``webinars_webinarpage`` only, not Wagtail's
page row) and counts the places inside that lock. Two people registering at the
same moment queue on the lock; the second sees the first's place.

When a registered person cancels, the earliest person on the waiting list
(``created_at``, then ``id``) is given the place in the same transaction, with
the lock still held, and emailed. Emails go through ``webinars.emails.send_once``
and leave on commit, so a rolled-back registration sends nothing.

Nothing here says whether an address was registered before: the same email
address gets its existing registration back (and the email about it again, at
most once per ``RESEND_WINDOW_SECONDS``), and the form shows the same "check
your email" page either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from bulletins.models import normalise_email
from website import ratelimit
from website.frontend_cache import purge_page_and_pages_showing

from . import emails
from .models import UK, Registration, WebinarEmail, WebinarPage, clock

logger = logging.getLogger(__name__)

Status = Registration.Status
Kind = WebinarEmail.Kind

# Someone who registers again with the same address gets their email again, but
# not more often than this: a stranger cannot flood someone's inbox through us.
RESEND_WINDOW_SECONDS = 10 * 60

# Registration posts per client address per window. Generous, because colleagues
# at one NHS organisation often share one outgoing address.
RATE_LIMIT = 30
RATE_WINDOW_SECONDS = 10 * 60

CANCELLED_BY_REGISTRANT = "by-registrant"


class RegistrationNotOpen(Exception):
    """Registration is not open for this webinar (not yet, closed, cancelled,
    unpublished or private)."""


# --- Reading ------------------------------------------------------------------------


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to get a place; None if not on the waiting list."""
    if registration.status != Status.WAITLISTED:
        return None
    ahead = (
        Registration.objects.filter(
            webinar_id=registration.webinar_id, status=Status.WAITLISTED
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
    )
    return ahead + 1


def opens_at(webinar: WebinarPage) -> str:
    """When registration opens, in UK time, for the "not open yet" message."""
    if not webinar.registration_opens_at:
        return ""
    moment = timezone.localtime(webinar.registration_opens_at, UK)
    return f"{date_format(moment, 'l j F Y')} at {clock(moment)} (UK time)"


def can_cancel(registration: Registration, now: dt.datetime | None = None) -> bool:
    """A live place or waiting-list entry for a webinar that has not started."""
    webinar = registration.webinar
    return (
        registration.status != Status.CANCELLED
        and not webinar.is_cancelled
        and (now or timezone.now()) < webinar.starts_at
    )


def shows_join_link(registration: Registration, now: dt.datetime | None = None) -> bool:
    """The join link is for people with a place, until the webinar ends."""
    webinar = registration.webinar
    return (
        registration.status == Status.REGISTERED
        and not webinar.is_cancelled
        and (now or timezone.now()) < webinar.ends_at
    )


# --- Rate limits --------------------------------------------------------------------


def allow_request(client_address: str) -> bool:
    """Count one registration post from an address; False once over the limit."""
    limit = getattr(settings, "WEBINAR_REGISTRATION_RATE_LIMIT", RATE_LIMIT)
    return ratelimit.allow(
        "webinar.register", client_address, limit=limit, window=RATE_WINDOW_SECONDS
    )


# --- Emails -------------------------------------------------------------------------


def _context(registration: Registration) -> dict:
    return {
        "when": registration.webinar.when_label,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "contact_line": settings.CONTACT_LINE,
    }


def _send_place_email(registration: Registration, occasion: str = "") -> None:
    """The confirmation (with the calendar entry) or the waiting-list email."""
    title = registration.webinar.title
    if registration.status == Status.REGISTERED:
        emails.send_once(
            registration,
            Kind.CONFIRMATION,
            template="emails/webinar_confirmation.txt",
            subject=f"Your place at {title}",
            occasion=occasion,
            context=_context(registration),
            with_calendar=True,
        )
    elif registration.status == Status.WAITLISTED:
        emails.send_once(
            registration,
            Kind.WAITLISTED,
            template="emails/webinar_waitlisted.txt",
            subject=f"You're on the waiting list for {title}",
            occasion=occasion,
            context={
                **_context(registration),
                "position": waitlist_position(registration),
            },
        )


def _send_promoted_email(registration: Registration) -> None:
    emails.send_once(
        registration,
        Kind.PROMOTED,
        template="emails/webinar_promoted.txt",
        subject=f"A place has come up: you're booked on {registration.webinar.title}",
        context=_context(registration),
        with_calendar=True,
    )


def _send_cancelled_email(registration: Registration, *, had_place: bool) -> None:
    title = registration.webinar.title
    emails.send_once(
        registration,
        Kind.CANCELLED,
        template="emails/webinar_registration_cancelled.txt",
        subject=(
            f"Your place at {title} is cancelled"
            if had_place
            else f"You've left the waiting list for {title}"
        ),
        occasion=CANCELLED_BY_REGISTRANT,
        context={**_context(registration), "had_place": had_place},
        # Only a place had a calendar entry to take back (a CANCEL, same UID).
        with_calendar=had_place,
    )


# --- Changing -----------------------------------------------------------------------


def _lock(webinar_id: int) -> WebinarPage:
    """The webinar, its own row locked until the transaction ends."""
    return WebinarPage.objects.select_for_update(of=("self",)).get(pk=webinar_id)


def _places_changed(webinar: WebinarPage) -> None:
    """The webinar's page, its listings and the pages linking to it say how many
    places are left: once this commits, the page cache (and any shared cache)
    forgets them, so the next reader sees the count as it now is.

    Called after the webinar's lock is released (finding those pages takes a few
    milliseconds that the next registration need not wait for); inside a caller's
    transaction it still waits for that transaction to commit."""
    purge_page_and_pages_showing(webinar)


def _is_open(webinar: WebinarPage) -> bool:
    return (
        webinar.live
        and webinar.registration_state() == "open"
        and not webinar.get_view_restrictions().exists()
    )


def register(
    webinar: WebinarPage,
    *,
    name: str,
    email: str,
    organisation: str = "",
    role: str = "",
    accessibility_needs: str = "",
) -> tuple[Registration, bool]:
    """A place, or a place on the waiting list when full; emails the person.

    The same address with a live registration gets that one back (created is
    False), unchanged, and its email again at most once per window. Raises
    ``RegistrationNotOpen`` unless the webinar is live, public and open.
    """
    email = normalise_email(email)
    with transaction.atomic():
        webinar = _lock(webinar.pk)
        if not _is_open(webinar):
            raise RegistrationNotOpen(webinar.registration_state())
        existing = (
            Registration.objects.filter(webinar=webinar, email=email)
            .exclude(status=Status.CANCELLED)
            .first()
        )
        if existing is not None:
            existing.webinar = webinar
            window = int(time.time() // RESEND_WINDOW_SECONDS)
            _send_place_email(existing, occasion=f"again-{window}")
            logger.info(
                "Webinar %s: registration %s asked for again",
                webinar.pk,
                existing.pk,
            )
            return existing, False
        taken = Registration.objects.filter(
            webinar=webinar, status=Status.REGISTERED
        ).count()
        # Any earlier ones are cancelled (the live one was returned above).
        earlier = Registration.objects.filter(
            webinar=webinar, status=Status.CANCELLED, email=email
        ).count()
        registration = Registration.objects.create(
            earlier_registrations=earlier,
            webinar=webinar,
            name=name,
            email=email,
            organisation=organisation,
            role=role,
            accessibility_needs=accessibility_needs,
            status=Status.REGISTERED if taken < webinar.capacity else Status.WAITLISTED,
        )
        _send_place_email(registration)
    _places_changed(webinar)
    logger.info(
        "Webinar %s: registration %s is %s",
        webinar.pk,
        registration.pk,
        registration.status,
    )
    return registration, True


def fill_places(webinar: WebinarPage) -> list[Registration]:
    """Give free places to the waiting list, earliest first; email each person.

    Takes the webinar's lock. Nobody is promoted once the webinar has started or
    if it is cancelled.
    """
    with transaction.atomic():
        webinar = _lock(webinar.pk)
        promoted = _fill_locked_places(webinar)
    if promoted:
        _places_changed(webinar)
    return promoted


def _fill_locked_places(webinar: WebinarPage) -> list[Registration]:
    """``fill_places`` for a caller already holding the webinar's lock (``cancel``),
    which purges the cached pages itself once the lock is released."""
    now = timezone.now()
    if webinar.is_cancelled or now >= webinar.starts_at:
        return []
    taken = Registration.objects.filter(
        webinar=webinar, status=Status.REGISTERED
    ).count()
    free = webinar.capacity - taken
    if free <= 0:
        return []
    promoted = list(
        Registration.objects.filter(webinar=webinar, status=Status.WAITLISTED)
        .order_by("created_at", "pk")
        .select_for_update()[:free]
    )
    for registration in promoted:
        registration.webinar = webinar
        registration.status = Status.REGISTERED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at"])
        _send_promoted_email(registration)
        logger.info(
            "Webinar %s: registration %s promoted from the waiting list",
            webinar.pk,
            registration.pk,
        )
    return promoted


def cancel(registration: Registration) -> tuple[Registration, list[Registration]]:
    """Cancel a place or a waiting-list entry; the freed place goes to the next
    person on the waiting list. Returns the registration and whoever was promoted.

    Cancelling twice is harmless: the second time changes and sends nothing.
    """
    with transaction.atomic():
        webinar = _lock(registration.webinar_id)
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        current.webinar = webinar
        if current.status == Status.CANCELLED:
            return current, []
        had_place = current.status == Status.REGISTERED
        current.status = Status.CANCELLED
        current.cancelled_at = timezone.now()
        current.save(update_fields=["status", "cancelled_at"])
        _send_cancelled_email(current, had_place=had_place)
        logger.info(
            "Webinar %s: registration %s cancelled by the registrant",
            webinar.pk,
            current.pk,
        )
        promoted = _fill_locked_places(webinar) if had_place else []
    _places_changed(webinar)
    return current, promoted
