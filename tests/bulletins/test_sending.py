"""The send pipeline on real PostgreSQL and a real SMTP server (aiosmtpd).

In-process tests call the pipeline's functions directly with the SMTP transport
pointed at the suite's sink; the tests marked ``celery_worker`` go through a real
Celery worker process on Redis.
"""

from __future__ import annotations

import email
import re
from email import policy

import pytest
from django.db import transaction

from bulletins import sending
from bulletins.models import (
    Delivery,
    DistributionList,
    Send,
    SentMark,
    Subscriber,
    Subscription,
)
from tests.conftest import wait_for

IMMEDIATE = Subscription.Frequency.IMMEDIATE
WEEKLY = Subscription.Frequency.WEEKLY


def make_list(name: str) -> DistributionList:
    return DistributionList.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), description=name
    )


def make_subscriber(
    email_address: str, *lists, status="active", frequency=IMMEDIATE, name=""
) -> Subscriber:
    subscriber = Subscriber.objects.create(
        email=email_address, name=name, status=status
    )
    for distribution_list in lists:
        Subscription.objects.create(
            subscriber=subscriber,
            distribution_list=distribution_list,
            frequency=frequency,
        )
    return subscriber


def simple_send(lists, **kwargs) -> Send:
    return sending.create_send(
        kind=Send.Kind.BULLETIN,
        subject=kwargs.pop("subject", "Learning bulletin, issue 7"),
        text="CDRTOKENGREETINGCDR\nNews.\nUnsubscribe: CDRTOKENUNSUBSCRIBECDR\n",
        html="<p>CDRTOKENGREETINGCDR</p><p>"
        + "News. " * 3000
        + '</p><a href="CDRTOKENPREFERENCESCDR">Preferences</a>',
        lists=lists,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def _tasks_run_here(request):
    """In-process tests run the tasks they queue inline (eager), so nothing they
    queue reaches the suite's shared worker; the worker tests use the broker."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    request.getfixturevalue("celery_eager")
    yield


def held_send(lists) -> Send:
    """A send expanded into deliveries but with no task queued: the tests below
    then play the part of a batch task, step by step."""
    from datetime import timedelta

    from django.utils import timezone

    send = simple_send(lists, scheduled_for=timezone.now() + timedelta(days=1))
    sending._insert_for_lists(send, [lst.pk for lst in lists])
    Send.objects.filter(pk=send.pk).update(
        status=Send.Status.SENDING, started_at=timezone.now()
    )
    return send


@pytest.fixture(params=["plain", "pipelining"])
def smtp_settings(request, settings, smtp_sink):
    """The pipeline in this process delivers to the suite's SMTP sink, once to a
    server without PIPELINING (four round trips a message) and once with it (two)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    smtp_sink.clear()
    smtp_sink.pipelining = request.param == "pipelining"
    yield smtp_sink
    smtp_sink.pipelining = False


def run_send(send: Send, claim: str = "batch-1") -> None:
    """What the tasks do, in this process: expand, then deliver every batch."""
    sending.start_send(send.pk)
    while Delivery.objects.filter(send=send, status="pending").exists():
        sending.deliver_batch(send.pk, claim)
        claim += "+"


def recipients(sink) -> list[str]:
    return sorted(rcpt for rcpts, _message in sink.messages for rcpt in rcpts)


# --- Who gets it ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_each_confirmed_subscriber_gets_exactly_one_email_across_overlapping_lists(
    smtp_settings,
):
    bulletin, safety, staff = (make_list(n) for n in ("Bulletin", "Safety", "Staff"))
    make_subscriber("both@example.org", bulletin, safety)
    make_subscriber("all-three@example.org", bulletin, safety, staff)
    make_subscriber("one@example.org", safety)
    make_subscriber("other-list@example.org", staff)
    make_subscriber("pending@example.org", bulletin, status="pending")
    make_subscriber("gone@example.org", bulletin, status="unsubscribed")
    make_subscriber("bounced@example.org", bulletin, status="bounced")
    make_subscriber("complained@example.org", safety, status="complained")
    make_subscriber("weekly@example.org", bulletin, frequency=WEEKLY)

    assert sending.count_recipients([bulletin, safety]) == 3
    assert sending.count_digest_only([bulletin, safety]) == 1
    send = simple_send([bulletin, safety])
    run_send(send)

    assert recipients(smtp_settings) == [
        "all-three@example.org",
        "both@example.org",
        "one@example.org",
    ]
    send.refresh_from_db()
    assert send.status == Send.Status.SENT
    assert send.recipient_count == 3
    assert sending.progress(send)["sent"] == 3
    assert sending.progress(send)["done"] is True


