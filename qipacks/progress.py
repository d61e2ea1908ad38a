"""Where one organisation stands: its to-do list and its progress against the
national and regional figures. Plain functions taking an organisation the caller
has already checked the person belongs to.

Due and overdue, as the QI lead area shows them:

- a recommendation has had no first response when the organisation has no record
  for it, or its record still says "Not started";
- it is **overdue** when it has had no first response and its ``response_due``
  date has passed;
- it is **due soon** when it has had no first response and is due within
  ``UPTAKE_REMINDER_DAYS_BEFORE`` days (the same window as the reminder emails);
- a response that is planned or in progress has its **review date passed** once
  its own ``next_review`` date has gone by.

"Implemented" and "Not applicable" are finished: neither is ever overdue.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.template.defaultfilters import truncatewords
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import mark_safe

from website.models import Organisation

from .models import (
    QIPackPage,
    Recommendation,
    UptakeRecord,
    UptakeStatus,
    UptakeTally,
)
from .services import Uptake, recommendations_for

NO_RESPONSE = "no_response"
NO_RESPONSE_LABEL = "No response yet"
WAITING = {None, UptakeStatus.NOT_STARTED}
REVIEWABLE = {UptakeStatus.PLANNED, UptakeStatus.IN_PROGRESS}
STATUS_ORDER = [
    UptakeStatus.IMPLEMENTED,
    UptakeStatus.IN_PROGRESS,
    UptakeStatus.PLANNED,
    UptakeStatus.NOT_STARTED,
    UptakeStatus.NOT_APPLICABLE,
    NO_RESPONSE,
]
STATUS_LABELS = {**dict(UptakeStatus.choices), NO_RESPONSE: NO_RESPONSE_LABEL}
STATUSES = [s.value for s in UptakeStatus]


# The tag colour for each status (as ``includes/status_tag.html``).
STATUS_COLOURS = {
    UptakeStatus.IMPLEMENTED: "green",
    UptakeStatus.IN_PROGRESS: "blue",
    UptakeStatus.PLANNED: "purple",
    UptakeStatus.NOT_STARTED: "grey",
    UptakeStatus.NOT_APPLICABLE: "white",
}


@functools.lru_cache(maxsize=1024)
def _date_display(day: datetime.date) -> str:
    return date_format(day, "j M Y")


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or NO_RESPONSE, status or NO_RESPONSE_LABEL)


# --- The to-do list ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """What the to-do page needs of a record (``todo(details=False)``)."""

    status: str
    next_review: datetime.date | None


@dataclass(frozen=True, slots=True)
class RecommendationSummary:
    """What the to-do page needs of a recommendation (``todo(details=False)``):
    a row of values, not a model instance (a page lists hundreds)."""

    pk: int
    pack_id: int
    reference: str
    text: str
    response_due: datetime.date


class TodoItem:
    """One recommendation, the organisation's record for it (if any), and markers.

    The markers are worked out once, when the item is made: the page and its
    summary ask for each several times, for hundreds of items.
    """

    __slots__ = (
        "recommendation",
        "record",
        "url",
        "status",
        "awaiting_first_response",
        "overdue",
        "due_soon",
        "review_passed",
    )

    def __init__(
        self,
        recommendation: Recommendation | RecommendationSummary,
        record: UptakeRecord | RecordSummary | None,
        today: datetime.date,
        soon: datetime.date | None = None,
    ):
        self.recommendation = recommendation
        self.record = record
        self.url = ""  # the page to update it, set by the view
        status = self.status = record.status if record else None
        waiting = self.awaiting_first_response = status in WAITING
        due = recommendation.response_due
        if soon is None:
            soon = today + datetime.timedelta(days=settings.UPTAKE_REMINDER_DAYS_BEFORE)
        self.overdue = waiting and due < today
        self.due_soon = waiting and today <= due <= soon
        self.review_passed = bool(
            status in REVIEWABLE and record.next_review and record.next_review < today
        )

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    # The to-do table's row, as HTML built (and escaped) in Python: the page lists
    # every recommendation (hundreds), and template variables, filters and
    # includes per value cost more than everything else on the page.
    def row_html(self) -> str:
        recommendation = self.recommendation
        markers = ""
        if self.overdue:
            markers = '<strong class="nhsuk-tag nhsuk-tag--red">Overdue</strong>'
        elif self.due_soon:
            markers = '<strong class="nhsuk-tag nhsuk-tag--orange">Due soon</strong>'
        if self.review_passed:
            markers += (
                ' <strong class="nhsuk-tag nhsuk-tag--yellow">Review date passed'
                "</strong>"
            )
        return ROW_HTML.format(
            url=escape(self.url),
            heading=_row_heading(recommendation.reference, recommendation.text),
            due=_due_html(recommendation.response_due),
            markers=markers,
            status=_status_tag(self.status),
        )


# The parts of a row that depend only on the recommendation, escaped once per
# process rather than once per row per request (bounded: a few thousand).
@functools.lru_cache(maxsize=4096)
def _row_heading(reference: str, text: str) -> str:
    return (
        f"<strong>{escape(str(reference))}</strong><span "
        f'class="nhsuk-u-visually-hidden">:</span> '
        f"{escape(truncatewords(text, 30))}"
    )


@functools.lru_cache(maxsize=1024)
def _due_html(due: datetime.date) -> str:
    return f'<time datetime="{due.isoformat()}">{escape(_date_display(due))}</time>'


@functools.lru_cache(maxsize=16)
def _status_tag(status: str | None) -> str:
    colour = STATUS_COLOURS.get(status, "white")
    return (
        f'<strong class="nhsuk-tag nhsuk-tag--{colour}">'
        f"{escape(str(status_label(status)))}</strong>"
    )


# One row of the to-do table (``row_html``); every value put in is escaped.
ROW_HTML = (
    '<tr role="row" class="nhsuk-table__row">'
    '<td role="cell" class="nhsuk-table__cell"><span '
    'class="nhsuk-table-responsive__heading" aria-hidden="true">Recommendation '
    '</span><a href="{url}">{heading}</a></td>'
    '<td role="cell" class="nhsuk-table__cell"><span '
    'class="nhsuk-table-responsive__heading" aria-hidden="true">First response due '
    "</span>{due} {markers}</td>"
    '<td role="cell" class="nhsuk-table__cell"><span '
    'class="nhsuk-table-responsive__heading" aria-hidden="true">Your response '
    "</span>{status}</td>"
    "</tr>\n"
)


@dataclass
class PackTodo:
    pack: QIPackPage
    items: list[TodoItem] = field(default_factory=list)

    @property
    def rows_html(self) -> str:
        """The pack's table rows (one template variable, not three per row)."""
        return mark_safe(  # noqa: S308 - each value escaped in row_html
            "".join(item.row_html() for item in self.items)
        )

    @property
    def overdue(self) -> int:
        return sum(item.overdue for item in self.items)


