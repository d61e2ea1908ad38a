"""Every figure of the impact report, from the known data in ``world.py``.

The quarter is January to March 2025, compared with October to December 2024.
"""

from __future__ import annotations

import datetime

import pytest

from impact import metrics
from impact.periods import Period
from tests.impact.world import PERIOD, at, impact_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return impact_world()


def figures(rows) -> dict:
    return {row.label: (row.current, row.previous) for row in rows}


def test_content_published_by_type_theme_and_audience(world):
    content = metrics.content(PERIOD)
    assert (content.total.current, content.total.previous) == (4, 2)
    assert content.total.change_text == "Up 2 (100%)"
    by_type = figures(content.by_type)
    assert by_type["Safety message"] == (2, 0)
    assert by_type["Standard page"] == (2, 2)
    assert sum(current for current, _ in by_type.values()) == 4
    assert [row.label for row in content.by_type[:2]] == [
        "Safety message",
        "Standard page",
    ]
    assert figures(content.by_theme) == {"Safe sleep": (2, 0), "Water safety": (1, 1)}
    assert figures(content.by_audience) == {
        "Midwives": (1, 0),
        "Health visitors": (0, 0),
    }


def test_subscribers(world):
    s = metrics.subscribers(PERIOD)
    assert (s.at_start, s.at_end, s.net_change) == (6, 5, -1)
    assert (s.confirmed.current, s.confirmed.previous) == (2, 4)
    assert s.confirmed.change_text == "Down 2 (50%)"
    assert (s.signed_up, s.signed_up_confirmed, s.signed_up_pending) == (3, 2, 1)
    assert (s.unsubscribed.current, s.unsubscribed.previous) == (2, 1)
    assert (s.removed_bounced, s.removed_complained) == (1, 1)
    assert (s.hard_bounces, s.soft_bounces) == (1, 1)
    assert figures(s.how_left) == {
        "Link in an email": (1, 0),
        "Preference centre": (1, 0),
    }
    assert figures(s.reasons) == {"Too many emails": (1, 0), "No reason given": (1, 0)}
    assert [(p.label, p.value) for p in s.growth] == [
        ("Jan 2025", 6),
        ("Feb 2025", 5),
        ("Mar 2025", 5),
    ]
    assert [(r.label, r.subscribers, r.joined) for r in s.by_list] == [
        ("Monthly bulletin", 3, 1),
        ("Safety messages", 2, 2),
    ]
    assert [(r.label, r.subscribers, r.joined) for r in s.by_audience] == [
        ("Midwives", 2, 0),
        ("Health visitors", 1, 1),
        ("No role given", 3, 1),
    ]


def test_emails_sent(world):
    sends = metrics.sends(PERIOD)
    rows = {
        r.label: (r.sends, r.sent, r.delivered, r.bounced, r.complaints, r.failed)
        for r in sends.by_kind
    }
    assert rows == {
        "Bulletin": (1, 5, 3, 2, 0, 1),
        "Safety message": (1, 10, 9, 1, 1, 2),
        "Transactional": (1, 1, 1, 0, 0, 0),
    }
    total = sends.total
    assert (total.sends, total.sent, total.delivered) == (3, 16, 13)
    assert (total.bounced, total.complaints, total.failed, total.not_sent) == (
        3,
        1,
        3,
        2,
    )
    # Before: three sent, two addresses bounced.
    assert (sends.delivered.current, sends.delivered.previous) == (13, 1)


def test_web_reach(world):
    reach = metrics.reach(PERIOD)
    assert (reach.total.current, reach.total.previous) == (205, 10)
    assert figures(reach.by_type) == {
        "Safety message": (150, 7),
        "Standard page": (35, 3),
        "Home page": (20, 0),
    }
    assert [(p.label, p.value) for p in reach.by_month] == [
        ("Jan 2025", 120),
        ("Feb 2025", 55),
        ("Mar 2025", 30),
    ]
    assert [(p.label, p.views, p.type_label) for p in reach.top_pages] == [
        ("Safer sleep", 150, "Safety message"),
        ("Water safety at home", 30, "Standard page"),
        (world.home.title, 20, "Home page"),
        ("A page since deleted", 5, "Standard page"),
    ]


def test_webinars(world):
    webinars = metrics.webinars(PERIOD)
    assert [(r.label, r.cancelled) for r in webinars.rows] == [
        ("Safer sleep in winter", False),
        ("Water safety", True),
    ]
    totals = webinars.totals
    assert (totals.registered, totals.waitlisted, totals.cancelled) == (3, 1, 3)
    assert (totals.attended, totals.attendance_rate) == (2, 66.7)
    assert (totals.feedback_count, totals.mean_rating) == (2, 4.5)
    assert [(d["rating"], d["count"], d["percent"]) for d in webinars.ratings] == [
        (5, 1, 50),
        (4, 1, 50),
        (3, 0, 0),
        (2, 0, 0),
        (1, 0, 0),
    ]
    assert (webinars.registrations.current, webinars.registrations.previous) == (3, 4)


