"""Page views per day (no personal data), and ledgers that make jobs run once.

Page views are counted in Redis as pages are served (``impact.pageviews``) and
moved here every few minutes; each move is a ``PageViewBatch``, recorded in the
same transaction as the counts it adds, so a batch is never added twice.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PageViewDaily(models.Model):
    """How often one page was viewed on one day (UK date); nothing about who."""

    day = models.DateField()
    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty once the page is deleted; its views still count.",
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    views = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "page", "content_type"], name="one_view_row_per_day"
            )
        ]
        indexes = [models.Index(fields=["day", "content_type"])]
        permissions = [("view_report", "Can view the impact report")]
        verbose_name = "page views on a day"
        verbose_name_plural = "page views per day"

    def __str__(self):
        return f"Page {self.page_id} on {self.day}: {self.views} views"


class PageViewBatch(models.Model):
    """One set of counters moved from Redis (its key): added once, never twice."""

    key = models.CharField(max_length=200, unique=True)
    views = models.PositiveBigIntegerField(default=0)
    added_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.key}: {self.views} views"


class QuarterlySummary(models.Model):
    """The quarterly summary email to staff: one row per quarter, so once only."""

    quarter = models.CharField(max_length=7, unique=True, help_text="Like 2026-Q1")
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "quarterly summaries"

    def __str__(self):
        return f"Impact summary for {self.quarter}"
