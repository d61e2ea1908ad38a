"""Webinar pages and listings: UK times with the zone named, upcoming then past,
filters, feeds and calendar files, related pages both ways, the recording
player, bounded queries, and the join link on no public page."""

from __future__ import annotations

import datetime as dt
import io
import re
from http import HTTPStatus
from xml.etree import ElementTree

import icalendar
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import PageViewRestriction

from qipacks.models import QIPackRelated
from tests.factories import AudienceFactory, ThemeFactory
from tests.factories.learning import (
    LearningIndexPageFactory,
    LearningResourcePageFactory,
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)
from tests.factories.qipacks import QIPackIndexPageFactory, QIPackPageFactory
from tests.factories.webinars import (
    RegistrationFactory,
    SpeakerFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars.models import (
    Registration,
    WebinarRelated,
    WebinarSpeaker,
    clock,
    recording_embed,
)

pytestmark = pytest.mark.django_db

JOIN_URL = "https://meet.example.net/j/very-secret-room-4711"
JOIN_SECRET = "very-secret-room-4711"
INSTRUCTIONS = "Passcode 93517264"


def text(response) -> str:
    return " ".join(response.content.decode().split())


def main(response) -> str:
    return text(response).split('id="maincontent"', 1)[1]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def days(n: float) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=n)).replace(
        minute=0, second=0, microsecond=0
    )


@pytest.fixture
def tree(site):
    index, series = webinar_tree(site)
    return index, series


def webinar(series, starts_at, minutes=60, **kwargs):
    return WebinarPageFactory(
        parent=series,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        join_url=JOIN_URL,
        join_instructions=INSTRUCTIONS,
        **kwargs,
    )


# --- Times ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [(10, 0, "10am"), (10, 30, "10:30am"), (12, 0, "midday"), (0, 0, "midnight"),
     (13, 5, "1:05pm"), (23, 59, "11:59pm"), (0, 30, "12:30am")],
)  # fmt: skip
def test_clock_is_written_as_people_write_it(hour, minute, expected):
    assert clock(dt.datetime(2026, 5, 1, hour, minute)) == expected


def test_times_are_uk_time_with_the_zone_named_either_side_of_the_clocks_change(
    client, tree
):
    _, series = tree
    # The clocks go forward on Sunday 29 March 2026: 10:30 UTC is 10:30am GMT
    # before it and 11:30am BST after it.
    winter = webinar(series, utc(2026, 3, 27, 10, 30), title="Before the change")
    summer = webinar(series, utc(2026, 4, 3, 9, 30), minutes=90, title="After it")

    before = main(client.get(winter.url))
    after = main(client.get(summer.url))

    assert "Friday 27 March 2026" in before
    assert "10:30am to 11:30am (UK time)" in before
    assert 'datetime="2026-03-27T10:30:00+00:00"' in before
    assert "1 hour" in before
    assert "Friday 3 April 2026" in after
    assert "10:30am to midday (UK time)" in after
    assert 'datetime="2026-04-03T10:30:00+01:00"' in after
    assert "1 hour 30 minutes" in after


def test_a_webinar_over_midnight_names_both_days(tree):
    _, series = tree
    late = webinar(series, utc(2026, 7, 1, 22, 0), minutes=120)
    assert late.time_label == (
        "11pm on Wednesday 1 July 2026 to 1am on Thursday 2 July 2026 (UK time)"
    )
    assert late.when_label == late.time_label
    assert late.duration_label == "2 hours"


# --- The webinar page -----------------------------------------------------------------


def png(colour=(0, 94, 184)) -> ContentFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="photo.png")


