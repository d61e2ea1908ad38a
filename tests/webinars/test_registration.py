"""Registering for a webinar without a password, the waiting list, cancelling.

Through the pages (Django's test client) with the email pipeline run inline
(``celery_eager``; on-commit callbacks executed), so every email the services
queue lands in ``django.core.mail.outbox`` as the SMTP server would get it,
calendar file and all.
"""

from __future__ import annotations

import datetime as dt
import re
from http import HTTPStatus
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from icalendar import Calendar
from wagtail.models import PageViewRestriction

from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import calendar as webinar_calendar
from webinars import emails, registration
from webinars.models import Registration, WebinarEmail

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# 10:30am to 11:30am UK time (BST, so 09:30 UTC): the zone matters.
STARTS = dt.datetime(2030, 6, 18, 9, 30, tzinfo=UTC)
WHEN = "Tuesday 18 June 2030, 10:30am to 11:30am (UK time)"
JOIN = "https://meet.example.net/j/secret-join-424242"
LINK = re.compile(r"https?://\S+")
Status = Registration.Status


@pytest.fixture(autouse=True)
def _fresh_rate_limits_and_outbox():
    cache.clear()
    mail.outbox = []
    yield
    cache.clear()


@pytest.fixture
def tree(site):
    index, series = webinar_tree(site)
    return SimpleNamespace(home=site, index=index, series=series)


def make_webinar(tree, **kwargs):
    return WebinarPageFactory(
        parent=tree.series,
        **{
            "title": "Learning from sudden unexpected deaths",
            "slug": "sudden-deaths",
            "starts_at": STARTS,
            "ends_at": STARTS + dt.timedelta(hours=1),
            "capacity": 3,
            "join_url": JOIN,
            "join_instructions": "Passcode 424242",
            **kwargs,
        },
    )


@pytest.fixture
def webinar(tree):
    return make_webinar(tree)


def register_url(webinar) -> str:
    return webinar.url + "register/"


def manage_path(item: Registration) -> str:
    """The path of the registrant's own page (emails carry it absolute)."""
    return urlsplit(emails.manage_url(item)).path


def details(email: str = "ann.example@example.org", **extra) -> dict:
    return {
        "name": "Ann Example",
        "email": email,
        "organisation": "Northshire CDOP",
        "role": "CDOP manager",
        "accessibility_needs": "",
        **extra,
    }


