"""Uptake: what each organisation did about each recommendation, and its history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from website.models import Organisation

from ..storage import private_storage
from .pages import Recommendation


class UptakeStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


def _evidence_path(instance: EvidenceDocument, filename: str) -> str:
    # The stored name carries no personal or organisational detail; the original
    # name is kept in the row and given back on download.
    import uuid

    return f"evidence/{instance.organisation_id}/{uuid.uuid4().hex}"


class EvidenceDocument(models.Model):
    """A file attached as evidence; only the organisation's members and staff see it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="evidence_documents"
    )
    file = models.FileField(storage=private_storage, upload_to=_evidence_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.original_name


class UptakeRecord(models.Model):
    """Where one organisation stands on one recommendation (the latest word)."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="uptake_records"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="uptake_records"
    )
    status = models.CharField(max_length=16, choices=UptakeStatus.choices)
    not_applicable_reason = models.TextField(blank=True)
    evidence = models.TextField(blank=True)
    evidence_document = models.ForeignKey(
        EvidenceDocument,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="records",
    )
    next_review = models.DateField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "organisation"],
                name="one_uptake_record_per_organisation",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=UptakeStatus.NOT_APPLICABLE)
                | ~models.Q(not_applicable_reason=""),
                name="not_applicable_needs_a_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "recommendation"]),
            models.Index(fields=["recommendation", "status"]),
        ]

    def __str__(self):
        return f"{self.organisation} – {self.recommendation.reference}: {self.status}"


class UptakeChange(models.Model):
    """One change to an uptake record: who, when, old and new status.

    Append-only: PostgreSQL refuses any UPDATE of this table (a trigger added in
    the migration), so history cannot be rewritten, even from a shell.
    """

    record = models.ForeignKey(
        UptakeRecord, on_delete=models.CASCADE, related_name="changes"
    )
    # Copied from the record, so trends aggregate without a join.
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_by_name = models.CharField(
        max_length=255, help_text="Kept if the account is deleted."
    )
    changed_at = models.DateTimeField(default=timezone.now)
    old_status = models.CharField(
        max_length=16, choices=UptakeStatus.choices, blank=True
    )
    new_status = models.CharField(max_length=16, choices=UptakeStatus.choices)
    evidence = models.TextField(blank=True)
    not_applicable_reason = models.TextField(blank=True)
    next_review = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(fields=["record", "changed_at"]),
            models.Index(fields=["recommendation", "changed_at"]),
        ]

    def __str__(self):
        return f"{self.old_status or 'none'} → {self.new_status} ({self.changed_at})"


class UptakeReminder(models.Model):
    """One reminder sent for one due date: unique, so reruns send nothing twice."""

    class Kind(models.TextChoices):
        DUE = "due", "Response due"
        OVERDUE = "overdue", "Response overdue"
        ESCALATED = "escalated", "Escalated to the named lead"

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="uptake_reminders"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    due_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    send = models.ForeignKey(
        "bulletins.Send",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The email that carried it.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "organisation", "kind", "due_date"],
                name="one_reminder_per_due_date",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.organisation}, due {self.due_date}"
