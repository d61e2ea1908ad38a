"""Browser fixtures: one Chromium per session, a fresh context per test, axe, demo data.

Playwright (sync API) drives Debian's Chromium (``/usr/bin/chromium``, or
``CDR_CHROMIUM``); it never downloads a browser. If Chromium is missing every browser
test fails with a message saying so: a skipped browser test would count as a pass
while checking nothing.

The pages are served by pytest-django's ``live_server`` (a thread in this process,
serving ``/static/`` through the staticfiles finders), so the data each test makes
must be committed: the fixtures here use ``transactional_db`` (see ``demo_site``).
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

CHROMIUM = os.environ.get("CDR_CHROMIUM", "/usr/bin/chromium")

# The machine has no outside network: without these Chromium keeps trying to reach
# Google's services (updates, sync, safe browsing...) and floods refused connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
    },
}

# WCAG 2.2 AA: every rule tagged with a level up to AA in any WCAG 2.x version.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Mark everything in this folder ``browser`` (``-m "not browser"`` skips it)."""
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


# --- Playwright and Chromium ----------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio event loop in this (the main) thread for
    # as long as it is started. Django sees that running loop and refuses ORM calls
    # from this thread (SynchronousOnlyOperation) -- in test bodies, fixtures and
    # pytest-django's own flush between tests -- although nothing here is really
    # async: each call still blocks, one at a time. So allow them, but only while
    # Playwright runs, so the rest of the suite keeps Django's guard against real
    # async misuse. (The live server answers from its own thread, which has no loop.)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        yield playwright
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_playwright):
    """Debian's Chromium, headless; the tests fail (not skip) if it is missing."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. The browser tests drive Debian's "
            "Chromium: install it (apt-get install chromium) or point CDR_CHROMIUM "
            "at a Chromium binary. Never run 'playwright install' here.",
            pytrace=False,
        )
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


# Requests to other hosts never leave the machine (there is no network, and tests
# must not depend on one): they are answered "blocked" and recorded, and any one
# is a failure: the site makes no third-party requests (not even web fonts).
_EXTERNAL = re.compile(r"^https?://(?!(localhost|127\.0\.0\.1)[:/])")


@dataclass
class PageDiagnostics:
    """What went wrong on a page: console errors, JS errors, failed loads."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {e}" for e in self.console_errors]
            + [f"uncaught JS error: {e}" for e in self.page_errors]
            + [f"failed request: {e}" for e in self.failed_requests]
            + [f"request to another host: {url}" for url in self.external_requests]
        )


def _watch(page, diagnostics: PageDiagnostics) -> None:
    def on_console(message):
        if message.type == "error":
            where = message.location.get("url", "")
            text = message.text
            if _EXTERNAL.match(where):
                return  # blocked on purpose; recorded in external_requests
            # Chromium logs the page's own 404 status as a console error; the 404
            # page test expects that status, so only sub-resources count.
            if "status of 404" in text and where == page.url:
                return
            diagnostics.console_errors.append(f"{text} [{where}]")

    def on_response(response):
        if response.status >= 400 and not response.request.is_navigation_request():
            diagnostics.failed_requests.append(f"{response.status} {response.url}")

    def on_request_failed(request):
        # ERR_ABORTED is the browser cancelling a request because the page moved on
        # (a reload or navigation mid-load), not the server failing it.
        if request.failure == "net::ERR_ABORTED":
            return
        if not _EXTERNAL.match(request.url):
            diagnostics.failed_requests.append(f"{request.failure} {request.url}")

    def block_external(route):
        diagnostics.external_requests.append(route.request.url)
        route.abort("blockedbyclient")

    page.route(_EXTERNAL, block_external)
    page.on("console", on_console)
    page.on("pageerror", lambda error: diagnostics.page_errors.append(str(error)))
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)


