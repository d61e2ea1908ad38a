"""Factories for QI packs, recommendations and uptake; pass ``parent=`` explicitly."""

import datetime

import factory
import wagtail_factories

from qipacks.models import (
    QIPackIndexPage,
    QIPackPage,
    Recommendation,
    UptakeRecord,
    UptakeStatus,
)
from tests.factories import OrganisationFactory


class QIPackIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = QIPackIndexPage

    title = "QI packs"
    slug = "qi-packs"
    intro = "Quality-improvement packs that turn review findings into action."


class QIPackPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = QIPackPage

    title = factory.Sequence(lambda n: f"QI pack {n}")
    summary = "What the reviews found, and what organisations can do about it."
    report_title = "Learning from child death reviews"
    report_published = datetime.date(2026, 3, 1)
    qi_plan = [("aim", "Fewer sudden unexpected infant deaths linked to unsafe sleep.")]


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    pack = None  # pass pack=
    reference = factory.Sequence(lambda n: f"R{n + 1}")
    text = "Give every family safer-sleep advice at each contact."
    applies_to = factory.LazyFunction(lambda: ["icb", "nhs_trust"])
    priority = Recommendation.Priority.MEDIUM
    response_due = datetime.date(2026, 12, 31)


class UptakeRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UptakeRecord

    recommendation = None  # pass recommendation=
    organisation = factory.SubFactory(OrganisationFactory)
    status = UptakeStatus.IN_PROGRESS