@pytest.fixture
def post(client, celery_eager, django_capture_on_commit_callbacks):
    """POST and run what it queued on commit (the emails), here and now."""

    def run(url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return run


def calendar_in(message) -> Calendar | None:
    """The .ics attached to a message (outbox or SMTP sink), parsed; or None."""
    parsed = getattr(message, "parsed", message)
    for part in parsed.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    return None


def event_in(message):
    [event] = calendar_in(message).walk("VEVENT")
    return event


def link_to(body: str, start: str) -> str:
    for url in LINK.findall(body):
        if urlsplit(url).path.startswith(start):
            return urlsplit(url).path
    raise AssertionError(f"No {start} link in:\n{body}")


def counts() -> tuple[int, int]:
    return Registration.objects.count(), WebinarEmail.objects.count()


# --- The form -------------------------------------------------------------------------


def test_the_form_says_when_and_how_many_places_and_is_never_cached(
    client, webinar, django_assert_max_num_queries
):
    client.get(register_url(webinar))  # the site's settings cached
    with django_assert_max_num_queries(18):
        response = client.get(register_url(webinar))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Register" in html
    assert WHEN in html
    assert "3 places left" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="leave_blank"' in html
    assert JOIN not in html
    assert "no-store" in response["Cache-Control"]


def test_places_left_are_current_on_cached_pages_after_a_registration_or_cancel(
    post, tree, webinar, page_cache_on
):
    reader = Client()  # anonymous, with no cookie: served from the page cache
    pages = [webinar.url, tree.series.url, tree.index.url]

    def shown() -> dict[str, tuple[str, set[str]]]:
        found = {}
        for url in pages:
            response = reader.get(url)
            assert response.status_code == HTTPStatus.OK, url
            html = " ".join(response.content.decode().split())
            found[url] = (
                response["X-Cache"],
                set(re.findall(r"(\d+)(?: of 3)? places? left", html)),
            )
        return found

    shown()
    assert shown() == {url: ("hit", {"3"}) for url in pages}

    post(register_url(webinar), details())
    assert shown() == {url: ("miss", {"2"}) for url in pages}
    assert shown() == {url: ("hit", {"2"}) for url in pages}

    # Cancelling by the registrant's own link purges them again.
    path = manage_path(Registration.objects.get())
    post(path, {"confirm": "yes"})
    assert shown() == {url: ("miss", {"3"}) for url in pages}

    # A refused registration (a bot's filled-in honeypot) purges nothing.
    post(register_url(webinar), details("bot@example.org", leave_blank="x"))
    assert shown() == {url: ("hit", {"3"}) for url in pages}


def test_registering_gives_a_place_and_emails_the_join_link_and_calendar(
    client, post, webinar, django_assert_max_num_queries
):
    response = post(register_url(webinar), details("  Ann.Example@Example.ORG "))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == register_url(webinar) + "?sent=1"

    item = Registration.objects.get()
    assert item.email == "ann.example@example.org"
    assert item.status == Status.REGISTERED
    assert (item.name, item.organisation, item.role) == (
        "Ann Example",
        "Northshire CDOP",
        "CDOP manager",
    )

    [message] = mail.outbox
    assert message.to == ["ann.example@example.org"]
    assert message.subject == f"Your place at {webinar.title}"
    assert WHEN in message.body
    assert JOIN in message.body
    assert "Passcode 424242" in message.body
    assert link_to(message.body, "/webinars/registration/") == manage_path(item)

    event = event_in(message)
    assert calendar_in(message)["method"] == "REQUEST"
    assert str(event["uid"]) == webinar_calendar.uid(webinar)
    assert event.decoded("dtstart").astimezone(UTC) == STARTS
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert event["location"] == JOIN
    assert event["sequence"] == webinar.ics_sequence

    # The page after posting says nothing about the address.
    with django_assert_max_num_queries(18):  # Wagtail's routing and the header
        done = client.get(response["Location"])
    assert done.status_code == HTTPStatus.OK
    assert "Check your email" in done.content.decode()
    assert JOIN not in done.content.decode()


def test_the_same_address_again_gets_its_registration_back_not_a_second_one(
    client, post, webinar
):
    post(register_url(webinar), details())
    first = Registration.objects.get()
    done_first = client.get(register_url(webinar) + "?sent=1").content

    response = post(
        register_url(webinar), details(" ANN.example@example.org", name="Someone")
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == register_url(webinar) + "?sent=1"
    assert client.get(response["Location"]).content == done_first
    # Unchanged (a stranger cannot rename someone), and the email sent again.
    assert list(Registration.objects.values_list("pk", "name")) == [
        (first.pk, "Ann Example")
    ]
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == mail.outbox[0].subject
    assert link_to(mail.outbox[1].body, "/webinars/registration/") == manage_path(first)

    # Again straight away: nothing more (one email per address per window).
    post(register_url(webinar), details())
    assert len(mail.outbox) == 2
    assert Registration.objects.count() == 1


def test_when_full_people_join_the_waiting_list_without_the_join_link(
    client, post, webinar
):
    for _ in range(3):
        RegistrationFactory(webinar=webinar)
    page = client.get(register_url(webinar)).content.decode()
    assert "Join the waiting list" in page
    assert "All places are taken" in page

    post(register_url(webinar), details("wait1@example.org"))
    post(register_url(webinar), details("wait2@example.org"))
    first, second = Registration.objects.filter(status=Status.WAITLISTED).order_by(
        "created_at", "pk"
    )
    assert registration.waitlist_position(first) == 1
    assert registration.waitlist_position(second) == 2

    message = mail.outbox[1]
    assert message.to == ["wait2@example.org"]
    assert message.subject == f"You're on the waiting list for {webinar.title}"
    assert "You're number 2 on the waiting list." in message.body
    assert JOIN not in message.body
    assert calendar_in(message) is None

    manage = client.get(manage_path(second)).content.decode()
    assert "You're on the waiting list" in manage
    assert "You're number 2 on the waiting list" in manage
    assert JOIN not in manage


# --- A registrant's own page ----------------------------------------------------------


def test_the_own_page_shows_the_join_link_and_is_private(
    client, webinar, django_assert_max_num_queries
):
    item = RegistrationFactory(webinar=webinar)
    client.get(manage_path(item))  # the site's settings cached
    with django_assert_max_num_queries(14):
        response = client.get(manage_path(item))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "You have a place" in html
    assert WHEN in html
    assert JOIN in html
    assert "Passcode 424242" in html
    assert "Cancel my place" in html
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex">' in html


def test_the_join_link_is_only_on_the_own_page_and_never_on_public_pages(
    client, webinar
):
    RegistrationFactory(webinar=webinar)
    for url in (webinar.url, register_url(webinar), register_url(webinar) + "?sent=1"):
        html = client.get(url).content.decode()
        assert JOIN not in html, url
        assert "424242" not in html, url


def test_cancelling_takes_a_confirm_step_emails_a_calendar_cancel_and_promotes(
    client, post, webinar, django_assert_max_num_queries
):
    leaving = RegistrationFactory(webinar=webinar, email="leaving@example.org")
    RegistrationFactory(webinar=webinar)
    RegistrationFactory(webinar=webinar)
    next_up = RegistrationFactory(
        webinar=webinar, status=Status.WAITLISTED, email="next@example.org"
    )
    later = RegistrationFactory(webinar=webinar, status=Status.WAITLISTED)
    path = manage_path(leaving)

    # The confirm step changes nothing.
    client.get(path)  # the site's settings cached
    with django_assert_max_num_queries(14):
        confirm = client.get(path + "?cancel=1")
    assert confirm.status_code == HTTPStatus.OK
    assert "Are you sure you want to cancel your place?" in confirm.content.decode()
    # The page with the form: "same-origin" (under "no-referrer" the browser's
    # POST says Origin: null and fails the CSRF check), so it links nowhere else.
    assert confirm["Referrer-Policy"] == "same-origin"
    assert re.findall(r'href="(https?:)?//', confirm.content.decode()) == []
    leaving.refresh_from_db()
    assert leaving.status == Status.REGISTERED

    response = post(path, {"confirm": "yes"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == path + "?done=cancelled"

    leaving.refresh_from_db()
    next_up.refresh_from_db()
    later.refresh_from_db()
    assert leaving.status == Status.CANCELLED
    assert leaving.cancelled_at is not None
    assert next_up.status == Status.REGISTERED
    assert next_up.promoted_at is not None
    assert later.status == Status.WAITLISTED
    assert registration.waitlist_position(later) == 1

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"leaving@example.org", "next@example.org"}
    cancelled = by_address["leaving@example.org"]
    assert cancelled.subject == f"Your place at {webinar.title} is cancelled"
    assert calendar_in(cancelled)["method"] == "CANCEL"
    event = event_in(cancelled)
    assert str(event["uid"]) == webinar_calendar.uid(webinar)
    assert event["status"] == "CANCELLED"
    assert JOIN not in cancelled.body

    promoted = by_address["next@example.org"]
    assert promoted.subject.startswith("A place has come up")
    assert JOIN in promoted.body
    assert calendar_in(promoted)["method"] == "REQUEST"
    assert event_in(promoted).decoded("dtstart").astimezone(UTC) == STARTS
    assert link_to(promoted.body, "/webinars/registration/") == manage_path(next_up)

    after = client.get(response["Location"]).content.decode()
    assert "Your place has been cancelled." in after
    assert "Your registration is cancelled" in after
    assert JOIN not in after
    assert "Register again" in after
    assert JOIN in client.get(manage_path(next_up)).content.decode()

    # Cancelling again changes and sends nothing.
    mail.outbox = []
    again = post(path, {"confirm": "yes"})
    assert again.status_code == HTTPStatus.CONFLICT
    assert mail.outbox == []
    assert Registration.objects.filter(status=Status.REGISTERED).count() == 3


def test_leaving_the_waiting_list_promotes_nobody_and_sends_no_calendar(
    client, post, webinar
):
    for _ in range(3):
        RegistrationFactory(webinar=webinar)
    waiting = RegistrationFactory(webinar=webinar, status=Status.WAITLISTED)
    behind = RegistrationFactory(webinar=webinar, status=Status.WAITLISTED)
    confirm = client.get(manage_path(waiting) + "?cancel=1").content.decode()
    assert "Are you sure you want to leave the waiting list?" in confirm

    response = post(manage_path(waiting), {"confirm": "yes"})
    assert response["Location"].endswith("?done=left")
    waiting.refresh_from_db()
    assert waiting.status == Status.CANCELLED
    assert Registration.objects.filter(status=Status.REGISTERED).count() == 3
    assert registration.waitlist_position(behind) == 1
    [message] = mail.outbox
    assert message.subject == f"You've left the waiting list for {webinar.title}"
    assert calendar_in(message) is None


def test_someone_who_cancelled_can_register_again(client, post, webinar):
    first = RegistrationFactory(webinar=webinar, email="back@example.org")
    RegistrationFactory(webinar=webinar, email="someone.else@example.org")
    invitations = []
    for _ in range(2):
        post(
            manage_path(
                Registration.objects.get(
                    email="back@example.org", status=Status.REGISTERED
                )
            ),
            {"confirm": "yes"},
        )
        post(register_url(webinar), details("back@example.org"))
        invitations += [
            (calendar_in(message)["method"], event_in(message))
            for message in mail.outbox
        ]
        mail.outbox.clear()
    assert sorted(
        Registration.objects.filter(email="back@example.org").values_list(
            "status", flat=True
        )
    ) == [Status.CANCELLED, Status.CANCELLED, Status.REGISTERED]

    # One calendar entry throughout, each message newer than the one before: the
    # calendar takes each CANCEL, and puts the webinar back on each REQUEST.
    assert {str(event["uid"]) for _, event in invitations} == {
        webinar_calendar.uid(webinar)
    }
    assert [(method, event["sequence"]) for method, event in invitations] == [
        ("CANCEL", 1),
        ("REQUEST", 2),
        ("CANCEL", 3),
        ("REQUEST", 4),
    ]
    # Another address's invitation is not moved on by this one's comings and goings.
    first.refresh_from_db()
    assert webinar_calendar.sequence(webinar, first) == 1
    other = Registration.objects.get(email="someone.else@example.org")
    assert webinar_calendar.sequence(webinar, other) == 0
    # A change to the webinar moves everyone's on from where each stands.
    webinar.ics_sequence = 3
    latest = Registration.objects.get(
        email="back@example.org", status=Status.REGISTERED
    )
    assert webinar_calendar.sequence(webinar, latest) == 7
    assert webinar_calendar.sequence(webinar, other) == 3
    assert webinar_calendar.sequence(webinar) == 3


def test_after_the_start_there_is_no_cancelling_and_after_the_end_no_join_link(
    client, post, tree
):
    now = dt.datetime.now(UTC)
    live = make_webinar(
        tree,
        slug="happening-now",
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(minutes=50),
    )
    finished = make_webinar(
        tree,
        slug="finished",
        starts_at=now - dt.timedelta(days=2),
        ends_at=now - dt.timedelta(days=2) + dt.timedelta(hours=1),
    )
    during = RegistrationFactory(webinar=live)
    after = RegistrationFactory(webinar=finished)

    html = client.get(manage_path(during)).content.decode()
    assert JOIN in html  # latecomers can still join
    assert "Cancel my place" not in html
    assert post(manage_path(during), {"confirm": "yes"}).status_code == 409

    html = client.get(manage_path(after)).content.decode()
    assert JOIN not in html
    assert "This webinar has finished" in html
    assert "Cancel my place" not in html
    during.refresh_from_db()
    assert during.status == Status.REGISTERED
    assert mail.outbox == []


def test_a_cancelled_webinar_shows_no_join_link_and_takes_no_registrations(
    client, post, tree
):
    webinar = make_webinar(
        tree, is_cancelled=True, cancellation_note="The speaker is unwell."
    )
    item = RegistrationFactory(webinar=webinar)
    html = client.get(manage_path(item)).content.decode()
    assert "This webinar has been cancelled" in html
    assert "The speaker is unwell." in html
    assert JOIN not in html
    assert "Cancel my place" not in html

    form = client.get(register_url(webinar))
    assert "This webinar has been cancelled." in form.content.decode()
    assert 'name="email"' not in form.content.decode()
    before = counts()
    assert post(register_url(webinar), details()).status_code == 409
    assert counts() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"registration_opens_at": dt.datetime(2030, 6, 1, 8, tzinfo=UTC)},
            "You can register from Saturday 1 June 2030 at 9am (UK time).",
        ),
        (
            {"registration_closes_at": dt.datetime(2020, 1, 1, tzinfo=UTC)},
            "Registration for this webinar has closed.",
        ),
    ],
)
def test_registration_not_open_shows_why_and_writes_nothing(
    client, post, tree, changes, message
):
    webinar = make_webinar(tree, **changes)
    html = client.get(register_url(webinar)).content.decode()
    assert message in html
    assert 'name="email"' not in html
    assert post(register_url(webinar), details()).status_code == 409
    assert counts() == (0, 0)
    assert mail.outbox == []


