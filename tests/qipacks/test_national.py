"""The national uptake view: every figure from known data, filters, access, queries.

``national_world()`` makes a small, fully known picture (two packs, three
recommendations, five organisations, a history spread over the last months);
the expected figures in each test are worked out by hand from it.
"""

from __future__ import annotations

import datetime
import itertools
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qipacks import reports
from qipacks.charts import NO_RESPONSE
from qipacks.models import UptakeChange, UptakeRecord
from qipacks.reports import Filters
from tests.factories import OrganisationFactory, UserFactory, ensure_wagtail_tree
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
PASSWORD = "correct-horse-9"  # noqa: S105 - the test users' password


def month_start(today: datetime.date, back: int) -> datetime.date:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1)


def mid_month(today: datetime.date, back: int) -> datetime.datetime:
    """Noon on the 15th, ``back`` months ago (UK time): far from any month edge."""
    start = month_start(today, back)
    return datetime.datetime(start.year, start.month, 15, 12, tzinfo=LONDON)


def record(rec, org, history, **extra) -> UptakeRecord:
    """A record with its history: ``history`` is [(new_status, when), ...]."""
    first, last = history[0][1], history[-1][1]
    row = UptakeRecord.objects.create(
        recommendation=rec,
        organisation=org,
        status=history[-1][0],
        created_at=first,
        updated_at=last,
        **extra,
    )
    old = ""
    for new, when in history:
        UptakeChange.objects.create(
            record=row,
            recommendation=rec,
            organisation=org,
            changed_by_name="Test",
            changed_at=when,
            old_status=old,
            new_status=new,
        )
        old = new
    return row


def national_world(today: datetime.date | None = None) -> SimpleNamespace:
    """Two packs, three recommendations, five organisations, known histories.

    Pack "Safer sleep": A1 (CDOPs and ICBs, overdue), A2 (NHS trusts, not due).
    Pack "Self-harm": B1 (CDOPs and schools, overdue).
    """
    from website.models import HomePage

    today = today or timezone.localdate()
    ensure_wagtail_tree()
    home = HomePage.objects.first()
    if home is None:
        from tests.factories import HomePageFactory

        home = HomePageFactory.build_home()
    index = QIPackIndexPageFactory(parent=home)
    sleep = QIPackPageFactory(parent=index, title="Safer sleep", slug="safer-sleep")
    harm = QIPackPageFactory(parent=index, title="Self-harm", slug="self-harm")
    past = today - datetime.timedelta(days=30)
    future = today + datetime.timedelta(days=60)
    a1 = RecommendationFactory(
        pack=sleep,
        reference="R1",
        applies_to=["cdop", "icb"],
        response_due=past,
        sort_order=0,
        text="Give every family safer-sleep advice.",
    )
    a2 = RecommendationFactory(
        pack=sleep,
        reference="R2",
        applies_to=["nhs_trust"],
        response_due=future,
        sort_order=1,
    )
    b1 = RecommendationFactory(
        pack=harm,
        reference="R1",
        applies_to=["cdop", "school"],
        response_due=past,
        sort_order=0,
    )
    org = OrganisationFactory
    alpha = org(
        name="Alpha CDOP",
        type="cdop",
        region="lon",
        code="ALPHA",
        named_lead_name="Ann Lead",
    )
    beta = org(
        name="Beta CDOP",
        type="cdop",
        region="nw",
        code="BETA",
        named_lead_name="Bob Lead",
        named_lead_email="bob@example.org",
    )
    gamma = org(name="Gamma ICB", type="icb", region="lon", code="GAMMA")
    delta = org(name="Delta trust", type="nhs_trust", region="mid", code="DELTA")
    epsilon = org(name="Epsilon school", type="school", region="lon", code="EPS")
    now = timezone.now()
    m = lambda back: mid_month(today, back)  # noqa: E731
    record(a1, alpha, [("planned", m(5)), ("implemented", m(2))])
    record(a1, beta, [("not_started", m(3))])
    record(a2, delta, [("in_progress", m(1))])
    record(
        b1,
        alpha,
        [("implemented", m(4)), ("not_applicable", m(1))],
        not_applicable_reason="We have no children's services.",
    )
    record(b1, epsilon, [("implemented", now)])
    # Left over from when A2 applied to CDOPs: counted nowhere.
    record(a2, alpha, [("implemented", m(6))])
    return SimpleNamespace(
        today=today,
        packs=SimpleNamespace(sleep=sleep, harm=harm),
        a1=a1,
        a2=a2,
        b1=b1,
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        delta=delta,
        epsilon=epsilon,
    )


