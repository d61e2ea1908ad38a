"""Capacity under real concurrency: no overbooking, promotions exactly once.

Each request runs in its own thread with its own database connection against
committed data (``transactional_db``), all released at the same moment by a
barrier, so the requests really do race in PostgreSQL. The email pipeline runs
inline in each thread (``celery_eager``), so every email is counted too.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from tests.factories.webinars import RegistrationFactory
from tests.webinars import test_registration as journeys
from webinars import registration
from webinars.models import Registration, WebinarEmail

_fresh_rate_limits_and_outbox = journeys._fresh_rate_limits_and_outbox
tree = journeys.tree
details = journeys.details
register_url = journeys.register_url
manage_path = journeys.manage_path
make_webinar = journeys.make_webinar
calendar_in = journeys.calendar_in

pytestmark = pytest.mark.django_db(transaction=True)

Status = Registration.Status
Kind = WebinarEmail.Kind


def at_once(count: int, work) -> list:
    """Run ``work(i)`` for i in range(count), each in its own thread and
    connection, all starting together; return the results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i):
        try:
            barrier.wait(60)
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


@pytest.fixture
def webinar(tree, settings, celery_eager):
    settings.WEBINAR_REGISTRATION_RATE_LIMIT = 1000  # all from one test address
    return make_webinar(tree, capacity=20)


def statuses(webinar) -> Counter:
    return Counter(
        Registration.objects.filter(webinar=webinar).values_list("status", flat=True)
    )


def ledger(kind: str) -> Counter:
    """How many emails of ``kind`` each registration got."""
    return Counter(
        WebinarEmail.objects.filter(kind=kind).values_list("registration_id", flat=True)
    )


def fill(webinar, registered: int, waiting: int) -> list[Registration]:
    """Places and a waiting list, one second apart, in the order they came."""
    base = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    return [
        RegistrationFactory(
            webinar=webinar,
            email=f"early{n}@example.org",
            status=Status.REGISTERED if n < registered else Status.WAITLISTED,
            created_at=base + dt.timedelta(seconds=n),
        )
        for n in range(registered + waiting)
    ]


def test_fifty_people_at_once_for_twenty_places(webinar):
    def register(i):
        return Client().post(
            register_url(webinar), details(f"person{i}@example.org", name=f"P {i}")
        )

    responses = at_once(50, register)

    assert {response.status_code for response in responses} == {HTTPStatus.SEE_OTHER}
    assert statuses(webinar) == {Status.REGISTERED: 20, Status.WAITLISTED: 30}
    # First come, first served: the places went to the first twenty in.
    in_order = list(
        Registration.objects.filter(webinar=webinar).order_by("created_at", "pk")
    )
    assert {item.status for item in in_order[:20]} == {Status.REGISTERED}
    assert {item.status for item in in_order[20:]} == {Status.WAITLISTED}
    assert [registration.waitlist_position(item) for item in in_order[20:]] == list(
        range(1, 31)
    )
    # Everyone got exactly one email: a place with a calendar, or the waiting list.
    assert len(ledger(Kind.CONFIRMATION)) == 20
    assert len(ledger(Kind.WAITLISTED)) == 30
    assert len(mail.outbox) == 50
    assert len({message.to[0] for message in mail.outbox}) == 50
    with_calendar = [m for m in mail.outbox if calendar_in(m) is not None]
    assert len(with_calendar) == 20
    assert {m.to[0] for m in with_calendar} == {item.email for item in in_order[:20]}


def test_one_cancellation_promotes_exactly_one(webinar):
    people = fill(webinar, 20, 30)
    results = at_once(1, lambda i: registration.cancel(people[3]))
    [(_cancelled, promoted)] = results
    assert [item.pk for item in promoted] == [people[20].pk]
    assert statuses(webinar) == {
        Status.REGISTERED: 20,
        Status.WAITLISTED: 29,
        Status.CANCELLED: 1,
    }
    assert ledger(Kind.PROMOTED) == {people[20].pk: 1}


def test_ten_cancellations_at_once_promote_the_first_ten_waiting(webinar):
    people = fill(webinar, 20, 30)
    leaving = people[:10]

    def cancel(i):
        return Client().post(manage_path(leaving[i]), {"confirm": "yes"})

    responses = at_once(10, cancel)

    assert {response.status_code for response in responses} == {HTTPStatus.SEE_OTHER}
    assert statuses(webinar) == {
        Status.REGISTERED: 20,
        Status.WAITLISTED: 20,
        Status.CANCELLED: 10,
    }
    promoted = set(
        Registration.objects.filter(promoted_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert promoted == {item.pk for item in people[20:30]}
    assert ledger(Kind.PROMOTED) == dict.fromkeys(promoted, 1)
    assert ledger(Kind.CANCELLED) == {item.pk: 1 for item in leaving}
    assert len(mail.outbox) == 20


def test_the_same_cancellation_sent_five_times_at_once_promotes_one(webinar):
    people = fill(webinar, 20, 5)

    def cancel(_i):
        return Client().post(manage_path(people[0]), {"confirm": "yes"})

    responses = at_once(5, cancel)

    # One cancels; the others find it cancelled already (the page says so).
    codes = Counter(response.status_code for response in responses)
    assert codes[HTTPStatus.SEE_OTHER] >= 1
    assert set(codes) <= {HTTPStatus.SEE_OTHER, HTTPStatus.CONFLICT}
    assert statuses(webinar) == {
        Status.REGISTERED: 20,
        Status.WAITLISTED: 4,
        Status.CANCELLED: 1,
    }
    assert ledger(Kind.PROMOTED) == {people[20].pk: 1}
    assert ledger(Kind.CANCELLED) == {people[0].pk: 1}
    assert len(mail.outbox) == 2


def test_registrations_and_cancellations_racing_never_overbook(webinar):
    people = fill(webinar, 20, 3)
    leaving = people[:8]

    def work(i):
        if i < len(leaving):
            return Client().post(manage_path(leaving[i]), {"confirm": "yes"})
        return Client().post(register_url(webinar), details(f"new{i}@example.org"))

    responses = at_once(20, work)

    assert {response.status_code for response in responses} == {HTTPStatus.SEE_OTHER}
    counts = statuses(webinar)
    # 8 places freed, 3 + 12 people wanting them: full again, never over.
    assert counts[Status.REGISTERED] == 20
    assert counts[Status.CANCELLED] == 8
    assert counts[Status.WAITLISTED] == 3 + 12 - 8
    # Whoever was waiting before the race got a place before anyone new.
    for item in people[20:]:
        item.refresh_from_db()
        assert item.status == Status.REGISTERED
