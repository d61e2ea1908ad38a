"""The feedback form a registrant fills in after a webinar (HTTP only)."""

from __future__ import annotations

import re

from django import forms

RATINGS = [
    (5, "5 - Excellent"),
    (4, "4 - Good"),
    (3, "3 - Fair"),
    (2, "2 - Poor"),
    (1, "1 - Very poor"),
]
TEXT_MAX_LENGTH = 2000
RATING_REQUIRED = "Select how you rate the webinar, from 1 to 5"
# Control characters other than line breaks and tabs: nobody types them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FeedbackText(forms.CharField):
    """Optional free text, up to 2,000 characters, with its error in plain English."""

    def __init__(self, *, label: str, **kwargs):
        super().__init__(
            required=False,
            max_length=TEXT_MAX_LENGTH,
            widget=forms.Textarea,
            error_messages={
                "max_length": f"{label} must be 2,000 characters or fewer",
                "null_characters_not_allowed": f"Remove the special characters "
                f"from {label.lower()}",
            },
            **kwargs,
        )
        self.label_text = label

    def validate(self, value):
        super().validate(value)
        if value and _CONTROL.search(value):
            raise forms.ValidationError(
                f"Remove the special characters from {self.label_text.lower()}",
                code="invalid",
            )


class FeedbackForm(forms.Form):
    """Rating (1 to 5), what was useful, what next."""

    rating = forms.TypedChoiceField(
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": RATING_REQUIRED, "invalid_choice": RATING_REQUIRED},
    )
    useful = FeedbackText(label="What was useful")
    next_topics = FeedbackText(label="What you would like next")