@pytest.fixture
def world():
    return national_world()


def staff_user(username="analyst", *, permission=True):
    """Admin access, and (unless told not) permission to view uptake records."""
    user = UserFactory(username=username)
    group = Group.objects.create(name=f"group-{username}")
    codenames = ["access_admin"] + (["view_uptakerecord"] if permission else [])
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    user.groups.add(group)
    return user


@pytest.fixture
def staff(client):
    user = staff_user()
    client.force_login(user)
    return user


def by_label(rows):
    return {row.label: row for row in rows}


# --- Figures --------------------------------------------------------------------------


def test_recommendation_and_pack_summaries(world):
    recs = reports.recommendations()
    assert [r.label for r in recs] == [
        "Safer sleep: R1",
        "Safer sleep: R2",
        "Self-harm: R1",
    ]
    rows = by_label(reports.recommendation_summaries(recs))
    a1 = rows["Safer sleep: R1"]
    assert a1.applicable == 3
    assert a1.counts == {
        "implemented": 1,
        "in_progress": 0,
        "planned": 0,
        "not_started": 1,
        "not_applicable": 0,
        NO_RESPONSE: 1,
    }
    assert a1.percent_implemented == 33.3
    a2 = rows["Safer sleep: R2"]  # Alpha's left-over record is not counted
    assert (a2.applicable, a2.responses, a2.no_response) == (1, 1, 0)
    assert a2.counts["in_progress"] == 1 and a2.counts["implemented"] == 0
    b1 = rows["Self-harm: R1"]
    assert b1.counts["implemented"] == 1
    assert b1.counts["not_applicable"] == 1
    assert b1.counts[NO_RESPONSE] == 1
    assert b1.denominator == 2 and b1.percent_implemented == 50.0

    packs = by_label(reports.pack_summaries(rows.values()))
    assert packs["Safer sleep"].applicable == 4
    assert packs["Safer sleep"].ordered_counts == [1, 1, 0, 1, 0, 1]
    assert packs["Safer sleep"].percent_implemented == 25.0
    assert packs["Self-harm"].ordered_counts == [1, 0, 0, 0, 1, 1]
    assert packs["Self-harm"].percent_implemented == 50.0


def test_summaries_follow_the_filters(world):
    london = Filters(region="lon")
    rows = by_label(
        reports.recommendation_summaries(reports.recommendations(london), london)
    )
    assert rows["Safer sleep: R1"].applicable == 2  # Alpha, Gamma
    assert rows["Safer sleep: R1"].counts[NO_RESPONSE] == 1
    assert rows["Safer sleep: R2"].applicable == 0
    assert rows["Self-harm: R1"].ordered_counts == [1, 0, 0, 0, 1, 0]

    cdops = Filters(type="cdop", pack=world.packs.sleep.pk)
    recs = reports.recommendations(cdops)
    assert [r.label for r in recs] == ["Safer sleep: R1"]
    (row,) = reports.recommendation_summaries(recs, cdops)
    assert (row.applicable, row.implemented, row.counts["not_started"]) == (2, 1, 1)


def test_one_recommendation_by_region_and_type(world):
    (a1,) = [r for r in reports.recommendations() if r.pk == world.a1.pk]
    by_region, by_type = reports.recommendation_breakdowns(a1)
    regions = {row.key: row for row in by_region}
    assert list(regions) == ["ney", "nw", "mid", "eoe", "lon", "se", "sw"]
    assert regions["lon"].applicable == 2
    assert regions["lon"].ordered_counts == [1, 0, 0, 0, 0, 1]
    assert regions["lon"].percent_implemented == 50.0
    assert regions["nw"].ordered_counts == [0, 0, 0, 1, 0, 0]
    assert regions["mid"].applicable == 0
    assert regions["mid"].percent_implemented is None
    types = {row.key: row for row in by_type}
    assert list(types) == ["cdop", "icb"]
    assert types["cdop"].ordered_counts == [1, 0, 0, 1, 0, 0]
    assert types["icb"].ordered_counts == [0, 0, 0, 0, 0, 1]


