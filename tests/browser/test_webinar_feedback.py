"""A registrant gives feedback after a webinar, in a real browser on a phone and
a desktop: the form, its errors and the thanks page, with axe-core on each."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
from playwright.sync_api import expect

from tests.factories.webinars import (
    RegistrationFactory,
    WebinarIndexPageFactory,
    WebinarPageFactory,
    WebinarSeriesPageFactory,
)
from webinars.models import Feedback, WebinarIndexPage


def submit(page, button_name: str):
    with page.expect_navigation() as navigation:
        page.locator("main").get_by_role("button", name=button_name).click()
    return navigation.value


@pytest.fixture
def feedback_path(demo_site):
    """A webinar that ended yesterday and one registrant's feedback address."""
    index = WebinarIndexPage.objects.child_of(
        demo_site.home
    ).first() or WebinarIndexPageFactory(parent=demo_site.home)
    series = WebinarSeriesPageFactory(parent=index)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    webinar = WebinarPageFactory(
        parent=series,
        title="Talking with bereaved parents",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        recording_embed_url="https://video.example.net/watch/7",
    )
    registration = RegistrationFactory(webinar=webinar, name="Asha")
    return index.url + index.reverse_subpage(
        "registration_feedback", args=[registration.token]
    )


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_feedback_form_errors_and_thanks_are_accessible(
    new_page, feedback_path, axe, kind
):
    page = new_page(kind)
    response = page.goto(feedback_path)
    assert response.status == HTTPStatus.OK
    assert response.headers["referrer-policy"] == "same-origin"  # see the view
    expect(page.locator("h1")).to_have_text("Tell us what you thought")
    axe(page, f"feedback form ({kind})")

    # Sent without a rating: the error, linked to the question.
    response = submit(page, "Send feedback")
    assert response.status == HTTPStatus.BAD_REQUEST
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    summary.get_by_role(
        "link", name="Select how you rate the webinar, from 1 to 5"
    ).click()
    expect(page.locator("#feedback-rating")).to_be_focused()
    axe(page, f"feedback form with errors ({kind})")

    page.get_by_label("4 - Good").check()
    page.get_by_label("What was useful? (optional)").fill("Hearing from parents.")
    page.get_by_label("What would you like a future webinar to cover?").fill(
        "Working with coroners."
    )
    response = submit(page, "Send feedback")
    assert response.status == HTTPStatus.OK
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.locator("h1")).to_have_text("Thank you for your feedback")
    axe(page, f"feedback thanks ({kind})")
    # Chromium logs the error page's own 400 status; nothing else may go wrong.
    problems = [
        p for p in page.diagnostics.problems() if "status of 400 (Bad Request)" not in p
    ]
    assert problems == []

    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.useful) == (4, "Hearing from parents.")

    # Back to the form: the answers are there to change.
    page.get_by_role("link", name="open the form again").click()
    expect(page.get_by_label("4 - Good")).to_be_checked()
    expect(page.get_by_label("What was useful? (optional)")).to_have_value(
        "Hearing from parents."
    )
