"""Page feedback: "was this page useful?", kept per page with no personal data."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from django import forms
from django.conf import settings
from django.db.models import Count, DecimalField, F, IntegerField, Max, Q, QuerySet
from django.db.models.functions import Cast, Round
from django.utils import timezone
from wagtail.models import Page

from . import ratelimit
from .models import PageFeedback

logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = PageFeedback._meta.get_field("comment").max_length
RATE_LIMIT = 10  # submissions per client address per window
RATE_WINDOW_SECONDS = 60
# Page ids are PostgreSQL integers; a longer number in the URL is simply not a page.
MAX_PAGE_ID = 2**31 - 1

# Control characters other than tab and newline: they have no place in a comment
# and PostgreSQL refuses NUL outright.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What a spreadsheet would read as the start of a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str) -> str:
    """Plain text with line breaks normalised and control characters removed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", value).strip()


def spreadsheet_safe(value: object) -> str:
    """A cell value a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


# --- The form --------------------------------------------------------------------


class PlainTextField(forms.CharField):
    """A text field that cleans control characters before checking the length."""

    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value) if value else value


class FeedbackForm(forms.Form):
    """Yes or no, what was missing, and a box only robots fill in."""

    HONEYPOT = "leave_blank"

    useful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select yes if this page was useful, or no if it was not",
            "invalid_choice": "Select yes if this page was useful, or no if it was not",
        },
    )
    comment = PlainTextField(
        label="What was missing? (optional)",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea,
        error_messages={
            "max_length": f"What was missing must be {COMMENT_MAX_LENGTH:,} "
            "characters or fewer. Shorten it and send your feedback again"
        },
    )
    leave_blank = forms.CharField(required=False, strip=False)

    def clean_leave_blank(self):
        if self.cleaned_data["leave_blank"]:
            raise forms.ValidationError("Leave this box empty.", code="honeypot")
        return ""

    def is_from_robot(self) -> bool:
        """True when the hidden box was filled in, as only automated senders do."""
        return self.is_bound and self.has_error(self.HONEYPOT)

    @property
    def comment_value(self) -> str:
        """The comment as typed, cleaned, to put back in the box after an error."""
        return clean_text(str(self["comment"].value() or ""))


# --- Services --------------------------------------------------------------------


def feedback_page(page_id: int) -> Page | None:
    """The live, public page that may take feedback, or None."""
    if not 0 < page_id <= MAX_PAGE_ID:
        return None
    return Page.objects.live().public().filter(pk=page_id).first()


def record_feedback(page_id: int, useful: bool, comment: str = "") -> PageFeedback:
    """Store one answer; the comment is kept as plain text, never as markup."""
    comment = clean_text(comment or "")
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValueError(
            f"Feedback comment for page {page_id} is {len(comment)} characters; "
            f"the limit is {COMMENT_MAX_LENGTH}."
        )
    return PageFeedback.objects.create(
        page_id=page_id, useful=bool(useful), comment=comment
    )


def allow_submission(client_address: str) -> bool:
    """Count one submission from an address; False once it is over the limit."""
    limit = getattr(settings, "FEEDBACK_RATE_LIMIT", RATE_LIMIT)
    return ratelimit.allow(
        "feedback", client_address, limit=limit, window=RATE_WINDOW_SECONDS
    )


def is_cross_site(headers, scheme: str, host: str) -> bool:
    """True when a browser says the form was posted from another site.

    Browsers send ``Sec-Fetch-Site`` (and ``Origin``) with every form post, so a
    forged cross-site post is recognisable without a CSRF cookie; that keeps
    content pages cookie-free and cacheable. A request with neither header is
    not from a browser, so it carries no visitor's credentials to abuse.
    """
    fetch_site = headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = headers.get("Origin")
    if not origin:
        return False
    if origin == f"{scheme}://{host}":
        return False
    return origin not in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])


def feedback_summary(
    since: datetime | None = None, until: datetime | None = None
) -> QuerySet[Page]:
    """Pages with feedback, counted in SQL: yes, no, comments, % useful, latest.

    ``since`` and ``until`` (inclusive) limit the feedback counted.
    """
    received = Q(feedback__isnull=False)
    if since is not None:
        received &= Q(feedback__created_at__gte=since)
    if until is not None:
        received &= Q(feedback__created_at__lte=until)
    # One filter() call, so the counts below use the same (date-limited) join.
    return (
        Page.objects.filter(received)
        .annotate(
            yes_count=Count("feedback", filter=Q(feedback__useful=True)),
            no_count=Count("feedback", filter=Q(feedback__useful=False)),
            comment_count=Count("feedback", filter=~Q(feedback__comment="")),
            latest_feedback=Max("feedback__created_at"),
            language=F("locale__language_code"),
        )
        .annotate(
            # numeric, not float, so a half rounds up (12.5 -> 13) as people expect
            percent_useful=Cast(
                Round(
                    Cast("yes_count", DecimalField(max_digits=20, decimal_places=4))
                    * 100
                    / (F("yes_count") + F("no_count"))
                ),
                IntegerField(),
            )
        )
        .order_by("-latest_feedback", "pk")
    )


def page_comments(page_id: int) -> QuerySet[PageFeedback]:
    """The feedback on one page that has a comment, newest first."""
    return (
        PageFeedback.objects.filter(page_id=page_id)
        .exclude(comment="")
        .order_by("-created_at", "-pk")
    )


# (attribute, heading) pairs: the spreadsheet columns of each report.
SUMMARY_COLUMNS = (
    ("pk", "Page ID"),
    ("title", "Page"),
    ("language", "Language"),
    ("yes_count", "Yes"),
    ("no_count", "No"),
    ("percent_useful", "% useful"),
    ("comment_count", "Comments"),
    ("latest_feedback", "Latest feedback"),
)
COMMENT_COLUMNS = (
    ("created_at", "Received"),
    ("useful_label", "Useful"),
    ("comment", "What was missing"),
)


def feedback_csv_rows(
    items: Iterable | None = None,
    columns: tuple[tuple[str, str], ...] = SUMMARY_COLUMNS,
) -> Iterator[list[str]]:
    """Spreadsheet rows, headings first; free text can never become a formula.

    ``items`` defaults to :func:`feedback_summary`; pass :func:`page_comments`
    with ``COMMENT_COLUMNS`` for one page's comments.
    """
    if items is None:
        items = feedback_summary()
    yield [heading for _, heading in columns]
    for item in items:
        yield [spreadsheet_safe(getattr(item, name)) for name, _ in columns]
