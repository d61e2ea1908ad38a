"""The dashboard and its downloads: access, the period picker, CSV, XLSX and PDF."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from impact import periods
from impact.periods import Period
from tests.factories import UserFactory
from tests.impact.world import impact_world

pytestmark = pytest.mark.django_db

URL = "/admin/reports/impact/"
Q1 = "?period=quarter&quarter=2025-Q1"
PATHS = [
    URL,
    *(
        URL + name
        for name in ("impact-report.xlsx", "impact-report.pdf", "content.csv")
    ),
]


def staff_user(username="programme-lead", *, permission=True):
    """Admin access, and (unless told not) permission to view the impact report."""
    user = UserFactory(username=username)
    group = Group.objects.create(name=f"group-{username}")
    codenames = ["access_admin"] + (["view_report"] if permission else [])
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    user.groups.add(group)
    return user


@pytest.fixture
def world():
    return impact_world()


@pytest.fixture
def lead(client):
    user = staff_user()
    client.force_login(user)
    return user


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_people_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("path", PATHS)
def test_staff_without_the_permission_are_refused(client, path):
    """The admin's own answer: back to the dashboard, saying "no permission"."""
    client.force_login(staff_user("editor", permission=False))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert b"do not have permission" in client.get("/admin/").content


@pytest.mark.parametrize("path", PATHS)
def test_people_without_admin_access_are_refused(client, path):
    client.force_login(UserFactory(username="qi-lead"))
    response = client.get(path)
    assert response.status_code in (302, 403)
    assert not response.has_header("Content-Disposition")


def test_the_menu_item_shows_only_to_those_allowed(client, site):
    client.force_login(staff_user("editor", permission=False))
    assert URL not in client.get("/admin/").content.decode()
    client.force_login(staff_user())
    assert URL in client.get("/admin/").content.decode()


def test_the_permission_can_be_given_to_groups(client, site):
    client.force_login(UserFactory(is_superuser=True))
    group = Group.objects.create(name="Programme leads")
    page = client.get(
        reverse("wagtailusers_groups:edit", args=[group.pk])
    ).content.decode()
    permission = Permission.objects.get(codename="view_report")
    assert f'value="{permission.pk}"' in page


# --- The period picker ----------------------------------------------------------------


def test_with_no_period_chosen_the_last_full_quarter_is_shown(client, lead, site):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["period"] == Period.last_full_quarter()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?period=quarter&quarter=2025-Q1", Period.quarter(2025, 1)),
        ("?period=year&year=2024", Period.year(2024)),
        (
            "?period=custom&start=2025-02-01&end=2025-03-15",
            Period("custom", datetime.date(2025, 2, 1), datetime.date(2025, 3, 15)),
        ),
        # Fields for other kinds of period are ignored.
        ("?period=year&year=2024&quarter=nonsense&start=x", Period.year(2024)),
    ],
)
def test_each_kind_of_period(client, lead, site, query, expected):
    response = client.get(URL + query)
    assert response.status_code == 200
    assert response.context["period"] == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?period=", "Choose a quarter, a year or your own dates."),
        ("?period=decade", "Choose a quarter, a year or your own dates."),
        ("?period=quarter&quarter=2025-Q9", "Choose a quarter from the list."),
        ("?period=quarter", "Choose a quarter from the list."),
        ("?period=year&year=1066", "Choose a year from the list."),
        ("?period=year&year=%00", "Choose a year from the list."),
        (
            "?period=custom&start=2025-02-30&end=2025-03-01",
            "Enter the first date as a real date",
        ),
        (
            "?period=custom&start=yesterday&end=2025-03-01",
            "Enter the first date as a real date",
        ),
        ("?period=custom&start=2025-02-01", "Enter the last date of the period."),
        (
            "?period=custom&start=2025-03-01&end=2025-02-01",
            "The last date must be the same as or after the first.",
        ),
        (
            "?period=custom&start=2025-01-01&end=2999-01-01",
            "The last date cannot be after today.",
        ),
        (
            "?period=custom&start=1900-01-01&end=2025-01-01",
            "Choose a first date in 2020 or later.",
        ),
        (
            "?period=custom&start=" + "9" * 5000 + "&end=2025-01-01",
            "Enter the first date as a real date",
        ),
    ],
)
def test_a_period_we_cannot_use_is_a_400_saying_what_to_fix(
    client, lead, site, query, message
):
    response = client.get(URL + query)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "There is a problem with the period" in page
    assert 'aria-describedby="id_' in page


