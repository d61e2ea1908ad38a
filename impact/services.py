"""The quarterly summary email: headline figures for staff, once per quarter."""

from __future__ import annotations

import datetime
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from mjml import mjml2html

from . import metrics
from .models import QuarterlySummary
from .periods import Period

logger = logging.getLogger(__name__)


def summary_recipients() -> list[str]:
    """``IMPACT_SUMMARY_RECIPIENTS`` if set, else the active staff who may view
    the report (given the permission directly or by a group, or superusers)."""
    if settings.IMPACT_SUMMARY_RECIPIENTS:
        return sorted(set(settings.IMPACT_SUMMARY_RECIPIENTS))
    permission = Permission.objects.filter(
        content_type__app_label="impact", codename="view_report"
    ).first()
    allowed = Q(is_superuser=True)
    if permission is not None:
        allowed |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    emails = (
        get_user_model()
        .objects.filter(allowed, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted({email.strip().lower() for email in emails})


def dashboard_url(period: Period) -> str:
    return f"{settings.BASE_URL}{reverse('impact_report')}?{urlencode(period.query())}"


def send_quarterly_summary(today: datetime.date | None = None) -> int:
    """Email the last full quarter's headline figures; how many emails were asked for.

    The quarter's ``QuarterlySummary`` row is made in the same transaction as the
    emails are queued (each once per address and quarter), so running this again,
    or twice at once, sends nothing more; if it fails, nothing is recorded and the
    next run sends the lot.
    """
    period = Period.last_full_quarter(today)
    with transaction.atomic():
        summary, created = QuarterlySummary.objects.get_or_create(quarter=period.key)
        if not created:
            logger.info("Impact summary for %s already sent", period.key)
            return 0
        recipients = summary_recipients()
        if recipients:
            _send(period, recipients)
        summary.recipients = len(recipients)
        summary.save(update_fields=["recipients"])
    logger.info("Impact summary for %s to %s people", period.key, len(recipients))
    return len(recipients)


def _send(period: Period, recipients: list[str]) -> None:
    from bulletins.sending import send_transactional

    report = metrics.report(period)
    subject = f"Impact report: {period.label}"
    context = {
        "subject": subject,
        "preheader": f"The platform's headline figures for {period.label}.",
        "period": period,
        "previous": report.previous,
        "headlines": report.headlines,
        "url": dashboard_url(period),
        "site_name": settings.WAGTAIL_SITE_NAME,
        "contact_line": settings.CONTACT_LINE,
    }
    html = mjml2html(render_to_string("emails/impact_summary.mjml", context))
    text = render_to_string("emails/impact_summary.txt", context).strip() + "\n"
    for email in recipients:
        send_transactional(
            to=email,
            subject=subject,
            text=text,
            html=html,
            key=f"impact-summary-{period.key}-{email}"[:200],
        )
