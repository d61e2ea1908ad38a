"""Subscribing without a password: request, confirm, change, unsubscribe, export, erase.

Every journey is a plain function here; the views only validate and call them.

Double opt-in. The subscribe form never touches a subscriber row itself: it
enqueues ``handle_subscription_request`` on commit, and that does the same work
whatever the address's state (new, pending, active, unsubscribed, bounced or
complained): it stores the choices in ``Subscriber.pending_choices``, records the
request with the consent wording the person was shown, and emails a confirmation
link. So the form's response, and its timing, say nothing about whether an address
is known. Nothing is applied until the link is used:

- a new or unsubscribed address is (or stays) ``pending``;
- an active address keeps its current lists until it confirms;
- a bounced or complained address keeps that status (our record that mail to it
  failed or was unwanted) until it confirms, which proves the mailbox works and
  wants the mail.

Confirming (``confirm``) adds the chosen lists at the chosen frequency, applies any
name, role and organisation given, makes the subscriber active and records consent.
Unsubscribing from everything clears ``pending_choices`` too, so an old
confirmation link can never subscribe someone again.

Choosing by topic instead of by list (``lists_for_topics``): a person may tick
themes and give their role (audience) instead of ticking lists. A public list
matches when it names at least one of the chosen themes, and either names no
audience (it is for everyone) or names the person's role; without a role, lists for
any audience match. Lists that name no theme carry everything, so they are never
chosen by topic: a person picks those by name. The lists a topic choice maps to
are shown on the confirmation page before anything is applied.

Consent wording: ``CONSENT_WORDING`` keeps every version ever shown, keyed by
version; the subscribe form shows ``CURRENT_WORDING`` and posts its key, which is
stored on each consent record. Add a new key when the words change; never edit or
remove an old one.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from website import ratelimit
from website.models import Audience, Organisation

from . import sending, tokens
from .models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    Subscriber,
    Subscription,
    absolute,
    normalise_email,
)

logger = logging.getLogger(__name__)

# Why someone left, if they choose to say (on the unsubscribe page): the key goes
# in the consent record's details; the impact report counts them.
UNSUBSCRIBE_REASONS = [
    ("too_many", "Too many emails"),
    ("not_relevant", "Not relevant to my work"),
    ("changed_role", "I have changed role or left my job"),
    ("elsewhere", "I get this information elsewhere"),
    ("other", "Another reason"),
]

CONSENT_WORDING = {
    "2026-11": (
        "We will email you the learning you choose from the national child death "
        "review programme, as often as you choose. We use your email address, and "
        "your name, role and organisation if you give them, only to send you these "
        "emails. Every email has a link to change what you get, unsubscribe, "
        "download the data we hold about you or delete it."
    ),
}
CURRENT_WORDING = "2026-11"

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = Subscriber._meta.get_field("name").max_length
# More list or theme ids than any real form sends: refused before any query.
MAX_CHOICES = 100

# One confirmation (or export) email per address per window, however often the
# form is sent: a stranger cannot flood someone's inbox through our form.
EMAIL_WINDOW_SECONDS = 10 * 60

# Requests per client address per window (subscribe form, export requests).
RATE_LIMITS = {"subscribe": 10, "export": 5}
RATE_WINDOW_SECONDS = 10 * 60

FREQUENCIES = {choice.value for choice in Subscription.Frequency}

# Anything but printable characters: they have no place in an address or a name,
# and a line break there could become a new email header.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# --- Checking input -----------------------------------------------------------------


def is_deliverable_address(value: str) -> bool:
    """A plain ``name@domain`` address we can safely put in a ``To`` header.

    Stricter than Django's validator: no quoted local parts, spaces or control
    characters, and no more than 254 characters (the SMTP limit).
    """
    if not value or len(value) > EMAIL_MAX_LENGTH:
        return False
    if _UNPRINTABLE.search(value) or any(c.isspace() for c in value):
        return False
    if '"' in value or value.count("@") != 1:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def is_single_line(value: str) -> bool:
    return not _UNPRINTABLE.search(value or "")


def public_lists():
    return DistributionList.objects.filter(
        visibility=DistributionList.Visibility.PUBLIC
    )


def lists_for_topics(theme_ids: Iterable[int], audience_id: int | None):
    """The public lists that carry any of these themes for this role (see above)."""
    theme_ids = list(theme_ids)
    if not theme_ids:
        return public_lists().none()
    matching = public_lists().filter(themes__in=theme_ids)
    if audience_id is not None:
        matching = matching.filter(Q(audiences__isnull=True) | Q(audiences=audience_id))
    return (
        public_lists()
        .filter(pk__in=matching.values("pk"))
        .order_by("sort_order", "name")
    )


def _ids(values) -> list[int]:
    """Positive integers from untrusted JSON (anything else is dropped)."""
    if not isinstance(values, list | tuple):
        return []
    found = []
    for value in values[:MAX_CHOICES]:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
            found.append(value)
    return found


def _id_or_none(value) -> int | None:
    ids = _ids([value])
    return ids[0] if ids else None


def clean_choices(choices: dict) -> dict:
    """The choices as we store them: known ids only, a real frequency, one-line name."""
    choices = choices if isinstance(choices, dict) else {}
    name = choices.get("name") or ""
    if not isinstance(name, str) or not is_single_line(name):
        name = ""
    frequency = choices.get("frequency")
    audience = _id_or_none(choices.get("audience"))
    organisation = _id_or_none(choices.get("organisation"))
    return {
        "lists": sorted(
            public_lists()
            .filter(pk__in=_ids(choices.get("lists")))
            .values_list("pk", flat=True)
        ),
        "frequency": frequency
        if frequency in FREQUENCIES
        else Subscription.Frequency.IMMEDIATE.value,
        "name": " ".join(name.split())[:NAME_MAX_LENGTH],
        "audience": audience
        if audience and Audience.objects.filter(pk=audience).exists()
        else None,
        "organisation": organisation
        if organisation and Organisation.objects.filter(pk=organisation).exists()
        else None,
        "themes": _ids(choices.get("themes")),
    }


# --- Rate limits --------------------------------------------------------------------


def allow_request(scope: str, client_address: str) -> bool:
    """Count one request of ``scope`` from an address; False once over the limit."""
    limit = getattr(settings, "SUBSCRIPTION_RATE_LIMITS", RATE_LIMITS)[scope]
    return ratelimit.allow(
        f"subscription.{scope}", client_address, limit=limit, window=RATE_WINDOW_SECONDS
    )


def _window() -> int:
    return int(time.time() // EMAIL_WINDOW_SECONDS)


# --- Subscribing --------------------------------------------------------------------


def handle_subscription_request(email: str, choices: dict, wording: str) -> None:
    """Store what someone asked for and email them a link to confirm it.

    The same work for any address, new or known; nothing changes what they get
    until the link is used. One email per address per ``EMAIL_WINDOW_SECONDS``:
    a second request soon after only updates the choices, which the link in the
    first email then confirms (its page shows them before anything is applied).
    """
    email = normalise_email(email)
    if not is_deliverable_address(email):
        logger.warning("Subscription request ignored: not a usable address")
        return
    if wording not in CONSENT_WORDING:
        logger.warning(
            "Subscription request ignored: unknown wording %r", str(wording)[:40]
        )
        return
    choices = {**clean_choices(choices), "wording": wording}
    if not choices["lists"]:
        logger.warning("Subscription request ignored: no public list chosen")
        return

    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(email=email)
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        key = f"subscription-confirm:{subscriber.pk}:{_window()}"
        if (
            subscriber.pending_choices == choices
            and Send.objects.filter(key=key).exists()
        ):
            return  # the same request again: it is recorded and its email is on its way
        subscriber.pending_choices = choices
        fields = ["pending_choices"]
        if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            subscriber.status = Subscriber.Status.PENDING
            subscriber.status_changed_at = timezone.now()
            fields += ["status", "status_changed_at"]
        subscriber.save(update_fields=fields)
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.REQUESTED,
            method=ConsentRecord.Method.WEB_FORM,
            wording_version=wording,
            details={"lists": choices["lists"], "frequency": choices["frequency"]},
        )
        text = render_to_string(
            "emails/subscription_confirm.txt",
            {
                "confirm_url": tokens.link(subscriber, tokens.CONFIRM),
                "subscribe_url": _absolute_subscribe_url(),
                "contact_line": settings.CONTACT_LINE,
                "site_name": settings.WAGTAIL_SITE_NAME,
            },
        )
        sending.send_transactional(
            to=subscriber.email,
            subject="Confirm your email subscription",
            text=text,
            subscriber=subscriber,
            key=key,
        )


def _absolute_subscribe_url() -> str:
    return absolute(reverse("bulletins:subscribe"))


def pending_summary(subscriber: Subscriber) -> dict | None:
    """What confirming would apply, for the confirmation page; None if nothing."""
    choices = subscriber.pending_choices or {}
    if not choices.get("lists"):
        return None
    lists = list(public_lists().filter(pk__in=_ids(choices.get("lists"))))
    if not lists:
        return None
    return {
        "lists": lists,
        "frequency": Subscription.Frequency(
            choices.get("frequency") or Subscription.Frequency.IMMEDIATE
        ).label,
    }


def confirm(subscriber: Subscriber) -> bool:
    """Apply the pending choices: lists, frequency, details; active; consent kept.

    Idempotent: with nothing pending it changes nothing and returns False.
    """
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        choices = clean_choices(subscriber.pending_choices or {})
        wording = (subscriber.pending_choices or {}).get("wording", "")
        if not choices["lists"]:
            if subscriber.pending_choices:
                subscriber.pending_choices = {}
                subscriber.save(update_fields=["pending_choices"])
            return False
        now = timezone.now()
        for list_id in choices["lists"]:
            Subscription.objects.update_or_create(
                subscriber=subscriber,
                distribution_list_id=list_id,
                defaults={"frequency": choices["frequency"]},
            )
        if choices["name"]:
            subscriber.name = choices["name"]
        if choices["audience"]:
            subscriber.audience_id = choices["audience"]
        if choices["organisation"]:
            subscriber.organisation_id = choices["organisation"]
        if subscriber.status != Subscriber.Status.ACTIVE:
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.status_changed_at = now
        subscriber.confirmed_at = now
        subscriber.soft_bounce_count = 0
        subscriber.pending_choices = {}
        subscriber.save()
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.CONFIRMED,
            method=ConsentRecord.Method.EMAIL_LINK,
            wording_version=wording,
            details={"lists": choices["lists"], "frequency": choices["frequency"]},
        )
    return True


# --- The preference centre ----------------------------------------------------------


def lists_for_preferences(subscriber: Subscriber):
    """The lists a subscriber may tick: every public one, and staff ones they are on."""
    return DistributionList.objects.filter(
        Q(visibility=DistributionList.Visibility.PUBLIC)
        | Q(subscriptions__subscriber=subscriber)
    ).distinct()


def update_preferences(
    subscriber: Subscriber,
    *,
    lists: Iterable[DistributionList],
    frequency: str,
    name: str,
    audience: Audience | None = None,
    organisation: Organisation | None = None,
) -> bool:
    """Set exactly these lists at this frequency, and these details.

    Someone who had unsubscribed (or bounced) and ticks lists here is subscribing
    again, from a link only their mailbox received: they become active. Lists are
    limited to public ones and staff lists they are already on. Returns True if
    anything changed (and records the change).
    """
    if frequency not in FREQUENCIES:
        raise ValueError(f"Unknown frequency {frequency!r}")
    name = " ".join((name or "").split())[:NAME_MAX_LENGTH]
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        allowed = set(lists_for_preferences(subscriber).values_list("pk", flat=True))
        wanted = {item.pk for item in lists} & allowed
        if not wanted:
            raise ValueError("Choose at least one list, or unsubscribe from all.")
        current = dict(
            Subscription.objects.filter(subscriber=subscriber).values_list(
                "distribution_list_id", "frequency"
            )
        )
        removed = sorted(set(current) - wanted)
        added = sorted(wanted - set(current))
        refrequenced = sorted(
            pk for pk in wanted & set(current) if current[pk] != frequency
        )
        details_changed = (
            subscriber.name != name
            or subscriber.audience_id != (audience.pk if audience else None)
            or subscriber.organisation_id != (organisation.pk if organisation else None)
        )
        reactivated = subscriber.status != Subscriber.Status.ACTIVE
        if not (removed or added or refrequenced or details_changed or reactivated):
            return False

        Subscription.objects.filter(
            subscriber=subscriber, distribution_list_id__in=removed
        ).delete()
        Subscription.objects.filter(
            subscriber=subscriber, distribution_list_id__in=refrequenced
        ).update(frequency=frequency)
        Subscription.objects.bulk_create(
            [
                Subscription(
                    subscriber=subscriber, distribution_list_id=pk, frequency=frequency
                )
                for pk in added
            ],
            ignore_conflicts=True,
        )
        subscriber.name = name
        subscriber.audience = audience
        subscriber.organisation = organisation
        if reactivated:
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.status_changed_at = timezone.now()
            subscriber.soft_bounce_count = 0
        subscriber.pending_choices = {}
        subscriber.save()
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.CHANGED,
            method=ConsentRecord.Method.PREFERENCE_CENTRE,
            details={
                "added": added,
                "removed": removed,
                "frequency": frequency,
                "details_changed": details_changed,
                "resubscribed": reactivated,
            },
        )
    return True


def unsubscribe(
    subscriber: Subscriber,
    lists: Iterable[DistributionList] | None = None,
    method: str = ConsentRecord.Method.PREFERENCE_CENTRE,
    reason: str = "",
) -> bool:
    """Leave some lists, or (``lists=None``) everything; True if anything changed.

    Leaving the last list is leaving everything. Leaving everything also drops any
    pending choices, so an old confirmation link cannot subscribe them again.
    Repeating it changes and records nothing. ``reason``: a key of
    ``UNSUBSCRIBE_REASONS`` if they gave one (anything else is not recorded).
    """
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        subscriptions = Subscription.objects.filter(subscriber=subscriber)
        if lists is not None:
            ids = [item.pk for item in lists]
            subscriptions = subscriptions.filter(distribution_list_id__in=ids)
        left = sorted(subscriptions.values_list("distribution_list_id", flat=True))
        subscriptions.delete()
        everything = (
            lists is None
            or not Subscription.objects.filter(subscriber=subscriber).exists()
        )
        changed = bool(left)
        if everything:
            fields = []
            if subscriber.status in (
                Subscriber.Status.ACTIVE,
                Subscriber.Status.PENDING,
            ):
                subscriber.status = Subscriber.Status.UNSUBSCRIBED
                subscriber.status_changed_at = timezone.now()
                fields += ["status", "status_changed_at"]
            if subscriber.pending_choices:
                subscriber.pending_choices = {}
                fields.append("pending_choices")
            if fields:
                subscriber.save(update_fields=fields)
                changed = True
        if changed:
            details = {"lists": "all" if lists is None else left}
            if reason in dict(UNSUBSCRIBE_REASONS):
                details["reason"] = reason
            ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.UNSUBSCRIBED,
                method=method,
                details=details,
            )
    return changed


# --- Data export and erasure -------------------------------------------------------


def _when(value) -> str | None:
    return value.isoformat() if value else None


def export_data(subscriber: Subscriber) -> dict:
    """Everything we hold about a subscriber, as JSON-ready data."""
    subscriber = Subscriber.objects.select_related("audience", "organisation").get(
        pk=subscriber.pk
    )
    subscriptions = (
        Subscription.objects.filter(subscriber=subscriber)
        .select_related("distribution_list")
        .order_by("distribution_list__sort_order", "distribution_list__name")
    )
    deliveries = (
        Delivery.objects.filter(subscriber=subscriber)
        .select_related("send")
        .order_by("send__created_at", "pk")
    )
    by_status = Counter()
    emails = []
    for delivery in deliveries:
        by_status[delivery.status] += 1
        emails.append(
            {
                "subject": delivery.send.subject,
                "kind": delivery.send.kind,
                "status": delivery.status,
                "sent_at": _when(delivery.sent_at),
            }
        )
    pending = subscriber.pending_choices or {}
    return {
        "exported_at": timezone.now().isoformat(),
        "about": (
            f"The data {settings.WAGTAIL_SITE_NAME} holds about {subscriber.email}."
        ),
        "subscriber": {
            "email": subscriber.email,
            "name": subscriber.name,
            "role": subscriber.audience.name if subscriber.audience else None,
            "organisation": subscriber.organisation.name
            if subscriber.organisation
            else None,
            "status": subscriber.status,
            "created_at": _when(subscriber.created_at),
            "confirmed_at": _when(subscriber.confirmed_at),
            "status_changed_at": _when(subscriber.status_changed_at),
            "last_digest_at": _when(subscriber.last_digest_at),
            "soft_bounce_count": subscriber.soft_bounce_count,
            "waiting_for_confirmation": {
                "lists": [
                    item.name
                    for item in public_lists().filter(pk__in=_ids(pending.get("lists")))
                ],
                "frequency": pending.get("frequency"),
            }
            if pending
            else None,
        },
        "subscriptions": [
            {
                "list": item.distribution_list.name,
                "frequency": item.frequency,
                "since": _when(item.created_at),
            }
            for item in subscriptions
        ],
        "consent_records": [
            {
                "action": record.action,
                "method": record.method,
                "wording_version": record.wording_version,
                "wording": CONSENT_WORDING.get(record.wording_version, ""),
                "details": record.details,
                "at": _when(record.created_at),
            }
            for record in ConsentRecord.objects.filter(subscriber=subscriber)
        ],
        "emails": {
            "total": len(emails),
            "by_status": dict(sorted(by_status.items())),
            "items": emails,
        },
        "bounces_and_complaints": [
            {
                "kind": event.kind,
                "description": event.description,
                "at": _when(event.received_at),
            }
            for event in DeliveryEvent.objects.filter(
                Q(subscriber=subscriber) | Q(email=subscriber.email)
            ).order_by("received_at", "pk")
        ],
    }


def email_data_export(subscriber: Subscriber) -> Send:
    """Email the subscriber a link to download their data (good for 24 hours)."""
    text = render_to_string(
        "emails/subscription_export.txt",
        {
            "export_url": tokens.link(subscriber, tokens.EXPORT),
            "preferences_url": tokens.link(subscriber, tokens.PREFERENCES),
            "hours": tokens.MAX_AGE[tokens.EXPORT] // 3600,
            "contact_line": settings.CONTACT_LINE,
            "site_name": settings.WAGTAIL_SITE_NAME,
        },
    )
    return sending.send_transactional(
        to=subscriber.email,
        subject="Your data from our email updates",
        text=text,
        subscriber=subscriber,
        key=f"subscription-export:{subscriber.pk}:{_window()}",
    )


def erase(subscriber: Subscriber) -> None:
    """Delete everything about a subscriber; every link they were sent stops working.

    Their deliveries go with them (cascade), as do emails sent only to them
    (confirmations, exports) and bounce or complaint reports about the address.
    """
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        own_sends = _sends_only_to(subscriber)
        Delivery.objects.filter(email=subscriber.email).delete()
        DeliveryEvent.objects.filter(
            Q(subscriber=subscriber) | Q(email=subscriber.email)
        ).delete()
        Send.objects.filter(pk__in=own_sends).delete()
        subscriber.delete()


def _sends_only_to(subscriber: Subscriber) -> list[int]:
    """Transactional sends whose every delivery is to this subscriber."""
    candidates = set(
        Delivery.objects.filter(
            Q(subscriber=subscriber) | Q(email=subscriber.email),
            send__kind=Send.Kind.TRANSACTIONAL,
        ).values_list("send_id", flat=True)
    )
    if not candidates:
        return []
    shared = set(
        Delivery.objects.filter(send_id__in=candidates)
        .exclude(Q(subscriber=subscriber) | Q(email=subscriber.email))
        .values_list("send_id", flat=True)
    )
    return sorted(candidates - shared)