def test_upcoming_page_shows_speakers_accessibility_places_and_calendar(client, tree):
    _, series = tree
    page = webinar(
        series, days(10), capacity=3, bsl=True, accessibility_notes="Slides early."
    )
    photo = get_image_model().objects.create(title="Portrait", file=png())
    first = SpeakerFactory(
        name="Dr Ada Lane", role="Designated doctor", organisation="Northshire CDOP",
        photo=photo, photo_alt="Ada Lane smiling, in a blue jacket",
    )  # fmt: skip
    second = SpeakerFactory(name="Ben Cole", role="", organisation="Riverside")
    WebinarSpeaker.objects.create(page=page, speaker=second, sort_order=1)
    WebinarSpeaker.objects.create(page=page, speaker=first, sort_order=0)
    RegistrationFactory(webinar=page)
    RegistrationFactory(webinar=page, status=Registration.Status.CANCELLED)

    html = main(client.get(page.url))

    assert html.index("Dr Ada Lane") < html.index("Ben Cole")
    assert "Designated doctor, Northshire CDOP" in html
    assert 'alt="Ada Lane smiling, in a blue jacket"' in html
    assert "Live captions will be available." in html
    assert "A British Sign Language (BSL) interpreter will be on screen." in html
    assert "Slides early." in html
    assert "2 of 3 places left" in html
    assert f'href="{page.url}calendar.ics"' in html
    assert "Watch the recording" not in html


def test_full_page_says_so_and_counts_the_waiting_list(client, tree):
    _, series = tree
    page = webinar(series, days(5), capacity=2)
    RegistrationFactory.create_batch(2, webinar=page)
    RegistrationFactory.create_batch(3, webinar=page, status="waitlisted")
    html = main(client.get(page.url))
    assert "Fully booked: 3 people are on the waiting list." in html


def slides() -> object:
    document = get_document_model()(title="The slides")
    document.file.save("slides.pdf", ContentFile(b"%PDF-1.4 tiny"), save=False)
    document._set_document_file_metadata()
    document.save()
    return document


def test_past_page_has_the_player_transcript_slides_and_what_we_learned(client, tree):
    _, series = tree
    page = webinar(
        series,
        days(-7),
        recording_embed_url="https://www.youtube.com/watch?v=abcDEF12345",
        transcript="Speaker: welcome.\n\nSpeaker: thank you.",
        slides=slides(),
        what_we_learned="<p>Name a senior sponsor.</p>",
    )
    html = main(client.get(page.url))

    assert "Past webinar" in html
    # The video site's player loads only when someone presses play: until then the
    # frame holds our own page (srcdoc), so there is no third-party request.
    frame = re.search(r"<iframe[^>]*>", html)[0]
    assert 'title="Video player: recording of ' in frame
    assert " src=" not in frame
    assert "youtube-nocookie.com/embed/abcDEF12345?rel=0&amp;amp;autoplay=1" in frame
    assert 'href="https://www.youtube.com/watch?v=abcDEF12345"' in html
    assert '<details class="nhsuk-details webinar-transcript">' in html
    assert "<p>Speaker: welcome.</p> <p>Speaker: thank you.</p>" in html
    assert "Download the slides: The slides</a>" in html
    assert "(PDF, 13 bytes)" in html
    assert "Name a senior sponsor." in html
    assert "Book a place" not in html


def test_uploaded_recording_plays_in_the_browsers_own_player(client, tree):
    from wagtailmedia.models import get_media_model

    _, series = tree
    media = get_media_model().objects.create(
        title="Recording",
        type="video",
        file=ContentFile(b"\x00\x00\x00\x18ftypmp42", name="recording.mp4"),
    )
    page = webinar(series, days(-3), recording=media, transcript="Words.")
    html = main(client.get(page.url))
    assert "<video controls" in html
    assert f'<source src="{media.url}" type="video/mp4">' in html
    assert "<iframe" not in html
    assert "Read the transcript" in html


