"""Forms for the public subscription pages (HTTP only; the work is in subscriptions)."""

from __future__ import annotations

from django import forms

from website.models import Audience, Organisation, Theme

from . import subscriptions
from .models import DistributionList, Subscription

EMAIL_INVALID = "Enter an email address in the correct format, like name@example.com"
LISTS_INVALID = "Choose from the lists shown"
THEMES_INVALID = "Choose from the topics shown"
FREQUENCY_REQUIRED = "Select how often you want emails"
WORDING_CHANGED = (
    "This form has been updated. Read what you are agreeing to below and "
    "subscribe again"
)


class ListChoiceField(forms.ModelMultipleChoiceField):
    """Ticked ids from a known set; any other value is one plain-English error."""

    def __init__(self, queryset, *, message: str, **kwargs):
        super().__init__(
            queryset,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": message,
                "invalid_pk_value": message,
                "invalid_list": message,
            },
            **kwargs,
        )
        self.message = message

    def clean(self, value):
        # Ids are small positive numbers: anything else is refused before a query.
        values = value or []
        if (
            not isinstance(values, list | tuple)
            or len(values) > subscriptions.MAX_CHOICES
        ):
            raise forms.ValidationError(self.message, code="invalid_choice")
        for item in values:
            text = str(item)
            if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**31:
                raise forms.ValidationError(self.message, code="invalid_choice")
        return super().clean(values)


class OptionalChoiceField(forms.ModelChoiceField):
    """An optional pick from a vocabulary, refusing anything not offered."""

    def __init__(self, queryset, *, message: str, **kwargs):
        super().__init__(
            queryset,
            required=False,
            error_messages={"invalid_choice": message},
            **kwargs,
        )
        self.message = message

    def clean(self, value):
        if value not in self.empty_values:
            text = str(value)
            if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**31:
                raise forms.ValidationError(self.message, code="invalid_choice")
        return super().clean(value)


class SingleLineField(forms.CharField):
    """Text on one line: a line break (or any control character) is refused."""

    def __init__(self, *, label: str, max_length: int, **kwargs):
        super().__init__(
            max_length=max_length,
            required=False,
            error_messages={
                "max_length": f"{label} must be {max_length} characters or fewer"
            },
            **kwargs,
        )
        self.label_text = label

    def validate(self, value):
        super().validate(value)
        if value and not subscriptions.is_single_line(value):
            raise forms.ValidationError(
                f"{self.label_text} must be on one line, without special characters",
                code="invalid",
            )


class EmailAddressField(forms.CharField):
    """One plain address, checked before anything else looks at it."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=None,
            strip=True,
            error_messages={"required": "Enter your email address"},
            **kwargs,
        )

    def validate(self, value):
        super().validate(value)
        if len(value) > subscriptions.EMAIL_MAX_LENGTH:
            raise forms.ValidationError(
                "Email address must be 254 characters or fewer", code="max_length"
            )
        if not subscriptions.is_deliverable_address(value):
            raise forms.ValidationError(EMAIL_INVALID, code="invalid")

    def clean(self, value):
        return super().clean(value).lower()


class DetailsForm(forms.Form):
    """Name, role and organisation: optional, on both the subscribe and manage forms."""

    name = SingleLineField(label="Name", max_length=subscriptions.NAME_MAX_LENGTH)
    audience = OptionalChoiceField(
        Audience.objects.all(),
        message="Choose your role from the list, or leave it blank",
        widget=forms.RadioSelect,
        empty_label=None,
    )
    organisation = OptionalChoiceField(
        Organisation.objects.all(),
        message="Choose your organisation from the list, or leave it blank",
        empty_label="Not listed, or I'd rather not say",
    )
    frequency = forms.ChoiceField(
        choices=Subscription.Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": FREQUENCY_REQUIRED,
            "invalid_choice": FREQUENCY_REQUIRED,
        },
    )


class SubscribeForm(DetailsForm):
    """Email, lists (or topics for a role), frequency, and a box only robots fill in."""

    HONEYPOT = "leave_blank"

    email = EmailAddressField()
    lists = ListChoiceField(subscriptions.public_lists(), message=LISTS_INVALID)
    themes = ListChoiceField(Theme.objects.all(), message=THEMES_INVALID)
    wording = forms.CharField(
        max_length=32,
        error_messages={"required": WORDING_CHANGED, "max_length": WORDING_CHANGED},
    )
    leave_blank = forms.CharField(required=False, strip=False)

    field_order = [
        "email",
        "name",
        "audience",
        "organisation",
        "lists",
        "themes",
        "frequency",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["frequency"].initial = Subscription.Frequency.IMMEDIATE
        self.fields["wording"].initial = subscriptions.CURRENT_WORDING

    def clean_wording(self):
        wording = self.cleaned_data["wording"]
        if wording not in subscriptions.CONSENT_WORDING:
            raise forms.ValidationError(WORDING_CHANGED, code="wording")
        return wording

    def clean_leave_blank(self):
        if self.cleaned_data["leave_blank"]:
            raise forms.ValidationError("Leave this box empty.", code="honeypot")
        return ""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        lists = list(cleaned.get("lists") or [])
        themes = list(cleaned.get("themes") or [])
        audience = cleaned.get("audience")
        if not lists and not themes:
            self.add_error(
                "lists", "Choose at least one list, or at least one topic below"
            )
            return cleaned
        by_topic = list(
            subscriptions.lists_for_topics(
                [theme.pk for theme in themes], audience.pk if audience else None
            )
        )
        if themes and not by_topic and not lists:
            self.add_error(
                "themes",
                "No list covers those topics for your role yet. Choose from the "
                "lists shown instead",
            )
            return cleaned
        chosen = {item.pk: item for item in [*lists, *by_topic]}
        cleaned["chosen_lists"] = sorted(
            chosen.values(), key=lambda item: (item.sort_order, item.name)
        )
        return cleaned

    def is_from_robot(self) -> bool:
        """True when the hidden box was filled in, as only automated senders do."""
        return self.is_bound and self.has_error(self.HONEYPOT)

    def choices(self) -> dict:
        """What the task stores (JSON: ids, not objects)."""
        data = self.cleaned_data
        return {
            "lists": [item.pk for item in data["chosen_lists"]],
            "themes": [theme.pk for theme in data.get("themes") or []],
            "frequency": data["frequency"],
            "name": data.get("name") or "",
            "audience": data["audience"].pk if data.get("audience") else None,
            "organisation": data["organisation"].pk
            if data.get("organisation")
            else None,
        }


class PreferencesForm(DetailsForm):
    """The lists someone gets, how often, and their details."""

    lists = ListChoiceField(DistributionList.objects.none(), message=LISTS_INVALID)

    field_order = ["lists", "frequency", "name", "audience", "organisation"]

    def __init__(self, *args, lists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lists"].queryset = lists

    def clean_lists(self):
        lists = self.cleaned_data["lists"]
        if not lists:
            raise forms.ValidationError(
                "Choose at least one list. To stop all emails, use Unsubscribe from "
                "everything below",
                code="required",
            )
        return lists


class UnsubscribeListForm(forms.Form):
    """One list to leave, from the preference centre."""

    unsubscribe_list = forms.IntegerField(min_value=1, max_value=2**31 - 1)