def todo(
    organisation: Organisation, today=None, *, details: bool = True
) -> list[PackTodo]:
    """Every live recommendation for the organisation's type, grouped by pack.

    Three queries however many recommendations there are. Each pack is loaded
    once (its title), not once per recommendation. With ``details=False`` (the
    to-do page) recommendations and records are rows of just what the list
    shows; the export asks for model instances, with who changed each record
    and its evidence document.
    """
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=settings.UPTAKE_REMINDER_DAYS_BEFORE)
    applicable = recommendations_for(organisation).select_related(None)
    records_query = UptakeRecord.objects.filter(organisation=organisation)
    if details:
        recommendations = list(applicable)
        records_query = records_query.select_related("updated_by", "evidence_document")
        records = {record.recommendation_id: record for record in records_query}
    else:
        recommendations = [
            RecommendationSummary(*row)
            for row in applicable.values_list(
                "pk", "pack_id", "reference", "text", "response_due"
            )
        ]
        # Every record of the organisation's (a recommendation that no longer
        # applies simply finds no row here): no list of ids sent to the database.
        records = {
            rec_id: RecordSummary(status, next_review)
            for rec_id, status, next_review in records_query.values_list(
                "recommendation_id", "status", "next_review"
            )
        }
    packs = {
        pack.pk: pack
        for pack in QIPackPage.objects.filter(
            pk__in={r.pack_id for r in recommendations}
        ).only("title")
    }
    groups: dict[int, PackTodo] = {}
    for recommendation in recommendations:
        if details:
            recommendation.pack = packs[recommendation.pack_id]
        group = groups.get(recommendation.pack_id)
        if group is None:
            pack = packs[recommendation.pack_id]
            group = groups[recommendation.pack_id] = PackTodo(pack=pack)
        group.items.append(
            TodoItem(recommendation, records.get(recommendation.pk), today, soon)
        )
    return list(groups.values())


