"""Calendar files: the feeds, the public file and a registrant's invitation parse
with icalendar, carry the right UTC instants on both sides of the UK clock
changes, keep one UID, raise SEQUENCE on changes, and never carry a join link
except in the registrant's own invitation."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar
from wagtail.models import PageViewRestriction

from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import calendar, reminders
from webinars.models import WebinarPage

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def tree(site):
    return webinar_tree(site)


def parse(text: str | bytes) -> Calendar:
    return Calendar.from_ical(text)


def instants(cal: Calendar) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """Each event's start and end in UTC, worked out from the file's own
    VTIMEZONE (not from the TZID's name), by summary."""
    zones = {
        str(zone["TZID"]): zone.to_tz(lookup_tzid=False)
        for zone in cal.walk("VTIMEZONE")
    }
    out = {}
    for event in cal.walk("VEVENT"):
        pair = []
        for name in ("DTSTART", "DTEND"):
            prop = event[name]
            zone = zones[str(prop.params["TZID"])]
            naive = prop.dt.replace(tzinfo=None)
            pair.append(naive.replace(tzinfo=zone).astimezone(UTC))
        out[str(event["SUMMARY"])] = tuple(pair)
    return out


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:500]
    return response


# --- The time zone -------------------------------------------------------------------


def test_the_vtimezone_agrees_with_the_tz_database_every_hour_to_2040():
    zone = calendar.london_timezone().to_tz(lookup_tzid=False)
    moment = utc(2026, 1, 1, 0, 30)
    wrong = []
    while moment < utc(2041, 1, 1):
        if moment.astimezone(zone).utcoffset() != moment.astimezone(LONDON).utcoffset():
            wrong.append(moment)
        moment += dt.timedelta(hours=1)
    assert wrong == []
    text = calendar.london_timezone().to_ical().decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RDATE" not in text  # Outlook misreads RDATE-based zones


DST_WEBINARS = {
    # title: (start in UTC, local wall-clock start)
    "Before spring change": (utc(2027, 3, 27, 10), "20270327T100000"),  # GMT
    "After spring change": (utc(2027, 3, 29, 9), "20270329T100000"),  # BST
    "Before autumn change": (utc(2027, 10, 30, 9), "20271030T100000"),  # BST
    "After autumn change": (utc(2027, 11, 1, 10), "20271101T100000"),  # GMT
}


@pytest.fixture
def dst_webinars(tree):
    _index, series = tree
    return {
        title: WebinarPageFactory(
            parent=series,
            title=title,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=90),
        )
        for title, (start, _local) in DST_WEBINARS.items()
    }


def test_series_feed_has_the_right_instants_across_both_clock_changes(
    client, tree, dst_webinars
):
    _index, series = tree
    response = get(client, series.url + "calendar.ics")
    text = response.content.decode()
    cal = parse(response.content)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == series.title
    got = instants(cal)
    for title, (start, local) in DST_WEBINARS.items():
        assert got[title] == (start, start + dt.timedelta(minutes=90)), title
        assert f"DTSTART;TZID=Europe/London:{local}" in text
    assert len(cal.walk("VTIMEZONE")) == 1


def test_invitation_and_public_file_have_the_right_instants(client, dst_webinars):
    for title, webinar in dst_webinars.items():
        start = DST_WEBINARS[title][0]
        registration = RegistrationFactory(webinar=webinar)
        invitation = parse(calendar.invitation(webinar, registration))
        assert instants(invitation)[title][0] == start
        public = parse(get(client, webinar.url + "calendar.ics").content)
        assert instants(public)[title][0] == start
        assert "X-WR-CALNAME" not in public  # a file to import, not a calendar


# --- Identity and sequence ---------------------------------------------------------


def _event(cal: Calendar):
    (event,) = cal.walk("VEVENT")
    return event


def test_uid_is_stable_and_sequence_rises_with_each_announced_change(
    client, tree, site
):
    _index, series = tree
    webinar = WebinarPageFactory(parent=series, title="QI basics")
    registration = RegistrationFactory(webinar=webinar)
    reminders.announce_changes(webinar)  # first publication: recorded, no change
    url = webinar.url + "calendar.ics"

    first = _event(parse(get(client, url).content))
    invite = _event(parse(calendar.invitation(webinar, registration)))
    assert str(first["UID"]) == str(invite["UID"]) == calendar.uid(webinar)
    assert str(first["UID"]).startswith(f"webinar-{webinar.pk}@")
    assert first["SEQUENCE"] == invite["SEQUENCE"] == 0

    webinar.starts_at += dt.timedelta(hours=2)
    webinar.ends_at += dt.timedelta(hours=2)
    webinar.save_revision().publish()
    assert reminders.announce_changes(webinar.pk) == "moved"
    webinar.refresh_from_db()

    moved = _event(parse(get(client, url).content))
    assert str(moved["UID"]) == str(first["UID"])
    assert moved["SEQUENCE"] == 1
    assert moved["DTSTART"].dt.astimezone(UTC) == webinar.starts_at
    invite = _event(parse(calendar.invitation(webinar, registration)))
    assert invite["SEQUENCE"] == 1

    # Publishing again with nothing changed leaves the sequence alone.
    webinar.save_revision().publish()
    assert reminders.announce_changes(webinar.pk) == "unchanged"
    assert _event(parse(get(client, url).content))["SEQUENCE"] == 1


