"""Factories for the learning app; pass ``parent=`` explicitly."""

import factory
import wagtail_factories

from learning.models import (
    LearningIndexPage,
    LearningResourcePage,
    SafetyMessageIndexPage,
    SafetyMessagePage,
)


class SafetyMessageIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = SafetyMessageIndexPage

    title = "Safety messages"
    slug = "safety-messages"
    intro = "Short messages for people who work with babies and families."


class SafetyMessagePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = SafetyMessagePage

    title = factory.Sequence(lambda n: f"Safety message {n}")
    summary = "What to do, in a sentence or two."
    key_message = "Put babies to sleep on their back in a clear, flat, separate space."
    what_to_do = [
        ("do_list", {"heading_level": 3, "label": "", "do": ["<p>Room-share.</p>"]}),
        (
            "dont_list",
            {"heading_level": 3, "label": "", "dont": ["<p>Sofa-sleep.</p>"]},
        ),
    ]
    why_it_matters = "<p>Reviews of sudden infant deaths show the risk.</p>"
    source_title = "Learning from child death reviews"


class LearningIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LearningIndexPage

    title = "Learning materials"
    slug = "learning"


class LearningResourcePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = LearningResourcePage

    title = factory.Sequence(lambda n: f"Resource {n}")
    summary = "A resource used in tests."
    kind = LearningResourcePage.Kind.CRIB_SHEET
    duration_minutes = 10
