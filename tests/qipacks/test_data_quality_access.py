"""The members' area at /data-quality/ and the admin: who may see what.

Organisation A's members never see organisation B's reports (404, nothing leaks,
nothing logged as seen); signed-out people and sessions without the second factor
go to the sign-in; viewers read like QI leads; every view is logged; the admin's
import and access log need their permissions. Every response is private, no-store
and noindex.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from qipacks.models import DataQualityAccess, DataQualityImport, DataQualityReport
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.qipacks.test_data_quality import csv_bytes, make_indicators, make_report
from website.models import Membership

pytestmark = pytest.mark.django_db


def sign_in(client, user, *, verified=True):
    """Signed in; with ``verified`` the session has passed the second factor."""
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.create(user=user, name="App", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def world():
    indicators = make_indicators()
    a = OrganisationFactory(name="Avon Panel", code="AAA")
    b = OrganisationFactory(name="Bexley Panel", code="BBB")
    lead_a = MembershipFactory(organisation=a, role=Membership.Role.QI_LEAD).user
    viewer_a = MembershipFactory(organisation=a, role=Membership.Role.VIEWER).user
    lead_b = MembershipFactory(organisation=b).user
    report_a = make_report(a, indicators)
    report_b = make_report(
        b,
        indicators,
        values={"completeness": ("12.34", "95", "88.25")},
    )
    return {
        "indicators": indicators,
        "a": a,
        "b": b,
        "lead_a": lead_a,
        "viewer_a": viewer_a,
        "lead_b": lead_b,
        "report_a": report_a,
        "report_b": report_b,
    }


@pytest.fixture
def login_url(settings):
    """Where a person who must sign in is sent (the /qi/ sign-in, once it exists)."""
    try:
        return reverse(settings.LOGIN_URL)
    except NoReverseMatch:  # the /qi/ area's own login is not mounted in this tree
        settings.LOGIN_URL = "/qi/login/"
        return settings.LOGIN_URL


def _urls(report):
    return [
        reverse("data_quality:report", args=[report.pk]),
        reverse("data_quality:download", args=[report.pk]),
    ]


def assert_private(response):
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert "noindex" in response["X-Robots-Tag"]


# --- Members' area ------------------------------------------------------------------


def test_a_member_lists_and_reads_their_reports(client, world):
    sign_in(client, world["lead_a"])
    listing = client.get(reverse("data_quality:list"))
    assert listing.status_code == 200
    assert_private(listing)
    html = listing.content.decode()
    assert reverse("data_quality:report", args=[world["report_a"].pk]) in html
    assert reverse("data_quality:report", args=[world["report_b"].pk]) not in html
    assert "Bexley" not in html

    page = client.get(reverse("data_quality:report", args=[world["report_a"].pk]))
    assert page.status_code == 200
    assert_private(page)
    html = page.content.decode()
    assert '<svg class="qi-chart" role="img"' in html
    assert "<table" in html and "91.37%" in html and "88.25%" in html
    assert "Below the target of 95% or more, by 3.63 percentage points." in html
    assert "Meets the target of 70% or more." in html
    # Lower is better: 3.19 against a target of 5 or less meets it.
    assert "Meets the target of 5% or less (lower is better)." in html
    assert "2 of 3 indicators with a target meet it." in html


def test_a_viewer_can_read_and_download(client, world):
    sign_in(client, world["viewer_a"])
    response = client.get(reverse("data_quality:download", args=[world["report_a"].pk]))
    assert response.status_code == 200
    assert_private(response)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["indicator_code"]: r["value"] for r in rows} == {
        "completeness": "91.37",
        "timeliness": "76.41",
        "missing-ethnicity": "3.19",
    }
    assert {r["meets_target"] for r in rows} == {"yes", "no"}


def test_another_organisations_report_is_not_found(client, world):
    sign_in(client, world["lead_a"])
    before = DataQualityAccess.objects.count()
    for url in _urls(world["report_b"]):
        for method, status in (
            (client.get, 404),
            (client.head, 404),
            (client.post, 405),
        ):
            response = method(url)
            assert response.status_code == status, (method, url)
            assert_private(response)
            assert b"12.34" not in response.content
            assert b"Bexley" not in response.content
    # A report that does not exist looks the same as one that is not yours.
    missing = client.get(reverse("data_quality:report", args=[999_999]))
    assert missing.status_code == 404
    # Refused attempts are not recorded as having seen anything.
    assert DataQualityAccess.objects.count() == before


def test_signed_out_people_are_sent_to_sign_in(client, world, login_url):
    for url in [reverse("data_quality:list"), *_urls(world["report_a"])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login_url)
        assert "next=" in response["Location"]
        assert_private(response)
    assert DataQualityAccess.objects.count() == 0


def test_a_session_without_the_second_factor_is_sent_to_sign_in(
    client, world, login_url
):
    sign_in(client, world["lead_a"], verified=False)
    for url in [reverse("data_quality:list"), *_urls(world["report_a"])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login_url)
        assert b"91.37" not in response.content
    assert DataQualityAccess.objects.count() == 0


def test_a_verified_person_with_no_organisation_is_told_what_to_do(client, world):
    sign_in(client, UserFactory(is_staff=True))
    response = client.get(reverse("data_quality:list"))
    assert response.status_code == 403
    assert_private(response)
    assert b"not linked to an organisation" in response.content
    for url in _urls(world["report_a"]):
        assert client.get(url).status_code == 403


def test_every_view_is_logged(client, world):
    user = world["viewer_a"]
    report = world["report_a"]
    sign_in(client, user)
    client.get(reverse("data_quality:list"))
    client.get(reverse("data_quality:report", args=[report.pk]))
    client.get(reverse("data_quality:download", args=[report.pk]) + "?x=1")
    log = list(
        DataQualityAccess.objects.order_by("at", "pk").values_list(
            "user", "username", "organisation", "report", "action", "path"
        )
    )
    assert log == [
        (user.pk, user.username, world["a"].pk, None, "list", "/data-quality/"),
        (
            user.pk,
            user.username,
            world["a"].pk,
            report.pk,
            "view",
            f"/data-quality/{report.pk}/",
        ),
        (
            user.pk,
            user.username,
            world["a"].pk,
            report.pk,
            "download",
            f"/data-quality/{report.pk}/download/?x=1",
        ),
    ]


def test_a_member_of_two_organisations_sees_both(client, world):
    user = world["lead_a"]
    MembershipFactory(user=user, organisation=world["b"], role="viewer")
    sign_in(client, user)
    html = client.get(reverse("data_quality:list")).content.decode()
    assert "Avon Panel" in html and "Bexley Panel" in html
    assert client.get(_urls(world["report_b"])[0]).status_code == 200
    entry = DataQualityAccess.objects.filter(action="list").get()
    assert entry.organisation is None  # the list covered both


def test_no_report_content_in_public_pages(client, world):
    """Reports are not pages: nothing in the page tree, search or feeds links them."""
    from wagtail.models import Page

    assert not Page.objects.filter(url_path__contains="data-quality").exists()
    for url in ["/sitemap.xml", "/search/?q=completeness", "/robots.txt"]:
        response = client.get(url)
        assert b"/data-quality/" not in response.content
        assert b"91.37" not in response.content


# --- Admin -----------------------------------------------------------------------


def _staff(*codenames):
    user = UserFactory(is_staff=True)
    group = Group.objects.create(name=f"Group {user.username}")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="qipacks", codename__in=codenames
        ),
    )
    user.groups.add(group)
    return user


def test_importing_needs_the_permission(client, world):
    upload = csv_bytes("AAA,2025-07-01,2025-09-30,completeness,90,95,90")
    client.force_login(_staff())
    for url in [
        reverse("data_quality_import"),
        reverse("data_quality_import_template"),
    ]:
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert response.get("Location", "") in ("", reverse("wagtailadmin_home"))
    before = DataQualityReport.objects.count()
    client.post(
        reverse("data_quality_import"),
        {"file": _file(upload)},
    )
    assert DataQualityReport.objects.count() == before
    assert not DataQualityImport.objects.exists()
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Import reports" not in menu

    client.force_login(_staff("add_dataqualityimport"))
    assert client.get(reverse("data_quality_import")).status_code == 200
    template = client.get(reverse("data_quality_import_template"))
    assert template.content.decode("utf-8-sig").startswith("organisation_code,")
    response = client.post(reverse("data_quality_import"), {"file": _file(upload)})
    assert response.status_code == 303
    assert DataQualityReport.objects.count() == before + 1
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert b"Imported" in detail.content


def _file(data: bytes, name="figures.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_the_admin_shows_a_bad_file_row_by_row(client, world):
    client.force_login(_staff("add_dataqualityimport"))
    before = DataQualityReport.objects.count(), world["report_a"].values.count()
    response = client.post(
        reverse("data_quality_import"),
        {
            "file": _file(
                csv_bytes(
                    "AAA,2025-07-01,2025-09-30,completeness,90,95,90",
                    "NOPE,2025-07-01,2025-09-30,completeness,190,95,90",
                )
            )
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not imported" in html
    assert "No organisation has the code &#x27;NOPE&#x27;" in html
    assert "190 is out of range" in html
    assert (
        DataQualityReport.objects.count(),
        world["report_a"].values.count(),
    ) == before
    record = DataQualityImport.objects.get()
    assert not record.accepted and len(record.errors) == 2
    detail = client.get(reverse("data_quality_import_detail", args=[record.pk]))
    assert "190 is out of range" in detail.content.decode()


def test_an_empty_upload_is_recorded_and_explained(client, world):
    client.force_login(_staff("add_dataqualityimport"))
    response = client.post(reverse("data_quality_import"), {"file": _file(b"")})
    assert "The file is empty" in response.content.decode()
    assert DataQualityImport.objects.get().accepted is False


def test_the_access_log_needs_its_permission(client, world):
    sign_in(client, world["lead_a"])
    client.get(reverse("data_quality:report", args=[world["report_a"].pk]))
    url = reverse("data_quality_access_log")

    client.force_login(_staff("add_dataqualityimport"))
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert world["lead_a"].username.encode() not in response.content

    client.force_login(_staff("view_dataqualityaccess"))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert world["lead_a"].username in html and "Viewed a report" in html
    # Filters (the results table alone): by organisation, person and date.
    results = reverse("data_quality_access_log_results")

    def rows(**filters):
        return client.get(results, filters).content.decode().count("Viewed a report")

    assert rows() == 1
    assert rows(organisation=world["b"].pk) == 0
    assert rows(organisation=world["a"].pk) == 1
    assert rows(user=world["lead_a"].pk) == 1
    assert rows(at_from="2000-01-01", at_to="2000-01-02") == 0
    assert rows(at_from="2000-01-01") == 1
    assert rows(action="download") == 0
    export = client.get(url, {"export": "csv"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert world["lead_a"].username in body


def test_the_admin_menu_and_indicators(client, world):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    for label in ["Data quality", "Import reports", "Indicators", "Access log"]:
        assert label in home
    assert client.get(reverse("data_quality_indicators:index")).status_code == 200
    response = client.post(
        reverse("data_quality_indicators:add"),
        {
            "code": "review-timeliness",
            "name": "Reviews completed within 6 months",
            "description": "",
            "unit": "%",
            "higher_is_better": "on",
        },
    )
    assert response.status_code == 302
    from qipacks.models import DataQualityIndicator

    assert DataQualityIndicator.objects.filter(code="review-timeliness").exists()
