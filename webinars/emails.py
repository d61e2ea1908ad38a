"""Emails to registrants, each sent once: the ledger and the links they carry.

Every email about a webinar to a registrant is recorded as a ``WebinarEmail``
(unique per registration, kind and occasion) in the same transaction that queues
it through ``bulletins.sending.send_transactional`` with a key made from the same
facts. A rerun, a second worker or beat firing twice finds the row and sends
nothing. The occasion is what makes an email new: the start time for reminders
(a moved webinar gets new ones), the calendar sequence for updates, "" for
once-ever emails.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from bulletins.models import absolute
from bulletins.sending import send_transactional

from . import calendar
from .models import Registration, WebinarEmail

logger = logging.getLogger(__name__)

Kind = WebinarEmail.Kind


def manage_url(registration: Registration) -> str:
    """The registrant's own page (join link, cancel), absolute, for emails."""
    index = registration.webinar.get_parent().get_parent().specific
    return absolute(
        index.url + index.reverse_subpage("registration", args=[registration.token])
    )


def feedback_url(registration: Registration) -> str:
    index = registration.webinar.get_parent().get_parent().specific
    return absolute(
        index.url
        + index.reverse_subpage("registration_feedback", args=[registration.token])
    )


def send_once(
    registration: Registration,
    kind: str,
    *,
    template: str,
    subject: str,
    occasion: str = "",
    context: dict | None = None,
    with_calendar: bool = False,
) -> WebinarEmail | None:
    """Queue one plain-text email to ``registration`` unless it went already.

    ``template`` is rendered with the webinar, registration, their page's link
    and ``context``. With ``with_calendar`` the registrant's calendar entry is
    attached (a request, or a cancellation when their place or the webinar is
    cancelled). Returns the new ledger row, or None if it was sent before.
    """
    webinar = registration.webinar
    manage = manage_url(registration)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebinarEmail.objects.create(
                    registration=registration, kind=kind, occasion=occasion
                )
        except IntegrityError:
            return None  # sent already (or being sent by a concurrent run)
        text = render_to_string(
            template,
            {
                "webinar": webinar,
                "registration": registration,
                "manage_url": manage,
                "page_url": absolute(webinar.url or ""),
                **(context or {}),
            },
        )
        attachments = (
            [calendar.attachment(webinar, registration, manage_url=manage)]
            if with_calendar
            else None
        )
        record.send = send_transactional(
            to=registration.email,
            subject=subject,
            text=text,
            key=f"webinar:{registration.pk}:{kind}:{occasion}",
            attachments=attachments,
        )
        record.save(update_fields=["send"])
    logger.info(
        "Webinar %s: %s email queued for registration %s (send %s)",
        webinar.pk,
        kind,
        registration.pk,
        record.send_id,
    )
    return record