def test_a_private_or_unpublished_webinar_takes_no_registrations(tree):
    webinar = make_webinar(tree)
    PageViewRestriction.objects.create(
        page=webinar,
        restriction_type="password",
        password="secret",  # noqa: S106
    )
    with pytest.raises(registration.RegistrationNotOpen):
        registration.register(webinar, name="Ann", email="ann@example.org")
    PageViewRestriction.objects.all().delete()
    webinar.unpublish()
    with pytest.raises(registration.RegistrationNotOpen):
        registration.register(webinar, name="Ann", email="ann@example.org")
    assert counts() == (0, 0)


# --- The box on the webinar's page ---------------------------------------------------


def test_the_box_on_the_webinar_page_follows_the_state(client, tree):
    webinar = make_webinar(tree)
    html = client.get(webinar.url).content.decode()
    assert f'href="{register_url(webinar)}"' in html
    assert "3 places left" in html

    for _ in range(3):
        RegistrationFactory(webinar=webinar)
    html = client.get(webinar.url).content.decode()
    assert "Join the waiting list" in html
    assert JOIN not in html

    soon = make_webinar(
        tree,
        slug="soon",
        registration_opens_at=dt.datetime(2030, 6, 1, 8, tzinfo=UTC),
    )
    html = client.get(soon.url).content.decode()
    assert "Registration opens on Saturday 1 June 2030 at 9:00am (UK time)." in html
    assert register_url(soon) not in html

    off = make_webinar(
        tree, slug="off", is_cancelled=True, cancellation_note="Speaker unwell."
    )
    html = client.get(off.url).content.decode()
    assert "This webinar has been cancelled" in html
    assert register_url(off) not in html


