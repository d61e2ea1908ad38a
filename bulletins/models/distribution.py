"""Who gets what: distribution lists, subscribers, subscriptions and consent.

A subscriber never has a password: every link in every email carries a signed
token derived from ``Subscriber.token`` (see ``bulletins/tokens.py``), so erasing a
subscriber, or rotating their token, makes every old link useless.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from wagtail.admin.panels import FieldPanel

from website.models import Audience, Organisation, Theme


def new_token() -> str:
    return secrets.token_urlsafe(32)


class DistributionList(models.Model):
    """A list people subscribe to; it carries content of some themes and audiences.

    An empty ``themes`` (or ``audiences``) means every theme (or audience).
    """

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: anyone can subscribe"
        STAFF = "staff", "Staff only: added by the programme team"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(
        max_length=400, help_text="One or two sentences shown on the subscribe form."
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="+")
    audiences = models.ManyToManyField(Audience, blank=True, related_name="+")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("themes"),
        FieldPanel("audiences"),
        FieldPanel("visibility"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Subscriber.Status.ACTIVE)

    def by_email(self, email: str):
        return self.filter(email=normalise_email(email))


def normalise_email(email: str) -> str:
    """One spelling per address: trimmed and lower-cased."""
    return (email or "").strip().lower()


class Subscriber(models.Model):
    """A person who gets email from the programme. Only ``active`` ones are sent to."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        ACTIVE = "active", "Active"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Marked as spam"

    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=120, blank=True)
    audience = models.ForeignKey(
        Audience,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Their role; content for other audiences is left out of digests.",
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    # What a confirmation link will apply, for a new address or a known one alike.
    pending_choices = models.JSONField(default=dict, blank=True)
    soft_bounce_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")),
                name="subscriber_email_lower_case",
            )
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Subscription(models.Model):
    """A subscriber on a list, immediately or as a weekly digest."""

    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", "As soon as something is published"
        WEEKLY = "weekly", "Once a week, in a digest"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    distribution_list = models.ForeignKey(
        DistributionList, on_delete=models.CASCADE, related_name="subscriptions"
    )
    frequency = models.CharField(
        max_length=16, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "distribution_list"], name="unique_subscription"
            )
        ]
        indexes = [models.Index(fields=["distribution_list", "subscriber"])]

    def __str__(self):
        return f"{self.subscriber} on {self.distribution_list}"


class ConsentRecord(models.Model):
    """What a subscriber agreed to (or withdrew), when, how, and the words shown."""

    class Action(models.TextChoices):
        REQUESTED = "requested", "Asked to subscribe"
        CONFIRMED = "confirmed", "Confirmed by email link"
        CHANGED = "changed", "Changed preferences"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        ADDED_BY_STAFF = "added_by_staff", "Added by staff"

    class Method(models.TextChoices):
        WEB_FORM = "web_form", "Subscribe form"
        EMAIL_LINK = "email_link", "Link in an email"
        PREFERENCE_CENTRE = "preference_centre", "Preference centre"
        ONE_CLICK = "one_click", "One-click unsubscribe (email program)"
        BOUNCE = "bounce", "Address bounced"
        COMPLAINT = "complaint", "Marked as spam"
        ADMIN = "admin", "Admin"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="consent_records"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    method = models.CharField(max_length=24, choices=Method.choices)
    wording_version = models.CharField(max_length=32, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d})"
