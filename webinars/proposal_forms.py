"""Forms for proposing and supporting webinar topics (HTTP only; the work is in
``webinars.proposals``), and for moderating them in the admin."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from bulletins.forms import EmailAddressField, OptionalChoiceField, SingleLineField
from website.feedback import clean_text
from website.models import Audience

from .models import TopicProposal, WebinarPage
from .proposals import DECLINE_REASON_MAX_LENGTH, PUBLIC

TITLE_MAX_LENGTH = TopicProposal._meta.get_field("title").max_length
WHY_MAX_LENGTH = TopicProposal._meta.get_field("why").max_length
NAME_MAX_LENGTH = TopicProposal._meta.get_field("proposer_name").max_length
MAX_ID = 2**63 - 1


class HoneypotMixin:
    """A box only robots fill in (hidden from people, screen readers and the tab
    order); filling it gets the neutral page and nothing is stored."""

    HONEYPOT = "leave_blank"

    def clean_leave_blank(self):
        if self.cleaned_data["leave_blank"]:
            raise forms.ValidationError("Leave this box empty.", code="honeypot")
        return ""

    def is_from_robot(self) -> bool:
        return self.is_bound and self.has_error(self.HONEYPOT)


class RequiredLine(SingleLineField):
    """One line of text that must be given."""

    def __init__(self, *, label: str, max_length: int, required_message: str):
        super().__init__(label=label, max_length=max_length)
        self.required = True
        self.error_messages["required"] = required_message


class ParagraphsField(forms.CharField):
    """Free text: control characters (other than line breaks) are removed first."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value) if value else value


class ProposeForm(HoneypotMixin, forms.Form):
    """A topic, why it matters, who it is for, and who is proposing it."""

    title = RequiredLine(
        label="Topic",
        max_length=TITLE_MAX_LENGTH,
        required_message="Enter the topic you would like a webinar on",
    )
    why = ParagraphsField(
        max_length=WHY_MAX_LENGTH,
        error_messages={
            "required": "Say why this topic matters",
            "max_length": f"Why it matters must be {WHY_MAX_LENGTH} characters "
            "or fewer",
        },
    )
    audience = OptionalChoiceField(
        Audience.objects.all(),
        message="Choose who it is for from the list, or leave it blank",
        empty_label="Everyone, or not sure",
    )
    name = RequiredLine(
        label="Name",
        max_length=NAME_MAX_LENGTH,
        required_message="Enter your name",
    )
    email = EmailAddressField()
    leave_blank = forms.CharField(required=False, strip=False)


class SupportForm(HoneypotMixin, forms.Form):
    """An address to confirm, and a box only robots fill in."""

    email = EmailAddressField()
    leave_blank = forms.CharField(required=False, strip=False)


# --- Moderation (admin) -------------------------------------------------------------


class IdChoiceField(forms.ModelChoiceField):
    """A pick from a queryset; ids that are not small positive numbers are refused
    before any query."""

    def to_python(self, value):
        if value not in self.empty_values:
            text = str(value)
            if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                )
        return super().to_python(value)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        help_text="Emailed to the proposer. Be kind and say what they could do "
        "instead.",
        max_length=DECLINE_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Give a reason: the proposer is emailed it",
            "max_length": f"The reason must be {DECLINE_REASON_MAX_LENGTH} "
            "characters or fewer",
        },
    )


class MergeForm(forms.Form):
    into = IdChoiceField(
        TopicProposal.objects.none(),
        label="Merge into",
        help_text="Its supporters move across (each person counted once) and it "
        "is hidden. The proposer is told.",
        error_messages={
            "required": "Choose the topic to merge this one into",
            "invalid_choice": "Choose a published or scheduled topic from the list",
        },
    )

    def __init__(self, *args, proposal: TopicProposal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = (
            TopicProposal.objects.filter(status__in=PUBLIC)
            .exclude(pk=proposal.pk)
            .order_by("title", "pk")
        )


class WebinarChoiceField(IdChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.title}: {obj.when_label}"


class ScheduleForm(forms.Form):
    webinar = WebinarChoiceField(
        WebinarPage.objects.none(),
        label="Webinar",
        help_text="Published webinars that have not finished and are not "
        "cancelled. The proposer and confirmed supporters are emailed a link.",
        error_messages={
            "required": "Choose the webinar that covers this topic",
            "invalid_choice": "Choose a webinar from the list",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["webinar"].queryset = (
            WebinarPage.objects.live()
            .filter(is_cancelled=False, ends_at__gt=timezone.now())
            .order_by("starts_at", "pk")
        )
