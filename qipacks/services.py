"""Uptake: recording responses, scoping them to organisations, national figures.

Plain functions taking objects or ids, never a request. Every query a QI lead's
view makes goes through ``organisations_for`` or ``records_for``: the server,
not the form, decides which organisation's records a person may touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from wagtail.models import Locale

from website.models import Membership, Organisation

from .models import (
    EvidenceDocument,
    QIPackPage,
    Recommendation,
    UptakeChange,
    UptakeRecord,
    UptakeStatus,
    UptakeTally,
)

RESPONDED = [s.value for s in UptakeStatus]


def organisations_for(user, *, roles=None) -> QuerySet[Organisation]:
    """The organisations a person belongs to (QI lead or viewer unless ``roles``)."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    memberships = Membership.objects.filter(user=user)
    if roles:
        memberships = memberships.filter(role__in=roles)
    return Organisation.objects.filter(
        pk__in=memberships.values("organisation_id")
    ).order_by("name")


def can_edit(user, organisation: Organisation) -> bool:
    """QI leads edit their organisation's records; viewers only read them."""
    return Membership.objects.filter(
        user=user, organisation=organisation, role=Membership.Role.QI_LEAD
    ).exists()


def records_for(user) -> QuerySet[UptakeRecord]:
    """Uptake records a person may see: their organisations' only."""
    return UptakeRecord.objects.filter(organisation__in=organisations_for(user))


def live_recommendations() -> QuerySet[Recommendation]:
    """Recommendations of published, public packs, in pack then editor order.

    Only the default language's packs: a translation copies its recommendations,
    but organisations answer each recommendation once.
    """
    packs = QIPackPage.objects.live().public().filter(locale=Locale.get_default())
    return (
        Recommendation.objects.filter(pack__in=packs)
        .select_related("pack")
        .order_by("pack__title", "pack_id", "sort_order", "pk")
    )


def recommendations_for(organisation: Organisation) -> QuerySet[Recommendation]:
    """The live recommendations that apply to an organisation's type."""
    return live_recommendations().filter(applies_to__contains=[organisation.type])


def applies(recommendation: Recommendation, organisation: Organisation) -> bool:
    return organisation.type in recommendation.applies_to


@transaction.atomic
def record_uptake(
    *,
    recommendation: Recommendation,
    organisation: Organisation,
    user,
    status: str,
    evidence: str = "",
    not_applicable_reason: str = "",
    next_review=None,
    evidence_document: EvidenceDocument | None = None,
    keep_document: bool = True,
) -> UptakeRecord:
    """Record an organisation's response to a recommendation, with its history.

    The record is locked while it changes, so two people saving at once both land
    in the history in order. Saving exactly what is there adds no history row.
    Raises ``ValidationError`` (with plain-English messages) for a status the
    recommendation cannot take, a "not applicable" without a reason, or evidence
    from another organisation.
    """
    if status not in RESPONDED:
        raise ValidationError({"status": "Choose one of the statuses listed."})
    if not applies(recommendation, organisation):
        raise ValidationError(
            "This recommendation does not apply to your type of organisation."
        )
    not_applicable_reason = not_applicable_reason.strip()
    if status == UptakeStatus.NOT_APPLICABLE and not not_applicable_reason:
        raise ValidationError(
            {"not_applicable_reason": "Say why this does not apply to you."}
        )
    if status != UptakeStatus.NOT_APPLICABLE:
        not_applicable_reason = ""
    if evidence_document and evidence_document.organisation_id != organisation.pk:
        raise ValidationError("That evidence belongs to another organisation.")

    locked = UptakeRecord.objects.select_for_update().filter(
        recommendation=recommendation, organisation=organisation
    )
    document = evidence_document
    record = locked.first()
    if record is None:
        # A first response. If someone else's first response commits while this
        # one is being written, the unique constraint stops ours; it then waits
        # for theirs and follows it as a change.
        record = UptakeRecord(recommendation=recommendation, organisation=organisation)
        try:
            with transaction.atomic():
                _fill(
                    record, status, evidence, not_applicable_reason, next_review, user
                )
                record.evidence_document = document
                record.save()
        except IntegrityError:
            record = locked.get()
        else:
            _history(record, "", user)
            return record
    if document is None and keep_document:
        document = record.evidence_document
    unchanged = (
        record.status == status
        and record.evidence == evidence
        and record.not_applicable_reason == not_applicable_reason
        and record.next_review == next_review
        and record.evidence_document_id == (document.pk if document else None)
    )
    if unchanged:
        return record
    old_status = record.status
    _fill(record, status, evidence, not_applicable_reason, next_review, user)
    record.evidence_document = document
    record.save()
    _history(record, old_status, user)
    return record


