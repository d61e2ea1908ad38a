"""Registering for a webinar on a phone, in a real browser, with the real email
pipeline: register, get the email (through the Celery worker, at the SMTP sink),
open the calendar file, follow the link to your own page, see the join link,
cancel; axe-core on every page on the way.

The live server is a thread of this process; the worker is a separate process
on the same committed test database (``transactional_db``).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from icalendar import Calendar
from playwright.sync_api import expect

from tests.conftest import wait_for
from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import calendar as webinar_calendar
from webinars.models import Registration, WebinarPage

pytestmark = pytest.mark.django_db(transaction=True)

# 10:30am UK time in summer (BST): 09:30 UTC.
STARTS = dt.datetime(2030, 6, 18, 9, 30, tzinfo=dt.UTC)
WHEN = "Tuesday 18 June 2030, 10:30am to 11:30am (UK time)"
JOIN = "https://meet.example.net/j/secret-browser-777"
TITLE = "Learning from sudden unexpected deaths"
ADDRESS = "pat.phone@example.org"
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def webinar(site):
    cache.clear()  # the rate limit counts per address, in the cache
    _index, series = webinar_tree(site)
    return WebinarPageFactory(
        parent=series,
        title=TITLE,
        slug="sudden-deaths",
        starts_at=STARTS,
        ends_at=STARTS + dt.timedelta(hours=1),
        capacity=20,
        join_url=JOIN,
        join_instructions="Passcode 777777",
    )


def submit(page, button_name: str):
    """Click a submit button and wait for the page it leads to; return the response."""
    with page.expect_navigation() as navigation:
        page.locator("main").get_by_role("button", name=button_name, exact=True).click()
    return navigation.value


def messages_to(sink, address: str) -> list:
    return [message for rcpt, message in sink.messages if address in rcpt]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def calendar_of(message) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


@pytest.mark.celery_worker
def test_register_get_the_email_follow_the_link_and_cancel_on_a_phone(
    mobile_page, webinar, celery_worker_process, smtp_sink, axe
):
    page = mobile_page
    smtp_sink.clear()

    # The webinar's page: a way to register, and never the join link.
    page.goto(webinar.url)
    expect(page.locator("main")).not_to_contain_text("secret-browser-777")
    expect(page.locator("#register")).to_contain_text("20 places left")
    axe(page, "webinar page with the registration box")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Register for {TITLE}").click()
    assert urlsplit(page.url).path == webinar.url + "register/"

    # The form.
    expect(page.locator("h1")).to_contain_text("Register")
    expect(page.locator("main")).to_contain_text(WHEN)
    axe(page, "register")

    # Sent empty: errors in plain English, linked to their fields.
    response = submit(page, "Register")
    assert response.status == 400
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("link", name="Enter your name")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your email address")).to_be_visible()
    axe(page, "register with errors")

    page.get_by_label("Full name").fill("Pat Phone")
    page.get_by_label("Email address").fill("Pat.Phone@Example.org")
    page.get_by_label("Organisation (optional)").fill("Northshire CDOP")
    page.get_by_label("Role (optional)").fill("CDOP manager")
    page.get_by_label("Access needs (optional)").fill("Captions, please.")
    response = submit(page, "Register")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text("Check your email")
    axe(page, "check your email")

    registration = Registration.objects.get(email=ADDRESS)
    assert registration.status == Registration.Status.REGISTERED
    assert registration.accessibility_needs == "Captions, please."

    # The email, delivered by the worker to the SMTP sink.
    [message] = wait_for(lambda: messages_to(smtp_sink, ADDRESS), timeout=60)
    assert message["Subject"] == f"Your place at {TITLE}"
    body = text_of(message)
    assert WHEN in body
    assert JOIN in body
    invitation = calendar_of(message)
    assert invitation["method"] == "REQUEST"
    [event] = invitation.walk("VEVENT")
    assert str(event["uid"]) == webinar_calendar.uid(webinar)
    assert event.decoded("dtstart").astimezone(dt.UTC) == STARTS
    assert event.decoded("dtend").astimezone(dt.UTC) == STARTS + dt.timedelta(hours=1)
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert str(event["location"]) == JOIN
    manage = next(
        urlsplit(url).path
        for url in LINK.findall(body)
        if "/webinars/registration/" in url
    )

    # Their own page, from the email's link: the join link, and private.
    response = page.goto(manage)
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in response.headers["cache-control"]
    expect(page.locator("h1")).to_contain_text("You have a place")
    join = page.get_by_role("link", name="Join the webinar")
    expect(join).to_have_attribute("href", JOIN)
    expect(page.locator("main")).to_contain_text("Passcode 777777")
    assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex"
    axe(page, "registration page")

    # Cancel: a confirm step, then the button.
    with page.expect_navigation():
        page.get_by_role("link", name="Cancel my place").click()
    expect(page.locator("h1")).to_contain_text(
        "Are you sure you want to cancel your place?"
    )
    registration.refresh_from_db()
    assert registration.status == Registration.Status.REGISTERED
    axe(page, "cancel: confirm")
    submit(page, "Yes, cancel my place")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "Your place has been cancelled."
    )
    expect(page.locator("h1")).to_contain_text("Your registration is cancelled")
    expect(page.locator("main")).not_to_contain_text("secret-browser-777")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    axe(page, "registration cancelled")

    # The calendar entry is taken back: a CANCEL for the same UID.
    cancelled = wait_for(
        lambda: [m for m in messages_to(smtp_sink, ADDRESS) if m is not message],
        timeout=60,
    )[0]
    assert cancelled["Subject"] == f"Your place at {TITLE} is cancelled"
    withdrawal = calendar_of(cancelled)
    assert withdrawal["method"] == "CANCEL"
    [event] = withdrawal.walk("VEVENT")
    assert str(event["uid"]) == webinar_calendar.uid(webinar)
    assert event["status"] == "CANCELLED"


def test_a_full_webinar_offers_the_waiting_list_and_a_bad_link_says_so(
    page, webinar, axe
):
    WebinarPage.objects.filter(pk=webinar.pk).update(capacity=1)
    RegistrationFactory(webinar=webinar)

    page.goto(webinar.url + "register/")
    expect(page.locator("h1")).to_contain_text("Join the waiting list")
    axe(page, "register: waiting list")

    response = page.goto(
        webinar.get_parent().get_parent().url
        + "registration/not-a-real-token-but-the-right-shape-0000/"
    )
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("This link does not work")
    axe(page, "registration link not valid")