def test_cancellation_is_a_cancel_for_the_registrant_and_cancelled_in_feeds(
    client, tree
):
    index, series = tree
    webinar = WebinarPageFactory(parent=series, title="Cancelled one")
    registration = RegistrationFactory(webinar=webinar)
    reminders.announce_changes(webinar)
    webinar.is_cancelled = True
    webinar.cancellation_note = "The speaker is unwell."
    webinar.save_revision().publish()
    assert reminders.announce_changes(webinar.pk) == "cancelled"
    webinar.refresh_from_db()

    invite = parse(calendar.invitation(webinar, registration))
    assert str(invite["METHOD"]) == "CANCEL"
    assert str(_event(invite)["STATUS"]) == "CANCELLED"
    assert _event(invite)["SEQUENCE"] == 1
    attachment = calendar.attachment(webinar, registration)
    assert attachment["content_type"] == "text/calendar; method=CANCEL"

    for url in (index.url, series.url, webinar.url):
        event = _event(parse(get(client, url + "calendar.ics").content))
        assert str(event["STATUS"]) == "CANCELLED"
        assert event["SEQUENCE"] == 1


# --- No join link --------------------------------------------------------------------


def test_no_feed_or_public_file_carries_the_join_link(client, tree):
    index, series = tree
    webinar = WebinarPageFactory(
        parent=series,
        title="Private link",
        join_url="https://meet.example.net/j/secret-777",
        join_instructions="Passcode 987654",
    )
    registration = RegistrationFactory(webinar=webinar)
    for url in (index.url, series.url, webinar.url):
        text = get(client, url + "calendar.ics").content.decode()
        assert "Private link" in text
        assert "secret-777" not in text
        assert "987654" not in text
        assert "meet.example.net" not in text
    # The registrant's own invitation is the one place it goes.
    invite = calendar.invitation(webinar, registration)
    assert "secret-777" in invite and "987654" in invite


# --- The feeds' contents and HTTP ----------------------------------------------------


def test_upcoming_feed_lists_only_live_public_webinars_still_to_end(client, tree):
    index, series = tree
    now = dt.datetime.now(UTC).replace(microsecond=0)
    WebinarPageFactory(
        parent=series, title="Next week", starts_at=now + dt.timedelta(days=7)
    )
    WebinarPageFactory(
        parent=series,
        title="On now",
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now + dt.timedelta(minutes=30),
    )
    WebinarPageFactory(
        parent=series,
        title="Last month",
        starts_at=now - dt.timedelta(days=30),
        ends_at=now - dt.timedelta(days=30) + dt.timedelta(hours=1),
    )
    draft = WebinarPageFactory(
        parent=series, title="Draft", starts_at=now + dt.timedelta(days=3)
    )
    draft.unpublish()
    private = WebinarPageFactory(
        parent=series, title="Private", starts_at=now + dt.timedelta(days=3)
    )
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    response = get(client, index.url + "calendar.ics")
    cal = parse(response.content)
    titles = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert titles == ["On now", "Next week"]
    assert str(cal["X-WR-CALNAME"]) == index.title

    series_titles = {
        str(e["SUMMARY"])
        for e in parse(get(client, series.url + "calendar.ics").content).walk("VEVENT")
    }
    assert series_titles == {"On now", "Next week", "Last month"}


def test_calendar_responses_are_text_calendar_cached_and_conditional(client, tree):
    index, series = tree
    webinar = WebinarPageFactory(parent=series)
    urls = [page.url + "calendar.ics" for page in (index, series, webinar)]
    etags = {}
    for url in urls:
        response = get(client, url)
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert "public" in response["Cache-Control"]
        assert "max-age=900" in response["Cache-Control"]
        etags[url] = response["ETag"]
        assert client.post(url).status_code == 405
    time.sleep(1.1)  # DTSTAMP moves on; the ETag must not
    for url in urls:
        again = client.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert again.status_code == 304
    WebinarPage.objects.filter(pk=webinar.pk).update(title="A new title")
    for url in urls:
        response = client.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert response.status_code == 200
        assert "A new title" in response.content.decode()


def test_a_restricted_series_file_asks_for_the_password_then_is_private(client, tree):
    _index, series = tree
    WebinarPageFactory(parent=series, title="Members only")
    restriction = PageViewRestriction.objects.create(
        page=series, restriction_type=PageViewRestriction.PASSWORD, password="pw"
    )
    url = series.url + "calendar.ics"
    response = client.get(url)
    assert response["Content-Type"].startswith("text/html")  # the password form
    assert "Members only" not in response.content.decode()
    client.post(
        reverse(
            "wagtailcore_authenticate_with_password", args=[restriction.id, series.id]
        ),
        {"password": "pw", "return_url": url},
    )
    response = get(client, url)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    assert "Members only" not in response.content.decode()  # feeds list public ones


def test_only_the_pages_own_address_serves_a_calendar(client, tree):
    index, series = tree
    assert client.get(index.url + "topics/calendar.ics").status_code == 404
    assert client.get("/calendar.ics").status_code == 404  # the home page
    assert client.get(index.url + "no-such-series/calendar.ics").status_code == 404
    # The address the routes give is the one that answers.
    assert index.url + index.reverse_subpage("calendar_feed") == (
        index.url + "calendar.ics"
    )
    get(client, series.url + series.reverse_subpage("calendar_feed"))


def test_feed_queries_do_not_grow_with_the_number_of_webinars(
    client, tree, django_assert_max_num_queries
):
    index, series = tree
    start = dt.datetime.now(UTC) + dt.timedelta(days=2)
    for n in range(12):
        WebinarPageFactory(parent=series, starts_at=start + dt.timedelta(days=n))
    get(client, index.url + "calendar.ics")  # warm the site root paths cache
    # Routing to the page and its view restrictions, then one query for the list.
    with django_assert_max_num_queries(10):
        response = get(client, index.url + "calendar.ics")
    assert len(parse(response.content).walk("VEVENT")) == 12
    with django_assert_max_num_queries(14):
        get(client, series.url + "calendar.ics")
    with django_assert_max_num_queries(16):
        get(client, WebinarPage.objects.first().url + "calendar.ics")
