"""Factories for the webinars app; pass ``parent=`` explicitly.

``webinar_tree(home)`` gives an index, a series and nothing else; make webinars
with ``WebinarPageFactory(parent=series, starts_at=...)``.
"""

import datetime as dt

import factory
import wagtail_factories
from django.utils import timezone

from webinars.models import (
    Registration,
    Speaker,
    WebinarIndexPage,
    WebinarPage,
    WebinarSeriesPage,
)


class WebinarIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = WebinarIndexPage

    title = "Webinars"
    slug = "webinars"
    intro = "Live sessions for people who work in child death review."


class WebinarSeriesPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = WebinarSeriesPage

    title = factory.Sequence(lambda n: f"QI webinar series {2026 + n}")
    summary = "Two webinars a year for each stakeholder group."


def _start(_obj=None):
    return (timezone.now() + dt.timedelta(days=14)).replace(
        minute=0, second=0, microsecond=0
    )


class WebinarPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = WebinarPage

    title = factory.Sequence(lambda n: f"Webinar {n}")
    summary = "What we will cover, in a sentence or two."
    starts_at = factory.LazyFunction(_start)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=1))
    capacity = 20
    join_url = factory.Sequence(lambda n: f"https://meet.example.net/j/secret-{n}")
    join_instructions = "Passcode 424242"


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Dr Speaker {n}")
    role = "Designated doctor for child deaths"
    organisation = "Northshire CDOP"


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    organisation = "Northshire CDOP"
    role = "CDOP manager"
    status = Registration.Status.REGISTERED


def webinar_tree(home):
    """An index page under ``home`` and one series in it (both live)."""
    index = WebinarIndexPageFactory(parent=home)
    series = WebinarSeriesPageFactory(parent=index)
    return index, series
