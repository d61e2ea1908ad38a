"""A programme lead reads the impact report in the admin: headline figures, a chart
above each table, the period picker (and what it says about a wrong date), the
downloads, and the printed page. axe runs on each state; no rules left out.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

PASSWORD = "correct-horse-9"  # noqa: S105 - the test user's password
Q1 = "/admin/reports/impact/?period=quarter&quarter=2025-Q1"


@pytest.fixture
def impact_site(transactional_db):
    from tests.impact.test_dashboard import staff_user
    from tests.impact.world import impact_world

    world = impact_world()
    world.user = staff_user("programme-lead")
    return world


def sign_in(page, user) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def test_a_programme_lead_reads_prints_and_downloads_the_report(page, impact_site, axe):
    sign_in(page, impact_site.user)
    page.get_by_role("button", name="Reports").click()
    page.get_by_role("link", name="Impact report").click()
    page.wait_for_url("**/admin/reports/impact/")
    expect(page.get_by_role("heading", name="Headline figures")).to_be_visible()

    page.goto(Q1)
    headlines = page.locator(".impact__cards")
    expect(headlines).to_contain_text("Pages published")
    expect(headlines).to_contain_text("Up 2 (100%) on the previous period")
    chart = page.get_by_role("img", name="Subscribers at the end of each month")
    expect(chart).to_be_visible()
    table = page.get_by_role("table", name="Emails by kind")
    expect(table.get_by_role("row", name="All emails")).to_contain_text("16")
    london = page.get_by_role("table", name="Responses by region").get_by_role(
        "row", name="London"
    )
    expect(london.get_by_role("cell")).to_have_text(
        ["2", "0", "1", "1", "0", "1", "0", "50", "50", "1"]
    )
    axe(page, "impact report, January to March 2025")

    # The period picker is a plain GET form.
    page.get_by_label("A year").check()
    page.get_by_label("Year", exact=True).select_option("2025")
    page.get_by_role("button", name="Show the figures").click()
    page.wait_for_url("**period=year**")
    assert "year=2025" in page.url
    expect(page.get_by_role("heading", name="Impact report")).to_be_visible()
    axe(page, "impact report, 2025")

    # Dates the wrong way round: a 400 that says what to fix, and where.
    page.get_by_label("Dates I choose").check()
    page.get_by_label("From", exact=True).fill("2025-03-10")
    page.get_by_label("To", exact=True).fill("2025-03-01")
    with page.expect_response(lambda r: "period=custom" in r.url) as answer:
        page.get_by_role("button", name="Show the figures").click()
    assert answer.value.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem with the period")
    expect(alert).to_contain_text(
        "The last date must be the same as or after the first."
    )
    alert.get_by_role("link").click()
    expect(page.get_by_label("To", exact=True)).to_be_focused()
    axe(page, "impact report, dates the wrong way round")

    # Printed: no admin around it, each section on a page of its own.
    page.goto(Q1)
    page.emulate_media(media="print")
    expect(page.locator("#wagtail-sidebar")).to_be_hidden()
    expect(page.locator(".impact__period")).to_be_hidden()
    expect(page.get_by_role("table", name="Emails by kind")).to_be_visible()
    assert (
        page.locator("#section-subscribers").evaluate(
            "el => getComputedStyle(el).breakBefore"
        )
        == "page"
    )
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel (XLSX), one sheet per section").click()
    download = download_info.value
    assert download.suggested_filename == "impact-report-2025-Q1.xlsx"
    with open(download.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    assert "Emails sent" in book.sheetnames
    totals = [
        list(row)
        for row in book["Emails sent"].iter_rows(values_only=True)
        if row[0] == "All emails"
    ]
    assert totals == [["All emails", 3, 16, 13, 3, 1, 3, 2]]
    # Chromium logs the wrong dates' 400 as a console error; nothing else may fail.
    problems = [p for p in page.diagnostics.problems() if "status of 400" not in p]
    assert not problems, problems
