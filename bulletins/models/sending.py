"""Sends and deliveries: one row per person per send, so nothing is lost or repeated.

A ``Send`` holds the email rendered once (subject, preheader, HTML, text). It expands
into one ``Delivery`` per person (unique per send and subscriber), and batch tasks
move each delivery ``pending -> claimed -> sending -> sent`` (or ``failed`` with the
reason, or ``skipped`` when the person stopped being active first). See
``bulletins/sending.py`` for the guarantees and the one window no system can close.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

from .distribution import DistributionList, Subscriber


class Send(models.Model):
    class Kind(models.TextChoices):
        BULLETIN = "bulletin", "Bulletin"
        SAFETY_MESSAGE = "safety_message", "Safety message"
        DIGEST = "digest", "Weekly digest"
        WEBINAR = "webinar", "Webinar"
        TRANSACTIONAL = "transactional", "Transactional"
        TEST = "test", "Test to self"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    # What makes two requests the same send (a page notified once, a digest week,
    # a confirmation): a rerun finds the existing send instead of making another.
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lists = models.ManyToManyField(DistributionList, blank=True, related_name="sends")
    subject = models.CharField(max_length=255)
    preheader = models.CharField(max_length=255, blank=True)
    html = models.TextField(blank=True)
    text = models.TextField()
    # Files sent with every message (a calendar invitation): a list of
    # {"filename", "content_type", "content"} with text content.
    attachments = models.JSONField(default=list, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def queue(self) -> str:
        """Transactional mail (confirmations, tests) goes ahead of bulk."""
        if self.kind in (self.Kind.TRANSACTIONAL, self.Kind.TEST):
            return "transactional"
        return "bulk"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Queued"
        CLAIMED = "claimed", "Being sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Not sent (no longer subscribed)"

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["send", "subscriber"], name="one_delivery_per_person_per_send"
            )
        ]
        indexes = [
            models.Index(fields=["send", "status"]),
            models.Index(
                fields=["status", "claimed_at"],
                name="delivery_in_flight",
                condition=models.Q(status__in=["claimed", "sending"]),
            ),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.email} ({self.get_status_display()})"

    @property
    def message_id(self) -> str:
        return message_id_for(self.send_id, self.pk)


class SentMark(models.Model):
    """A message the mail server accepted and its delivery row does not say yet.

    Inserting a mark costs PostgreSQL about a third of updating the delivery row
    (a narrow table with one index, against a row in three), and it rides in the
    same round trip as the next person's check. Each batch folds its marks into
    its delivery rows (``status = 'sent'``) and deletes them in one statement at
    its end; a re-run after a kill, ``give_up_batch`` and the sweep fold them first,
    so a message the server took is never sent again. No foreign keys: the check
    they would add per insert is the cost this table avoids.
    """

    delivery_id = models.BigIntegerField(primary_key=True)
    send_id = models.BigIntegerField()
    sent_at = models.DateTimeField()

    def __str__(self):
        return f"Delivery {self.delivery_id} sent at {self.sent_at}"


def message_domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "localhost"


def message_id_for(send_id: int, delivery_id: int) -> str:
    """The same Message-ID however often a delivery is retried (receivers dedupe)."""
    return f"<cdr.{send_id}.{delivery_id}@{message_domain()}>"


class DeliveryEvent(models.Model):
    """A bounce or complaint reported for an address, by webhook or DSN."""

    class Kind(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SOFT_BOUNCE = "soft_bounce", "Soft bounce"
        COMPLAINT = "complaint", "Complaint"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    email = models.EmailField(max_length=254, blank=True)
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    send = models.ForeignKey(
        Send, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    source = models.CharField(max_length=32, help_text="webhook:<esp> or dsn")
    provider_event_id = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "provider_event_id"],
                condition=~models.Q(provider_event_id=""),
                name="one_event_per_provider_id",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.email}"


class SendSummary(models.Model):
    """What is kept of a send's deliveries once the rows are pruned."""

    send = models.OneToOneField(Send, on_delete=models.CASCADE, related_name="summary")
    counts = models.JSONField(default=dict)
    pruned_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Summary of {self.send}"


class DigestRun(models.Model):
    """One weekly digest run; the week is unique, so a rerun sends nothing twice."""

    week = models.CharField(max_length=8, unique=True, help_text="ISO week, 2026-W47")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    sends = models.ManyToManyField(Send, blank=True, related_name="+")
    subscribers_sent = models.PositiveIntegerField(default=0)
    subscribers_with_nothing = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period_end"]

    def __str__(self):
        return f"Digest {self.week}"
