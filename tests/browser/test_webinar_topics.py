"""Webinar topics in Chromium, end to end, with a real Celery worker and SMTP sink.

Someone proposes a topic (after one try with errors), confirms it from the link
in the email the worker delivers to the sink, then supports another published
topic the same way; a moderator publishes the new topic in the admin. axe-core
runs on the topics page (with and without errors), the support page, the
check-your-email page, the confirm and confirmed pages and the admin moderation
page.

The live server and the worker share the committed test database
(``transactional_db``, through ``live_server``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import wait_for

pytestmark = pytest.mark.celery_worker

PASSWORD = "correct-horse-9"  # noqa: S105 - the test user's password
LINK = re.compile(r"https?://\S+")
TOPICS = "/webinars/topics/"


@pytest.fixture
def topics_site(demo_site, settings):
    """The webinars index, one published topic, and a moderator.

    The admin would otherwise ask releases.wagtail.org for updates and load
    avatars from gravatar.com: the suite allows no requests to other hosts.
    """
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    cache.clear()  # the rate limits count per address, in the cache
    from django.contrib.auth.models import Group, Permission

    from tests.factories import UserFactory
    from tests.factories.webinars import webinar_tree
    from webinars.models import TopicProposal

    webinar_tree(demo_site.home)
    published = TopicProposal.objects.create(
        title="Talking to families about safer sleep",
        why="Families hear mixed advice.\nWe want to share what works.",
        proposer_name="Ann Example",
        proposer_email="ann@example.org",
        status=TopicProposal.Status.PUBLISHED,
        confirmed_at=timezone.now(),
        support_count=3,
    )
    group = Group.objects.create(name="Webinar moderators")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_topicproposal"),
    )
    moderator = UserFactory(username="moderator", is_staff=True)
    moderator.groups.add(group)
    return published, moderator


def submit(page, name: str):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=name, exact=True).click()


def email_link(smtp_sink, to: str, number: int) -> str:
    """The confirmation link in the ``number``th email to ``to``, as a path."""

    def delivered():
        found = [m for rcpt, m in smtp_sink.messages if to in rcpt]
        return found if len(found) >= number else None

    message = wait_for(delivered, timeout=60)[number - 1]
    text = message.get_body(preferencelist=("plain",)).get_content()
    for url in LINK.findall(text):
        path = urlsplit(url).path
        if path.startswith(TOPICS + "confirm/"):
            return path
    raise AssertionError(f"No confirmation link in:\n{text}")


def confirm_from_email(page, smtp_sink, to: str, number: int, axe, kind: str):
    page.goto(email_link(smtp_sink, to, number))
    expect(page.locator("h1")).to_have_text(f"Confirm your {kind}")
    axe(page, f"confirm {kind}")
    submit(page, "Confirm")
    expect(page.locator("h1")).to_contain_text("Thank you for your")
    axe(page, f"{kind} confirmed")


def test_propose_a_topic_and_support_another(
    page, new_page, topics_site, celery_worker_process, smtp_sink, axe
):
    from webinars.models import TopicProposal

    published, moderator = topics_site
    smtp_sink.clear()

    # The topics page: the published topic, and the form.
    page.goto(TOPICS)
    expect(page.locator("h1")).to_have_text("Webinar topics")
    expect(
        page.get_by_role("heading", name="Talking to families about safer sleep")
    ).to_be_visible()
    expect(page.get_by_text("3 people support this")).to_be_visible()
    expect(
        page.get_by_text("checks every suggestion before it appears")
    ).to_be_visible()
    axe(page, "topics")

    # Sent empty: errors in plain English, linked to their fields.
    submit(page, "Suggest this topic")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the topic you would like a webinar on")
    expect(summary).to_contain_text("Enter your email address")
    expect(page).to_have_title(re.compile("^Error: "))
    axe(page, "topics with errors")
    summary.get_by_role("link", name="Say why this topic matters").click()
    expect(page.get_by_label("Why it matters")).to_be_focused()

    # Proposed properly.
    page.get_by_label("Topic", exact=True).fill("Bath seats and water safety")
    page.get_by_label("Why it matters").fill("Bath seats keep coming up in reviews.")
    page.get_by_label("Your name").fill("Ben Example")
    page.get_by_label("Email address").fill("ben@example.org")
    submit(page, "Suggest this topic")
    expect(page.locator("h1")).to_have_text("Check your email")
    axe(page, "check your email")

    confirm_from_email(page, smtp_sink, "ben@example.org", 1, axe, "topic")
    proposal = TopicProposal.objects.get(title="Bath seats and water safety")
    assert proposal.status == TopicProposal.Status.PENDING
    page.goto(TOPICS)
    expect(page.get_by_text("Bath seats and water safety")).to_have_count(0)

    # Supporting the published topic.
    page.get_by_role(
        "button", name=re.compile(r"^Support this topic\W+Talking to families")
    ).click()
    expect(page.locator("h1")).to_have_text("Talking to families about safer sleep")
    axe(page, "support")
    page.get_by_label("Your email address").fill("ben@example.org")
    submit(page, "Support this topic")
    expect(page.locator("h1")).to_have_text("Check your email")
    confirm_from_email(page, smtp_sink, "ben@example.org", 2, axe, "support")
    page.goto(TOPICS)
    expect(page.get_by_text("4 people support this")).to_be_visible()

    # A moderator publishes the new topic.
    admin = new_page()
    admin.goto("/admin/login/")
    admin.get_by_label("Username").fill(moderator.username)
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url("**/admin/")
    admin.goto("/admin/webinars/topics/")
    admin.get_by_role("link", name="Bath seats and water safety").click()
    expect(admin.get_by_role("heading", name="Publish")).to_be_visible()
    axe(admin, "admin moderation page")
    admin.get_by_role("button", name="Publish this topic").click()
    expect(admin.get_by_text("Published: it is on the topics page")).to_be_visible()
    # The admin fades its messages in: axe would measure a half-faded colour.
    # (A computed-style check, not wait_for_function: the admin's CSP refuses eval.)
    expect(admin.locator(".messages ul")).to_have_css("opacity", "1")
    axe(admin, "admin moderation page after publishing")

    page.goto(TOPICS)
    expect(
        page.get_by_role("heading", name="Bath seats and water safety")
    ).to_be_visible()
    # The one expected: Chromium logs the form's 400 (sent with errors) as an error.
    assert [p for p in page.diagnostics.problems() if "status of 400" not in p] == []
    assert admin.diagnostics.problems() == []
