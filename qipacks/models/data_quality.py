"""The restricted data-quality area: indicators per organisation per period."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from website.models import Organisation


class DataQualityIndicator(models.Model):
    """A measure of notification quality (completeness, timeliness...)."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=20, default="%")
    higher_is_better = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class DataQualityImport(models.Model):
    """One CSV upload: what it held and, if rejected, why (row by row)."""

    filename = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0)
    accepted = models.BooleanField(default=False)
    errors = models.JSONField(default=list, blank=True)
    reports_created = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.filename} ({self.uploaded_at:%Y-%m-%d %H:%M})"


class DataQualityReport(models.Model):
    """One organisation's indicators for one period; only its members see it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="data_quality_reports"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    published_at = models.DateTimeField(default=timezone.now)
    source = models.ForeignKey(
        DataQualityImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )

    class Meta:
        ordering = ["-period_end", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start", "period_end"],
                name="one_data_quality_report_per_period",
            )
        ]

    def __str__(self):
        return f"{self.organisation}: {self.period_start} to {self.period_end}"


class DataQualityValue(models.Model):
    """One indicator's value in a report, with its target and the national median."""

    report = models.ForeignKey(
        DataQualityReport, on_delete=models.CASCADE, related_name="values"
    )
    indicator = models.ForeignKey(
        DataQualityIndicator, on_delete=models.PROTECT, related_name="values"
    )
    value = models.DecimalField(max_digits=7, decimal_places=2)
    target = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    national_median = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["indicator__sort_order", "indicator__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "indicator"], name="one_value_per_indicator"
            )
        ]

    def __str__(self):
        return f"{self.indicator}: {self.value}"


class DataQualityAccess(models.Model):
    """Who looked at what in the data-quality area, and when (staff can read it)."""

    class Action(models.TextChoices):
        LIST = "list", "Viewed the list of reports"
        VIEW = "view", "Viewed a report"
        DOWNLOAD = "download", "Downloaded a report"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=255)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    report = models.ForeignKey(
        DataQualityReport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accesses",
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    path = models.CharField(max_length=500)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "data-quality access log"

    def __str__(self):
        return f"{self.username} {self.get_action_display().lower()} at {self.at}"