def test_matrix_cells(world):
    recs = reports.recommendations(Filters(pack=world.packs.sleep.pk))
    rows = reports.matrix(list(reports.organisations()), recs)
    cells = {row.organisation.name: row.cells for row in rows}
    assert list(cells) == [
        "Alpha CDOP",
        "Beta CDOP",
        "Delta trust",
        "Epsilon school",
        "Gamma ICB",
    ]
    assert cells == {
        "Alpha CDOP": ["implemented", None],  # A2 does not apply to CDOPs
        "Beta CDOP": ["not_started", None],
        "Delta trust": [None, "in_progress"],
        "Epsilon school": [None, None],
        "Gamma ICB": [NO_RESPONSE, None],
    }
    alpha = rows[0]
    assert (alpha.applicable, alpha.responded, alpha.implemented) == (1, 1, 1)


def test_trend_month_by_month(world):
    trend = reports.trend(reports.recommendations(), today=world.today)
    points = trend.national
    assert len(points) == 12
    assert points[-1].month == month_start(world.today, 0)
    assert points[0].month == month_start(world.today, 11)
    got = [(p.implemented, p.denominator, p.percent) for p in points]
    assert got[:7] == [(0, 7, 0.0)] * 7
    assert got[7:] == [
        (1, 7, 14.3),  # 4 months ago: Alpha implemented B1
        (1, 7, 14.3),
        (2, 7, 28.6),  # 2 months ago: Alpha implemented A1
        (1, 6, 16.7),  # last month: B1 no longer applies to Alpha
        (2, 6, 33.3),  # this month: Epsilon implemented B1
    ]
    london = trend.regions["lon"]
    assert [(p.implemented, p.denominator) for p in london[-2:]] == [(1, 3), (2, 3)]
    assert trend.regions["nw"][-1].percent == 0.0
    assert trend.regions["mid"][-1].denominator == 1
    assert trend.regions["se"][-1].percent is None


def test_the_trend_agrees_with_a_latest_status_per_month_query(world):
    """A cross-check: DISTINCT ON the latest change per record at each month end."""
    recs = reports.recommendations()
    trend = reports.trend(recs, today=world.today)
    applicable_ids = {
        (r.pk, o.pk)
        for r in recs
        for o in reports.organisations()
        if o.type in r.applies_to
    }
    for point in trend.national:
        end = (point.month + datetime.timedelta(days=32)).replace(day=1)
        end_at = datetime.datetime(end.year, end.month, 1, tzinfo=LONDON)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT ON (record_id) recommendation_id, organisation_id,"
                " new_status FROM qipacks_uptakechange WHERE changed_at < %s"
                " ORDER BY record_id, changed_at DESC, id DESC",
                [end_at],
            )
            latest = [
                status
                for rec_id, org_id, status in cursor.fetchall()
                if (rec_id, org_id) in applicable_ids
            ]
        assert point.implemented == latest.count("implemented")
        assert point.denominator == len(applicable_ids) - latest.count("not_applicable")


def test_overdue_organisations(world):
    total, rows = reports.overdue(reports.recommendations(), today=world.today)
    assert total == 2
    assert [(o.name, o.overdue, o.no_response, o.not_started) for o in rows] == [
        ("Beta CDOP", 2, 1, 1),
        ("Gamma ICB", 1, 1, 0),
    ]
    beta = rows[0]
    assert beta.named_lead_name == "Bob Lead"
    assert beta.named_lead_email == "bob@example.org"
    assert [r.label for r in beta.recommendations] == [
        "Safer sleep: R1",
        "Self-harm: R1",
    ]
    # Paging, and a region filter.
    assert reports.overdue(reports.recommendations(), limit=1, offset=1)[1][0].name == (
        "Gamma ICB"
    )
    total, rows = reports.overdue(
        reports.recommendations(), Filters(region="nw"), today=world.today
    )
    assert total == 1 and rows[0].name == "Beta CDOP"
    # Before anything was due, nothing is overdue.
    early = world.today - datetime.timedelta(days=365)
    assert reports.overdue(reports.recommendations(), today=early) == (0, [])


# --- The pages ------------------------------------------------------------------------


