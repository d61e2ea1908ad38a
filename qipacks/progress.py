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
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from website.models import Organisation

from .models import QIPackPage, Recommendation, UptakeRecord, UptakeStatus
from .services import recommendations_for

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


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or NO_RESPONSE, status or NO_RESPONSE_LABEL)


# --- The to-do list ----------------------------------------------------------------


@dataclass
class TodoItem:
    """One recommendation, the organisation's record for it (if any), and markers."""

    recommendation: Recommendation
    record: UptakeRecord | None
    today: datetime.date

    @property
    def status(self) -> str | None:
        return self.record.status if self.record else None

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def awaiting_first_response(self) -> bool:
        return self.status in WAITING

    @property
    def overdue(self) -> bool:
        return (
            self.awaiting_first_response
            and self.recommendation.response_due < self.today
        )

    @property
    def due_soon(self) -> bool:
        window = datetime.timedelta(days=settings.UPTAKE_REMINDER_DAYS_BEFORE)
        due = self.recommendation.response_due
        return self.awaiting_first_response and self.today <= due <= self.today + window

    @property
    def review_passed(self) -> bool:
        return bool(
            self.status in REVIEWABLE
            and self.record.next_review
            and self.record.next_review < self.today
        )


@dataclass
class PackTodo:
    pack: QIPackPage
    items: list[TodoItem] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return sum(item.overdue for item in self.items)


def todo(organisation: Organisation, today=None) -> list[PackTodo]:
    """Every live recommendation for the organisation's type, grouped by pack.

    Two queries however many recommendations there are.
    """
    today = today or timezone.localdate()
    recommendations = list(recommendations_for(organisation))
    records = {
        record.recommendation_id: record
        for record in UptakeRecord.objects.filter(
            organisation=organisation,
            recommendation_id__in=[r.pk for r in recommendations],
        ).select_related("updated_by", "evidence_document")
    }
    packs: dict[int, PackTodo] = {}
    for recommendation in recommendations:
        group = packs.setdefault(
            recommendation.pack_id, PackTodo(pack=recommendation.pack)
        )
        group.items.append(
            TodoItem(recommendation, records.get(recommendation.pk), today)
        )
    return list(packs.values())


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


@dataclass
class Figures:
    """Responses to a set of recommendations by a set of organisations."""

    applicable: int = 0  # organisation x recommendation pairs expected to respond
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def responses(self) -> int:
        return sum(self.by_status.values())

    @property
    def implemented(self) -> int:
        return self.by_status.get(UptakeStatus.IMPLEMENTED, 0)

    @property
    def denominator(self) -> int:
        """Expected responses, less those saying it does not apply to them."""
        return self.applicable - self.by_status.get(UptakeStatus.NOT_APPLICABLE, 0)

    @property
    def share_implemented(self) -> float | None:
        if self.denominator <= 0:
            return None
        return 100 * self.implemented / self.denominator

    @property
    def enough_responses(self) -> bool:
        """Whether there are enough responses to show without identifying anyone."""
        return self.responses >= settings.UPTAKE_MIN_RESPONSES

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

    Three queries however many recommendations or organisations there are. The
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
    rows = (
        UptakeRecord.objects.filter(
            recommendation_id__in=[r.pk for r in recommendations]
        )
        .values_list("recommendation_id", "status")
        .annotate(
            n=Count("pk"),
            n_region=Count("pk", filter=Q(organisation__region=organisation.region)),
            n_own=Count("pk", filter=Q(organisation=organisation)),
        )
        .order_by()
    )
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
    return list(packs.values())
