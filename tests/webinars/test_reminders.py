"""Reminders a day and an hour before a webinar: the windows, once per start
time, new ones when it moves, and each exactly once through the real worker
when beat fires twice."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from bulletins.models import Send
from tests.conftest import wait_for
from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import reminders
from webinars.models import UK, Registration, WebinarEmail, WebinarPage
from webinars.tasks import send_webinar_reminders_task

UTC = dt.UTC
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
START = dt.datetime(2027, 3, 28, 9, 30, tzinfo=UTC)  # 10:30am BST, clocks just went on
LONG_AGO = START - dt.timedelta(days=10)


@pytest.fixture
def webinar(site):
    _index, series = webinar_tree(site)
    return WebinarPageFactory(
        parent=series,
        title="Safer sleep in practice",
        starts_at=START,
        ends_at=START + H,
    )


def person(webinar, name, *, at=LONG_AGO, **kwargs):
    return RegistrationFactory(
        webinar=webinar,
        name=name,
        email=f"{name.lower()}@example.org",
        created_at=at,
        **kwargs,
    )


def sent(kind=None) -> list[tuple[str, str]]:
    rows = WebinarEmail.objects.filter(kind__startswith="reminder")
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("registration__name", "kind"))


# --- Windows --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before_start", "expected"),
    [
        (25 * H, ""),
        (24 * H + M, ""),
        (24 * H, "reminder_24h"),
        (3 * H, "reminder_24h"),
        (H + M, "reminder_24h"),
        (H, "reminder_1h"),
        (M, "reminder_1h"),
        (dt.timedelta(0), ""),
        (-M, ""),
    ],
)
def test_which_reminder_is_due(before_start, expected):
    page = SimpleNamespace(starts_at=START, ends_at=START + H)
    assert reminders.reminder_due(page, START - before_start)[0] == expected


@pytest.mark.django_db
def test_a_day_before_then_an_hour_before_each_once(webinar):
    person(webinar, "Asha")
    person(webinar, "Ben")
    person(webinar, "Cai", status=Registration.Status.WAITLISTED)
    person(webinar, "Dee", status=Registration.Status.CANCELLED)

    assert reminders.send_webinar_reminders(START - 25 * H).total == 0
    run = reminders.send_webinar_reminders(START - 24 * H + 3 * M)
    assert run.sent == {"reminder_24h": 2}
    assert sent() == [("Asha", "reminder_24h"), ("Ben", "reminder_24h")]
    # Beat again five minutes later, and again: nothing more.
    assert reminders.send_webinar_reminders(START - 24 * H + 8 * M).total == 0
    assert reminders.send_webinar_reminders(START - 2 * H).total == 0

    run = reminders.send_webinar_reminders(START - 58 * M)
    assert run.sent == {"reminder_1h": 2}
    assert reminders.send_webinar_reminders(START - 53 * M).total == 0
    assert reminders.send_webinar_reminders(START + M).total == 0
    assert sent("reminder_1h") == [("Asha", "reminder_1h"), ("Ben", "reminder_1h")]
    occasions = set(WebinarEmail.objects.values_list("occasion", flat=True))
    assert occasions == {"2027-03-28T09:30:00+00:00"}


@pytest.mark.django_db
def test_someone_who_registers_three_hours_before_gets_only_the_hour_reminder(
    webinar,
):
    person(webinar, "Early")
    person(webinar, "Late", at=START - 3 * H)
    # Promoted from the waiting list five hours before: their place dates from then.
    person(
        webinar,
        "Promoted",
        promoted_at=START - 5 * H,
        status=Registration.Status.REGISTERED,
    )
    # Registered after the hour reminder fell due: the confirmation is enough.
    person(webinar, "Last minute", at=START - 40 * M)

    reminders.send_webinar_reminders(START - 24 * H + M)
    reminders.send_webinar_reminders(START - 2 * H)  # Late has registered by now
    assert sent("reminder_24h") == [("Early", "reminder_24h")]
    reminders.send_webinar_reminders(START - 30 * M)
    assert sent("reminder_1h") == [
        ("Early", "reminder_1h"),
        ("Late", "reminder_1h"),
        ("Promoted", "reminder_1h"),
    ]


@pytest.mark.django_db
def test_a_moved_webinar_gets_reminders_for_its_new_time(webinar):
    person(webinar, "Asha")
    reminders.announce_changes(webinar)
    reminders.send_webinar_reminders(START - 23 * H)
    reminders.send_webinar_reminders(START - 30 * M)
    assert len(sent()) == 2

    new_start = START + dt.timedelta(days=1)
    WebinarPage.objects.filter(pk=webinar.pk).update(
        starts_at=new_start, ends_at=new_start + H
    )
    reminders.send_webinar_reminders(new_start - 23 * H)
    reminders.send_webinar_reminders(new_start - 50 * M)
    reminders.send_webinar_reminders(new_start - 45 * M)
    rows = WebinarEmail.objects.filter(kind__startswith="reminder")
    assert sorted(rows.values_list("kind", "occasion")) == [
        ("reminder_1h", "2027-03-28T09:30:00+00:00"),
        ("reminder_1h", "2027-03-29T09:30:00+00:00"),
        ("reminder_24h", "2027-03-28T09:30:00+00:00"),
        ("reminder_24h", "2027-03-29T09:30:00+00:00"),
    ]


@pytest.mark.django_db
def test_no_reminders_for_cancelled_or_unpublished_webinars(webinar, site):
    person(webinar, "Asha")
    WebinarPage.objects.filter(pk=webinar.pk).update(is_cancelled=True)
    assert reminders.send_webinar_reminders(START - 30 * M).total == 0
    WebinarPage.objects.filter(pk=webinar.pk).update(is_cancelled=False)
    webinar.unpublish()
    assert reminders.send_webinar_reminders(START - 30 * M).total == 0
    assert sent() == []


@pytest.mark.django_db
def test_the_reminder_email_says_when_in_uk_time_with_the_join_link(
    webinar, celery_eager, django_capture_on_commit_callbacks
):
    asha = person(webinar, "Asha")
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_webinar_reminders(START - 20 * H)
    (message,) = mail.outbox
    assert message.to == ["asha@example.org"]
    assert message.subject == "Tomorrow: Safer sleep in practice"
    body = message.body
    assert "Hello Asha," in body
    assert "Sunday 28 March 2027, 10:30am to 11:30am (UK time)" in body
    assert webinar.join_url in body and "Passcode 424242" in body
    assert f"/registration/{asha.token}/" in body
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_webinar_reminders(START - 30 * M)
    assert mail.outbox[1].subject == "Starting in an hour: Safer sleep in practice"
    assert "starts in an hour" in mail.outbox[1].body


@pytest.mark.django_db
def test_a_late_day_before_reminder_says_today(
    webinar, celery_eager, django_capture_on_commit_callbacks
):
    person(webinar, "Asha")
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_webinar_reminders(START - 5 * H)  # beat was down till now
    (message,) = mail.outbox
    assert message.subject == "Today: Safer sleep in practice"
    assert "your webinar is today." in message.body


@pytest.mark.django_db
def test_a_run_costs_one_query_plus_one_per_webinar_due(
    site, django_assert_max_num_queries
):
    _index, series = webinar_tree(site)
    for n in range(6):
        WebinarPageFactory(parent=series, starts_at=START + n * M, ends_at=START + H)
    for n in range(6):  # not due: cost nothing
        later = START + dt.timedelta(days=2 + n)
        WebinarPageFactory(parent=series, starts_at=later, ends_at=later + H)
    with django_assert_max_num_queries(7):
        assert reminders.send_webinar_reminders(START - 30 * M).total == 0


# --- Through the real worker ---------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_beat_twice_through_the_worker_sends_each_reminder_exactly_once(
    celery_worker_process, smtp_sink, site
):
    _index, series = webinar_tree(site)
    now = timezone.now().replace(microsecond=0)
    soon = WebinarPageFactory(
        parent=series,
        title="In half an hour",
        starts_at=now + 30 * M,
        ends_at=now + 90 * M,
    )
    tomorrow = WebinarPageFactory(
        parent=series,
        title="Tomorrow morning",
        starts_at=now + 20 * H,
        ends_at=now + 21 * H,
    )
    before = now - dt.timedelta(days=2)
    person(soon, "Asha", at=before)
    person(soon, "Ben", at=before)
    person(soon, "Cai", at=before, status=Registration.Status.WAITLISTED)
    person(tomorrow, "Dee", at=before)
    smtp_sink.clear()

    # Beat fires twice, and a run in this process at the same moment.
    send_webinar_reminders_task.delay()
    send_webinar_reminders_task.delay()
    reminders.send_webinar_reminders()

    # 20 hours on is still today when this runs in the small hours (UK time); the
    # wording itself is tested with fixed clocks above.
    same_day = timezone.localdate(tomorrow.starts_at, UK) == timezone.localdate(now, UK)
    expected = [
        ("asha@example.org", "Starting in an hour: In half an hour"),
        ("ben@example.org", "Starting in an hour: In half an hour"),
        ("dee@example.org", f"{'Today' if same_day else 'Tomorrow'}: Tomorrow morning"),
    ]
    wait_for(lambda: len(smtp_sink.messages) >= len(expected), timeout=60)
    wait_for(
        lambda: set(Send.objects.values_list("status", flat=True)) == {"sent"},
        timeout=60,
    )
    time.sleep(2)  # give a duplicate time to arrive; none may
    got = sorted(
        (rcpt[0], str(message["Subject"])) for rcpt, message in smtp_sink.messages
    )
    assert got == expected
    assert WebinarEmail.objects.count() == 3
    body = (
        next(m for rcpt, m in smtp_sink.messages if rcpt == ["asha@example.org"])
        .get_body(("plain",))
        .get_content()
    )
    assert soon.join_url in body


def test_beat_runs_the_reminders_every_five_minutes_on_the_periodic_queue():
    from website.celery import app

    entry = app.conf.beat_schedule["webinar-reminders"]
    assert entry["task"] == "webinars.send_reminders"
    assert entry["schedule"] == 300.0
    assert entry["options"]["queue"] == "periodic"
    assert app.conf.beat_schedule["webinar-catch-up"]["task"] == "webinars.catch_up"
    assert app.conf.task_routes["webinars.send_reminders"] == {"queue": "periodic"}
    for name in (
        "webinars.send_reminders",
        "webinars.catch_up",
        "webinars.announce_changes",
        "webinars.send_recording_available",
    ):
        assert name in app.tasks
