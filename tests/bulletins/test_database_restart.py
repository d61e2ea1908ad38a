"""A batch that loses the database mid-send sends no one twice once it is retried.

On the suite's real PostgreSQL and SMTP sink: after the server takes a batch's
third message, PostgreSQL ends the batch's connection (``pg_terminate_backend``,
what a restart or failover does to it), before that message is recorded as sent.
bench/faults.py found each such batch repeating its message in flight, and the
batches queued behind it failing outright until the sweep found their rows.
"""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection

from bulletins import sending
from bulletins.models import Delivery, SentMark
from bulletins.tasks import deliver_batch_task
from tests.bulletins.test_sending import (  # noqa: F401 - smtp_settings is a fixture
    held_send,
    make_list,
    make_subscriber,
    recipients,
    smtp_settings,
)
from tests.website.test_database_down import (  # noqa: F401 - a fixture
    database_to_stop,
    own_connection,
)


def end_connection(pid: int) -> None:
    """Have PostgreSQL end a backend, from a connection of our own."""
    with own_connection() as admin:
        # With a timeout, it returns once the backend has gone.
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


class DatabaseGoesAfter:
    """The real SMTP transport; once the server has taken ``messages`` messages,
    the batch's database connection is ended."""

    def __init__(self, messages: int):
        self.transport = sending.get_transport()
        self.left = messages

    def open(self):
        self.transport.open()

    def close(self):
        self.transport.close()

    def send(self, envelope_from, to, message):
        self.transport.send(envelope_from, to, message)
        self.left -= 1
        if self.left == 0:
            end_connection(connection.connection.info.backend_pid)


@pytest.fixture
def six_people():
    news = make_list("News")
    people = [make_subscriber(f"p{n}@example.org", news) for n in range(6)]
    return people, held_send([news])


@pytest.mark.django_db(transaction=True)
def test_the_message_in_flight_is_carried_to_the_retry_and_not_sent_again(
    smtp_settings,  # noqa: F811 - the imported fixture
    six_people,
    monkeypatch,
):
    people, send = six_people
    cut = DatabaseGoesAfter(3)
    monkeypatch.setattr(sending, "get_transport", lambda: cut)

    with pytest.raises(sending.DatabaseLost) as lost:
        sending.deliver_batch(send.pk, "batch-1")

    third = Delivery.objects.get(send=send, email=people[2].email)
    assert lost.value.sent == third.pk  # the server took it; the database never heard
    assert third.status == "claimed"
    assert len(smtp_settings.messages) == 3

    sending.deliver_batch(send.pk, "batch-1", sent=lost.value.sent)

    assert recipients(smtp_settings) == sorted(p.email for p in people)
    assert set(Delivery.objects.filter(send=send).values_list("status", flat=True)) == {
        "sent"
    }
    assert not SentMark.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_batch_task_retries_after_losing_the_database_and_sends_each_once(
    smtp_settings,  # noqa: F811 - the imported fixture
    six_people,
    monkeypatch,
):
    people, send = six_people
    cut = DatabaseGoesAfter(2)
    monkeypatch.setattr(sending, "get_transport", lambda: cut)

    # Run here: the retry runs at once, with the same task id (the batch's claim).
    result = deliver_batch_task.apply(args=(send.pk,), task_id="batch-1", throw=False)

    assert result.successful()
    assert cut.left < 0  # the database went, and the retry carried on
    assert recipients(smtp_settings) == sorted(p.email for p in people)
    assert set(Delivery.objects.filter(send=send).values_list("status", flat=True)) == {
        "sent"
    }


def test_a_batch_starting_while_the_database_is_down_is_kept_for_a_retry(
    database_to_stop,  # noqa: F811
):
    # The server is up but empty: a missing table is a fault, not an outage.
    with pytest.raises(ProgrammingError):
        sending.deliver_batch(1, "batch-1", sent=7)

    database_to_stop.stop()

    with pytest.raises(sending.DatabaseLost) as lost:
        sending.deliver_batch(1, "batch-1", sent=7)
    assert lost.value.sent == 7  # still to be recorded by the next try
