"""Admin forms for email: choosing lists for a send, and adding a subscriber by hand.

Every message a person sees says what went wrong and what to do next. Every value
arrives from a form the browser could have tampered with, so list ids are checked
against the database (unknown, non-numeric and out-of-range ids are form errors),
times are parsed strictly, and text with control characters (CR/LF) is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django import forms
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format

from website.models import Audience, Organisation

from . import sending, subscriptions
from .models import ConsentRecord, DistributionList, Subscriber, Subscription

LONDON = ZoneInfo("Europe/London")
# More ids than there are lists is tampering; refuse before asking the database.
MAX_LISTS = 200
# A send scheduled further ahead than this is almost certainly a typing mistake.
MAX_SCHEDULE_AHEAD = dt.timedelta(days=366)


def lists_with_counts():
    """Every list with its active subscribers (all, and "immediately"), one query."""
    active = Q(subscriptions__subscriber__status=Subscriber.Status.ACTIVE)
    return DistributionList.objects.annotate(
        active_count=Count("subscriptions", filter=active),
        immediate_count=Count(
            "subscriptions",
            filter=active
            & Q(subscriptions__frequency=Subscription.Frequency.IMMEDIATE),
        ),
    ).order_by("sort_order", "name")


def people(count: int) -> str:
    return f"{count:,} {'person' if count == 1 else 'people'}"


def list_label(distribution_list) -> str:
    """The list's name, who it is for, and (for a send) how many it reaches now."""
    label = distribution_list.name
    if not distribution_list.is_public:
        label += " (staff only)"
    count = getattr(distribution_list, "immediate_count", None)
    if count is not None:
        label += f": {people(count)} {'gets' if count == 1 else 'get'} each email"
        weekly = distribution_list.active_count - count
        if weekly:
            label += f", {weekly:,} only a weekly digest"
    return label


