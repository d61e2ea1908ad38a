"""Uptake reminders: QI leads are told when a first response is due and overdue,
and long-overdue items are escalated to the organisation's named lead.

Run daily by Celery beat (``qipacks.send_uptake_reminders``). For every
organisation and every live recommendation that applies to its type and has **no
response**, one of three reminders can fall due on ``today``:

``due``
    from ``response_due - UPTAKE_REMINDER_DAYS_BEFORE`` days up to and including
    the due date itself;
``overdue``
    from the day after the due date;
``escalated``
    from ``response_due + UPTAKE_ESCALATE_AFTER_DAYS`` days, to the organisation's
    named lead (the ``overdue`` one to the QI leads is still sent if it was not).

"No response" means the organisation has no uptake record for the
recommendation, or its record still says **not started**. A "not started" entry
tells us nobody has begun: the reminder (and, in time, the escalation) is still
useful. Any other status (planned, in progress, implemented, not applicable) is a
response and stops all reminders for that recommendation.

Each organisation gets at most one email per kind per run to each recipient,
listing all its items, never one per recommendation. Due and overdue reminders go
to the organisation's QI leads (``Membership`` role ``qi_lead``, active accounts
with an email address); escalations go to the named lead's address.

Exactly once per due date: every (recommendation, organisation, kind, due date)
is recorded as an ``UptakeReminder`` (unique) in the same transaction that queues
the email through ``bulletins.sending.send_transactional`` with a key made from
the same facts. Each organisation is handled in its own transaction holding a
lock on the organisation's row, so a rerun, a second run started at the same
moment, or a rerun after a crash finds the reminders already recorded (or
nothing committed at all) and sends nothing twice. If an editor changes a
recommendation's due date, the new date is a new reminder and is sent again.

What is *not* recorded: an item with nobody to tell (no QI lead with an email,
or no named lead's address for an escalation) is logged with the ids and
returned in the run's ``skipped`` list, but no ``UptakeReminder`` is written, so
the reminder goes out on a later run once someone is there to receive it.

Emails are plain text: the due date, what to do, and a link to ``/qi/``; never
another organisation's figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bulletins.sending import send_transactional
from website.models import Membership, Organisation

from .models import Recommendation, UptakeRecord, UptakeReminder, UptakeStatus
from .public import recommendation_path
from .services import live_recommendations

logger = logging.getLogger(__name__)

Kind = UptakeReminder.Kind
KINDS = (Kind.DUE, Kind.OVERDUE, Kind.ESCALATED)
# Statuses that are not (yet) a response: reminders continue.
NOT_A_RESPONSE = {UptakeStatus.NOT_STARTED}


@dataclass
class ReminderRun:
    """What one run did: emails queued and items reminded, per kind; what it skipped."""

    today: dt.date
    emails: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    items: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    skipped: list[str] = field(default_factory=list)

    @property
    def emails_sent(self) -> int:
        return sum(self.emails.values())


def kinds_due(response_due: dt.date, today: dt.date) -> list[str]:
    """The reminders a recommendation without a response has fallen due for."""
    before = dt.timedelta(days=settings.UPTAKE_REMINDER_DAYS_BEFORE)
    escalate = dt.timedelta(days=settings.UPTAKE_ESCALATE_AFTER_DAYS)
    if today <= response_due:
        return [Kind.DUE] if today >= response_due - before else []
    kinds = [Kind.OVERDUE]
    if today >= response_due + escalate:
        kinds.append(Kind.ESCALATED)
    return kinds


def qi_lead_addresses(organisation: Organisation) -> list[str]:
    """The organisation's QI leads' addresses: active accounts with an email."""
    emails = (
        Membership.objects.filter(
            organisation=organisation,
            role=Membership.Role.QI_LEAD,
            user__is_active=True,
        )
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    seen: dict[str, str] = {}
    for email in emails:
        seen.setdefault(email.strip().lower(), email.strip())
    return list(seen.values())


def send_uptake_reminders(today: dt.date | None = None) -> ReminderRun:
    """Send today's due, overdue and escalation reminders, each once per due date."""
    today = today or timezone.localdate()
    run = ReminderRun(today=today)
    recommendations = list(live_recommendations())
    if not recommendations:
        return run
    by_type: dict[str, list[Recommendation]] = defaultdict(list)
    for recommendation in recommendations:
        if not kinds_due(recommendation.response_due, today):
            continue
        for org_type in recommendation.applies_to:
            by_type[org_type].append(recommendation)
    if not by_type:
        return run
    organisations = Organisation.objects.filter(type__in=list(by_type)).order_by("pk")
    for organisation in organisations:
        candidates = by_type[organisation.type]
        try:
            _remind_organisation(organisation, candidates, run)
        except Exception:
            # One organisation's failure (rolled back, so retried tomorrow) must
            # not stop the others'.
            logger.exception(
                "uptake reminders failed organisation_id=%s", organisation.pk
            )
    logger.info(
        "uptake reminders %s: %s emails (%s), %s skipped",
        today,
        run.emails_sent,
        dict(run.emails),
        len(run.skipped),
    )
    return run