def _page_maker(browser, live_server, contexts: list, **options):
    """A function making pages in fresh contexts on the live server."""

    def make(kind: str = "desktop"):
        context = browser.new_context(
            base_url=live_server.url,
            locale="en-GB",
            reduced_motion="reduce",
            **options,
            **VIEWPORTS[kind],
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.diagnostics = PageDiagnostics()
        page.viewport_kind = kind
        _watch(page, page.diagnostics)
        return page

    return make


@pytest.fixture
def new_page(browser, live_server):
    """Make a page in a fresh browser context: ``new_page("desktop" | "phone")``.

    Relative URLs resolve against the live server; ``page.diagnostics`` collects
    console errors, uncaught exceptions and failed requests.
    """
    contexts = []
    yield _page_maker(browser, live_server, contexts)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page in its own browser context."""
    return new_page("desktop")


@pytest.fixture
def mobile_page(new_page):
    """A phone-sized (390x844, touch) page in its own browser context."""
    return new_page("phone")


# --- axe-core ------------------------------------------------------------------------


class AxeWarning(UserWarning):
    """An axe finding of moderate or minor impact: worth fixing, not blocking."""


def _describe(violation: dict, max_targets: int = 3) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
    shown = "; ".join(targets[:max_targets])
    more = (
        f" (+{len(targets) - max_targets} more)" if len(targets) > max_targets else ""
    )
    return (
        f"  - {violation['id']} [{violation['impact']}] {violation['help']}\n"
        f"    {violation['helpUrl']}\n"
        f"    targets: {shown}{more}"
    )


def describe_axe_violations(page, label: str = "") -> str:
    """Run axe (WCAG 2.2 A and AA rules) on ``page``; describe serious/critical ones.

    Returns "" when there are none. Moderate and minor findings do not block: they
    are reported as ``AxeWarning`` warnings (shown in pytest's warnings summary).
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    violations = results.response["violations"]
    where = label or page.url
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    advisory = [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]
    if advisory:
        warnings.warn(
            f"axe found {len(advisory)} moderate/minor issue(s) on {where}:\n"
            + "\n".join(_describe(v) for v in advisory),
            AxeWarning,
            stacklevel=2,
        )
    if not blocking:
        return ""
    return (
        f"axe found {len(blocking)} serious/critical WCAG 2.2 AA violation(s) "
        f"on {where}:\n" + "\n".join(_describe(v) for v in blocking)
    )


def run_axe(page, label: str = "") -> None:
    """Fail the test if axe finds serious or critical violations on ``page``."""
    report = describe_axe_violations(page, label)
    if report:
        pytest.fail(report, pytrace=False)


@pytest.fixture
def axe():
    """``axe(page, label)``: fail on serious or critical WCAG 2.2 AA violations."""
    return run_axe


@pytest.fixture
def axe_report():
    """``axe_report(page, label)``: the serious/critical violations as text, or ""."""
    return describe_axe_violations


# --- Data -----------------------------------------------------------------------------


def _body(*blocks) -> str:
    return json.dumps([{"type": kind, "value": value} for kind, value in blocks])


# Every body block a StandardPage offers except images (no image files in tests),
# so axe sees the NHS.UK components as editors will use them.
COMPONENT_BLOCKS = [
    ("heading", "Before you start"),
    (
        "paragraph",
        "<p>Read the <a href='/about/'>overview</a> first. Then:</p>"
        "<ul><li>check your panel's data</li><li>agree an owner</li></ul>",
    ),
    ("inset_text", {"body": "<p>Reviews are about learning, not blame.</p>"}),
    (
        "warning_callout",
        {
            "title": "Important",
            "heading_level": 3,
            "body": "<p>Tell the family before the review meeting.</p>",
        },
    ),
    (
        "do_list",
        {"heading_level": 3, "label": "", "do": ["<p>share the learning</p>"]},
    ),
    (
        "dont_list",
        {"heading_level": 3, "label": "", "dont": ["<p>name the child</p>"]},
    ),
    (
        "details",
        {
            "title": "What counts as a notification?",
            "body": [{"type": "richtext", "value": "<p>Any death under 18.</p>"}],
        },
    ),
    (
        "expander",
        {
            "title": "Who chairs the panel?",
            "body": [{"type": "richtext", "value": "<p>An independent chair.</p>"}],
        },
    ),
    (
        "care_card",
        {
            "type": "urgent",
            "heading_level": 3,
            "title": "If a child has died suddenly",
            "body": [{"type": "richtext", "value": "<p>Call the police.</p>"}],
        },
    ),
    (
        "action_link",
        {
            "text": "Read the accessibility statement",
            "external_url": "/accessibility-statement/",
        },
    ),
    (
        "table",
        {
            "caption": "Reviews by quarter",
            "caption_size": "s",
            "head": [{"text": "Quarter"}, {"text": "Reviews", "format": "numeric"}],
            "rows": [
                {"cells": [{"text": "Q1"}, {"text": "812", "format": "numeric"}]},
                {"cells": [{"text": "Q2"}, {"text": "790", "format": "numeric"}]},
            ],
            "responsive": False,
            "first_cell_is_header": True,
        },
    ),
]


@pytest.fixture
def demo_site(transactional_db):
    """Demo content as ``seed_demo`` makes it, featured items, a page of components.

    Committed (``transactional_db``) so the live server's thread sees it.
    """
    from tests.factories import StandardPageFactory, ensure_wagtail_tree
    from website import demo
    from website.models import Audience, HomePageFeaturedItem, Theme

    ensure_wagtail_tree()
    demo.seed_vocabularies()
    demo.seed_organisations()
    home = demo.seed_home_page()
    pages = demo.seed_standard_pages(home)
    demo.seed_navigation(home, pages)

    for order, slug in enumerate(["about", "accessibility-statement", "privacy"]):
        HomePageFeaturedItem.objects.create(
            home=home, page=pages[slug], sort_order=order
        )

    statement = pages["accessibility-statement"]
    statement.themes.add(Theme.objects.get(slug="cdr-process"))
    statement.audiences.add(Audience.objects.get(slug="cdr-professionals"))
    statement.last_reviewed = date(2026, 1, 15)
    statement.save_revision().publish()

    components = StandardPageFactory(
        parent=pages["about"],
        title="How a child death review works",
        slug="how-reviews-work",
        summary="The steps from notification to the panel's findings.",
        body=_body(*COMPONENT_BLOCKS),
    )
    components.save_revision().publish()

    return SimpleNamespace(home=home, pages=pages, components=components)


@pytest.fixture
def new_page_without_js(browser, live_server):
    """Like ``new_page``, but in a context with JavaScript turned off.

    For what must work without JavaScript (filters, feedback, sharing): the page
    is as a reader whose script failed to load, or who turned it off, sees it.
    """
    contexts = []
    yield _page_maker(browser, live_server, contexts, java_script_enabled=False)
    for context in contexts:
        context.close()


@pytest.fixture
def learning_site(transactional_db):
    """Everything ``seed_demo`` makes: the website demo, the safety messages and
    learning resources (with the Polish and Urdu safer-sleep translations), and
    their header links. Committed, so the live server's thread sees it.

    The pages come back keyed by slug: ``messages`` (English safety messages),
    ``resources`` (learning resources) and ``translations`` (by language code).
    """
    from django.core.cache import cache
    from django.core.management import call_command

    from learning.models import (
        LearningIndexPage,
        LearningResourcePage,
        SafetyMessageIndexPage,
        SafetyMessagePage,
    )
    from tests.factories import ensure_wagtail_tree

    ensure_wagtail_tree()
    cache.clear()  # the feedback rate limit counts per address, in the cache
    call_command("seed_demo", verbosity=0)

    safety_index = SafetyMessageIndexPage.objects.get(locale__language_code="en-gb")
    learning_index = LearningIndexPage.objects.get(locale__language_code="en-gb")
    messages = {p.slug: p for p in SafetyMessagePage.objects.child_of(safety_index)}
    translations = {
        p.locale.language_code: p
        for p in SafetyMessagePage.objects.exclude(
            locale__language_code="en-gb"
        ).select_related("locale")
    }
    resources = {
        p.slug: p for p in LearningResourcePage.objects.child_of(learning_index)
    }
    return SimpleNamespace(
        safety_index=safety_index,
        learning_index=learning_index,
        messages=messages,
        translations=translations,
        resources=resources,
    )
