"""A webinar's time changes or it is cancelled: registrants are told once, with
their calendar entry updated (SEQUENCE + 1) or cancelled.

Publishing runs for real: Wagtail's ``page_published`` signal, the on-commit
hook, the Celery tasks (inline, ``celery_eager``) and the send pipeline, whose
messages land in ``django.core.mail.outbox``.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from icalendar import Calendar

from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import reminders
from webinars.models import Registration, WebinarEmail, WebinarPage

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def publish(celery_eager, django_capture_on_commit_callbacks):
    """Publish a page (or a given revision) and run what it queues on commit."""

    def run(page, revision=None):
        with django_capture_on_commit_callbacks(execute=True):
            (revision or page.save_revision()).publish()
        page.refresh_from_db()
        return page

    return run


@pytest.fixture
def webinar(site, publish):
    """A published webinar a week away with two places, one person waiting and
    one who cancelled; its first publication announced."""
    _index, series = webinar_tree(site)
    start = dt.datetime.now(UTC).replace(microsecond=0, second=0) + dt.timedelta(days=7)
    page = WebinarPageFactory(
        parent=series,
        title="Learning from sudden deaths",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        capacity=2,  # full: the third person waits
    )
    RegistrationFactory(webinar=page, name="Asha", email="asha@example.org")
    RegistrationFactory(webinar=page, name="Ben", email="ben@example.org")
    RegistrationFactory(
        webinar=page,
        name="Cai",
        email="cai@example.org",
        status=Registration.Status.WAITLISTED,
    )
    RegistrationFactory(
        webinar=page,
        name="Dee",
        email="dee@example.org",
        status=Registration.Status.CANCELLED,
    )
    publish(page)
    mail.outbox.clear()
    return page


def by_address(messages=None) -> dict:
    return {m.to[0]: m for m in (mail.outbox if messages is None else messages)}


def calendar_of(message) -> tuple[str, Calendar] | None:
    for part in message.parsed.iter_attachments():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), Calendar.from_ical(part.get_content())
    return None


def test_the_first_publication_records_what_registrants_were_told(webinar):
    assert mail.outbox == []
    assert webinar.announced_starts_at == webinar.starts_at
    assert webinar.announced_ends_at == webinar.ends_at
    assert webinar.announced_cancelled is False
    assert webinar.ics_sequence == 0


def test_a_new_time_sends_one_update_each_with_the_next_sequence(webinar, publish):
    old_start = webinar.starts_at
    webinar.starts_at += dt.timedelta(days=1, hours=2)
    webinar.ends_at += dt.timedelta(days=1, hours=2)
    publish(webinar)

    assert webinar.ics_sequence == 1
    assert webinar.announced_starts_at == webinar.starts_at
    sent = by_address()
    assert sorted(sent) == ["asha@example.org", "ben@example.org", "cai@example.org"]
    assert len(mail.outbox) == 3
    asha = sent["asha@example.org"]
    assert asha.subject == "New time: Learning from sudden deaths"
    assert webinar.when_label in asha.body
    assert WebinarPage(starts_at=old_start, ends_at=old_start).date_label in asha.body
    assert webinar.join_url in asha.body  # registrants' emails carry the link
    method, cal = calendar_of(asha)
    assert method == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert event["SEQUENCE"] == 1
    assert event["DTSTART"].dt.astimezone(UTC) == webinar.starts_at
    assert str(event["UID"]).startswith(f"webinar-{webinar.pk}@")
    # The waiting list hears too, but has no calendar entry to update.
    cai = sent["cai@example.org"]
    assert calendar_of(cai) is None
    assert "still on the waiting list" in cai.body
    assert webinar.join_url not in cai.body
    assert set(
        WebinarEmail.objects.filter(kind="updated").values_list("occasion", flat=True)
    ) == {"1"}

    # Publishing again with nothing changed sends nothing.
    mail.outbox.clear()
    publish(webinar)
    assert mail.outbox == []
    assert webinar.ics_sequence == 1
    assert reminders.announce_changes(webinar.pk) == "unchanged"

    # A second move is a second update, sequence 2.
    webinar.ends_at += dt.timedelta(minutes=30)
    publish(webinar)
    assert webinar.ics_sequence == 2
    assert len(mail.outbox) == 3
    (event,) = calendar_of(by_address()["ben@example.org"])[1].walk("VEVENT")
    assert event["SEQUENCE"] == 2


def test_cancelling_tells_everyone_once_and_cancels_calendar_entries(webinar, publish):
    webinar.is_cancelled = True
    webinar.cancellation_note = "Our speaker is unwell; we will rearrange it."
    publish(webinar)

    assert webinar.ics_sequence == 1
    assert webinar.announced_cancelled is True
    sent = by_address()
    assert sorted(sent) == ["asha@example.org", "ben@example.org", "cai@example.org"]
    asha = sent["asha@example.org"]
    assert asha.subject == "Cancelled: Learning from sudden deaths"
    assert "Our speaker is unwell" in asha.body
    assert webinar.join_url not in asha.body
    method, cal = calendar_of(asha)
    assert method == "CANCEL"
    assert str(cal["METHOD"]) == "CANCEL"
    (event,) = cal.walk("VEVENT")
    assert event["SEQUENCE"] == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert calendar_of(sent["cai@example.org"]) is None

    mail.outbox.clear()
    publish(webinar)
    assert reminders.announce_changes(webinar.pk) == "unchanged"
    assert mail.outbox == []
    # And no reminders for a cancelled webinar.
    run = reminders.send_webinar_reminders(
        now=webinar.starts_at - dt.timedelta(minutes=30)
    )
    assert run.total == 0


def test_taking_a_cancellation_back_sends_a_new_invitation(webinar, publish):
    webinar.is_cancelled = True
    webinar.cancellation_note = "Clash with a national event."
    publish(webinar)
    mail.outbox.clear()
    webinar.is_cancelled = False
    publish(webinar)
    assert webinar.ics_sequence == 2
    assert len(mail.outbox) == 3
    ben = by_address()["ben@example.org"]
    assert ben.subject == "Going ahead after all: Learning from sudden deaths"
    method, cal = calendar_of(ben)
    assert method == "REQUEST"
    assert cal.walk("VEVENT")[0]["SEQUENCE"] == 2
    # Cancelling again is a new announcement (its own occasion), not a repeat.
    mail.outbox.clear()
    webinar.is_cancelled = True
    publish(webinar)
    assert webinar.ics_sequence == 3
    assert len(mail.outbox) == 3


def test_publishing_an_old_draft_never_rolls_back_the_sequence(webinar, publish):
    # A draft saved before the move carries the old time and the old bookkeeping.
    old_draft = webinar.save_revision()
    webinar.starts_at += dt.timedelta(hours=3)
    webinar.ends_at += dt.timedelta(hours=3)
    publish(webinar)
    assert webinar.ics_sequence == 1
    mail.outbox.clear()

    publish(webinar, revision=old_draft)  # back to the old time
    assert webinar.ics_sequence == 2  # not 0: calendars would ignore the update
    assert webinar.announced_starts_at == webinar.starts_at
    assert len(mail.outbox) == 3
    (event,) = calendar_of(by_address()["asha@example.org"])[1].walk("VEVENT")
    assert event["SEQUENCE"] == 2
    assert event["DTSTART"].dt.astimezone(UTC) == webinar.starts_at


def test_a_change_after_the_webinar_is_over_is_recorded_without_emails(webinar):
    ends = webinar.ends_at
    WebinarPage.objects.filter(pk=webinar.pk).update(
        ends_at=ends + dt.timedelta(minutes=15)
    )
    later = ends + dt.timedelta(hours=1)
    assert reminders.announce_changes(webinar.pk, now=later) == "past"
    webinar.refresh_from_db()
    assert webinar.announced_ends_at == ends + dt.timedelta(minutes=15)
    assert webinar.ics_sequence == 0
    assert WebinarEmail.objects.count() == 0


def test_the_hourly_catch_up_announces_a_change_whose_task_was_lost(
    webinar, celery_eager, django_capture_on_commit_callbacks
):
    webinar.starts_at += dt.timedelta(hours=1)
    webinar.ends_at += dt.timedelta(hours=1)
    webinar.save_revision().publish()  # on-commit hooks never run: the task is lost
    assert mail.outbox == []
    assert list(reminders.pending_announcements().values_list("pk", flat=True)) == [
        webinar.pk
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.catch_up() == {"announced": 1, "recordings": 0}
    assert len(mail.outbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.catch_up() == {"announced": 0, "recordings": 0}
    assert len(mail.outbox) == 3


def test_an_unpublished_webinar_is_not_announced(webinar):
    webinar.unpublish()
    WebinarPage.objects.filter(pk=webinar.pk).update(is_cancelled=True)
    assert reminders.announce_changes(webinar.pk) == "not-live"
    assert reminders.announce_changes(999_999) == "not-live"
    assert WebinarEmail.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_announcements_at_once_send_each_email_once(site, celery_eager):
    _index, series = webinar_tree(site)
    start = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(days=3)
    page = WebinarPageFactory(
        parent=series, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    for n in range(5):
        RegistrationFactory(webinar=page, email=f"p{n}@example.org")
    reminders.announce_changes(page.pk)
    WebinarPage.objects.filter(pk=page.pk).update(
        starts_at=start + dt.timedelta(hours=2), ends_at=start + dt.timedelta(hours=3)
    )
    mail.outbox = []
    results, errors = [], []
    barrier = threading.Barrier(2)

    def announce():
        try:
            barrier.wait()
            results.append(reminders.announce_changes(page.pk))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=announce) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == ["moved", "unchanged"]
    assert WebinarPage.objects.get(pk=page.pk).ics_sequence == 1
    assert WebinarEmail.objects.filter(kind="updated").count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == [
        f"p{n}@example.org" for n in range(5)
    ]


def test_a_move_across_the_clock_change_carries_the_right_instants(
    site, celery_eager, django_capture_on_commit_callbacks
):
    """Moved from Saturday 27 March 2027 (GMT) to Monday 29 March (BST), 10am
    UK time both days: the attachment's times, read through its own VTIMEZONE,
    are 10:00 and 09:00 UTC."""
    _index, series = webinar_tree(site)
    before = dt.datetime(2027, 3, 27, 10, tzinfo=UTC)
    page = WebinarPageFactory(
        parent=series, starts_at=before, ends_at=before + dt.timedelta(hours=1)
    )
    RegistrationFactory(webinar=page, email="asha@example.org")
    told_at = dt.datetime(2027, 3, 1, tzinfo=UTC)
    reminders.announce_changes(page.pk, now=told_at)
    after = dt.datetime(2027, 3, 29, 9, tzinfo=UTC)
    WebinarPage.objects.filter(pk=page.pk).update(
        starts_at=after, ends_at=after + dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.announce_changes(page.pk, now=told_at) == "moved"
    (message,) = mail.outbox
    assert "New time: Monday 29 March 2027, 10am to 11am (UK time)" in message.body
    assert "Was: Saturday 27 March 2027, 10am to 11am (UK time)" in message.body
    _method, cal = calendar_of(message)
    zone = cal.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    (event,) = cal.walk("VEVENT")
    local = event["DTSTART"].dt.replace(tzinfo=None)
    assert local == dt.datetime(2027, 3, 29, 10)  # the wall clock
    assert local.replace(tzinfo=zone).astimezone(UTC) == after
