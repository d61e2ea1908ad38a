"""The registration form (HTTP only; the work is in ``webinars.registration``)."""

from __future__ import annotations

import re

from django import forms

from bulletins import subscriptions
from bulletins.forms import EmailAddressField

from .models import Registration

# Control characters other than line breaks and tabs, and the replacement
# character a broken (non-UTF-8) post decodes to.
_UNPRINTABLE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def _max(field: str) -> int:
    return Registration._meta.get_field(field).max_length


class LineField(forms.CharField):
    """Text on one line: line breaks and control characters are refused."""

    def __init__(self, *, label: str, max_length: int, required: bool = False):
        super().__init__(
            max_length=max_length,
            required=required,
            error_messages={
                "required": f"Enter your {label.lower()}",
                "max_length": f"{label} must be {max_length} characters or fewer",
            },
        )
        self.label_text = label

    def validate(self, value):
        super().validate(value)
        if value and (not subscriptions.is_single_line(value) or "\ufffd" in value):
            raise forms.ValidationError(
                f"{self.label_text} must be on one line, without special characters",
                code="invalid",
            )

    def clean(self, value):
        return " ".join(super().clean(value).split())


class NeedsField(forms.CharField):
    """Free text over several lines, without control characters."""

    def __init__(self, *, max_length: int):
        super().__init__(
            max_length=max_length,
            required=False,
            widget=forms.Textarea,
            error_messages={
                "max_length": f"Access needs must be {max_length:,} characters or "
                "fewer. Tell us the main things and we'll contact you about them",
            },
        )

    def validate(self, value):
        super().validate(value)
        if value and _UNPRINTABLE_TEXT.search(value):
            raise forms.ValidationError(
                "Access needs must be plain text, without special characters",
                code="invalid",
            )


class RegistrationForm(forms.Form):
    """Name, email, organisation, role, access needs, and a box only robots fill."""

    HONEYPOT = "leave_blank"

    name = LineField(label="Name", max_length=_max("name"), required=True)
    email = EmailAddressField()
    organisation = LineField(label="Organisation", max_length=_max("organisation"))
    role = LineField(label="Role", max_length=_max("role"))
    accessibility_needs = NeedsField(max_length=1000)
    leave_blank = forms.CharField(required=False, strip=False)

    def clean_leave_blank(self):
        if self.cleaned_data["leave_blank"]:
            raise forms.ValidationError("Leave this box empty.", code="honeypot")
        return ""

    def is_from_robot(self) -> bool:
        """True when the hidden box was filled in, as only automated senders do."""
        return self.is_bound and self.has_error(self.HONEYPOT)

    def registration_details(self) -> dict:
        """The keyword arguments for ``registration.register``."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "email": data["email"],
            "organisation": data["organisation"],
            "role": data["role"],
            "accessibility_needs": data["accessibility_needs"],
        }


class CancelForm(forms.Form):
    """The confirm step's button: only "yes" cancels."""

    confirm = forms.ChoiceField(choices=[("yes", "Yes")])