def test_a_custom_period_longer_than_five_years_is_refused(client, lead, site):
    response = client.get(URL + "?period=custom&start=2020-01-01&end=2025-06-01")
    assert response.status_code == 400
    assert "Choose a period of five years or less." in response.content.decode()


def test_a_download_with_a_bad_period_is_a_400_too(client, lead, site):
    response = client.get(URL + "impact-report.xlsx?period=year&year=nope")
    assert response.status_code == 400
    assert "Choose a year from the list." in response.content.decode()


def test_an_unknown_section_is_a_404(client, lead, site):
    assert client.get(URL + "nonsense.csv" + Q1).status_code == 404


def test_periods():
    q1 = Period.quarter(2025, 1)
    assert (q1.label, q1.key, q1.days) == ("January to March 2025", "2025-Q1", 90)
    assert q1.previous() == Period.quarter(2024, 4)
    assert q1.previous().label == "October to December 2024"
    assert Period.year(2025).previous() == Period.year(2024)
    custom = Period("custom", datetime.date(2025, 3, 1), datetime.date(2025, 3, 10))
    assert custom.previous() == Period(
        "custom", datetime.date(2025, 2, 19), datetime.date(2025, 2, 28)
    )
    assert custom.label == "1 March 2025 to 10 March 2025"
    assert Period.last_full_quarter(datetime.date(2026, 1, 1)) == Period.quarter(
        2025, 4
    )
    assert Period.last_full_quarter(datetime.date(2026, 5, 20)) == Period.quarter(
        2026, 1
    )
    # UK time: British Summer Time began on 30 March 2025.
    assert q1.until.isoformat() == "2025-04-01T00:00:00+01:00"
    assert q1.since.isoformat() == "2025-01-01T00:00:00+00:00"
    choices = periods.quarter_choices(datetime.date(2026, 11, 23))
    assert choices[0] == ("2026-Q4", "October to December 2026")
    assert len(choices) == periods.QUARTERS_OFFERED


# --- The dashboard --------------------------------------------------------------------


def test_the_dashboard_shows_every_section_with_charts_and_tables(client, lead, world):
    response = client.get(URL + Q1)
    assert response.status_code == 200
    page = response.content.decode()
    for heading in (
        "Headline figures",
        "Content published",
        "Subscribers",
        "Emails sent",
        "Web reach",
        "Webinars",
        "Recommendations",
        "Feedback on pages",
    ):
        assert f">{heading}</h2>" in page
    assert page.count('<svg class="qi-chart" role="img"') == 11
    assert page.count("<caption>") >= 18
    assert "Up 2 (100%) on the previous period" in page
    assert "66.7%" in page
    assert "Needs a diagram" in page
    for key in (
        "content",
        "subscribers",
        "emails",
        "reach",
        "webinars",
        "recommendations",
        "feedback",
    ):
        assert f"{URL}{key}.csv?period=quarter&amp;quarter=2025-Q1" in page
    assert f"{URL}impact-report.xlsx?period=quarter&amp;quarter=2025-Q1" in page