def test_recommendations(world):
    uptake = metrics.recommendations(PERIOD)
    assert uptake.recommendations == 2
    total = uptake.total
    assert (total.applicable, total.responses, total.changes, total.responded) == (
        4,
        2,
        1,
        3,
    )
    assert (total.implemented_start, total.implemented_end) == (0, 2)
    assert (total.percent_start, total.percent_end, total.change_points) == (
        0.0,
        50.0,
        50.0,
    )
    assert total.overdue == 2
    regions = {r.label: r for r in uptake.by_region}
    assert len(regions) == 7
    london = regions["London"]
    assert (london.applicable, london.responses, london.changes) == (2, 0, 1)
    assert (london.implemented_end, london.percent_end, london.overdue) == (1, 50.0, 1)
    north_west = regions["North West"]
    assert (north_west.responses, north_west.overdue, north_west.percent_end) == (
        1,
        1,
        0.0,
    )
    midlands = regions["Midlands"]
    assert (midlands.percent_start, midlands.percent_end, midlands.overdue) == (
        0.0,
        100.0,
        0,
    )
    assert regions["South West"].applicable == 0
    assert regions["South West"].percent_end is None
    types = {r.label: r for r in uptake.by_type}
    assert list(types) == [
        "Child Death Overview Panel (CDOP)",
        "Integrated care board (ICB)",
        "NHS trust",
    ]
    cdop = types["Child Death Overview Panel (CDOP)"]
    assert (cdop.applicable, cdop.responses, cdop.responded, cdop.overdue) == (
        2,
        1,
        2,
        1,
    )
    assert cdop.percent_end == 50.0
    assert (
        types["Integrated care board (ICB)"].overdue,
        types["NHS trust"].overdue,
    ) == (
        1,
        0,
    )


def test_recommendations_part_way_through_a_period_stop_at_now(world):
    """Mid-quarter, "the end" is now: Alpha's implementation (20 February) and
    Delta's (1 March) have not happened yet on 15 February."""
    now = at(2025, 2, 15)
    uptake = metrics.recommendations(PERIOD, now=now)
    assert uptake.as_of == now
    assert (uptake.total.implemented_end, uptake.total.responses) == (0, 1)
    # R1 was due on 1 February: Beta (not started) and Gamma (nothing) are overdue.
    assert uptake.total.overdue == 2


def test_page_feedback(world):
    feedback = metrics.feedback(PERIOD)
    assert (feedback.answers.current, feedback.answers.previous) == (3, 1)
    total = feedback.total
    assert (total.useful, total.not_useful, total.comments) == (2, 1, 2)
    assert total.percent_useful == 66.7
    rows = {
        r.label: (r.useful, r.not_useful, r.percent_useful) for r in feedback.by_type
    }
    assert rows == {"Safety message": (1, 1, 50.0), "Standard page": (1, 0, 100.0)}
    assert [(c.page_title, c.comment, c.useful) for c in feedback.comments] == [
        ("Water safety at home", "Clear and short", True),
        ("Safer sleep", "Needs a diagram", False),
    ]


def test_headlines(world):
    report = metrics.report(PERIOD)
    assert [(h["label"], h["value"], h["note"]) for h in report.headlines] == [
        ("Pages published", "4", "Up 2 (100%) on the previous period"),
        ("Page views", "205", "Up 195 (1950%) on the previous period"),
        ("New subscribers", "2", "Down 2 (50%) on the previous period"),
        ("Subscribers at the end", "5", "Down 1 over the period"),
        ("Emails delivered", "13", "Up 12 (1200%) on the previous period"),
        ("Webinar registrations", "3", "Down 1 (25%) on the previous period"),
        ("Webinar rating", "4.5 out of 5", "from 2 responses"),
        ("Recommendation responses received", "2", "2 overdue at the end"),
        ("Recommendations implemented", "50%", "Up 50 points over the period"),
        ("Pages found useful", "66.7%", "of 3 answers"),
    ]


def test_the_whole_report_takes_a_bounded_number_of_queries(
    world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        metrics.report(PERIOD)


def test_the_query_count_does_not_grow_with_the_data(
    world, django_assert_max_num_queries
):
    """Twice the months, pages, subscribers and views: the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        metrics.report(PERIOD)
    impact_more(world)
    with django_assert_max_num_queries(len(first)):
        metrics.report(Period.year(2025))


def impact_more(world) -> None:
    """More of everything, spread over 2025."""
    from impact.models import PageViewDaily
    from tests.factories import StandardPageFactory
    from tests.factories.distribution import SubscriberFactory
    from tests.impact.world import published

    for n in range(12):
        page = published(
            StandardPageFactory(parent=world.home, slug=f"more-{n}"),
            at(2025, n + 1, 5),
        )
        PageViewDaily.objects.create(
            day=datetime.date(2025, n + 1, 6),
            page=page,
            content_type_id=page.content_type_id,
            views=n,
        )
        SubscriberFactory(confirmed_at=at(2025, n + 1, 7))


def test_an_empty_platform_has_zeros_and_no_figures(db):
    report = metrics.report(PERIOD)
    assert report.content.total.current == 0
    assert report.sends.by_kind == []
    assert report.reach.top_pages == []
    assert report.recommendations.total.percent_end is None
    headlines = {h["label"]: h["value"] for h in report.headlines}
    assert headlines["Webinar rating"] == "No ratings"
    assert headlines["Pages found useful"] == "No answers"
    assert headlines["Recommendations implemented"] == "No figure"