def test_a_draft_with_new_speakers_previews(rf, tree):
    """Editors' previews render from the revision, before anything is saved."""
    _, series = tree
    page = webinar(series, days(6), title="Draft")
    page.speaker_links.add(WebinarSpeaker(speaker=SpeakerFactory(name="New Person")))
    page.title = "Draft, edited"
    page.save_revision()
    draft = page.get_latest_revision_as_object()
    request = rf.get("/")
    request.user = None
    response = draft.make_preview_request(request)
    html = response.content.decode()
    assert "Draft, edited" in html and "New Person" in html
    assert JOIN_SECRET not in html


def test_past_page_without_materials_says_they_are_coming(client, tree):
    _, series = tree
    page = webinar(series, days(-1))
    html = main(client.get(page.url))
    assert (
        "The recording, slides and a summary of what we learned will be here soon"
        in (html)
    )


@pytest.mark.parametrize(
    ("url", "provider", "embed"),
    [
        ("https://youtu.be/abcDEF12345", "YouTube", "nocookie.com/embed/abcDEF12345"),
        ("https://www.youtube.com/live/abcDEF12345?si=x", "YouTube", "/abcDEF12345"),
        ("https://vimeo.com/123456789", "Vimeo", "vimeo.com/video/123456789?dnt=1"),
        ("https://vimeo.com/123456789/abcdef1234", "Vimeo", "h=abcdef1234"),
    ],
)  # fmt: skip
def test_video_addresses_become_privacy_friendly_players(url, provider, embed):
    found = recording_embed(url)
    assert found.provider == provider
    assert embed in found.embed_url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.org/video/1",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=abc%22onload%3D",
        "javascript:alert(1)",
    ],
)
def test_other_addresses_are_only_a_link(url):
    assert recording_embed(url) is None


def test_unknown_video_site_is_a_plain_link(client, tree):
    _, series = tree
    page = webinar(series, days(-2), recording_embed_url="https://video.example.org/1")
    html = main(client.get(page.url))
    assert '<a href="https://video.example.org/1">Watch the recording</a>' in html
    assert "<iframe" not in html


def test_cancelled_page_says_so(client, tree):
    _, series = tree
    page = webinar(
        series, days(4), is_cancelled=True, cancellation_note="The speaker is ill."
    )
    html = main(client.get(page.url))
    assert "Cancelled webinar" in html
    assert "The speaker is ill." in html
    assert "calendar.ics" not in html


# --- Listings -------------------------------------------------------------------------


@pytest.fixture
def listed(tree):
    index, series = tree
    safe_sleep = ThemeFactory(name="Safe sleep", slug="safe-sleep")
    midwives = AudienceFactory(name="Midwives", slug="midwives")
    pages = {
        "soon": webinar(series, days(3), title="Soon"),
        "later": webinar(series, days(30), title="Later"),
        "recent": webinar(series, days(-5), title="Recent"),
        "old": webinar(series, days(-60), title="Old"),
    }
    for key in ("soon", "recent"):
        pages[key].themes.add(safe_sleep)
        pages[key].save()
    pages["old"].audiences.add(midwives)
    pages["old"].save()
    return index, series, pages


def titles(response) -> list[str]:
    return re.findall(r'<h3 class="nhsuk-heading-s nhsuk-u-margin-bottom-1"><a [^>]*>'
                      r"([^<]+)</a>", response.content.decode())  # fmt: skip


@pytest.mark.parametrize("which", ["index", "series"])
def test_listing_is_upcoming_soonest_first_then_past_most_recent_first(
    client, listed, which
):
    index, series, _ = listed
    page = index if which == "index" else series
    response = client.get(page.url)
    assert response.status_code == HTTPStatus.OK
    assert titles(response) == ["Soon", "Later", "Recent", "Old"]
    html = main(response)
    assert "Upcoming webinar" in html and "Past webinar" in html
    assert "Upcoming or past" in html
    assert '<option value="upcoming">Upcoming (2)</option>' in html


