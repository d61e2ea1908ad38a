"""Staff reports: registrations, attendance and feedback per webinar and per
series, the CSV and XLSX exports, and who may see them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import UserFactory
from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    WebinarSeriesPageFactory,
    webinar_tree,
)
from webinars import reports
from webinars.attendance import import_attendance
from webinars.models import Feedback

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","click")'


def ago(days: int) -> dt.datetime:
    return (timezone.now() - dt.timedelta(days=days)).replace(second=0, microsecond=0)


@pytest.fixture
def world(site):
    """A series with two past webinars (one with attendance imported), one to
    come, and a second series with nothing in it."""
    index, series = webinar_tree(site)
    first = WebinarPageFactory(
        parent=series,
        title="First",
        starts_at=ago(20),
        ends_at=ago(20) + dt.timedelta(hours=1),
    )
    second = WebinarPageFactory(
        parent=series,
        title="Second",
        starts_at=ago(5),
        ends_at=ago(5) + dt.timedelta(hours=1),
    )
    WebinarPageFactory(parent=series, title="Third")
    empty = WebinarSeriesPageFactory(parent=index, title="Empty series")
    people = [
        RegistrationFactory(webinar=first, name=FORMULA, email=f"p{n}@example.org")
        for n in range(4)
    ]
    RegistrationFactory.create_batch(2, webinar=first, status="waitlisted")
    RegistrationFactory(webinar=first, status="cancelled")
    RegistrationFactory.create_batch(2, webinar=second)
    csv_text = "Name,Email,Duration\n" + "".join(
        f"P,{p.email},{40 + n}\n" for n, p in enumerate(people[:3])
    )
    assert import_attendance(first, csv_text.encode(), filename="a.csv").accepted
    for person, rating, useful in zip(
        people, [5, 4, 4, 1], ["Clear.", FORMULA, "", "-1 point"], strict=True
    ):
        Feedback.objects.create(
            webinar=first, registration=person, rating=rating, useful=useful
        )
    Feedback.objects.create(webinar=second, rating=3, next_topics="Data")
    return {"series": series, "first": first, "second": second, "empty": empty}


def test_figures_per_webinar(world):
    figures = reports.figures_for([world["first"].pk, world["second"].pk])
    first, second = figures[world["first"].pk], figures[world["second"].pk]
    assert (first.registered, first.waitlisted, first.cancelled) == (4, 2, 1)
    assert first.attended == 3
    assert first.attendance_rate == 75.0
    assert first.feedback_count == 4
    assert first.mean_rating == 3.5
    assert [row["count"] for row in first.distribution] == [1, 2, 0, 0, 1]
    assert [row["percent"] for row in first.distribution] == [25, 50, 0, 0, 25]
    # Not imported yet: no rate, rather than 0%.
    assert second.attendance_imported is False
    assert second.attendance_rate is None
    assert second.mean_rating == 3.0


def test_figures_per_series_count_attendance_only_where_imported(world):
    report = reports.series_reports([world["series"].pk])[0]
    assert [row.webinar.title for row in report.rows] == ["First", "Second", "Third"]
    totals = report.totals
    assert (totals.registered, totals.waitlisted, totals.cancelled) == (6, 2, 1)
    assert totals.attended == 3
    assert totals.attendance_rate == 75.0  # of the 4 with places at "First"
    assert totals.feedback_count == 5
    assert totals.mean_rating == 3.4


def test_comments_leave_out_empty_feedback(world):
    comments = reports.comments([world["first"].pk, world["second"].pk])
    assert len(comments) == 4  # the rating without words is left out


# --- Admin pages ----------------------------------------------------------------------


def staff_user(*codenames) -> object:
    user = UserFactory()
    group = Group.objects.create(name=f"group-{user.username}")
    group.permissions.set(
        Permission.objects.filter(codename__in=["access_admin", *codenames])
    )
    user.groups.add(group)
    return user


@pytest.fixture
def staff(client):
    user = staff_user("view_registration")
    client.force_login(user)
    return user


def squash(response) -> str:
    return " ".join(response.content.decode().split())


def test_index_lists_every_series_with_its_numbers(client, world, staff):
    response = client.get(reverse("webinars_report"))
    assert response.status_code == HTTPStatus.OK
    html = squash(response)
    assert "Empty series" in html and "No webinars in this series yet." in html
    row = html.split(">First</a>", 1)[1].split("</tr>", 1)[0]
    assert "<td>4</td> <td>2</td> <td>1</td> <td>3</td> <td>75.0%</td>" in row
    assert "<td>4</td> <td>3.5 out of 5</td>" in row
    assert "Not imported yet" in html.split(">Second</a>", 1)[1].split("</tr>")[0]


def test_series_and_webinar_pages(client, world, staff):
    series = squash(
        client.get(reverse("webinars_report_series", args=[world["series"].pk]))
    )
    assert "3.4 out of 5" in series
    assert "Clear." in series and "Data" in series
    webinar = squash(
        client.get(reverse("webinars_report_webinar", args=[world["first"].pk]))
    )
    assert "75.0% of people with a place" in webinar
    assert '<th scope="row">5 out of 5</th> <td>1</td>' in webinar
    assert "a.csv" in webinar
    assert "=HYPERLINK(&quot;" in webinar  # shown as text, escaped


def test_report_pages_make_a_bounded_number_of_queries(
    client, world, staff, django_assert_max_num_queries
):
    for name, args in (
        ("webinars_report", []),
        ("webinars_report_series", [world["series"].pk]),
        ("webinars_report_webinar", [world["first"].pk]),
    ):
        client.get(reverse(name, args=args))
        with django_assert_max_num_queries(40):
            assert client.get(reverse(name, args=args)).status_code == HTTPStatus.OK


def csv_rows(response) -> list[list[str]]:
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert body.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.content))
    return list(workbook.active.iter_rows(values_only=True)), workbook.active


def test_summary_exports_have_the_numbers(client, world, staff):
    rows = csv_rows(client.get(reverse("webinars_report_export", args=["csv"])))
    assert rows[0][:5] == [
        "Series",
        "Webinar",
        "Starts (UK time)",
        "Cancelled webinar",
        "Registered",
    ]
    first = next(r for r in rows if r[1] == "First")
    assert first[4:11] == ["4", "2", "1", "3", "75.0", "4", "3.5"]
    total = next(r for r in rows if r[1] == "All webinars in the series")
    assert total[4:11] == ["6", "2", "1", "3", "75.0", "5", "3.4"]

    values, _ = xlsx_rows(client.get(reverse("webinars_report_export", args=["xlsx"])))
    first = next(r for r in values if r[1] == "First")
    assert first[4:11] == (4, 2, 1, 3, 75.0, 4, 3.5)
    assert isinstance(first[2], dt.datetime)


def test_series_and_webinar_exports(client, world, staff):
    series_pk, first_pk = world["series"].pk, world["first"].pk
    values, _ = xlsx_rows(
        client.get(
            reverse(
                "webinars_report_series_export", args=[series_pk, "summary", "xlsx"]
            )
        )
    )
    assert [r[1] for r in values[1:]] == [
        "First",
        "Second",
        "Third",
        "All webinars in the series",
    ]
    feedback = csv_rows(
        client.get(
            reverse(
                "webinars_report_series_export", args=[series_pk, "feedback", "csv"]
            )
        )
    )
    assert len(feedback) == 6 and feedback[0][2] == "Rating (1 to 5)"
    registrations = csv_rows(
        client.get(
            reverse(
                "webinars_report_webinar_export",
                args=[first_pk, "registrations", "csv"],
            )
        )
    )
    assert len(registrations) == 8
    attended = [r for r in registrations[1:] if r[6] == "Yes"]
    assert sorted(int(r[7]) for r in attended) == [40, 41, 42]


def test_exports_never_carry_a_live_formula(client, world, staff):
    first_pk = world["first"].pk
    rows = csv_rows(
        client.get(
            reverse(
                "webinars_report_webinar_export",
                args=[first_pk, "registrations", "csv"],
            )
        )
    )
    assert rows[1][0] == "'" + FORMULA
    feedback = csv_rows(
        client.get(
            reverse(
                "webinars_report_webinar_export", args=[first_pk, "feedback", "csv"]
            )
        )
    )
    assert "'-1 point" in [r[3] for r in feedback]
    values, sheet = xlsx_rows(
        client.get(
            reverse(
                "webinars_report_webinar_export",
                args=[first_pk, "registrations", "xlsx"],
            )
        )
    )
    assert values[1][0] == FORMULA
    assert sheet.cell(row=2, column=1).data_type == "s"  # text, not a formula


@pytest.mark.parametrize(
    "address",
    [
        "/admin/reports/webinars/999999/",
        "/admin/reports/webinars/series/999999/",
        "/admin/reports/webinars/99999999999999999999/",
        "/admin/reports/webinars/export.pdf",
        "/admin/reports/webinars/999999/registrations.csv",
    ],
)
def test_unknown_things_are_not_found(client, world, staff, address):
    assert client.get(address).status_code == HTTPStatus.NOT_FOUND


def test_unknown_export_kinds_are_not_found(client, world, staff):
    first, series = world["first"].pk, world["series"].pk
    for address in (
        f"/admin/reports/webinars/{first}/summary.csv",
        f"/admin/reports/webinars/{first}/registrations.exe",
        f"/admin/reports/webinars/series/{series}/registrations.csv",
        f"/admin/reports/webinars/series/{world['first'].pk}/summary.csv",
    ):
        assert client.get(address).status_code == HTTPStatus.NOT_FOUND, address


# --- Who may see them -----------------------------------------------------------------


def addresses(world) -> list[str]:
    first, series = world["first"].pk, world["series"].pk
    return [
        reverse("webinars_report"),
        reverse("webinars_report_export", args=["csv"]),
        reverse("webinars_report_series", args=[series]),
        reverse("webinars_report_series_export", args=[series, "feedback", "xlsx"]),
        reverse("webinars_report_webinar", args=[first]),
        reverse("webinars_report_webinar_export", args=[first, "registrations", "csv"]),
    ]


def test_anonymous_people_are_sent_to_sign_in(client, world):
    for address in addresses(world):
        response = client.get(address)
        assert response.status_code == HTTPStatus.FOUND, address
        assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_permission_are_refused(client, world):
    client.force_login(staff_user())
    for address in addresses(world):
        response = client.get(address)
        assert response.status_code == HTTPStatus.FOUND, address
        assert response["Location"] == "/admin/"
        assert b"p0@example.org" not in response.content


def test_people_without_admin_access_are_refused(client, world):
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="view_registration"))
    client.force_login(user)
    for address in addresses(world):
        response = client.get(address)
        assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
        assert b"p0@example.org" not in response.content


def test_menu_item_only_for_those_who_may_see_the_reports(client, world):
    client.force_login(staff_user())
    assert b"/admin/reports/webinars/" not in client.get("/admin/").content
    client.force_login(staff_user("view_registration"))
    assert b"/admin/reports/webinars/" in client.get("/admin/").content


def test_superusers_see_them(client, world):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("webinars_report")).status_code == HTTPStatus.OK


def test_reports_are_never_cached(client, world, staff):
    response = client.get(reverse("webinars_report_webinar", args=[world["first"].pk]))
    assert (
        "no-cache" in response["Cache-Control"]
        or "no-store" in response["Cache-Control"]
    )
