"""The webinars demo: its shape, that a second load adds nothing, that loading it
emails nobody, and what ``seed_demo`` adds (the header link, moderators' rights)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Page, Site

from bulletins.models import Delivery, Send
from webinars.demo import load_webinars_demo
from webinars.models import (
    AttendanceImport,
    Feedback,
    Registration,
    Speaker,
    TopicProposal,
    TopicSupport,
    WebinarEmail,
    WebinarPage,
    WebinarSeriesPage,
)
from website.models import SiteNavigation

pytestmark = pytest.mark.django_db

COUNTED = [
    Page,
    Speaker,
    Registration,
    Feedback,
    AttendanceImport,
    TopicProposal,
    TopicSupport,
    WebinarEmail,
    Send,
]


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def seeded(db):
    from tests.factories import ensure_wagtail_tree

    ensure_wagtail_tree()
    # Wagtail's migrations make it; a transactional test's flush may have removed it.
    Group.objects.get_or_create(name="Moderators")
    call_command("seed_demo", verbosity=0)
    return Site.objects.get(is_default_site=True).root_page.specific


def test_demo_has_the_series_past_and_upcoming_webinars(seeded):
    series = WebinarSeriesPage.objects.get()
    assert series.title == "QI webinar series 2026"
    webinars = list(WebinarPage.objects.child_of(series).order_by("starts_at"))
    past = [w for w in webinars if w.is_past]
    upcoming = [w for w in webinars if not w.is_past]
    assert len(past) == 2 and len(upcoming) == 2

    for webinar in past:
        assert webinar.recording_embed is not None  # a video site's player
        assert webinar.recording_embed.provider == "YouTube"
        assert len(webinar.transcript) > 500
        assert webinar.slides.file_size > 0
        assert webinar.slides.file.read(5) == b"%PDF-"
        assert webinar.what_we_learned
        assert webinar.webinar_feedback.count() >= 5
        imported = webinar.attendance_imports.get()
        assert imported.matched > 0 and imported.report["unmatched_count"] == 2
        assert webinar.registrations.filter(attended=True).count() == imported.matched
        assert webinar.speaker_links.count() == 2
        assert webinar.related_links.exists()

    full = next(w for w in upcoming if w.places().is_full)
    assert full.places().registered == full.capacity
    assert full.places().waitlisted > 0
    other = next(w for w in upcoming if w is not full)
    assert not other.places().is_full
    for webinar in webinars:
        assert webinar.join_url and webinar.captions
    assert Speaker.objects.filter(photo__isnull=False).exclude(photo_alt="").exists()

    # Five topic proposals, with supporters who confirmed their email.
    proposals = list(TopicProposal.objects.all())
    assert len(proposals) == 5
    assert {p.status for p in proposals} == {"published", "scheduled"}
    for proposal in proposals:
        confirmed = proposal.supports.filter(confirmed_at__isnull=False).count()
        assert confirmed > 0 and proposal.support_count == confirmed
    scheduled = TopicProposal.objects.get(status="scheduled")
    assert scheduled.webinar is not None and not scheduled.webinar.is_past


def test_loading_it_again_adds_nothing_and_it_emails_nobody(seeded):
    before = counts()
    load_webinars_demo(seeded)
    assert counts() == before

    # Every registrant's emails are recorded as sent, so no job sends them now.
    for registration in Registration.objects.exclude(status="cancelled"):
        assert registration.emails.exists()
    webinar_sends = Send.objects.filter(kind=Send.Kind.WEBINAR)
    assert webinar_sends.count() == 2
    assert set(webinar_sends.values_list("status", flat=True)) == {"cancelled"}
    assert not Delivery.objects.filter(send__in=webinar_sends).exists()
    # The hourly job finds no "recording available" email left to send.
    from webinars.reminders import pending_recordings

    assert pending_recordings() == []


def test_seed_demo_adds_the_header_link_and_moderators_rights_and_pages_render(
    client, seeded
):
    navigation = SiteNavigation.objects.get()
    link = navigation.header_links.get(label="Webinars")
    assert link.page.specific.__class__.__name__ == "WebinarIndexPage"
    moderators = Group.objects.get(name="Moderators")
    granted = set(
        moderators.permissions.filter(content_type__app_label="webinars").values_list(
            "codename", flat=True
        )
    )
    assert {
        "view_registration",
        "add_attendanceimport",
        "view_topicproposal",
        "change_topicproposal",
    } <= granted

    for page in [
        *WebinarPage.objects.all(),
        WebinarSeriesPage.objects.get(),
        Page.objects.get(slug="webinars"),
    ]:
        response = client.get(page.url)
        assert response.status_code == HTTPStatus.OK, page.url
        assert b"meet.example.net" not in response.content