def summary(groups: list[PackTodo]) -> dict[str, int]:
    items = [item for group in groups for item in group.items]
    return {
        "total": len(items),
        "overdue": sum(i.overdue for i in items),
        "due_soon": sum(i.due_soon for i in items),
        "review_passed": sum(i.review_passed for i in items),
        "no_response": sum(i.record is None for i in items),
        "implemented": sum(i.status == UptakeStatus.IMPLEMENTED for i in items),
    }


# --- Progress against the national and regional figures -----------------------------


class Figures(Uptake):
    """Responses to a set of recommendations by a set of organisations."""

    def rows(self) -> list[tuple[str, str, int, float | None]]:
        """(status, label, count, share of applicable) in reading order."""
        counts = {**self.by_status}
        counts[NO_RESPONSE] = max(0, self.applicable - self.responses)
        return [
            (
                status,
                STATUS_LABELS[status],
                counts.get(status, 0),
                (100 * counts.get(status, 0) / self.applicable)
                if self.applicable
                else None,
            )
            for status in STATUS_ORDER
        ]

    def counts(self) -> dict[str, int]:
        return {status: count for status, _, count, _ in self.rows()}


@dataclass
class PackProgress:
    pack: QIPackPage
    recommendations: int
    own: Figures
    region: Figures
    national: Figures


def progress(organisation: Organisation) -> list[PackProgress]:
    """Per pack: the organisation's responses, its region's and the nation's.

    Four queries however many recommendations or organisations there are. The
    regional and national figures count every organisation of the types each
    recommendation applies to (this one included).
    """
    recommendations = list(recommendations_for(organisation))
    organisations: dict[str, dict[str, int]] = defaultdict(dict)
    for type_, region, n in (
        Organisation.objects.values_list("type", "region")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        organisations[type_][region] = n
    rec_ids = [r.pk for r in recommendations]
    # National and regional counts from the tally (a few dozen rows per
    # recommendation), the organisation's own from its records (an index scan).
    tallies = (
        UptakeTally.objects.filter(recommendation_id__in=rec_ids)
        .values("recommendation_id")
        .annotate(
            **{f"n_{s}": Sum(s) for s in STATUSES},
            **{
                f"r_{s}": Sum(s, filter=Q(region=organisation.region)) for s in STATUSES
            },
        )
        .order_by()
    )
    own = (
        UptakeRecord.objects.filter(
            organisation=organisation, recommendation_id__in=rec_ids
        )
        .values_list("recommendation_id", "status")
        .order_by()
    )
    rows = [
        (row["recommendation_id"], s, row[f"n_{s}"] or 0, row[f"r_{s}"] or 0, 0)
        for row in tallies
        for s in STATUSES
    ] + [(rec_id, status, 0, 0, 1) for rec_id, status in own]
    pack_of = {r.pk: r.pack_id for r in recommendations}
    packs: dict[int, PackProgress] = {}
    for recommendation in recommendations:
        entry = packs.setdefault(
            recommendation.pack_id,
            PackProgress(recommendation.pack, 0, Figures(), Figures(), Figures()),
        )
        entry.recommendations += 1
        entry.own.applicable += 1
        for type_ in recommendation.applies_to:
            by_region = organisations.get(type_, {})
            entry.national.applicable += sum(by_region.values())
            entry.region.applicable += by_region.get(organisation.region, 0)
    for recommendation_id, status, n, n_region, n_own in rows:
        entry = packs[pack_of[recommendation_id]]
        for figures, count in (
            (entry.national, n),
            (entry.region, n_region),
            (entry.own, n_own),
        ):
            if count:
                figures.by_status[status] = figures.by_status.get(status, 0) + count
                figures.responses += count
    return list(packs.values())