def test_the_dashboard_takes_a_bounded_number_of_queries(
    client, lead, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(60):
        assert client.get(URL + Q1).status_code == 200


def test_figures_are_escaped(client, lead, world):
    from website.models import PageFeedback

    PageFeedback.objects.filter(comment="Needs a diagram").update(
        comment="<script>alert(1)</script>"
    )
    page = client.get(URL + Q1).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Downloads ------------------------------------------------------------------------


def test_the_workbook_has_a_sheet_per_section_with_the_same_figures(
    client, lead, world
):
    response = client.get(URL + "impact-report.xlsx" + Q1)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="impact-report-2025-Q1.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Headline figures",
        "Content published",
        "Subscribers",
        "Emails sent",
        "Web reach",
        "Webinars",
        "Recommendations",
        "Feedback on pages",
    ]

    def rows(name):
        """Each row's cells, without the blanks that pad it to the sheet's width."""
        result = []
        for row in book[name].iter_rows(values_only=True):
            cells = list(row)
            while cells and cells[-1] is None:
                cells.pop()
            result.append(cells)
        return result

    summary = rows("Headline figures")
    assert summary[0] == ["Headline figures"]
    assert summary[1] == ["Figure", "Value", "Compared"]
    assert summary[2] == ["Pages published", "4", "Up 2 (100%) on the previous period"]
    content = rows("Content published")
    assert ["Safety message", 2, 0, "Up 2 (none before)"] in content
    assert ["All types", 4, 2, "Up 2 (100%)"] in content
    assert ["Safe sleep", 2, 0, "Up 2 (none before)"] in content
    emails = rows("Emails sent")
    assert ["Bulletin", 1, 5, 3, 2, 0, 1, 1] in emails
    assert ["All emails", 3, 16, 13, 3, 1, 3, 2] in emails
    reach = rows("Web reach")
    assert ["Safety message", 150, 7, "Up 143 (2042.9%)"] in reach
    assert ["Jan 2025", 120] in reach
    webinars = rows("Webinars")
    assert webinars[2][0] == "Safer sleep in winter"
    assert webinars[2][1] == datetime.datetime(2025, 2, 12, 14, 0)
    assert webinars[2][3:] == [3, 1, 1, 2, 66.7, 2, 4.5]
    assert ["All webinars", None, None, 3, 1, 3, 2, 66.7, 2, 4.5] in webinars
    recommendations = rows("Recommendations")
    assert ["London", 2, 0, 1, 1, 0, 1, 0, 50, 50, 1] in recommendations
    assert ["All organisations", 4, 2, 1, 3, 0, 2, 0, 50, 50, 2] in recommendations
    assert ["South West", 0, 0, 0, 0, 0, 0, None, None, None, 0] in recommendations
    feedback = rows("Feedback on pages")
    assert ["All pages", 2, 1, 66.7, 2] in feedback
    subscribers = rows("Subscribers")
    assert ["Subscribers at the start", 6] in subscribers
    assert ["Too many emails", 1] in subscribers


def test_the_workbook_never_holds_a_formula(client, lead, world):
    from website.models import PageFeedback

    PageFeedback.objects.filter(comment="Needs a diagram").update(
        comment='=HYPERLINK("http://evil.example")'
    )
    response = client.get(URL + "impact-report.xlsx" + Q1)
    book = load_workbook(io.BytesIO(response.content))
    values = [
        cell
        for row in book["Feedback on pages"].iter_rows(values_only=True)
        for cell in row
    ]
    assert '\'=HYPERLINK("http://evil.example")' in values
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_a_csv_per_section(client, lead, world):
    response = client.get(URL + "emails.csv" + Q1)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="impact-report-2025-Q1-emails.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Emails by kind"]
    assert rows[1][:4] == ["Kind of email", "Sends", "Sent", "Delivered"]
    assert ["Safety message", "1", "10", "9", "1", "1", "2", "1"] in rows
    assert ["All emails", "3", "16", "13", "3", "1", "3", "2"] in rows

    feedback = client.get(URL + "feedback.csv" + Q1)
    text = b"".join(feedback.streaming_content).decode()
    assert "Clear and short" in text and "Needs a diagram" in text


def test_the_pdf_has_the_figures(client, lead, world):
    response = client.get(URL + "impact-report.pdf" + Q1)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="impact-report-2025-Q1.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Impact report: January to March 2025" in text
    assert "Up 2 (100%) on the previous period" in text
    assert "Emails delivered" in text
    assert "66.7%" in text
    assert "Needs a diagram" in text
    # A page per section at least (and the wide ones in landscape).
    assert len(reader.pages) >= 8
    sizes = {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages}
    assert sizes == {(595, 842), (842, 595)}  # A4 portrait and landscape, in points
