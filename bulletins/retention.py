"""Keeping no more than we need: unconfirmed addresses and old delivery rows.

Both run nightly from Celery beat (``website/celery.py``), work in batches, and are
safe to run twice or at the same time as each other.

- ``delete_unconfirmed_subscribers``: an address that asked to subscribe and never
  used its confirmation link is deleted after ``UNCONFIRMED_SUBSCRIBER_DAYS``
  (counted from its last request, so asking again starts the clock again).
- ``prune_deliveries``: ``DELIVERY_RETENTION_DAYS`` after a send finished, its
  per-person delivery rows are counted into its ``SendSummary`` and deleted. The
  counts keep the keys ``sending.progress`` reads (``total``, ``pending``, ``sent``,
  ``failed``, ``skipped``) plus every delivery status, and ``hard_bounces``,
  ``soft_bounces`` and ``complaints`` from ``bounces.bounce_counts``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from .bounces import bounce_counts
from .models import ConsentRecord, Delivery, Send, SendSummary, Subscriber

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000

# Delivery statuses that mean a send still has work in flight.
_OPEN = (Delivery.Status.PENDING, Delivery.Status.CLAIMED, Delivery.Status.SENDING)


def delete_unconfirmed_subscribers(now=None) -> int:
    """Delete addresses never confirmed within the allowed days; how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.UNCONFIRMED_SUBSCRIBER_DAYS)
    recent_request = ConsentRecord.objects.filter(
        subscriber=OuterRef("pk"), created_at__gte=cutoff
    )
    expired = Subscriber.objects.filter(
        status=Subscriber.Status.PENDING,
        confirmed_at__isnull=True,
        created_at__lt=cutoff,
    ).exclude(Exists(recent_request))
    deleted = 0
    while True:
        with transaction.atomic():
            # Rows being confirmed right now are locked: skip them, they are not
            # expired any more once that commits.
            ids = list(
                expired.order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                break
            expired.filter(pk__in=ids).delete()
            deleted += len(ids)
    logger.info(
        "Retention: %s unconfirmed subscribers deleted (older than %s days)",
        deleted,
        settings.UNCONFIRMED_SUBSCRIBER_DAYS,
    )
    return deleted


def prune_deliveries(now=None) -> dict:
    """Summarise and delete the delivery rows of sends finished long enough ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DELIVERY_RETENTION_DAYS)
    has_rows = Delivery.objects.filter(send=OuterRef("pk"))
    has_open_rows = has_rows.filter(status__in=_OPEN)
    due = (
        Send.objects.filter(
            status__in=[Send.Status.SENT, Send.Status.CANCELLED],
            finished_at__lt=cutoff,
        )
        .exclude(Exists(has_open_rows))
        .filter(Q(Exists(has_rows)) | Q(summary__isnull=True))
        .order_by("pk")
    )
    sends = deliveries = 0
    for send_id in due.values_list("pk", flat=True):
        deliveries += _prune_send(send_id)
        sends += 1
    logger.info(
        "Retention: %s delivery rows of %s sends summarised and deleted "
        "(finished more than %s days ago)",
        deliveries,
        sends,
        settings.DELIVERY_RETENTION_DAYS,
    )
    return {"sends": sends, "deliveries": deliveries}


def _prune_send(send_id: int) -> int:
    """Move one send's rows into its summary, a batch per transaction."""
    deleted = 0
    while True:
        with transaction.atomic():
            # The summary row is the lock: two runs never count the same rows.
            summary, _ = SendSummary.objects.select_for_update().get_or_create(
                send_id=send_id
            )
            ids = list(
                Delivery.objects.filter(send_id=send_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            by_status = dict(
                Delivery.objects.filter(pk__in=ids)
                .values_list("status")
                .annotate(n=Count("pk"))
                .order_by()
            )
            if ids:
                Delivery.objects.filter(pk__in=ids).delete()
            summary.counts = _add(summary.counts or {}, by_status, send_id)
            summary.pruned_at = timezone.now()
            summary.save(update_fields=["counts", "pruned_at"])
        deleted += len(ids)
        if len(ids) < BATCH_SIZE:
            return deleted


def _add(counts: dict, by_status: dict, send_id: int) -> dict:
    result = {status: counts.get(status, 0) for status in Delivery.Status.values}
    for status, n in by_status.items():
        result[status] = result.get(status, 0) + n
    result["total"] = sum(result[status] for status in Delivery.Status.values)
    bounces = bounce_counts(Send(pk=send_id))
    result["hard_bounces"] = bounces["hard"]
    result["soft_bounces"] = bounces["soft"]
    result["complaints"] = bounces["complaints"]
    return result