def text_of(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_overview_page_shows_the_figures_charts_and_tables(client, staff, world):
    response = client.get(reverse("qipacks_national"))
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    # Charts are images with a name, each followed by a table of the same figures.
    assert html.count('role="img"') == 3
    assert "Uptake by status, for each pack" in html
    assert "<caption>Uptake by pack" in html
    assert "Safer sleep 4 1 1 0 1 0 1 25.0%" in text
    assert "Self-harm 4" not in text
    assert "Self-harm 3 1 0 0 0 1 1 50.0%" in text
    assert "Safer sleep: R1 3 1 0 0 1 0 1 33.3%" in text
    this_month = month_start(world.today, 0).strftime("%b %Y")
    assert f"{this_month} (so far) 2 6 33.3%" in text
    assert 'href="/admin/reports/qi-uptake/recommendations/' in html
    assert (
        "no-store" in response["Cache-Control"]
        or "max-age=0" in (response["Cache-Control"])
    )


def test_recommendation_page(client, staff, world):
    url = reverse("qipacks_national_recommendation", args=[world.a1.pk])
    response = client.get(url)
    assert response.status_code == 200
    text = text_of(response)
    assert "London 2 1 0 0 0 0 1 50.0%" in text
    assert "North West 1 0 0 0 1 0 0 0.0%" in text
    assert "Midlands 0 0 0 0 0 0 0 No figure" in text
    assert "Child Death Overview Panel (CDOP) 2 1 0 0 1 0 0 50.0%" in text
    assert response.content.decode().count('role="img"') == 3
    # Filters narrow the breakdowns.
    response = client.get(url + "?region=lon")
    assert "North West" not in text_of(response).split("By region")[1]
    for bad in (0, 2**31, 999_999):
        assert (
            client.get(f"/admin/reports/qi-uptake/recommendations/{bad}/").status_code
            == 404
        )


def matrix_table(response) -> str:
    html = response.content.decode()
    return html[html.index('<table class="listing qi-matrix">') :].split("</table>")[0]


def test_matrix_page(client, staff, world):
    response = client.get(
        reverse("qipacks_national_matrix") + f"?pack={world.packs.sleep.pk}"
    )
    assert response.status_code == 200
    html = matrix_table(response)
    assert '<caption id="matrix-caption">' in html
    assert "organisations 1 to 5 of 5" in html
    assert html.count('<th scope="row">') == 5
    assert html.count('<th scope="col"') == 2 + 4
    row = html.split("Alpha CDOP")[1].split("</tr>")[0]
    assert re.findall(r'data-status="(\w+)"', row) == ["implemented", "none"]
    assert (
        '<span aria-hidden="true">IM</span><span class="w-sr-only">Implemented' in row
    )
    gamma = html.split("Gamma ICB")[1].split("</tr>")[0]
    assert re.findall(r'data-status="(\w+)"', gamma) == ["no_response", "none"]
    assert "No response yet" in gamma
    # Filtered to London CDOPs: just Alpha.
    response = client.get(reverse("qipacks_national_matrix") + "?region=lon&type=cdop")
    html = matrix_table(response)
    assert html.count('<th scope="row">') == 1
    assert "organisations 1 to 1 of 1" in html


def test_matrix_pages_through_organisations(client, staff, world, monkeypatch):
    from qipacks import national_views

    monkeypatch.setattr(national_views, "ORGANISATIONS_PER_PAGE", 2)
    url = reverse("qipacks_national_matrix")
    html = client.get(url + "?p=3").content.decode()
    assert "organisations 5 to 5 of 5" in html
    assert 'rel="prev"' in html and 'rel="next"' not in html
    for junk in ("x", "-1", "99999999999999999999"):
        assert client.get(url + f"?p={junk}").status_code == 200


def test_overdue_page(client, staff, world):
    response = client.get(reverse("qipacks_national_overdue"))
    assert response.status_code == 200
    text = text_of(response)
    assert "2 organisations with overdue responses" in text
    assert text.index("Beta CDOP") < text.index("Gamma ICB")
    assert "Bob Lead" in text
    assert 'href="mailto:bob@example.org"' in response.content.decode()
    assert "Gamma ICB GAMMA Integrated care board (ICB), London No named lead" in text


@pytest.mark.parametrize(
    "query",
    [
        "pack=abc",
        "pack=99999999999999999999999",
        "region=atlantis",
        "type=%00",
        "pack=1&pack=2",
        "region=" + "x" * 5000,
    ],
)
@pytest.mark.parametrize(
    "name",
    ["qipacks_national", "qipacks_national_matrix", "qipacks_national_overdue"],
)
def test_bad_filters_are_left_out_with_a_notice(client, staff, world, name, query):
    response = client.get(reverse(name) + "?" + query)
    assert response.status_code == 200
    if query != "pack=1&pack=2":
        assert "so that filter was left out" in response.content.decode()


def test_bad_filters_on_exports_are_left_out(client, staff, world):
    url = reverse("qipacks_national_export", args=["summary"])
    response = client.get(url + "?region=atlantis&format=csv")
    assert response.status_code == 200
    assert client.get(url + "?format=pdf").status_code == 200  # CSV instead
    assert client.get(reverse("qipacks_national_export", args=["x"])).status_code == 404


# --- Access ---------------------------------------------------------------------------

URL_NAMES = [
    ("qipacks_national", []),
    ("qipacks_national_matrix", []),
    ("qipacks_national_overdue", []),
    ("qipacks_national_export", ["matrix"]),
    ("qipacks_national_export", ["summary"]),
    ("qipacks_national_export", ["overdue"]),
]


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_anonymous_people_are_sent_to_sign_in(client, world, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_staff_without_the_permission_are_refused(client, world, name, args):
    """The admin's own answer: back to the dashboard with "no permission"."""
    client.force_login(staff_user("editor", permission=False))
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert b"Alpha CDOP" not in response.content
    page = client.get("/admin/")
    assert b"do not have permission" in page.content


@pytest.mark.parametrize(("name", "args"), URL_NAMES)
def test_people_without_admin_access_are_refused(client, world, name, args):
    from tests.factories import MembershipFactory

    lead = MembershipFactory(organisation=world.alpha).user
    client.force_login(lead)
    response = client.get(reverse(name, args=args))
    assert response.status_code in (302, 403)
    assert b"Alpha CDOP" not in response.content


def test_recommendation_page_refuses_without_permission(client, world):
    client.force_login(staff_user("editor", permission=False))
    url = reverse("qipacks_national_recommendation", args=[world.a1.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_menu_item_only_for_those_with_the_permission(client, world):
    client.force_login(staff_user("editor", permission=False))
    assert b"QI uptake" not in client.get("/admin/").content
    client.force_login(staff_user("analyst"))
    assert b"QI uptake" in client.get("/admin/").content


def test_superusers_see_it(client, world):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get(reverse("qipacks_national")).status_code == 200


# --- Query counts ---------------------------------------------------------------------


_references = itertools.count()


def grow(world, organisations: int, recommendations: int) -> None:
    """More organisations, recommendations and records, of every kind."""
    types = ["cdop", "icb", "nhs_trust", "school"]
    regions = ["lon", "nw", "mid", "se"]
    orgs = [
        OrganisationFactory(type=types[i % 4], region=regions[i % 4])
        for i in range(organisations)
    ]
    statuses = ["implemented", "planned", "not_started", "in_progress"]
    for i in range(recommendations):
        rec = RecommendationFactory(
            pack=world.packs.harm,
            reference=f"X{next(_references)}",
            applies_to=types,
            response_due=world.today - datetime.timedelta(days=10),
            sort_order=10 + i,
        )
        for j, org in enumerate(orgs[::2]):
            record(rec, org, [(statuses[(i + j) % 4], mid_month(world.today, j % 5))])


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports/qi-uptake/",
        "/admin/reports/qi-uptake/?region=lon&type=cdop",
        "/admin/reports/qi-uptake/matrix/",
        "/admin/reports/qi-uptake/overdue/",
        "/admin/reports/qi-uptake/export/matrix/?format=xlsx",
        "/admin/reports/qi-uptake/export/summary/?format=csv",
        "/admin/reports/qi-uptake/export/overdue/?format=xlsx",
    ],
)
def test_query_count_does_not_grow_with_the_data(
    client, staff, world, url, django_assert_max_num_queries
):
    def fetch():
        response = client.get(url)
        assert response.status_code == 200
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)

    with CaptureQueriesContext(connection) as small:
        fetch()
    grow(world, organisations=12, recommendations=6)
    with django_assert_max_num_queries(len(small)):
        fetch()
    grow(world, organisations=30, recommendations=10)
    with django_assert_max_num_queries(len(small)):
        fetch()


def test_recommendation_page_query_count_does_not_grow(
    client, staff, world, django_assert_max_num_queries
):
    url = reverse("qipacks_national_recommendation", args=[world.a1.pk])
    small = count_queries(client, url)
    grow(world, organisations=30, recommendations=10)
    with django_assert_max_num_queries(small):
        client.get(url)
