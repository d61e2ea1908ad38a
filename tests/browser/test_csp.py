"""Content-Security-Policy in Chromium: no page type breaks its own policy.

Every page gets a listener (``page.add_init_script``, so it is in place before any
of the page's own markup runs, in every frame) that records each
``securitypolicyviolation`` event; Chromium's console messages about the policy are
recorded too. One of each public page type is visited as a reader, the QI area as a
QI lead, and the admin as an editor who has passed the second factor, each under
its own policy. The first test checks that the listener does catch violations.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.qipacks.qi_helpers import PASSWORD, add_app, code_for

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline code"} ` +
    `(${event.sourceFile || document.URL}:${event.lineNumber}) ${event.sample}`
  );
}, true);
"""
VIDEO_SITES = ("https://www.youtube-nocookie.com/", "https://player.vimeo.com/")


def watch_policy(page):
    """Record policy violations on ``page`` (read them with ``violations``)."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.csp_console = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            page.csp_console.append(message.text)

    page.on("console", on_console)
    return page


def violations(page) -> list[str]:
    """The violations every frame of the page recorded, and the console's; reset."""
    # Violation events are queued as tasks: let the ones already queued run.
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 50))")
    found = []
    for frame in page.frames:
        found += frame.evaluate(
            "() => (window.__cspViolations || []).splice(0, Infinity)"
        )
    found += page.csp_console
    page.csp_console = []
    return found


def visit(page, label: str, path: str, status: int = HTTPStatus.OK) -> list[str]:
    """Open ``path`` under the public policy; its violations, labelled."""
    response = page.goto(path)
    assert response is not None, f"{label}: no response for {path}"
    assert response.status == status, f"{label}: {path} answered {response.status}"
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, f"{label}: policy {policy!r}"
    assert "unsafe-inline" not in policy, f"{label}: policy {policy!r}"
    return [f"{label} ({path}): {problem}" for problem in violations(page)]


def test_the_listener_reports_inline_script_and_style(page, live_server, demo_site):
    """Guard the check itself: a page breaking the real policy must be reported."""
    watch_policy(page)
    real = page.goto("/")
    policy = real.headers["content-security-policy"]
    page.route(
        f"{live_server.url}/csp-probe/",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": policy},
            body="<!DOCTYPE html><title>Probe</title>"
            "<p style='color: red'>Styled inline</p>"
            "<script>document.title = 'ran';</script>",
        ),
    )
    page.goto("/csp-probe/")
    found = " ".join(violations(page))
    assert "script-src-elem refused inline" in found, found
    assert "style-src-attr refused inline" in found, found
    assert page.title() == "Probe"  # the inline script did not run


@pytest.fixture
def csp_site(learning_site):
    """Everything ``seed_demo`` makes, a bulletin, a subscriber, the search index."""
    from bulletins import tokens
    from qipacks.models import QIPackIndexPage, QIPackPage, Recommendation
    from search.indexing import reindex
    from tests.factories.bulletins import BulletinIndexPageFactory, BulletinPageFactory
    from tests.factories.distribution import SubscriptionFactory
    from webinars.models import WebinarIndexPage, WebinarPage, WebinarSeriesPage
    from website.models import Audience, HomePage, Theme

    home = HomePage.objects.get(depth=2, locale__language_code="en-gb")
    bulletins = BulletinIndexPageFactory(parent=home)
    bulletin = BulletinPageFactory(parent=bulletins, title="Learning bulletin")
    bulletin.save_revision().publish()
    reindex()

    subscription = SubscriptionFactory()
    token = tokens.make_token(subscription.subscriber, tokens.PREFERENCES)
    unsubscribe = tokens.make_token(subscription.subscriber, tokens.UNSUBSCRIBE)

    webinar_index = WebinarIndexPage.objects.get()
    webinars = list(WebinarPage.objects.live().order_by("starts_at"))
    player = next(w for w in webinars if w.recording_embed and not w.recording_id)
    upcoming = next(w for w in webinars if not w.is_past)
    recommendation = Recommendation.objects.select_related("pack").first()
    pack = QIPackPage.objects.get(pk=recommendation.pack_id)
    message = next(iter(learning_site.messages.values()))
    resource = next(iter(learning_site.resources.values()))
    return [
        ("home", "/"),
        ("standard page", "/about/"),
        ("theme page", f"/themes/{Theme.objects.first().slug}/"),
        ("audience page", f"/audiences/{Audience.objects.first().slug}/"),
        ("safety message index", learning_site.safety_index.url),
        ("safety message", message.url),
        ("safety message, print view", f"{message.url}print/"),
        ("safety message in Urdu", learning_site.translations["ur"].url),
        ("learning index", learning_site.learning_index.url),
        ("learning resource", resource.url),
        ("QI pack index", QIPackIndexPage.objects.get().url),
        ("QI pack", pack.url),
        (
            "recommendation",
            f"{pack.url}recommendations/{recommendation.reference.lower()}/",
        ),
        ("bulletin index", bulletins.url),
        ("bulletin", bulletin.url),
        ("webinar index", webinar_index.url),
        ("webinar series", WebinarSeriesPage.objects.first().url),
        ("upcoming webinar", upcoming.url),
        ("webinar registration", f"{upcoming.url}register/"),
        ("webinar topics", f"{webinar_index.url}topics/"),
        ("past webinar with the player", player.url),
        ("search with results", "/search/?q=sleep"),
        ("subscribe", "/subscribe/"),
        ("preferences", reverse("bulletins:preferences", args=[token])),
        ("unsubscribe", reverse("bulletins:unsubscribe", args=[unsubscribe])),
        ("QI lead sign-in", "/qi/login/"),
        ("data-quality sign-in", "/data-quality/"),
        ("not found", "/no-such-page/"),
    ]


