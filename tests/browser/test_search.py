"""Search in a real browser: from the header, filter by audience, open a result."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from search.indexing import reindex


@pytest.fixture
def indexed_site(learning_site):
    reindex()
    return learning_site


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_search_from_the_header_filter_and_open_a_result(
    new_page, indexed_site, axe_report, size
):
    page = new_page(size)
    page.goto("/")
    if size == "phone":  # the menu's Search link, then the search page's box
        search_link = page.get_by_role("link", name="Search", exact=True)
        if not search_link.is_visible():  # moved under "More" on a narrow screen
            page.get_by_role("button", name="More").click()
        search_link.click()
        box = page.get_by_label("Search for")
    else:
        box = page.get_by_role("searchbox", name="Search this site")
    box.fill("safer sleep")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Search results for “safer sleep”"
    )
    results = page.locator(".search-result")
    expect(results.first).to_be_visible()
    reports = [axe_report(page, f"search results ({size})")]

    page.get_by_label("Audience").select_option(value="health-visitors")
    page.get_by_role("button", name="Apply filters").click()
    assert "audience=health-visitors" in page.url
    expect(
        page.get_by_role("link", name="Remove filter Health visitors")
    ).to_be_visible()
    first = results.first.get_by_role("link")
    title = first.inner_text()
    reports.append(axe_report(page, f"filtered results ({size})"))

    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    page.goto("/search/?q=xylophonic")
    expect(
        page.get_by_role("heading", name="No results for “xylophonic”")
    ).to_be_visible()
    reports.append(axe_report(page, f"no results ({size})"))
    page.goto("/search/")
    reports.append(axe_report(page, f"empty search page ({size})"))
    problems = [r for r in reports if r] + page.diagnostics.problems()
    assert not problems, "\n\n".join(problems)


def test_title_suggestions_appear_as_you_type(new_page, indexed_site):
    page = new_page("desktop")
    page.goto("/search/")
    with page.expect_response(lambda r: "/search/suggest/" in r.url):
        page.get_by_label("Search for").press_sequentially("safer", delay=30)
    options = page.locator("#search-suggestions option")
    expect(options.first).to_have_attribute("value", "Safer sleep for babies")


def test_editors_read_the_search_reports(page, indexed_site, axe):
    """Top searches and searches with no results, in the admin, pass axe."""
    from django.contrib.auth import get_user_model

    from search import analytics

    analytics.record("safer sleep", 3)
    analytics.record("safer sleep", 3)
    analytics.record("xylophonic", 0)
    analytics.flush()
    password = "correct-horse-9"  # noqa: S105 - the test user's password
    get_user_model().objects.create_superuser(
        "search-editor", "editor@example.org", password
    )
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("search-editor")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/**")

    page.goto("/admin/reports/search-terms/")
    expect(page.get_by_role("cell", name="safer sleep")).to_be_visible()
    axe(page, "search terms report")
    page.goto("/admin/reports/search-no-results/")
    expect(page.get_by_role("cell", name="xylophonic")).to_be_visible()
    expect(page.get_by_role("cell", name="safer sleep")).to_have_count(0)
    axe(page, "searches with no results report")
