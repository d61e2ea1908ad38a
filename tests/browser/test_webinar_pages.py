"""Webinar pages in a real browser on the demo content: axe-clean listings, an
upcoming webinar, a past one with its player and transcript, the staff report,
and the past webinar on a phone.

One fixture seeds the whole demo (``seed_demo``), because seeding costs more
than looking. The recording's player is a video site's, so it must not load
until someone presses play: any request to another host fails these tests.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

PASSWORD = "correct-horse-9"  # noqa: S105 - the test user's password


@pytest.fixture
def webinar_site(transactional_db, settings):
    """Everything ``seed_demo`` makes, committed so the live server sees it."""
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    from django.core.cache import cache
    from django.core.management import call_command

    from tests.factories import ensure_wagtail_tree
    from webinars.models import WebinarIndexPage, WebinarPage, WebinarSeriesPage

    ensure_wagtail_tree()
    cache.clear()
    call_command("seed_demo", verbosity=0)
    webinars = list(WebinarPage.objects.order_by("starts_at"))
    upcoming = [w for w in webinars if not w.is_past]
    return SimpleNamespace(
        index=WebinarIndexPage.objects.get(),
        series=WebinarSeriesPage.objects.get(),
        past=next(w for w in webinars if w.is_past and w.has_recording),
        full=next(w for w in upcoming if w.places().is_full),
        media_root=Path(settings.MEDIA_ROOT),
    )


def serve_media(page, media_root: Path) -> None:
    """Answer /media/ from disk, as the web server does in production (the test
    server only serves /static/): speakers' photos are uploaded files."""

    def handle(route):
        name = route.request.url.split("/media/", 1)[1].split("?", 1)[0]
        path = (media_root / name).resolve()
        if media_root.resolve() not in path.parents or not path.is_file():
            route.fulfill(status=404, body="Not found")
            return
        route.fulfill(
            status=200,
            body=path.read_bytes(),
            content_type=mimetypes.guess_type(path.name)[0]
            or "application/octet-stream",
        )

    page.route("**/media/**", handle)


def test_listings_and_webinar_pages_pass_axe(webinar_site, page, axe):
    site = webinar_site
    serve_media(page, site.media_root)

    page.goto(site.index.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Webinars")
    expect(page.get_by_role("link", name=site.full.title)).to_be_visible()
    axe(page, "webinars index")
    # Filter to past webinars with the form.
    page.get_by_label("Upcoming or past").select_option(value="past")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filters").click()
    assert "type=past" in page.url
    expect(page.get_by_role("link", name=site.past.title)).to_be_visible()
    expect(page.get_by_role("link", name=site.full.title)).to_have_count(0)
    axe(page, "webinars index, past only")

    page.goto(site.series.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(site.series.title)
    axe(page, "webinar series")

    page.goto(site.full.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(site.full.title)
    expect(page.get_by_text("Fully booked")).to_be_visible()
    photo = page.locator(".webinar-speaker__photo").first
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    axe(page, "upcoming webinar, full")

    assert not page.diagnostics.problems(), page.diagnostics.problems()


def test_past_webinar_player_and_transcript(webinar_site, page, axe):
    site = webinar_site
    serve_media(page, site.media_root)
    page.goto(site.past.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(site.past.title)

    player = page.frame_locator("iframe.webinar-player__frame")
    expect(page.locator("iframe.webinar-player__frame")).to_be_visible()
    expect(player.get_by_role("link", name="Play the recording")).to_be_visible()
    # Until someone presses play, nothing comes from the video site.
    assert not page.diagnostics.external_requests
    axe(page, "past webinar, the player")

    transcript = page.locator("details.webinar-transcript")
    page.get_by_text("Read the transcript").click()
    expect(transcript).to_have_attribute("open", "")
    expect(transcript).to_contain_text("Captions")
    expect(page.get_by_role("link", name="Download the slides")).to_be_visible()
    expect(page.get_by_role("heading", name="What we learned")).to_be_visible()
    axe(page, "past webinar, transcript open")
    assert not page.diagnostics.problems(), page.diagnostics.problems()


def test_past_webinar_on_a_phone(webinar_site, mobile_page, axe):
    site = webinar_site
    serve_media(mobile_page, site.media_root)
    mobile_page.goto(site.past.url)
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text(site.past.title)
    overflow = mobile_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    frame = mobile_page.locator("iframe.webinar-player__frame").bounding_box()
    assert frame["width"] <= 390 and frame["height"] >= frame["width"] * 0.5
    axe(mobile_page, "past webinar on a phone")
    assert not mobile_page.diagnostics.problems(), mobile_page.diagnostics.problems()


def test_staff_report_pages_pass_axe(webinar_site, page, axe):
    from django.urls import reverse

    from tests.factories import UserFactory

    site = webinar_site
    admin = UserFactory(username="reporter", is_superuser=True, is_staff=True)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")

    page.goto(reverse("webinars_report"))
    expect(page.get_by_role("link", name=site.past.title)).to_be_visible()
    axe(page, "webinar reports")

    page.get_by_role("link", name=site.past.title).click()
    expect(
        page.get_by_text("Attendance reports imported, newest first")
    ).to_be_visible()
    axe(page, "one webinar's report")

    # A file that is not a CSV: nothing imported, and why.
    page.get_by_label("Attendance report").set_input_files(
        files=[{"name": "report.xlsx", "mimeType": "text/csv", "buffer": b"PK\x03\x04"}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Check and import").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "The attendance report was not imported"
    )
    expect(page.get_by_text("not a CSV file")).to_be_visible()
    axe(page, "attendance import refused")

    # The meeting tool's report as it comes: imported, and the report says so.
    attendees = site.past.registrations.filter(status="registered")[:3]
    rows = "".join(f"{r.name}\t{r.email}\t45m 0s\r\n" for r in attendees)
    report = ("Name\tEmail\tIn-Meeting Duration\r\n" + rows).encode("utf-16")
    page.get_by_label("Attendance report").set_input_files(
        files=[{"name": "teams.csv", "mimeType": "text/csv", "buffer": report}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Check and import").click()
    expect(page.get_by_text("Attendance imported from teams.csv: 3")).to_be_visible()
    # The admin's message slides in: check its colours once it has arrived.
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')"
    )
    axe(page, "attendance imported")

    page.goto(reverse("webinars_report_series", args=[site.series.pk]))
    expect(page.get_by_role("heading", name="Ratings")).to_be_visible()
    axe(page, "a series' report")
    assert not page.diagnostics.problems(), page.diagnostics.problems()
