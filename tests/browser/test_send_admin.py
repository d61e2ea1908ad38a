"""The admin send flow in Chromium, end to end, with a real Celery worker.

An administrator signs in, opens a bulletin's "Send by email", chooses two lists
that share a member, sees the email in its preview frame, sends a test to
themselves, confirms, and watches the progress view reach "Sent" while the real
worker (``celery_worker_process``) delivers to the suite's SMTP sink. Each admin
page of the flow goes through axe-core.

The live server and the worker share the committed test database
(``transactional_db``, through ``live_server``).

axe rules left out, and why (Wagtail's own admin chrome, not our templates):
none so far -- every rule in ``WCAG_TAGS`` runs on these pages.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import wait_for

pytestmark = pytest.mark.celery_worker

PASSWORD = "correct-horse-9"  # noqa: S105 - the test user's password


@pytest.fixture
def send_site(transactional_db, settings):
    """A published bulletin, three lists with overlapping members, an admin.

    The admin would otherwise ask releases.wagtail.org for updates and load
    avatars from gravatar.com: the suite allows no requests to other hosts.
    """
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    from bulletins.models import DistributionList, Subscriber, Subscription
    from tests.factories import HomePageFactory, UserFactory, ensure_site
    from tests.factories.bulletins import (
        BulletinIndexPageFactory,
        BulletinPageFactory,
    )

    home = ensure_site(HomePageFactory.build_home())
    index = BulletinIndexPageFactory(parent=home)
    bulletin = BulletinPageFactory(
        parent=index,
        title="Learning bulletin",
        slug="learning-bulletin",
        issue_number=12,
        intro="Welcome to issue twelve.",
    )
    bulletin.save_revision().publish()

    bulletin_list = DistributionList.objects.create(
        name="Bulletin", slug="bulletin", description="Every issue."
    )
    safety = DistributionList.objects.create(
        name="Safety messages", slug="safety", description="Safety messages."
    )
    DistributionList.objects.create(
        name="Nobody here", slug="nobody", description="An empty list."
    )
    members = {
        "asha@example.org": [bulletin_list, safety],
        "ben@example.org": [bulletin_list],
        "cara@example.org": [safety],
    }
    for address, memberships in members.items():
        subscriber = Subscriber.objects.create(email=address, status="active")
        for item in memberships:
            Subscription.objects.create(subscriber=subscriber, distribution_list=item)
    Subscriber.objects.create(email="pending@example.org", status="pending")

    admin = UserFactory(
        username="sender",
        email="sender@programme.example.org",
        is_superuser=True,
        is_staff=True,
    )
    return bulletin, admin


def click(locator) -> None:
    """Scroll to it, let the browser draw that, then click.

    Chromium gives the sandboxed preview frame its own process, and routes a
    click by where things were last drawn: clicking straight after scrolling the
    admin's content area can send the click into the frame that was there a
    moment before. Waiting two frames after scrolling avoids that.
    """
    locator.scroll_into_view_if_needed()
    locator.page.evaluate(
        "() => new Promise(done => requestAnimationFrame("
        "() => requestAnimationFrame(done)))"
    )
    locator.click()


def sign_in(page, user) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def test_admin_sends_a_bulletin_and_watches_it_arrive(
    page, send_site, celery_worker_process, smtp_sink, axe
):
    from bulletins.models import Send

    bulletin, admin = send_site
    smtp_sink.clear()
    sign_in(page, admin)

    # The page's editor: "Send by email" is among the header actions.
    page.goto(f"/admin/pages/{bulletin.pk}/edit/")
    page.get_by_role("button", name="Actions", exact=True).click()
    page.get_by_role("link", name="Send by email").click()

    # Step 1: choose lists.
    expect(page).to_have_url(re.compile(r"/admin/email/sends/page/\d+/$"))
    expect(
        page.get_by_role("heading", name="Step 1 of 2: choose who gets it")
    ).to_be_visible()
    axe(page, "send step 1: choose lists")
    page.get_by_label("Bulletin: 2 people get each email").check()
    page.get_by_label("Safety messages: 2 people get each email").check()
    page.get_by_role("button", name="Continue to check the email").click()

    # Step 2: check. Asha is on both lists and counts once.
    expect(page).to_have_url(re.compile(r"/check/\?lists="))
    expect(page.get_by_text("3 people", exact=True)).to_be_visible()
    preview = page.frame_locator("iframe[title^='The email']")
    preview.get_by_text("Welcome to issue twelve.").wait_for()
    assert page.locator("pre").get_by_text("Welcome to issue twelve.").count() == 1
    axe(page, "send step 2: check and send")

    click(
        page.get_by_role("button", name="Send a test to sender@programme.example.org")
    )
    expect(
        page.get_by_text("A test has been sent to sender@programme.example.org")
    ).to_be_visible()
    wait_for(lambda: smtp_sink.messages, timeout=30)
    assert [rcpt for rcpts, _ in smtp_sink.messages for rcpt in rcpts] == [
        "sender@programme.example.org"
    ]

    click(page.get_by_role("button", name="Send to 3 people now"))

    # Progress: the poller follows the worker until the send is done, then the
    # page reloads with the report.
    expect(page).to_have_url(re.compile(r"/admin/email/sends/\d+/$"))
    axe(page, "send progress")
    status = page.locator("[data-progress-status]")
    status.filter(has_text="Sent").wait_for(timeout=60_000)
    page.get_by_text("No email has failed.").wait_for()
    assert page.locator('[data-count="sent"]').inner_text() == "3"
    assert page.locator('[data-count="total"]').inner_text() == "3"
    axe(page, "send report")

    delivered = sorted(
        rcpt
        for rcpts, message in smtp_sink.messages
        for rcpt in rcpts
        if not message["Subject"].startswith("[Test]")
    )
    assert delivered == ["asha@example.org", "ben@example.org", "cara@example.org"]
    send = Send.objects.exclude(kind=Send.Kind.TEST).get()
    assert send.status == Send.Status.SENT
    assert send.created_by == admin

    # The sends listing shows it, with its counts.
    page.goto("/admin/email/sends/")
    assert page.get_by_role("link", name="Learning bulletin (issue 12)").count() >= 1
    axe(page, "sends listing")
    assert not page.diagnostics.problems(), page.diagnostics.problems()


def test_a_scheduled_send_is_cancelled_with_or_without_javascript(
    new_page, new_page_without_js, send_site, axe
):
    """A scheduled send's page passes axe, and cancels with scripts off.

    (axe itself needs JavaScript, so it runs on the page with scripts on.)
    """
    import datetime as dt

    from bulletins import sending
    from bulletins.models import DistributionList, Send

    bulletin, admin = send_site
    send = sending.send_page(
        bulletin,
        list(DistributionList.objects.filter(slug="bulletin")),
        user=admin,
        scheduled_for=timezone.now() + dt.timedelta(days=2),
    )
    with_js = new_page()
    sign_in(with_js, admin)
    with_js.goto(f"/admin/email/sends/{send.pk}/")
    expect(with_js.locator("[data-progress-status]")).to_have_text("Scheduled")
    axe(with_js, "scheduled send")

    page = new_page_without_js()
    sign_in(page, admin)
    page.goto(f"/admin/email/sends/{send.pk}/")
    assert page.locator("[data-progress-status]").inner_text() == "Scheduled"
    page.get_by_role("button", name="Cancel this send").click()
    page.get_by_text("The send was cancelled. Nobody will get it.").wait_for()
    send.refresh_from_db()
    assert send.status == Send.Status.CANCELLED
    assert page.locator("[data-progress-status]").inner_text() == "Cancelled"


def test_progress_view_updates_itself_while_the_send_runs(
    page, send_site, smtp_sink, settings, axe
):
    """The poller shows the counts moving and the page turns into the report.

    The send is set up mid-way (queued rows, no task yet), the page is opened,
    then the pipeline delivers in this process to the SMTP sink while the page
    is watched: nothing on the page is reloaded by the test.
    """
    from bulletins import sending
    from bulletins.models import Delivery, Send, Subscriber

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    smtp_sink.clear()
    bulletin, admin = send_site
    compiled = bulletin.compile_email()
    send = Send.objects.create(
        kind=Send.Kind.BULLETIN,
        status=Send.Status.SENDING,
        page=bulletin,
        subject=compiled.subject,
        html=compiled.html,
        text=compiled.text,
        created_by=admin,
        started_at=timezone.now(),
        recipient_count=3,
    )
    for subscriber in Subscriber.objects.filter(status="active"):
        Delivery.objects.create(
            send=send, subscriber=subscriber, email=subscriber.email
        )

    sign_in(page, admin)
    page.goto(f"/admin/email/sends/{send.pk}/")
    status = page.locator("[data-progress-status]")
    expect(status).to_have_text("Sending")
    expect(page.locator('[data-count="pending"]')).to_have_text("3")
    expect(
        page.get_by_role("link", name="Refresh to see the latest counts")
    ).to_be_visible()
    axe(page, "send in progress")

    sending.deliver_batch(send.pk)

    expect(status).to_have_text("Sent", timeout=15_000)
    expect(page.locator('[data-count="sent"]')).to_have_text("3")
    # Reloaded once by the poller: the report, and no refresh link any more.
    expect(page.get_by_text("No email has failed.")).to_be_visible()
    expect(
        page.get_by_role("link", name="Refresh to see the latest counts")
    ).to_have_count(0)
    assert sorted(r for rcpts, _ in smtp_sink.messages for r in rcpts) == [
        "asha@example.org",
        "ben@example.org",
        "cara@example.org",
    ]
    assert not page.diagnostics.problems(), page.diagnostics.problems()