@pytest.mark.django_db(transaction=True)
def test_starting_a_send_twice_adds_no_deliveries_and_sends_nothing_twice(
    smtp_settings,
):
    news = make_list("News")
    for n in range(5):
        make_subscriber(f"person{n}@example.org", news)
    send = simple_send([news])
    run_send(send)
    sending.start_send(send.pk)  # a duplicated start message
    sending.deliver_batch(send.pk, "another-batch")  # a duplicated batch message
    assert Delivery.objects.filter(send=send).count() == 5
    assert len(smtp_settings.messages) == 5


@pytest.mark.django_db(transaction=True)
def test_a_key_makes_one_send_however_often_it_is_asked_for():
    news = make_list("News")
    first = simple_send([news], key="notify:page:1")
    again = simple_send([news], key="notify:page:1")
    assert first.pk == again.pk
    assert Send.objects.count() == 1


# --- The message on the wire ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_received_message_has_one_line_rfc_8058_headers_and_personal_links(
    smtp_settings,
):
    news = make_list("News")
    make_subscriber("ada@example.org", news, name='Ada <script>"')
    send = simple_send([news])
    run_send(send)

    [(rcpts, message)] = smtp_settings.messages
    raw = message.raw_bytes
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    unsubscribe_lines = [
        line for line in header_block.splitlines() if line.startswith(b"List-Unsub")
    ]
    # Each header is whole on one line: the next line never continues it.
    assert len(unsubscribe_lines) == 2
    assert re.fullmatch(
        rb"List-Unsubscribe: <http://testserver/subscriptions/unsubscribe/[^>\s]+/>",
        unsubscribe_lines[0],
    )
    assert unsubscribe_lines[1] == b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    delivery = Delivery.objects.get(send=send)
    assert message["Message-ID"] == f"<cdr.{send.pk}.{delivery.pk}@testserver>"
    assert all(len(line) <= 998 for line in raw.splitlines())

    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'Hello Ada <script>",' in text
    assert "Hello Ada &lt;script&gt;&quot;," in html
    assert "<script>" not in html
    unsubscribe_url = message["List-Unsubscribe"].strip("<>")
    assert f"Unsubscribe: {unsubscribe_url}" in text
    assert "/subscriptions/manage/" in html


@pytest.mark.django_db(transaction=True)
def test_a_transactional_message_has_no_list_headers_and_goes_once_per_key(
    smtp_settings,
):
    for _ in range(2):
        sending.send_transactional(
            to="new@example.org",
            subject="Confirm your subscription",
            text="Confirm: http://testserver/x\n",
            key="confirm:1",
        )
    send = Send.objects.get()
    assert send.queue == "transactional"
    sending.deliver_batch(send.pk, "t1")
    [(rcpts, message)] = smtp_settings.messages
    assert rcpts == ["new@example.org"]
    assert message["List-Unsubscribe"] is None
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Confirm: http://testserver/x"
    # Once sent, its live link is not kept in the database.
    send.refresh_from_db()
    assert (send.status, send.text, send.html) == (Send.Status.SENT, "", "")
    assert send.subject == "Confirm your subscription"


# --- Never lost, never repeated ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rerun_of_a_killed_batch_repeats_nothing_it_recorded_as_sent(smtp_settings):
    """What a worker killed mid-batch leaves behind, and what its re-run does."""
    news = make_list("News")
    people = [make_subscriber(f"p{n}@example.org", news) for n in range(6)]
    send = held_send([news])
    rows = sending._claim(send.pk, "task-1")
    assert len(rows) == 6
    ids = [row[0] for row in rows]
    # The killed run had sent the first two (the server took them and their marks
    # committed), and was sending the third when it died.
    mark_sent(send, ids[:2])
    assert sending.progress(send)["sent"] == 2  # marks count before they are folded

    sending.deliver_batch(send.pk, "task-1")  # the redelivered task: same id

    received = recipients(smtp_settings)
    assert received == sorted(p.email for p in people[2:])
    # The one that may have gone already goes again with the same Message-ID.
    in_flight = next(m for r, m in smtp_settings.messages if r == [people[2].email])
    assert in_flight["Message-ID"] == f"<cdr.{send.pk}.{ids[2]}@testserver>"
    assert set(Delivery.objects.filter(send=send).values_list("status", flat=True)) == {
        "sent"
    }
    assert not SentMark.objects.exists()  # folded into the rows