def test_public_pages_report_no_violations(page, csp_site):
    watch_policy(page)
    found = []
    for label, path in csp_site:
        status = HTTPStatus.NOT_FOUND if label == "not found" else HTTPStatus.OK
        found += visit(page, label, path, status)
        if label == "past webinar with the player":
            found += play_the_recording(page)
        if label == "search with results":
            expect(page.locator(".search-result, .nhsuk-list li").first).to_be_visible()
    assert not found, "\n".join(found)


def play_the_recording(page) -> list[str]:
    """Press play: the frame may load the video site's player (here, the request is
    stopped once it leaves the machine); the policy must not refuse it."""
    frame = page.frame_locator("iframe.webinar-player__frame")
    with page.expect_request(lambda request: request.url.startswith(VIDEO_SITES)):
        frame.get_by_role("link", name="Play the recording").click()
    return [f"video player: {problem}" for problem in violations(page)]


def test_other_pages_may_not_frame_the_video_sites(page, csp_site):
    home = page.goto("/")
    assert "youtube" not in home.headers["content-security-policy"]
    player_path = dict(csp_site)["past webinar with the player"]
    player = page.goto(player_path)
    frame_src = next(
        part
        for part in player.headers["content-security-policy"].split(";")
        if part.strip().startswith("frame-src")
    )
    assert frame_src.split()[1:] == [site.rstrip("/") for site in VIDEO_SITES]


def sign_in(page, login_path: str, button: str, username: str, device) -> None:
    """Password, then (sent to the QI area's step) the app's code, through the
    real forms."""
    page.goto(login_path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    assert reverse("qi:verify") in page.url, page.url
    page.get_by_label("Security code").fill(code_for(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def test_qi_area_reports_no_violations(page, learning_site):
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from website.models import Membership

    lead = Membership.objects.select_related("user", "organisation").first()
    user = get_user_model().objects.get(pk=lead.user_id)
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = lead.organisation.code

    watch_policy(page)
    sign_in(page, "/qi/login/", "Continue", user.username, device)
    found = violations(page)
    for label, path in [
        ("to-do list", f"/qi/{code}/"),
        ("progress, with charts", f"/qi/{code}/progress/"),
        ("backup codes", "/qi/backup-codes/"),
        ("data-quality reports", "/data-quality/"),
    ]:
        found += visit(page, label, path)
    assert not found, "\n".join(found)


def test_admin_reports_no_violations_under_its_own_policy(
    page, learning_site, settings
):
    from tests.factories import UserFactory
    from website.models import HomePage, StandardPage

    settings.ADMIN_SECOND_FACTOR_REQUIRED = True
    editor = UserFactory(username="csp-editor", is_staff=True, is_superuser=True)
    device = add_app(editor)
    home = HomePage.objects.get(depth=2, locale__language_code="en-gb")
    standard = StandardPage.objects.live().first()
    message = next(iter(learning_site.messages.values()))

    watch_policy(page)
    # Wagtail's sign-in takes the password; the admin then asks for the code.
    sign_in(page, "/admin/login/", "Sign in", editor.username, device)
    assert urlsplit(page.url).path == "/admin/", page.url
    expect(page.locator("main")).to_contain_text("Pages")  # the dashboard's panels
    found = violations(page)

    for label, path in [
        ("dashboard", "/admin/"),
        ("page explorer", f"/admin/pages/{home.pk}/"),
        ("standard page editor", f"/admin/pages/{standard.pk}/edit/"),
        ("safety message editor", f"/admin/pages/{message.pk}/edit/"),
        ("documents", "/admin/documents/"),
        ("images", "/admin/images/"),
    ]:
        response = page.goto(path)
        assert response.status == HTTPStatus.OK, f"{label}: {response.status}"
        policy = response.headers["content-security-policy"]
        # django-csp writes the directives in no fixed order: compare them parsed.
        directives = {
            name: values
            for name, *values in (p.split() for p in policy.split(";") if p.strip())
        }
        assert directives["script-src"] == ["'self'", "'unsafe-inline'"], (
            f"{label}: {policy!r}"
        )
        page.wait_for_load_state("networkidle")
        found += [f"{label} ({path}): {problem}" for problem in violations(page)]

    # An editor reading the site sees Wagtail's user bar under the public policy.
    found += visit(page, "home page with the user bar", "/")
    expect(page.locator("wagtail-userbar")).to_have_count(1)
    found += violations(page)
    assert not found, "\n".join(found)
