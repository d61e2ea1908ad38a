"""The data-quality area in Chromium: a member reads their reports (chart and
table), staff upload a bad CSV in the admin and read the per-row report. Every page
goes through axe-core (WCAG 2.2 AA).

The member's session is made on the server (signed in, second factor passed) and
handed to the browser as its session cookie: the /qi/ sign-in itself is tested
with the QI lead area.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.qipacks.test_data_quality import csv_bytes, make_indicators, make_report

PASSWORD = "correct-horse-9"  # noqa: S105 - the test user's password


@pytest.fixture
def dq_site(transactional_db, settings):
    settings.WAGTAIL_ENABLE_UPDATE_CHECK = False
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None
    from tests.factories import ensure_wagtail_tree

    ensure_wagtail_tree()
    indicators = make_indicators()
    organisation = OrganisationFactory(name="Avon Panel", code="AAA")
    member = MembershipFactory(organisation=organisation, role="viewer").user
    older = make_report(organisation, indicators)
    newer = make_report(
        organisation,
        indicators,
        start=older.period_start.replace(month=7),
    )
    return member, older, newer


def _verified_session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="App", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": session.session_key,
        "url": live_server.url,
    }


def test_a_member_reads_their_reports(page, live_server, dq_site, axe):
    member, older, newer = dq_site
    page.context.add_cookies([_verified_session_cookie(member, live_server)])

    page.goto("/data-quality/")
    expect(page.get_by_role("heading", name="Data-quality reports")).to_be_visible()
    links = page.get_by_role("table").get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("1 July 2025")  # newest first
    axe(page, "data-quality list")

    links.first.click()
    expect(page).to_have_url(re.compile(rf"/data-quality/{newer.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Data quality, 1 July 2025 to 30 September 2025"
    )
    chart = page.get_by_role("img", name=re.compile("Data quality for Avon Panel"))
    expect(chart).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(4)
    expect(table).to_contain_text("91.37%")
    expect(table).to_contain_text("Meets the target of 5% or less (lower is better).")
    axe(page, "data-quality report")
    assert not page.diagnostics.problems(), page.diagnostics.problems()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report as a CSV file").click()
    assert download.value.suggested_filename.startswith("data-quality-AAA-2025-07-01")


def test_staff_upload_a_bad_file_and_see_each_row(
    page, live_server, dq_site, axe, tmp_path
):
    from qipacks.models import DataQualityImport, DataQualityReport

    admin = UserFactory(username="importer", is_superuser=True, is_staff=True)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")

    page.goto("/admin/data-quality/import/")
    expect(
        page.get_by_role("heading", name="Import data-quality reports")
    ).to_be_visible()
    axe(page, "data-quality import form")

    bad = tmp_path / "quarter.csv"
    bad.write_bytes(
        csv_bytes(
            "AAA,2025-10-01,2025-12-31,completeness,92,95,90",
            "NOPE,2025-10-01,2025-12-31,completeness,92,95,90",
            "AAA,2025-10-01,2025-12-31,timeliness,140,95,90",
        )
    )
    before = DataQualityReport.objects.count()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()

    expect(page.get_by_role("alert")).to_contain_text("The file was not imported")
    problems = page.get_by_role("table", name="Problems in the file, by row")
    expect(problems.get_by_role("row")).to_have_count(3)
    expect(problems).to_contain_text("No organisation has the code 'NOPE'")
    expect(problems).to_contain_text("140 is out of range")
    axe(page, "data-quality import problems")
    assert DataQualityReport.objects.count() == before
    assert DataQualityImport.objects.get().accepted is False
