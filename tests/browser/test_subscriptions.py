"""Subscribing on a phone, in a real browser: subscribe, confirm from the email's
link, change preferences, unsubscribe, delete everything; axe-core on every page.

The live server is a thread of this process and Celery runs eagerly, so the
subscribe form's task and the confirmation email's delivery happen inside the
request, and the delivered message lands in ``django.core.mail.outbox``.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from bulletins import tokens
from bulletins.models import DistributionList, Subscriber
from website.models import Audience, Theme

LINK = re.compile(r"https?://\S+")


def submit(page, button_name: str, within: str = "main"):
    """Click a submit button and wait for the page it leads to; return the response."""
    with page.expect_navigation() as navigation:
        page.locator(within).get_by_role("button", name=button_name, exact=True).click()
    return navigation.value


def link_in(message, start: str) -> str:
    for url in LINK.findall(message.body):
        path = urlsplit(url).path
        if path.startswith(start):
            return path
    raise AssertionError(f"No {start} link in:\n{message.body}")


@pytest.fixture
def lists(demo_site):
    """Three public lists and a staff one, committed for the live server."""
    cache.clear()  # the rate limits count per address, in the cache
    made = {}
    for order, (name, theme, visibility) in enumerate(
        [
            ("Learning bulletins", None, "public"),
            ("Safer sleep messages", "safe-sleep", "public"),
            ("Water safety messages", None, "public"),
            ("Panel managers", None, "staff"),
        ]
    ):
        item = DistributionList.objects.create(
            name=name,
            slug=name.lower().replace(" ", "-"),
            description=f"{name}: what is new, when it is published.",
            visibility=visibility,
            sort_order=order,
        )
        if theme:
            item.themes.add(Theme.objects.get(slug=theme))
        made[name] = item
    return made


def test_subscribe_confirm_manage_and_unsubscribe_on_a_phone(
    mobile_page, lists, axe, celery_eager
):
    page = mobile_page
    mail.outbox = []

    # The subscribe form.
    page.goto("/subscribe/")
    expect(page.locator("h1")).to_have_text("Get email updates")
    expect(page.get_by_text("Panel managers")).to_have_count(0)
    axe(page, "subscribe")

    # Sent empty: the errors, in plain English, linked to their fields.
    response = submit(page, "Subscribe")
    assert response.status == HTTPStatus.BAD_REQUEST
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your email address")).to_be_visible()
    axe(page, "subscribe with errors")

    page.get_by_label("Email address").fill("Pat.Phone@Example.org")
    page.get_by_label("Your name (optional)").fill("Pat")
    page.get_by_role("radio", name="Midwives").check()
    page.get_by_role("checkbox", name="Learning bulletins").check()
    page.get_by_role("radio", name="As soon as something is published").check()
    response = submit(page, "Subscribe")
    assert response.status == HTTPStatus.OK
    assert urlsplit(page.url).path == "/subscribe/check-your-email/"
    expect(page.locator("h1")).to_have_text("Check your email")
    axe(page, "check your email")

    subscriber = Subscriber.objects.get(email="pat.phone@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    [message] = mail.outbox
    assert message.to == ["pat.phone@example.org"]
    confirm_link = link_in(message, "/subscriptions/confirm/")

    # The link in the email: a page with a button (opening it changes nothing).
    page.goto(confirm_link)
    expect(page.locator("h1")).to_have_text("Confirm your subscription")
    expect(page.locator("main")).to_contain_text("Learning bulletins")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    axe(page, "confirm")
    submit(page, "Confirm")

    # The preference centre, with the news that it worked.
    expect(page.locator("h1")).to_have_text("Manage your email updates")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "You're subscribed."
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.audience == Audience.objects.get(slug="midwives")
    axe(page, "preferences")

    # Change lists, frequency and name.
    page.get_by_role("checkbox", name="Safer sleep messages").check()
    page.get_by_role("radio", name="Once a week, in a digest").check()
    page.get_by_label("Your name (optional)").fill("Pat Jones")
    submit(page, "Save changes")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "Your choices have been saved."
    )
    subscriber.refresh_from_db()
    assert subscriber.name == "Pat Jones"
    assert sorted(
        subscriber.subscriptions.values_list("distribution_list__name", "frequency")
    ) == [("Learning bulletins", "weekly"), ("Safer sleep messages", "weekly")]
    axe(page, "preferences saved")

    # Leave one list from its own button.
    submit(page, "Unsubscribe from Safer sleep messages")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "You've unsubscribed from Safer sleep messages."
    )
    assert subscriber.subscriptions.count() == 1

    # The unsubscribe link every email carries: asks first, then done.
    page.goto(urlsplit(tokens.link(subscriber, tokens.UNSUBSCRIBE)).path)
    expect(page.locator("h1")).to_have_text("Unsubscribe from all emails")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    axe(page, "unsubscribe")
    submit(page, "Unsubscribe")
    expect(page.locator("h1")).to_have_text("You have unsubscribed")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.subscriptions.count() == 0
    axe(page, "unsubscribed")

    problems = [
        p
        for p in page.diagnostics.problems()
        if not ("status of 400" in p and "/subscribe/" in p)
    ]
    assert not problems, problems


def test_data_and_deletion_pages_on_a_phone(mobile_page, lists, axe, celery_eager):
    page = mobile_page
    mail.outbox = []
    subscriber = Subscriber.objects.create(
        email="sam@example.org", name="Sam", status=Subscriber.Status.ACTIVE
    )
    subscriber.subscriptions.create(distribution_list=lists["Learning bulletins"])
    preferences = urlsplit(tokens.link(subscriber, tokens.PREFERENCES)).path

    # Ask for a copy of the data: an email with a download link.
    page.goto(preferences)
    submit(page, "Email me a copy of my data")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "emailed you a link to download your data"
    )
    [message] = mail.outbox
    download = link_in(message, "/subscriptions/export/")
    response = page.request.get(download)
    assert response.status == HTTPStatus.OK
    assert response.headers["content-disposition"] == (
        'attachment; filename="my-email-updates-data.json"'
    )
    assert response.json()["subscriber"]["email"] == "sam@example.org"

    # A link that does not work says so kindly, and offers a way back.
    response = page.goto("/subscriptions/confirm/not-a-real-link/")
    assert response.status == HTTPStatus.NOT_FOUND
    expect(page.locator("h1")).to_have_text("This link does not work")
    expect(page.get_by_role("link", name="subscribe again")).to_be_visible()
    axe(page, "link not valid")

    # Delete everything: a page that asks, then a page that says it is done.
    page.goto(preferences)
    page.get_by_role("link", name="Delete everything about me").click()
    expect(page.locator("h1")).to_have_text("Delete everything we hold about you")
    axe(page, "erase")
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()
    submit(page, "Delete everything about me")
    expect(page.locator("h1")).to_have_text("Your details have been deleted")
    assert not Subscriber.objects.filter(email="sam@example.org").exists()
    axe(page, "erased")

    problems = [
        p
        for p in page.diagnostics.problems()
        if not ("status of 404" in p and "/subscriptions/confirm/" in p)
    ]
    assert not problems, problems
