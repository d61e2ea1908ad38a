"""QI pack pages in a real browser: axe-clean, audience choice without JavaScript,
every audience in print, and the pack readable on a phone.

One test seeds the whole demo (``seed_demo``) and then visits many pages, because
seeding costs more than looking.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

PACK_SLUG = "safer-sleep-sudden-unexpected-death-infancy"


@pytest.fixture
def qi_site(transactional_db):
    """Everything ``seed_demo`` makes, committed so the live server sees it."""
    from django.core.cache import cache
    from django.core.management import call_command

    from qipacks.models import QIPackIndexPage, QIPackPage
    from tests.factories import ensure_wagtail_tree

    ensure_wagtail_tree()
    cache.clear()
    call_command("seed_demo", verbosity=0)
    index = QIPackIndexPage.objects.get()
    pack = QIPackPage.objects.get(slug=PACK_SLUG)
    return index, pack


def visible_audiences(page) -> list[str]:
    return page.eval_on_selector_all(
        "section.qi-material",
        "els => els.filter(e => getComputedStyle(e).display !== 'none')"
        ".map(e => e.dataset.audience)",
    )


def test_pack_recommendation_and_index_pages_pass_axe(qi_site, page, axe):
    index, pack = qi_site
    page.goto(index.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("QI packs")
    expect(page.get_by_role("link", name=pack.title)).to_be_visible()
    axe(page, "QI pack index")

    page.goto(pack.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(pack.title)
    assert len(visible_audiences(page)) == 3
    axe(page, "QI pack")

    # Pick an audience with the form, then go back to all of them.
    page.get_by_label("Show the material for").select_option(label="Police")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "audience=police" in page.url
    assert visible_audiences(page) == ["police"]
    expect(page.get_by_text("Showing the material for Police.")).to_be_visible()
    axe(page, "QI pack, one audience")
    # Printing gives every audience, without the form.
    page.emulate_media(media="print")
    assert len(visible_audiences(page)) == 3
    expect(page.locator("form.qi-audience-form")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Show all audiences").click()
    page.wait_for_load_state()
    assert len(visible_audiences(page)) == 3

    # A recommendation on its own page, and back.
    page.get_by_role("link", name="Recommendation R1 on its own page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommendation R1")
    assert page.url.endswith(f"{pack.url}recommendations/r1/")
    axe(page, "recommendation")
    page.get_by_role(
        "link", name="Back to all the recommendations in this pack"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(pack.title)

    assert not page.diagnostics.problems(), page.diagnostics.problems()

    # A malformed audience: a 400 that explains, with the whole pack. (Chromium
    # logs the page's own 400 as a console error; that is the point here.)
    response = page.goto(f"{pack.url}?audience=%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("not one we recognise")
    assert len(visible_audiences(page)) == 3
    axe(page, "QI pack with a bad audience")


def test_audience_choice_works_without_javascript(qi_site, new_page_without_js):
    _index, pack = qi_site
    page = new_page_without_js()
    page.goto(pack.url)
    page.get_by_label("Show the material for").select_option(label="Commissioners")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert visible_audiences(page) == ["commissioners"]


def test_pack_page_on_a_phone(qi_site, mobile_page, axe):
    _index, pack = qi_site
    mobile_page.goto(pack.url)
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text(pack.title)
    # Nothing wider than the screen: no sideways scrolling.
    overflow = mobile_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    axe(mobile_page, "QI pack on a phone")
    assert not mobile_page.diagnostics.problems(), mobile_page.diagnostics.problems()