def test_listing_filters_upcoming_past_theme_and_audience(client, listed):
    index, _, _ = listed
    assert titles(client.get(index.url, {"type": "upcoming"})) == ["Soon", "Later"]
    assert titles(client.get(index.url, {"type": "past"})) == ["Recent", "Old"]
    assert titles(client.get(index.url, {"theme": "safe-sleep"})) == ["Soon", "Recent"]
    assert titles(client.get(index.url, {"audience": "midwives"})) == ["Old"]
    both = client.get(index.url, {"type": "past", "theme": "safe-sleep"})
    assert titles(both) == ["Recent"]
    # Filters are kept in the other options' links (shareable addresses).
    assert "Remove filter: Past" in main(both)


@pytest.mark.parametrize("which", ["index", "series"])
def test_listing_year_is_the_year_a_webinar_happens_not_its_publication(
    client, tree, which
):
    index, series = tree
    page = index if which == "index" else series
    # Both pages are published today; one webinar was held years ago (its page
    # added afterwards, for the recording), the other is booked years ahead.
    webinar(series, utc(2019, 11, 5, 10), title="Held")
    webinar(series, utc(2031, 2, 3, 10), title="Booked ahead")

    html = main(client.get(page.url))
    assert '<option value="2031">2031 (1)</option>' in html
    assert '<option value="2019">2019 (1)</option>' in html
    assert f'<option value="{timezone.now().year}">' not in html
    assert titles(client.get(page.url, {"year": 2031})) == ["Booked ahead"]
    assert titles(client.get(page.url, {"year": 2019})) == ["Held"]
    assert titles(client.get(page.url, {"year": timezone.now().year})) == []
    # The feeds filter the same way.
    feed = client.get(f"{page.url}feed/", {"year": 2031}).content.decode()
    assert "Booked ahead" in feed and "Held" not in feed


