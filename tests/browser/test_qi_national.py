"""Staff open the national uptake view in the admin, pass axe on every page
(charts included), and download the matrix as XLSX, which opens with openpyxl
with the right numbers.

axe rules left out: none -- every rule in ``WCAG_TAGS`` runs on these pages.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

PASSWORD = "correct-horse-9"  # noqa: S105 - the test user's password


@pytest.fixture
def national_site(transactional_db, settings):
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    from tests.factories import HomePageFactory, ensure_site
    from tests.qipacks.test_national import national_world, staff_user

    ensure_site(HomePageFactory.build_home())
    world = national_world()
    world.user = staff_user("analyst")
    return world


def sign_in(page, user) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def test_staff_read_the_national_view_and_export_the_matrix(page, national_site, axe):
    world = national_site
    sign_in(page, world.user)

    page.goto("/admin/reports/qi-uptake/")
    expect(
        page.get_by_role("img", name="Uptake by status, for each pack")
    ).to_be_visible()
    table = page.get_by_role("table", name="Uptake by pack")
    expect(table.get_by_role("row", name="Safer sleep")).to_contain_text("25.0%")
    axe(page, "QI uptake overview")

    # Filters are a plain form.
    page.get_by_label("Region", exact=True).select_option("London")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**region=lon**")
    assert "region=lon" in page.url
    axe(page, "QI uptake overview, London")

    page.get_by_role("link", name="Safer sleep: R1").first.click()
    expect(
        page.get_by_role(
            "img", name="Safer sleep: R1: uptake by status, for each region"
        )
    ).to_be_visible()
    axe(page, "one recommendation")

    page.get_by_role("link", name="Overdue responses").click()
    expect(page.get_by_role("table")).to_contain_text("Gamma ICB")
    axe(page, "overdue responses")

    page.goto("/admin/reports/qi-uptake/matrix/")
    matrix = page.get_by_role("table", name="Status of each recommendation")
    expect(matrix).to_be_visible()
    axe(page, "matrix")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel (XLSX) (the whole matrix").click()
    download = download_info.value
    assert download.suggested_filename.startswith("qi-uptake-matrix-")
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Organisation", "Code", "Type", "Region", "Named lead")
    assert rows[0][5:] == (
        "Safer sleep: R1",
        "Safer sleep: R2",
        "Self-harm: R1",
        "Recommendations that apply",
        "Responded",
        "Implemented",
    )
    body = {row[0]: row[5:] for row in rows[1:]}
    assert body == {
        "Alpha CDOP": ("Implemented", "Does not apply", "Not applicable", 2, 2, 1),
        "Beta CDOP": ("Not started", "Does not apply", "No response yet", 2, 1, 0),
        "Delta trust": ("Does not apply", "In progress", "Does not apply", 1, 1, 0),
        "Epsilon school": ("Does not apply", "Does not apply", "Implemented", 1, 1, 1),
        "Gamma ICB": ("No response yet", "Does not apply", "Does not apply", 1, 0, 0),
    }
    assert not page.diagnostics.problems(), page.diagnostics.problems()