def _remind_organisation(
    organisation: Organisation, candidates: list[Recommendation], run: ReminderRun
) -> None:
    with transaction.atomic():
        # Runs for the same organisation take turns; the second then finds the
        # first's reminders recorded.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        ids = [r.pk for r in candidates]
        responded = set(
            UptakeRecord.objects.filter(
                organisation=organisation, recommendation_id__in=ids
            )
            .exclude(status__in=NOT_A_RESPONSE)
            .values_list("recommendation_id", flat=True)
        )
        reminded = set(
            UptakeReminder.objects.filter(
                organisation=organisation, recommendation_id__in=ids
            ).values_list("recommendation_id", "kind", "due_date")
        )
        pending: dict[str, list[Recommendation]] = defaultdict(list)
        for recommendation in candidates:
            if recommendation.pk in responded:
                continue
            for kind in kinds_due(recommendation.response_due, run.today):
                if (
                    recommendation.pk,
                    kind,
                    recommendation.response_due,
                ) not in reminded:
                    pending[kind].append(recommendation)
        if not pending:
            return
        leads = None
        for kind in KINDS:
            items = pending.get(kind)
            if not items:
                continue
            if kind == Kind.ESCALATED:
                address = organisation.named_lead_email.strip()
                recipients = [address] if address else []
                why = "it has no named lead's email address"
            else:
                if leads is None:
                    leads = qi_lead_addresses(organisation)
                recipients = leads
                why = "it has no QI lead with an email address"
            if not recipients:
                message = (
                    f"{kind} reminder not sent to organisation_id={organisation.pk} "
                    f"({organisation.code}) for recommendation_ids="
                    f"{','.join(str(r.pk) for r in items)}: {why}"
                )
                logger.warning(message)
                run.skipped.append(message)
                continue
            sends = [
                _send(organisation, kind, items, address, run.today)
                for address in recipients
            ]
            UptakeReminder.objects.bulk_create(
                [
                    UptakeReminder(
                        recommendation=recommendation,
                        organisation=organisation,
                        kind=kind,
                        due_date=recommendation.response_due,
                        send=sends[0],
                    )
                    for recommendation in items
                ]
            )
            run.emails[kind] += len(sends)
            run.items[kind] += len(items)
            logger.info(
                "uptake %s reminder organisation_id=%s recommendation_ids=%s "
                "recipients=%s",
                kind,
                organisation.pk,
                ",".join(str(r.pk) for r in items),
                len(sends),
            )


def reminder_key(organisation: Organisation, kind: str, items, address: str) -> str:
    """The same organisation, kind, items and due dates, and address: the same key."""
    facts = ",".join(sorted(f"{r.pk}@{r.response_due.isoformat()}" for r in items))
    digest = hashlib.sha256(f"{facts}|{address.lower()}".encode()).hexdigest()[:32]
    return f"uptake-reminder:{kind}:{organisation.pk}:{digest}"


SUBJECTS = {
    Kind.DUE: "QI response due by {due}: {count} recommendation{s} for {org}",
    Kind.OVERDUE: "Overdue QI response: {count} recommendation{s} for {org}",
    Kind.ESCALATED: "Escalation: {count} QI recommendation{s} overdue at {org}",
}


def compose(
    organisation: Organisation, kind: str, items, today: dt.date
) -> tuple[str, str]:
    """The subject and plain text of one reminder email."""
    items = sorted(items, key=lambda r: (r.response_due, r.pack.title, r.sort_order))
    earliest = items[0].response_due
    subject = SUBJECTS[kind].format(
        due=f"{earliest:%-d %B %Y}",
        count=len(items),
        s="" if len(items) == 1 else "s",
        org=organisation.name,
    )
    context = {
        "organisation": organisation,
        "items": [
            {
                "reference": r.reference,
                "pack": r.pack.title,
                "text": r.text,
                "due": r.response_due,
                "days_overdue": (today - r.response_due).days,
                "url": f"{settings.BASE_URL}"
                f"{recommendation_path(r.pack.url or '/', r.reference)}",
                "respond_url": _respond_url(r),
            }
            for r in items
        ],
        "count": len(items),
        "earliest": earliest,
        "qi_url": f"{settings.BASE_URL}/qi/",
        "escalate_after_days": settings.UPTAKE_ESCALATE_AFTER_DAYS,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "contact_line": settings.CONTACT_LINE,
    }
    text = render_to_string(f"emails/uptake_{kind}.txt", context)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return subject, text


def _respond_url(recommendation: Recommendation) -> str:
    """The QI lead area's short address for one recommendation (or the area)."""
    try:
        path = reverse("qi:recommendation_redirect", args=[recommendation.pk])
    except NoReverseMatch:
        path = "/qi/"
    return f"{settings.BASE_URL}{path}"


def _send(organisation, kind, items, address, today):
    subject, text = compose(organisation, kind, items, today)
    return send_transactional(
        to=address,
        subject=subject,
        text=text,
        key=reminder_key(organisation, kind, items, address),
    )
