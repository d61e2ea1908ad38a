"""Review reminders: due pages, one email per page per due date, through beat."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from tests.conftest import wait_for
from tests.factories import StandardPageFactory, UserFactory
from website import reviews
from website.models import ReviewReminder, StandardPage

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def pages(site):
    owner = UserFactory(username="owner", email="owner@example.org")
    overdue = StandardPageFactory(
        parent=site, title="Overdue", owner=owner, last_reviewed=dt.date(2025, 10, 1)
    )
    fresh = StandardPageFactory(
        parent=site, title="Fresh", owner=owner, last_reviewed=dt.date(2026, 10, 1)
    )
    orphan = StandardPageFactory(
        parent=site,
        title="No owner",
        owner=None,
        last_reviewed=dt.date(2026, 1, 1),
        review_interval_months=6,
    )
    draft = StandardPageFactory(
        parent=site, title="Draft", live=False, last_reviewed=dt.date(2020, 1, 1)
    )
    return {"overdue": overdue, "fresh": fresh, "orphan": orphan, "draft": draft}


def test_due_dates_follow_each_pages_interval(pages):
    assert pages["overdue"].review_due_on == dt.date(2026, 10, 1)
    assert pages["orphan"].review_due_on == dt.date(2026, 7, 1)
    due = reviews.pages_due_for_review(TODAY)
    assert [d.page.title for d in due] == ["No owner", "Overdue"]
    soon = reviews.pages_due_for_review(TODAY, within_days=365)
    assert "Fresh" in [d.page.title for d in soon]


def test_reminders_go_to_the_owner_once_per_due_date(pages, settings):
    settings.EDITORIAL_TEAM_EMAIL = "editors@example.org"

    assert reviews.send_review_reminders(TODAY) == 2
    assert reviews.send_review_reminders(TODAY) == 0  # a rerun sends nothing
    assert reviews.send_review_reminders(TODAY + dt.timedelta(days=3)) == 0

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"owner@example.org", "editors@example.org"}
    body = by_recipient["owner@example.org"].body
    assert "Review due: Overdue" == by_recipient["owner@example.org"].subject
    assert "was due to be checked on 1 October 2026" in body
    assert f"/admin/pages/{pages['overdue'].pk}/edit/" in body

    # Reviewed now: the next reminder waits for the next interval.
    page = StandardPage.objects.get(pk=pages["overdue"].pk)
    page.last_reviewed = TODAY
    page.save_revision().publish()
    assert reviews.send_review_reminders(TODAY) == 0
    assert reviews.send_review_reminders(dt.date(2027, 11, 22)) == 2  # both again
    assert ReviewReminder.objects.filter(page=page).count() == 2


def test_a_failed_send_is_retried_next_time(pages, monkeypatch):
    calls = {"n": 0}

    def flaky(item, recipient):
        calls["n"] += 1
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(reviews, "_send_reminder", flaky)
    with pytest.raises(ConnectionError):
        reviews.send_review_reminders(TODAY)
    assert ReviewReminder.objects.count() == 0  # the claim rolled back
    monkeypatch.undo()
    assert reviews.send_review_reminders(TODAY) == 2


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_beat_task_through_the_real_worker_sends_one_email_per_overdue_page(
    celery_worker_process, smtp_sink, site
):
    from website.celery import app
    from website.tasks import send_review_reminders_task

    smtp_sink.clear()
    owner = UserFactory(username="owner2", email="owner2@example.org")
    long_ago = timezone.localdate() - dt.timedelta(days=800)
    for n in range(3):
        StandardPageFactory(
            parent=site, title=f"Old {n}", owner=owner, last_reviewed=long_ago
        )
    StandardPageFactory(
        parent=site, title="Recent", owner=owner, last_reviewed=timezone.localdate()
    )

    entry = app.conf.beat_schedule["review-reminders"]
    assert entry["task"] == send_review_reminders_task.name
    # Exactly what beat does: send the task by name to its queue, twice.
    for _ in range(2):
        app.send_task(entry["task"], **entry["options"])

    wait_for(lambda: len(smtp_sink.messages) >= 3, 30)
    wait_for(lambda: ReviewReminder.objects.count() == 3, 10)
    import time

    time.sleep(1.0)  # the second run must not add anything
    subjects = sorted(m["Subject"] for _, m in smtp_sink.messages)
    assert subjects == ["Review due: Old 0", "Review due: Old 1", "Review due: Old 2"]
    assert all(rcpt == ["owner2@example.org"] for rcpt, _ in smtp_sink.messages)


def test_due_for_review_report_lists_overdue_pages_first(client, pages):
    admin = UserFactory(username="chief", is_superuser=True)
    client.force_login(admin)
    response = client.get("/admin/reports/due-for-review/")
    assert response.status_code == 200
    rows = [(p.title, p.days_overdue > 0) for p in response.context["object_list"]]
    # Due dates here come from the real today, so only the order is fixed.
    titles = [title for title, _ in rows]
    assert titles.index("No owner") < titles.index("Overdue")
    assert "Draft" not in titles
    html = response.content.decode()
    assert "No owner (the editorial team is reminded)" in html
    export = client.get("/admin/reports/due-for-review/?export=csv")
    text = b"".join(export.streaming_content).decode()
    assert text.splitlines()[0] == "Page,Review due,Days overdue,Owner,Last reviewed"


def test_due_for_review_report_needs_admin_access(client, pages):
    client.force_login(UserFactory(username="reader"))
    response = client.get("/admin/reports/due-for-review/")
    assert response.status_code in (302, 403)