def mark_sent(send: Send, ids) -> None:
    """What a batch records as the server accepts each message."""
    from django.utils import timezone

    SentMark.objects.bulk_create(
        SentMark(delivery_id=pk, send_id=send.pk, sent_at=timezone.now()) for pk in ids
    )


@pytest.mark.django_db(transaction=True)
def test_a_batch_given_up_keeps_what_the_server_took_as_sent(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    news = make_list("News")
    for n in range(3):
        make_subscriber(f"p{n}@example.org", news)
    send = held_send([news])
    ids = [row[0] for row in sending._claim(send.pk, "task-1")]
    mark_sent(send, ids[:1])
    sending.give_up_batch(send.pk, "task-1", "Mail server unreachable")
    statuses = dict(Delivery.objects.filter(send=send).values_list("pk", "status"))
    assert statuses == {ids[0]: "sent", ids[1]: "failed", ids[2]: "failed"}
    assert sending.progress(send)["sent"] == 1


@pytest.mark.django_db(transaction=True)
def test_an_address_that_unsubscribes_mid_send_gets_nothing_after_it_commits(
    smtp_settings,
):
    news = make_list("News")
    people = [make_subscriber(f"p{n}@example.org", news) for n in range(4)]
    send = held_send([news])
    sending._claim(send.pk, "task-1")  # the batch has claimed everyone...
    people[3].status = Subscriber.Status.UNSUBSCRIBED  # ...then one unsubscribes
    people[3].save()
    sending.deliver_batch(send.pk, "task-1")
    assert people[3].email not in recipients(smtp_settings)
    assert len(smtp_settings.messages) == 3
    assert Delivery.objects.get(subscriber=people[3]).status == "skipped"
    assert sending.progress(send)["skipped"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_hard_bounced_address_gets_nothing_from_later_sends(smtp_settings):
    news = make_list("News")
    bouncer = make_subscriber("bouncer@example.org", news)
    make_subscriber("fine@example.org", news)
    bouncer.status = Subscriber.Status.BOUNCED
    bouncer.save()
    run_send(simple_send([news]))
    assert recipients(smtp_settings) == ["fine@example.org"]


@pytest.mark.django_db(transaction=True)
def test_refused_recipients_fail_with_the_reason_and_the_rest_are_sent(smtp_settings):
    news = make_list("News")
    make_subscriber("fine@example.org", news)
    make_subscriber("refuse-me@example.org", news)
    smtp_settings.refuse = {"refuse-me@example.org": "550 5.1.1 No such user"}
    try:
        send = simple_send([news])
        run_send(send)
    finally:
        smtp_settings.refuse = {}
    failed = Delivery.objects.get(email="refuse-me@example.org")
    assert failed.status == "failed"
    assert "No such user" in failed.error
    assert recipients(smtp_settings) == ["fine@example.org"]
    assert sending.progress(send)["failed"] == 1


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_mail_server_keeps_the_batch_for_a_retry(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    news = make_list("News")
    make_subscriber("p@example.org", news)
    send = held_send([news])
    with pytest.raises(sending.RetryLater):
        sending.deliver_batch(send.pk, "task-1")
    delivery = Delivery.objects.get(send=send)
    assert (delivery.status, delivery.claim) == ("claimed", "task-1")
    sending.give_up_batch(send.pk, "task-1", "Mail server unreachable: refused")
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "unreachable" in delivery.error
    send.refresh_from_db()
    assert send.status == Send.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_the_sweep_puts_back_rows_of_a_worker_that_died(smtp_settings, settings):
    settings.DELIVERY_STALE_AFTER_SECONDS = 60
    news = make_list("News")
    make_subscriber("p@example.org", news)
    send = held_send([news])
    sending._claim(send.pk, "dead-task")
    from datetime import timedelta

    from django.utils import timezone

    Delivery.objects.filter(send=send).update(
        claimed_at=timezone.now() - timedelta(minutes=5)
    )
    Send.objects.filter(pk=send.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    result = sending.sweep()
    # Released, and a batch queued again (which runs inline in this test).
    assert result == {"released": 1, "requeued_batches": 1}
    assert Delivery.objects.get(send=send).status == "sent"
    assert recipients(smtp_settings) == ["p@example.org"]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_never_puts_back_a_row_the_server_took(smtp_settings, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.DELIVERY_STALE_AFTER_SECONDS = 60
    news = make_list("News")
    make_subscriber("gone@example.org", news)
    make_subscriber("waiting@example.org", news)
    send = held_send([news])
    rows = sending._claim(send.pk, "dead-task")
    by_email = {row[1]: row[0] for row in rows}
    mark_sent(send, [by_email["gone@example.org"]])  # then the worker died
    Delivery.objects.filter(send=send).update(
        claimed_at=timezone.now() - timedelta(minutes=5)
    )
    Send.objects.filter(pk=send.pk).update(
        started_at=timezone.now() - timedelta(minutes=5)
    )
    assert sending.sweep() == {"released": 1, "requeued_batches": 1}
    assert recipients(smtp_settings) == ["waiting@example.org"]
    assert set(Delivery.objects.filter(send=send).values_list("status", flat=True)) == {
        "sent"
    }
    assert not SentMark.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_rows_tried_too_often_are_failed_with_the_reason(smtp_settings, settings):
    settings.DELIVERY_MAX_ATTEMPTS = 2
    news = make_list("News")
    make_subscriber("p@example.org", news)
    send = held_send([news])
    Delivery.objects.filter(send=send).update(attempts=2)
    sending.deliver_batch(send.pk, "t")
    delivery = Delivery.objects.get(send=send)
    assert delivery.status == "failed"
    assert "Gave up after 2 attempts" in delivery.error
    assert smtp_settings.messages == []


@pytest.mark.django_db(transaction=True)
def test_scheduled_sends_wait_for_their_time_and_can_be_cancelled():
    from datetime import timedelta

    from django.utils import timezone

    news = make_list("News")
    later = simple_send([news], scheduled_for=timezone.now() + timedelta(hours=1))
    cancelled = simple_send(
        [news], scheduled_for=timezone.now() + timedelta(hours=1), subject="Other"
    )
    assert later.status == Send.Status.SCHEDULED
    assert sending.dispatch_scheduled() == 0
    assert sending.cancel(cancelled) is True
    assert sending.cancel(cancelled) is False
    assert sending.dispatch_scheduled(now=timezone.now() + timedelta(hours=2)) == 1
    later.refresh_from_db()
    cancelled.refresh_from_db()
    assert later.status == Send.Status.SENT  # started (inline here): nobody on it
    assert cancelled.status == Send.Status.CANCELLED


# --- Through the real worker ------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_send_through_the_worker_reaches_everyone_once(
    celery_worker_process, smtp_sink, settings
):
    smtp_sink.clear()
    lists = [make_list(f"List {n}") for n in range(3)]
    expected = []
    for n in range(1200):
        # Everyone is on one to three lists: each must still get one email.
        mine = lists[: 1 + n % 3]
        expected.append(make_subscriber(f"person{n:04d}@example.org", *mine).email)
    send = simple_send(lists)  # committed: the start task is queued on commit

    wait_for(lambda: len(smtp_sink.messages) >= 1200, timeout=120)
    send.refresh_from_db()
    wait_for(lambda: Send.objects.get(pk=send.pk).status == Send.Status.SENT)
    assert recipients(smtp_sink) == sorted(expected)
    message_ids = {m["Message-ID"] for _r, m in smtp_sink.messages}
    assert len(message_ids) == 1200


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_send_made_in_a_rolled_back_transaction_sends_nothing(
    celery_worker_process, smtp_sink
):
    smtp_sink.clear()
    news = make_list("News")
    make_subscriber("p@example.org", news)
    with pytest.raises(RuntimeError), transaction.atomic():
        simple_send([news], subject="Never sent")
        raise RuntimeError("the editor's request failed")
    assert Send.objects.count() == 0
    # A later send, committed, arrives: anything queued before it would have too.
    simple_send([news], subject="Sent")
    wait_for(lambda: smtp_sink.messages)
    wait_for(lambda: Send.objects.get().status == Send.Status.SENT)
    assert [str(m["Subject"]) for _r, m in smtp_sink.messages] == ["Sent"]


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)