def test_listing_refuses_malformed_filters_and_explains_unknown_ones(client, listed):
    index, _, _ = listed
    bad = client.get(index.url, {"type": "<script>"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "There is a problem with the filters" in text(bad)
    assert "<script>" not in bad.content.decode().split("maincontent", 1)[1]
    unknown = client.get(index.url, {"type": "someday"})
    assert unknown.status_code == HTTPStatus.OK
    assert titles(unknown) == []
    assert "is not a type of content listed here" in text(unknown)


def test_listing_shows_places_and_recordings(client, tree):
    index, series = tree
    full = webinar(series, days(2), capacity=1, title="Full one")
    RegistrationFactory(webinar=full)
    webinar(series, days(3), capacity=5, title="Open one")
    webinar(
        series,
        days(-3),
        title="Recorded",
        recording_embed_url="https://youtu.be/abcDEF12345",
    )
    html = main(client.get(index.url))
    assert "Fully booked: you can join the waiting list." in html
    assert "5 places left." in html
    assert "Recording available." in html


def test_index_links_to_topics_and_calendar_feeds(client, tree):
    index, series = tree
    index_html = text(client.get(index.url))
    assert f'href="{index.url}topics/"' in index_html
    assert f'href="{index.url}calendar.ics"' in index_html
    assert 'type="text/calendar"' in index_html
    series_html = text(client.get(series.url))
    assert f'href="{series.url}calendar.ics"' in series_html


@pytest.mark.parametrize("which", ["index", "series"])
def test_feeds_list_the_webinars_and_follow_the_filters(client, listed, which):
    index, series, pages = listed
    page = index if which == "index" else series
    rss = client.get(f"{page.url}feed/", {"type": "upcoming"})
    assert rss.status_code == HTTPStatus.OK
    items = ElementTree.fromstring(rss.content).findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["Soon", "Later"]
    assert pages["soon"].when_label in items[0].findtext("description")
    atom = client.get(f"{page.url}feed/atom/", {"type": "past"})
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ElementTree.fromstring(atom.content).findall("a:entry", ns)
    assert [e.findtext("a:title", namespaces=ns) for e in entries] == ["Recent", "Old"]


def test_listing_query_count_does_not_grow_with_webinars(
    client, tree, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    index, series = tree
    theme = ThemeFactory()

    def add(n):
        page = webinar(series, days(n - 6 + 0.5), title=f"Webinar {n}")
        page.themes.add(theme)
        page.save()
        RegistrationFactory.create_batch(2, webinar=page)

    add(0)
    client.get(index.url)  # warm caches (site root paths)
    with CaptureQueriesContext(connection) as one:
        client.get(index.url)
    for n in range(1, 12):
        add(n)
    with django_assert_max_num_queries(22):
        response = client.get(index.url)
    with CaptureQueriesContext(connection) as twelve:
        client.get(index.url)
    assert len(titles(response)) == 12
    assert len(twelve) == len(one)


# --- Related both ways ----------------------------------------------------------------


@pytest.fixture
def related(site, tree):
    _, series = tree
    packs = QIPackIndexPageFactory(parent=site)
    messages = SafetyMessageIndexPageFactory(parent=site)
    learning = LearningIndexPageFactory(parent=site)
    pack = QIPackPageFactory(parent=packs, title="Safer sleep pack")
    other_pack = QIPackPageFactory(parent=packs, title="Pack that lists the webinar")
    message = SafetyMessagePageFactory(parent=messages, title="Safe sleep message")
    resource = LearningResourcePageFactory(parent=learning, title="Crib sheet")
    page = webinar(series, days(9), title="Safer sleep webinar")
    for order, target in enumerate([pack, message, resource]):
        WebinarRelated.objects.create(page_from=page, page=target, sort_order=order)
    QIPackRelated.objects.create(page_from=other_pack, page=page, sort_order=0)
    return page, pack, other_pack, message, resource


def test_webinar_lists_its_related_pages_and_the_packs_that_list_it(client, related):
    page, pack, other_pack, message, resource = related
    html = main(client.get(page.url))
    section = html.split("Related QI packs and learning", 1)[1]
    positions = [section.index(p.title) for p in (pack, message, resource, other_pack)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("which", ["pack", "message", "resource"])
def test_related_pages_list_the_webinars_that_link_to_them(client, related, which):
    page, pack, _, message, resource = related
    target = {"pack": pack, "message": message, "resource": resource}[which]
    html = main(client.get(target.url))
    assert "Webinars about this" in html
    assert f'<a href="{page.url}">Safer sleep webinar</a>' in html
    assert "(upcoming: " in html


def test_unpublished_or_private_webinars_are_not_listed_on_related_pages(
    client, related
):
    page, _, _, message, _ = related
    PageViewRestriction.objects.create(page=page, restriction_type="login")
    assert "Webinars about this" not in main(client.get(message.url))
    PageViewRestriction.objects.filter(page=page).delete()
    page.unpublish()
    assert "Webinars about this" not in main(client.get(message.url))


def test_linked_webinars_and_packs_are_kept_until_a_publish(
    client, routes_on, related, django_capture_on_commit_callbacks
):
    """Kept with the routes (website/routing.py): no query for them on a later
    view; an unpublished webinar or pack is gone once its change commits."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page, pack, _, message, _ = related
    QIPackRelated.objects.create(page_from=pack, page=message, sort_order=0)
    client.get(message.url)
    client.get(message.url)
    with CaptureQueriesContext(connection) as captured:
        html = main(client.get(message.url))
    assert "Safer sleep webinar" in html
    assert "Safer sleep pack" in html
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "webinars_webinarrelated" not in sql
    assert "qipacks_qipackrelated" not in sql
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
        pack.unpublish()
    html = main(client.get(message.url))
    assert "Safer sleep webinar" not in html
    assert "Safer sleep pack" not in html


def test_kept_linked_webinars_are_put_in_time_order_on_each_view(
    client, routes_on, related, monkeypatch
):
    page, _, _, message, _ = related
    soon = webinar(page.get_parent(), days(2), title="Bath seats webinar")
    WebinarRelated.objects.create(page_from=soon, page=message, sort_order=0)
    html = main(client.get(message.url))
    assert html.index("Bath seats webinar") < html.index("Safer sleep webinar")
    client.get(message.url)
    later = timezone.now() + dt.timedelta(days=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    html = main(client.get(message.url))  # from memory, the soon one now past
    assert html.index("Safer sleep webinar") < html.index("Bath seats webinar")


def test_page_without_webinars_costs_one_query_for_them(
    client, related, django_assert_max_num_queries
):
    from webinars.templatetags.webinar_tags import webinars_linking_to

    _, _, other_pack, _, _ = related
    with django_assert_max_num_queries(1):
        assert webinars_linking_to(other_pack) == []


def test_webinar_page_query_count_is_bounded(
    client, related, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page = related[0]
    WebinarSpeaker.objects.create(page=page, speaker=SpeakerFactory(), sort_order=0)
    RegistrationFactory(webinar=page)
    client.get(page.url)
    with CaptureQueriesContext(connection) as one:
        client.get(page.url)
    for n in range(1, 5):
        speaker = SpeakerFactory()
        WebinarSpeaker.objects.create(page=page, speaker=speaker, sort_order=n)
    RegistrationFactory.create_batch(5, webinar=page)
    with django_assert_max_num_queries(30):
        response = client.get(page.url)
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().count('class="webinar-speaker"') == 5
    with CaptureQueriesContext(connection) as five:
        client.get(page.url)
    assert len(five) == len(one)


# --- The join link is private ---------------------------------------------------------


def public_addresses(index, series, page) -> list[str]:
    return [
        index.url,
        series.url,
        page.url,
        f"{page.url}register/",
        f"{index.url}feed/",
        f"{index.url}feed/atom/",
        f"{series.url}feed/",
        f"{series.url}feed/atom/",
        f"{index.url}topics/",
        "/sitemap.xml",
    ]


def test_join_link_is_on_no_public_page_feed_or_sitemap(client, tree):
    index, series = tree
    upcoming = webinar(series, days(3), title="Upcoming with a link")
    past = webinar(series, days(-3), title="Past with a link", transcript="Hello.")
    seen = 0
    for page in (upcoming, past):
        for address in public_addresses(index, series, page):
            response = client.get(address)
            assert response.status_code == HTTPStatus.OK, address
            body = response.content.decode()
            assert JOIN_SECRET not in body, address
            assert INSTRUCTIONS not in body, address
            seen += 1
    assert seen == 20
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"http://localhost{upcoming.url}" in sitemap


@pytest.mark.parametrize("which", ["index", "series", "webinar"])
def test_calendar_files_parse_and_carry_no_join_link(client, tree, which):
    index, series = tree
    page = webinar(series, days(400))
    address = {
        "index": f"{index.url}calendar.ics",
        "series": f"{series.url}calendar.ics",
        "webinar": f"{page.url}calendar.ics",
    }[which]
    response = client.get(address)
    assert response.status_code == HTTPStatus.OK
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == [page.title]
    assert events[0].decoded("DTSTART").astimezone(dt.UTC) == page.starts_at
    assert JOIN_SECRET.encode() not in response.content
    assert INSTRUCTIONS.encode() not in response.content


def test_join_link_and_instructions_are_not_searchable(client, tree):
    from search.indexing import sync_page

    _, series = tree
    page = webinar(series, days(3), title="Searchable webinar")
    sync_page(page.pk)
    found = main(client.get("/search/", {"q": "Searchable webinar"}))
    assert f'href="{page.url}"' in found
    assert JOIN_SECRET not in found and INSTRUCTIONS not in found
    for secret in ("93517264", JOIN_SECRET, "meet.example.net"):
        results = main(client.get("/search/", {"q": secret}))
        assert f'href="{page.url}"' not in results
