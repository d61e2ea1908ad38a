"""The quarterly summary email: to the right staff, once a quarter, through the
real worker to a real SMTP server, readable as HTML and as plain text."""

from __future__ import annotations

import datetime
import time

import pytest

from bulletins.models import Send
from impact import services
from impact.models import QuarterlySummary
from impact.tasks import send_quarterly_summary_task
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.impact.test_dashboard import staff_user
from tests.impact.world import impact_world

DASHBOARD = "http://testserver/admin/reports/impact/?period=quarter&quarter=2025-Q1"


def people():
    lead = staff_user("programme-lead")
    lead.email = "Lead@Example.org"
    lead.save()
    staff_user("editor", permission=False)  # no permission: nothing
    gone = staff_user("left-the-team")
    gone.is_active = False
    gone.save()
    UserFactory(username="root", email="root@example.org", is_superuser=True)
    UserFactory(username="no-address", email="", is_superuser=True)
    return ["lead@example.org", "root@example.org"]


@pytest.mark.django_db
def test_recipients_are_staff_who_may_view_the_report(settings):
    expected = people()
    assert services.summary_recipients() == expected
    settings.IMPACT_SUMMARY_RECIPIENTS = ["team@example.org", "team@example.org"]
    assert services.summary_recipients() == ["team@example.org"]


@pytest.mark.celery_worker
def test_through_the_worker_each_person_gets_it_once(
    celery_worker_process, smtp_sink, transactional_db
):
    impact_world()
    expected = people()
    smtp_sink.clear()
    # Beat firing twice (the first day of April 2025), and a run in this process.
    send_quarterly_summary_task.delay(today="2025-04-01")
    send_quarterly_summary_task.delay(today="2025-04-01")
    services.send_quarterly_summary(today=datetime.date(2025, 4, 1))

    wait_for(lambda: len(smtp_sink.messages) >= len(expected), timeout=60)
    wait_for(
        lambda: set(Send.objects.values_list("status", flat=True)) == {"sent"},
        timeout=60,
    )
    time.sleep(2)  # time for a duplicate to arrive; none may
    got = sorted(address for rcpt, _ in smtp_sink.messages for address in rcpt)
    assert got == expected
    summary = QuarterlySummary.objects.get()
    assert (summary.quarter, summary.recipients) == ("2025-Q1", 2)

    _, message = smtp_sink.messages[0]
    assert message["Subject"] == "Impact report: January to March 2025"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert (
        "headline figures for January to March 2025, compared with October to "
        "December 2024" in text
    )
    assert "Pages published: 4\nUp 2 (100%) on the previous period\n" in text
    assert "Emails delivered: 13" in text
    assert "Recommendations implemented: 50%\nUp 50 points over the period\n" in text
    assert DASHBOARD in text
    assert "&amp;" not in text and "<" not in text
    html = message.get_body(("html",)).get_content()
    assert f'href="{DASHBOARD.replace("&", "&amp;")}"' in html
    assert '<th scope="row"' in html and "Pages found useful" in html
    assert "66.7%" in html


def test_beat_sends_it_on_the_first_day_of_each_quarter_and_moves_views_often():
    from website.celery import app

    summary = app.conf.beat_schedule["impact-quarterly-summary"]
    assert summary["task"] == "impact.send_quarterly_summary"
    assert summary["schedule"].month_of_year == {1, 4, 7, 10}
    assert summary["schedule"].day_of_month == {1}
    flush = app.conf.beat_schedule["impact-flush-page-views"]
    assert (flush["task"], flush["schedule"]) == ("impact.flush_page_views", 300.0)
    for name in ("impact.send_quarterly_summary", "impact.flush_page_views"):
        assert name in app.tasks
        assert app.conf.task_routes[name] == {"queue": "periodic"}