class ListsField(forms.ModelMultipleChoiceField):
    """Checkboxes of distribution lists; refuses more ids than could be real."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", lists_with_counts())
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return list_label(obj)

    def clean(self, value):
        if value and not isinstance(value, str) and len(value) > MAX_LISTS:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().clean(value)


LIST_ERRORS = {
    "required": "Choose at least one list to send to",
    "invalid_choice": "Choose lists from the ones shown. One of the lists you "
    "chose no longer exists: it may have been deleted since the page was loaded",
    "invalid_pk_value": "Choose lists from the ones shown",
    "invalid_list": "Choose lists from the ones shown",
}


class ChooseListsForm(forms.Form):
    """Step 1 of a send: which lists, and when (now, or a future time in the UK)."""

    lists = ListsField(
        label="Who should get this email?",
        help_text="A person on more than one of these lists gets one email.",
        error_messages={
            **LIST_ERRORS,
            "invalid_choice": "Choose lists from the ones shown. A list you chose "
            "no longer exists",
        },
    )
    send_date = forms.DateField(
        label="Date (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text="Leave the date and time empty to send straight away.",
        error_messages={"invalid": "Enter a real date, like 2026-12-03"},
    )
    send_time = forms.TimeField(
        label="Time, UK time (optional)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
        error_messages={"invalid": "Enter a real time, like 09:30"},
    )

    def clean(self):
        cleaned = super().clean()
        day, time = cleaned.get("send_date"), cleaned.get("send_time")
        if "send_date" in self.errors or "send_time" in self.errors:
            return cleaned
        if (day is None) != (time is None):
            missing = "send_time" if time is None else "send_date"
            self.add_error(
                missing,
                "Enter both a date and a time to schedule the email, or leave both "
                "empty to send it now",
            )
            return cleaned
        cleaned["scheduled_for"] = None
        if day is not None:
            when = dt.datetime.combine(day, time).replace(tzinfo=LONDON)
            now = timezone.now()
            if when <= now:
                self.add_error(
                    "send_date",
                    "The time to send must be in the future. To send now, leave "
                    "the date and time empty",
                )
            elif when - now > MAX_SCHEDULE_AHEAD:
                self.add_error(
                    "send_date", "Choose a time to send within the next 12 months"
                )
            else:
                cleaned["scheduled_for"] = when
        return cleaned

    @property
    def scheduled_for(self):
        return self.cleaned_data.get("scheduled_for")

    def query(self) -> dict:
        """The choices as query parameters, to carry them from step to step."""
        data = {"lists": [str(item.pk) for item in self.cleaned_data["lists"]]}
        if self.scheduled_for:
            local = self.scheduled_for.astimezone(LONDON)
            data["send_date"] = local.strftime("%Y-%m-%d")
            data["send_time"] = local.strftime("%H:%M")
        return data

    def describe_schedule(self) -> str:
        if not self.scheduled_for:
            return "Now"
        local = self.scheduled_for.astimezone(LONDON)
        return date_format(local, "l j F Y \\a\\t H:i") + " (UK time)"


class ConfirmSendForm(ChooseListsForm):
    """Step 2: the same choices again, and a one-time key against double sends."""

    key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form has expired. Check the email again, then send it",
            "invalid": "This form has expired. Check the email again, then send it",
        },
    )

    def clean(self):
        cleaned = super().clean()
        lists = cleaned.get("lists")
        if lists and not self.errors and sending.count_recipients(lists) == 0:
            self.add_error(
                "lists",
                "Nobody on the lists you chose would get this email. Choose other "
                "lists, or add subscribers first",
            )
        return cleaned


# --- Adding a subscriber by hand ---------------------------------------------------


class PlainLineField(forms.CharField):
    """One line of plain text: control characters (CR/LF included) are refused."""

    default_error_messages = {"invalid": "Enter the name on one line, in plain text"}

    def validate(self, value):
        super().validate(value)
        if value and not subscriptions.is_single_line(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictEmailField(forms.EmailField):
    """An address we can put in a ``To`` header: no spaces, quotes or line breaks."""

    def clean(self, value):
        value = super().clean(value)
        value = (value or "").strip().lower()
        if value and not subscriptions.is_deliverable_address(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return value


@dataclass
class StaffAddition:
    """What adding a person by hand did, for the message shown afterwards."""

    subscriber: Subscriber
    added: list = field(default_factory=list)
    already_on: list = field(default_factory=list)
    awaiting_confirmation: list = field(default_factory=list)


class AddSubscriberForm(forms.Form):
    """A person added by staff: to staff-only lists at once; public lists by email.

    Staff-only lists are the programme's own working lists, so the team may add
    people to them directly. A public list needs the person's own consent: they are
    sent the same confirmation email as the subscribe form sends, and join only
    when they use its link.
    """

    email = StrictEmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter an email address",
            "invalid": "Enter an email address in the correct format, like "
            "name@example.com",
            "max_length": "Enter an email address of 254 characters or fewer",
        },
    )
    name = PlainLineField(
        label="Name (optional)",
        max_length=120,
        required=False,
        error_messages={"max_length": "Enter a name of 120 characters or fewer"},
    )
    audience = forms.ModelChoiceField(
        label="Role (optional)",
        queryset=Audience.objects.order_by("sort_order", "name"),
        required=False,
        error_messages={"invalid_choice": "Choose a role from the list"},
    )
    organisation = forms.ModelChoiceField(
        label="Organisation (optional)",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        error_messages={"invalid_choice": "Choose an organisation from the list"},
    )
    lists = ListsField(
        label="Lists",
        queryset=DistributionList.objects.order_by("sort_order", "name"),
        help_text="Staff-only lists start at once. For a public list the person "
        "is sent an email and joins only when they confirm.",
        error_messages={**LIST_ERRORS, "required": "Choose at least one list"},
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Subscription.Frequency.choices,
        initial=Subscription.Frequency.IMMEDIATE,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how often they get email",
            "invalid_choice": "Choose how often they get email",
        },
    )

    BLOCKED = {
        Subscriber.Status.BOUNCED: "Email to this address bounced, so it cannot be "
        "added by hand. Check the address with the person",
        Subscriber.Status.COMPLAINED: "This person marked our email as spam, so "
        "they cannot be added by hand. They can subscribe again themselves from "
        "the subscribe page",
    }

    def clean(self):
        cleaned = super().clean()
        email, lists = cleaned.get("email"), cleaned.get("lists")
        if not email:
            return cleaned
        existing = Subscriber.objects.filter(email=email).first()
        if existing is None:
            return cleaned
        if existing.status in self.BLOCKED:
            self.add_error("email", self.BLOCKED[existing.status])
        elif existing.status == Subscriber.Status.UNSUBSCRIBED and any(
            not item.is_public for item in lists or ()
        ):
            when = date_format(timezone.localtime(existing.status_changed_at), "j F Y")
            self.add_error(
                "email",
                f"This person unsubscribed on {when}, so they cannot be added to a "
                "staff-only list by hand. They can subscribe again themselves from "
                "the subscribe page",
            )
        return cleaned

    def save(self, *, user) -> StaffAddition:
        """Add the person (see the class docstring); any email goes on commit."""
        data = self.cleaned_data
        staff_lists = [item for item in data["lists"] if not item.is_public]
        public_lists = [item for item in data["lists"] if item.is_public]
        now = timezone.now()
        with transaction.atomic():
            # Details for public lists wait for the person's confirmation.
            details = ("name", "audience", "organisation") if staff_lists else ()
            subscriber, created = Subscriber.objects.get_or_create(
                email=data["email"], defaults={name: data[name] for name in details}
            )
            subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
            if subscriber.status in self.BLOCKED:  # changed since the form was checked
                raise forms.ValidationError(self.BLOCKED[subscriber.status])
            result = StaffAddition(subscriber=subscriber)
            if staff_lists:
                if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
                    raise forms.ValidationError(
                        "This person has just unsubscribed. They can subscribe "
                        "again themselves from the subscribe page"
                    )
                for item in staff_lists:
                    _, made = Subscription.objects.get_or_create(
                        subscriber=subscriber,
                        distribution_list=item,
                        defaults={"frequency": data["frequency"]},
                    )
                    (result.added if made else result.already_on).append(item)
                if subscriber.status != Subscriber.Status.ACTIVE:
                    subscriber.status = Subscriber.Status.ACTIVE
                    subscriber.status_changed_at = now
                    subscriber.confirmed_at = subscriber.confirmed_at or now
                for name in details:
                    if data[name] and not getattr(subscriber, name):
                        setattr(subscriber, name, data[name])
                subscriber.save()
            if public_lists:
                result.awaiting_confirmation = public_lists
                subscriptions.handle_subscription_request(
                    subscriber.email,
                    {
                        "lists": [item.pk for item in public_lists],
                        "frequency": data["frequency"],
                        "name": data["name"],
                        "audience": data["audience"].pk if data["audience"] else None,
                        "organisation": data["organisation"].pk
                        if data["organisation"]
                        else None,
                    },
                    subscriptions.CURRENT_WORDING,
                )
            ConsentRecord.objects.create(
                subscriber=subscriber,
                action=ConsentRecord.Action.ADDED_BY_STAFF,
                method=ConsentRecord.Method.ADMIN,
                details={
                    "by_user": user.pk,
                    "new_subscriber": created,
                    "lists_added": [item.pk for item in result.added],
                    "awaiting_confirmation": [item.pk for item in public_lists],
                    "frequency": data["frequency"],
                },
            )
        return result
