"""Uptake reminders: due, overdue and escalated, each exactly once per due date.

Most tests call the service with ``today=`` and look at the ``Send`` rows it
queued; the last ones run the beat task on the real Celery worker (twice, and
twice more at the same moment) and count what the SMTP sink received.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection

from bulletins.models import Delivery, Send
from qipacks import reminders
from qipacks.models import UptakeReminder, UptakeStatus
from qipacks.tasks import send_uptake_reminders_task
from tests.conftest import wait_for
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
    UptakeRecordFactory,
)

DUE = dt.date(2027, 3, 31)


def day(offset: int) -> dt.date:
    return DUE + dt.timedelta(days=offset)


@pytest.fixture
def world(site, settings):
    """A pack with two recommendations and organisations in every situation."""
    settings.UPTAKE_REMINDER_DAYS_BEFORE = 14
    settings.UPTAKE_ESCALATE_AFTER_DAYS = 28
    index = QIPackIndexPageFactory(parent=site)
    pack = QIPackPageFactory(parent=index, title="Safer sleep", slug="safer-sleep")
    r1 = RecommendationFactory(
        pack=pack,
        reference="R1",
        applies_to=["cdop"],
        response_due=DUE,
        text="Review every sudden infant death for sleep factors.",
    )
    r2 = RecommendationFactory(
        pack=pack,
        reference="R2",
        applies_to=["cdop", "icb"],
        response_due=DUE,
        text="Commission safer-sleep checks at every contact.",
    )
    # Silent: applies to nobody here.
    RecommendationFactory(pack=pack, reference="R3", applies_to=["police"])

    panel = OrganisationFactory(
        name="Northshire Panel",
        type="cdop",
        named_lead_name="Dr Lead",
        named_lead_email="chair@northshire.example.org",
    )
    for name in ("lead1", "lead2"):
        MembershipFactory(
            organisation=panel,
            user=UserFactory(username=name, email=f"{name}@panel.example.org"),
        )
    MembershipFactory(
        organisation=panel,
        role="viewer",
        user=UserFactory(username="viewer", email="viewer@panel.example.org"),
    )
    MembershipFactory(
        organisation=panel,
        user=UserFactory(
            username="gone", email="gone@panel.example.org", is_active=False
        ),
    )
    MembershipFactory(
        organisation=panel, user=UserFactory(username="noemail", email="")
    )

    responded = OrganisationFactory(
        name="Responded Panel",
        type="cdop",
        named_lead_email="chief@responded.example.org",
    )
    MembershipFactory(
        organisation=responded,
        user=UserFactory(username="resp", email="lead@responded.example.org"),
    )
    UptakeRecordFactory(
        recommendation=r1, organisation=responded, status=UptakeStatus.PLANNED
    )
    UptakeRecordFactory(
        recommendation=r2, organisation=responded, status=UptakeStatus.IMPLEMENTED
    )

    board = OrganisationFactory(
        name="Midshire Board", type="icb", named_lead_email="director@board.example.org"
    )
    MembershipFactory(
        organisation=board,
        user=UserFactory(username="icb", email="lead@board.example.org"),
    )
    # "Not started" is not a response: reminders continue.
    UptakeRecordFactory(
        recommendation=r2, organisation=board, status=UptakeStatus.NOT_STARTED
    )

    leaderless = OrganisationFactory(name="Quiet Panel", type="cdop")  # no named lead
    MembershipFactory(
        organisation=leaderless,
        user=UserFactory(username="quiet", email="lead@quiet.example.org"),
    )
    return {
        "pack": pack,
        "r1": r1,
        "r2": r2,
        "panel": panel,
        "responded": responded,
        "board": board,
        "leaderless": leaderless,
    }


def sent(kind: str | None = None) -> dict[str, list[Send]]:
    """Queued reminder emails by recipient address."""
    by_address: dict[str, list[Send]] = {}
    sends = Send.objects.filter(key__startswith="uptake-reminder:")
    if kind:
        sends = sends.filter(key__startswith=f"uptake-reminder:{kind}:")
    for delivery in Delivery.objects.filter(send__in=sends).select_related("send"):
        by_address.setdefault(delivery.email, []).append(delivery.send)
    return by_address


@pytest.mark.parametrize(
    ("offset", "kinds"),
    [
        (-15, []),
        (-14, ["due"]),
        (0, ["due"]),
        (1, ["overdue"]),
        (27, ["overdue"]),
        (28, ["overdue", "escalated"]),
        (400, ["overdue", "escalated"]),
    ],
)
def test_which_reminders_fall_due_on_which_day(settings, offset, kinds):
    settings.UPTAKE_REMINDER_DAYS_BEFORE = 14
    settings.UPTAKE_ESCALATE_AFTER_DAYS = 28
    assert reminders.kinds_due(DUE, day(offset)) == kinds


@pytest.mark.django_db
def test_due_reminder_goes_once_to_each_qi_lead_listing_all_items(world):
    assert reminders.send_uptake_reminders(today=day(-15)).emails_sent == 0
    run = reminders.send_uptake_reminders(today=day(-14))
    got = sent()
    assert sorted(got) == [
        "lead1@panel.example.org",
        "lead2@panel.example.org",
        "lead@board.example.org",
        "lead@quiet.example.org",
    ]
    assert all(len(v) == 1 for v in got.values())
    assert run.emails == {"due": 4}
    email = got["lead1@panel.example.org"][0]
    assert email.subject == (
        "QI response due by 31 March 2027: 2 recommendations for Northshire Panel"
    )
    text = email.text
    assert "R1 (Safer sleep) - due 31 March 2027" in text
    assert "R2 (Safer sleep)" in text and "R3" not in text
    assert "http://testserver/qi/" in text
    assert f"http://testserver{world['pack'].url}recommendations/r1/" in text
    # Nothing about anyone else, and no figures.
    for other in ("Responded Panel", "Midshire Board", "Quiet Panel", "%"):
        assert other not in text
    board_email = got["lead@board.example.org"][0]
    assert "R2" in board_email.text and "R1 (" not in board_email.text
    assert UptakeReminder.objects.filter(kind="due").count() == 2 + 1 + 2

    # The same day again, and the rest of the window: nothing more.
    for offset in (-14, -13, 0):
        assert reminders.send_uptake_reminders(today=day(offset)).emails_sent == 0
    assert Send.objects.count() == 4


@pytest.mark.django_db
def test_overdue_then_escalation_at_the_right_days(world):
    reminders.send_uptake_reminders(today=day(-14))
    assert reminders.send_uptake_reminders(today=day(0)).emails_sent == 0
    run = reminders.send_uptake_reminders(today=day(1))
    assert run.emails == {"overdue": 4}
    overdue = sent("overdue")
    assert sorted(overdue) == [
        "lead1@panel.example.org",
        "lead2@panel.example.org",
        "lead@board.example.org",
        "lead@quiet.example.org",
    ]
    assert "is now overdue" in overdue["lead@board.example.org"][0].text
    assert reminders.send_uptake_reminders(today=day(27)).emails_sent == 0
    assert not sent("escalated")

    run = reminders.send_uptake_reminders(today=day(28))
    escalated = sent("escalated")
    assert sorted(escalated) == [
        "chair@northshire.example.org",
        "director@board.example.org",
    ]
    text = escalated["chair@northshire.example.org"][0].text
    assert text.startswith("Hello Dr Lead,")
    assert "at least 28 days overdue" in text and "28 days ago" in text
    # The panel without a named lead: skipped, with why, and not recorded.
    assert len(run.skipped) == 1
    assert "no named lead's email address" in run.skipped[0]
    assert str(world["leaderless"].pk) in run.skipped[0]
    assert not UptakeReminder.objects.filter(
        organisation=world["leaderless"], kind="escalated"
    ).exists()
    # Later runs send nothing more (the skipped one is retried, and skipped again).
    later = reminders.send_uptake_reminders(today=day(60))
    assert later.emails_sent == 0 and len(later.skipped) == 1
    # Once the panel names a lead, the escalation goes to them.
    world["leaderless"].named_lead_email = "head@quiet.example.org"
    world["leaderless"].save()
    assert reminders.send_uptake_reminders(today=day(61)).emails == {"escalated": 1}
    assert "head@quiet.example.org" in sent("escalated")


@pytest.mark.django_db
def test_late_first_run_sends_overdue_and_escalation_together(world):
    run = reminders.send_uptake_reminders(today=day(90))
    assert run.emails == {"overdue": 4, "escalated": 2}
    assert reminders.send_uptake_reminders(today=day(91)).emails_sent == 0


@pytest.mark.django_db
def test_nothing_for_organisations_that_responded(world):
    from qipacks import services

    reminders.send_uptake_reminders(today=day(-14))
    assert "lead@responded.example.org" not in sent()
    # The board answers after its due reminder: no overdue reminder, no escalation.
    services.record_uptake(
        recommendation=world["r2"],
        organisation=world["board"],
        user=None,
        status=UptakeStatus.IN_PROGRESS,
    )
    reminders.send_uptake_reminders(today=day(40))
    assert "lead@board.example.org" not in sent("overdue")
    assert "director@board.example.org" not in sent("escalated")
    # The panel answered R1 only: its overdue email lists R2 alone.
    services.record_uptake(
        recommendation=world["r1"],
        organisation=world["panel"],
        user=None,
        status=UptakeStatus.NOT_APPLICABLE,
        not_applicable_reason="Another panel reviews these deaths for us.",
    )
    reminders.send_uptake_reminders(today=day(41))
    text = sent("overdue")["lead1@panel.example.org"][0].text
    assert "R2 (Safer sleep)" in text


@pytest.mark.django_db
def test_a_changed_due_date_is_reminded_again(world):
    reminders.send_uptake_reminders(today=day(-14))
    assert len(sent("due")["lead@board.example.org"]) == 1
    new_due = DUE + dt.timedelta(days=60)
    world["r2"].response_due = new_due
    world["r2"].save()
    run = reminders.send_uptake_reminders(today=new_due - dt.timedelta(days=3))
    assert run.emails["due"] == 4  # (R1, still due on the old date, is overdue)
    assert len(sent("due")["lead@board.example.org"]) == 2
    assert (
        UptakeReminder.objects.filter(
            recommendation=world["r2"], due_date=new_due, kind="due"
        ).count()
        == 3
    )


@pytest.mark.django_db
def test_unpublished_packs_send_nothing(world):
    world["pack"].unpublish()
    assert reminders.send_uptake_reminders(today=day(1)).emails_sent == 0


@pytest.mark.django_db
def test_reminder_keys_are_deterministic(world):
    org, items = world["panel"], [world["r2"], world["r1"]]
    key = reminders.reminder_key(org, "due", items, "A@x.org")
    assert key == reminders.reminder_key(org, "due", items[::-1], "a@x.org")
    assert key != reminders.reminder_key(org, "overdue", items, "a@x.org")
    assert len(key) <= 200


# --- On the real worker -----------------------------------------------------------


def _run_in_thread(today: dt.date, errors: list, barrier: threading.Barrier):
    try:
        barrier.wait(10)
        reminders.send_uptake_reminders(today=today)
    except Exception as error:  # pragma: no cover - reported by the test
        errors.append(error)
    finally:
        connection.close()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_through_the_worker_each_reminder_arrives_exactly_once(
    celery_worker_process, smtp_sink, world
):
    smtp_sink.clear()
    # The beat task, twice, on the worker.
    send_uptake_reminders_task.delay(today=day(-14).isoformat())
    send_uptake_reminders_task.delay(today=day(-14).isoformat())
    # And two runs at the same moment in this process.
    errors: list = []
    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=_run_in_thread, args=(day(-10), errors, barrier))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors

    expected = [
        "lead1@panel.example.org",
        "lead2@panel.example.org",
        "lead@board.example.org",
        "lead@quiet.example.org",
    ]
    wait_for(lambda: len(smtp_sink.messages) >= len(expected), timeout=60)
    wait_for(
        lambda: set(Send.objects.values_list("status", flat=True)) == {"sent"},
        timeout=60,
    )
    time.sleep(2)  # give a duplicate time to arrive; none may
    got = sorted(address for rcpt, _m in smtp_sink.messages for address in rcpt)
    assert got == expected
    message = next(
        m for rcpt, m in smtp_sink.messages if rcpt == ["lead1@panel.example.org"]
    )
    assert message["Subject"].startswith("QI response due by 31 March 2027")
    assert "http://testserver/qi/" in message.get_body(("plain",)).get_content()
    assert UptakeReminder.objects.filter(kind="due").count() == 5

    # Overdue and escalation through the worker, each once.
    smtp_sink.clear()
    for _ in range(2):
        send_uptake_reminders_task.delay(today=day(30).isoformat())
    wait_for(lambda: len(smtp_sink.messages) >= 6, timeout=60)
    time.sleep(2)
    got = sorted(address for rcpt, _m in smtp_sink.messages for address in rcpt)
    assert got == sorted(
        [*expected, "chair@northshire.example.org", "director@board.example.org"]
    )