# --- Abuse ----------------------------------------------------------------------------


def test_the_hidden_box_filled_in_looks_like_success_and_writes_nothing(post, webinar):
    response = post(register_url(webinar), details(leave_blank="http://spam"))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"].endswith("?sent=1")
    assert counts() == (0, 0)
    assert mail.outbox == []


def test_registering_is_rate_limited_per_client_address(post, webinar, settings):
    settings.WEBINAR_REGISTRATION_RATE_LIMIT = 2
    for n in range(2):
        assert post(
            register_url(webinar), details(f"p{n}@example.org")
        ).status_code == (HTTPStatus.SEE_OTHER)
    response = post(register_url(webinar), details("p3@example.org"))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many requests" in response.content.decode()
    assert Registration.objects.count() == 2
    # Another network is not affected.
    other = post(
        register_url(webinar), details("p4@example.org"), REMOTE_ADDR="192.0.2.9"
    )
    assert other.status_code == HTTPStatus.SEE_OTHER


def test_forms_need_their_csrf_token(webinar):
    client = Client(enforce_csrf_checks=True)
    item = RegistrationFactory(webinar=webinar)
    assert client.post(register_url(webinar), details()).status_code == 403
    assert client.post(manage_path(item), {"confirm": "yes"}).status_code == 403
    item.refresh_from_db()
    assert item.status == Status.REGISTERED
    assert Registration.objects.count() == 1

    client.get(register_url(webinar))
    token = client.cookies["csrftoken"].value
    response = client.post(
        register_url(webinar),
        {**details("with.token@example.org"), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert Registration.objects.count() == 2