def _fill(record, status, evidence, not_applicable_reason, next_review, user) -> None:
    record.status = status
    record.evidence = evidence
    record.not_applicable_reason = not_applicable_reason
    record.next_review = next_review
    record.updated_by = user
    record.updated_at = timezone.now()
    if record._state.adding:
        record.created_at = record.updated_at


def _history(record: UptakeRecord, old_status: str, user) -> None:
    UptakeChange.objects.create(
        record=record,
        recommendation_id=record.recommendation_id,
        organisation_id=record.organisation_id,
        changed_by=user,
        changed_by_name=_name(user),
        changed_at=record.updated_at,
        old_status=old_status,
        new_status=record.status,
        evidence=record.evidence,
        not_applicable_reason=record.not_applicable_reason,
        next_review=record.next_review,
    )


def _name(user) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


# --- National figures --------------------------------------------------------------


@dataclass
class Uptake:
    """Responses to a recommendation (or a set of them) by a set of organisations.

    Used for the national figure on pack pages, the rows of the staff dashboards
    (``reports.Breakdown``) and a QI lead's progress (``progress.Figures``).
    """

    applicable: int = 0  # organisations (or pairs) expected to respond
    responses: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def implemented(self) -> int:
        return self.by_status.get(UptakeStatus.IMPLEMENTED, 0)

    @property
    def denominator(self) -> int:
        """Organisations it applies to, less those that said it does not."""
        return self.applicable - self.by_status.get(UptakeStatus.NOT_APPLICABLE, 0)

    @property
    def share_implemented(self) -> float | None:
        if self.denominator <= 0:
            return None
        return self.implemented / self.denominator

    @property
    def percent_implemented(self) -> float | None:
        share = self.share_implemented
        return None if share is None else round(100 * share, 1)

    @property
    def enough_responses(self) -> bool:
        return self.responses >= settings.UPTAKE_MIN_RESPONSES


def national_uptake(recommendations) -> dict[int, Uptake]:
    """Figures for each recommendation: two queries however many there are.

    The counts come from the tally (``UptakeTally``, kept exact by triggers), a
    few dozen rows per recommendation, not from every record.
    """
    recommendations = list(recommendations)
    by_type = dict(
        Organisation.objects.values_list("type").annotate(n=Count("pk")).order_by()
    )
    counts: dict[int, dict[str, int]] = {r.pk: {} for r in recommendations}
    rows = (
        UptakeTally.objects.filter(recommendation__in=[r.pk for r in recommendations])
        .values("recommendation_id")
        .annotate(**{status: Sum(status) for status in RESPONDED})
        .order_by()
    )
    for row in rows:
        for status in RESPONDED:
            if row[status]:
                counts[row["recommendation_id"]][status] = row[status]
    return {
        r.pk: Uptake(
            applicable=sum(by_type.get(t, 0) for t in r.applies_to),
            responses=sum(counts[r.pk].values()),
            by_status=counts[r.pk],
        )
        for r in recommendations
    }


def overdue_filter(today=None) -> Q:
    """Recommendations past their first-response date (for a queryset of them)."""
    return Q(response_due__lt=today or timezone.localdate())
