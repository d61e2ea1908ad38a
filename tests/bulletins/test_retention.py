"""Retention: unconfirmed addresses deleted, old delivery rows summarised and pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from bulletins import bounces, retention, sending, subscriptions
from bulletins.models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    SendSummary,
    Subscriber,
    Subscription,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _retention_settings(settings):
    settings.UNCONFIRMED_SUBSCRIBER_DAYS = 7
    settings.DELIVERY_RETENTION_DAYS = 90
    mail.outbox = []


@pytest.fixture
def news():
    return DistributionList.objects.create(
        name="News", slug="news", description="The monthly bulletin."
    )


def request_subscription(
    address: str, news: DistributionList, frequency="immediate"
) -> Subscriber:
    """The subscribe form's work, as the task does it."""
    subscriptions.handle_subscription_request(
        address,
        {"lists": [news.pk], "frequency": frequency},
        subscriptions.CURRENT_WORDING,
    )
    return Subscriber.objects.get(email=address)


def confirm(subscriber: Subscriber) -> None:
    assert subscriptions.confirm(subscriber)


# --- Unconfirmed subscribers ---------------------------------------------------------


def test_an_address_never_confirmed_is_deleted_after_the_allowed_days(news):
    stale = request_subscription("never.clicked@example.org", news)
    assert stale.status == Subscriber.Status.PENDING
    assert ConsentRecord.objects.filter(subscriber=stale).exists()

    # Not yet: a day short of the limit.
    assert retention.delete_unconfirmed_subscribers(now=timezone.now() + 6 * DAY) == 0
    assert Subscriber.objects.filter(pk=stale.pk).exists()

    later = timezone.now() + 7 * DAY + timedelta(minutes=1)
    assert retention.delete_unconfirmed_subscribers(now=later) == 1
    assert not Subscriber.objects.filter(pk=stale.pk).exists()
    assert not ConsentRecord.objects.filter(subscriber_id=stale.pk).exists()
    assert not Delivery.objects.filter(email="never.clicked@example.org").exists()
    # Running it again finds nothing more to do.
    assert retention.delete_unconfirmed_subscribers(now=later) == 0


def test_confirmed_active_and_other_addresses_are_kept(news):
    confirmed = request_subscription("confirmed@example.org", news)
    confirm(confirmed)
    # Active, and has just asked for a change it has not confirmed yet.
    request_subscription("confirmed@example.org", news)
    left = request_subscription("left@example.org", news)
    confirm(left)
    subscriptions.unsubscribe(left)
    gone = Subscriber.objects.create(email="gone@example.org", status="bounced")
    # Confirmed once, then asked again long ago after leaving: not "never confirmed".
    returning = request_subscription("returning@example.org", news)
    confirm(returning)
    subscriptions.unsubscribe(returning)
    request_subscription("returning@example.org", news)

    much_later = timezone.now() + 60 * DAY
    assert retention.delete_unconfirmed_subscribers(now=much_later) == 0

    confirmed.refresh_from_db()
    assert confirmed.status == Subscriber.Status.ACTIVE
    assert confirmed.pending_choices  # still waiting to be confirmed, and kept
    kept = Subscriber.objects.filter(pk__in=[left.pk, gone.pk, returning.pk])
    assert kept.count() == 3


def test_asking_again_starts_the_clock_again(news):
    subscriber = request_subscription("slow@example.org", news)
    # Eight days on they ask again (their first link has expired)...
    Subscriber.objects.filter(pk=subscriber.pk).update(
        created_at=timezone.now() - 8 * DAY
    )
    ConsentRecord.objects.filter(subscriber=subscriber).update(
        created_at=timezone.now() - 8 * DAY
    )
    request_subscription("slow@example.org", news, frequency="weekly")
    # ...so tonight's run keeps them, and their new link still works.
    assert retention.delete_unconfirmed_subscribers() == 0
    confirm(Subscriber.objects.get(pk=subscriber.pk))
    assert Subscription.objects.filter(subscriber=subscriber).count() == 1


def test_unconfirmed_addresses_are_deleted_in_batches(news, monkeypatch):
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    old = timezone.now() - 30 * DAY
    for number in range(5):
        Subscriber.objects.create(email=f"p{number}@example.org", created_at=old)
    Subscriber.objects.create(email="recent@example.org")
    assert retention.delete_unconfirmed_subscribers() == 5
    assert list(Subscriber.objects.values_list("email", flat=True)) == [
        "recent@example.org"
    ]


# --- Delivery rows -------------------------------------------------------------------


def make_active(address: str, news) -> Subscriber:
    subscriber = Subscriber.objects.create(email=address, status="active")
    Subscription.objects.create(subscriber=subscriber, distribution_list=news)
    return subscriber


def send_now(news, subject="Learning bulletin, issue 7") -> Send:
    send = sending.create_send(
        kind=Send.Kind.BULLETIN,
        subject=subject,
        text="CDRTOKENGREETINGCDR\nNews.\n",
        lists=[news],
    )
    sending.start_send(send.pk)
    while Delivery.objects.filter(send=send, status="pending").exists():
        sending.deliver_batch(send.pk)
    send.refresh_from_db()
    assert send.status == Send.Status.SENT and send.finished_at
    return send


def report(kind, address, send, number):
    bounces.record(
        bounces.Bounce(
            kind=kind,
            email=address,
            source="test",
            provider_event_id=f"event-{number}",
            message_ids=(Delivery.objects.get(send=send, email=address).message_id,),
        )
    )


@pytest.fixture
def finished_send(news):
    """A bulletin to six: 4 sent, 1 failed, 1 skipped; bounces and a complaint."""
    for name in ("a", "b", "c", "d", "e", "f"):
        make_active(f"{name}@example.org", news)
    send = send_now(news)
    Delivery.objects.filter(send=send, email="e@example.org").update(
        status="failed", error="550 5.1.1 User unknown"
    )
    Delivery.objects.filter(send=send, email="f@example.org").update(status="skipped")
    report(DeliveryEvent.Kind.SOFT_BOUNCE, "a@example.org", send, 1)
    report(DeliveryEvent.Kind.SOFT_BOUNCE, "a@example.org", send, 2)
    report(DeliveryEvent.Kind.HARD_BOUNCE, "b@example.org", send, 3)
    report(DeliveryEvent.Kind.COMPLAINT, "c@example.org", send, 4)
    return send


EXPECTED = {
    "pending": 0,
    "claimed": 0,
    "sending": 0,
    "sent": 4,
    "failed": 1,
    "skipped": 1,
    "total": 6,
    "hard_bounces": 1,
    "soft_bounces": 1,
    "complaints": 1,
}


def test_old_delivery_rows_are_summarised_then_deleted(finished_send, news):
    before = sending.progress(finished_send)
    recent = send_now(news, subject="Issue 8")  # finished just now: kept
    after_retention = finished_send.finished_at + 90 * DAY + timedelta(minutes=1)
    Send.objects.filter(pk=recent.pk).update(finished_at=after_retention - 89 * DAY)

    result = retention.prune_deliveries(now=after_retention)

    assert result == {"sends": 1, "deliveries": 6}
    assert not Delivery.objects.filter(send=finished_send).exists()
    # Everyone but the hard bounce and the complaint got the later one.
    assert Delivery.objects.filter(send=recent).count() == 4
    assert not SendSummary.objects.filter(send=recent).exists()
    summary = SendSummary.objects.get(send=finished_send)
    assert summary.counts == EXPECTED
    # The bounce reports themselves are kept, and staff still see the same figures.
    assert DeliveryEvent.objects.filter(send=finished_send).count() == 4
    finished_send = Send.objects.get(pk=finished_send.pk)
    after = sending.progress(finished_send)
    for key in ("total", "pending", "sent", "failed", "skipped"):
        assert after[key] == before[key], key
    assert after["done"] and after["percent"] == 100


def test_pruning_again_changes_nothing(finished_send):
    later = finished_send.finished_at + 91 * DAY
    retention.prune_deliveries(now=later)
    summary = SendSummary.objects.get(send=finished_send)
    assert retention.prune_deliveries(now=later) == {"sends": 0, "deliveries": 0}
    assert retention.prune_deliveries(now=later + 30 * DAY) == {
        "sends": 0,
        "deliveries": 0,
    }
    again = SendSummary.objects.get(send=finished_send)
    assert (again.counts, again.pruned_at) == (EXPECTED, summary.pruned_at)


def test_rows_are_moved_in_batches_and_every_row_is_counted_once(
    finished_send, monkeypatch
):
    monkeypatch.setattr(retention, "BATCH_SIZE", 4)
    result = retention.prune_deliveries(now=finished_send.finished_at + 91 * DAY)
    assert result == {"sends": 1, "deliveries": 6}
    assert SendSummary.objects.get(send=finished_send).counts == EXPECTED


def test_unfinished_sends_are_never_touched(news):
    for name in ("a", "b", "c"):
        make_active(f"{name}@example.org", news)
    long_ago = timezone.now() - 400 * DAY
    # Still sending (started long ago, a row still in flight).
    sending_send = sending.create_send(
        kind=Send.Kind.BULLETIN, subject="Stuck", text="Hi", lists=[news]
    )
    sending.start_send(sending_send.pk)
    Send.objects.filter(pk=sending_send.pk).update(started_at=long_ago)
    # Marked sent long ago, but with a row still pending (a sweep will retry it).
    odd = send_now(news, subject="Odd")
    Send.objects.filter(pk=odd.pk).update(finished_at=long_ago)
    Delivery.objects.filter(send=odd, email="a@example.org").update(status="pending")
    # Scheduled for the future.
    scheduled = sending.create_send(
        kind=Send.Kind.BULLETIN,
        subject="Next month",
        text="Hi",
        lists=[news],
        scheduled_for=timezone.now() + 30 * DAY,
    )

    assert retention.prune_deliveries() == {"sends": 0, "deliveries": 0}

    assert Delivery.objects.filter(send=sending_send).count() == 3
    assert Delivery.objects.filter(send=odd).count() == 3
    assert not SendSummary.objects.filter(
        send__in=[sending_send, odd, scheduled]
    ).exists()


def test_an_old_cancelled_send_gets_an_empty_summary_once(news):
    send = sending.create_send(
        kind=Send.Kind.BULLETIN,
        subject="Cancelled",
        text="Hi",
        lists=[news],
        scheduled_for=timezone.now() + DAY,
    )
    assert sending.cancel(send)
    later = timezone.now() + 91 * DAY
    assert retention.prune_deliveries(now=later) == {"sends": 1, "deliveries": 0}
    assert SendSummary.objects.get(send=send).counts["total"] == 0
    assert retention.prune_deliveries(now=later) == {"sends": 0, "deliveries": 0}


def test_the_retention_period_is_a_setting(finished_send, settings):
    settings.DELIVERY_RETENTION_DAYS = 30
    at = finished_send.finished_at + 31 * DAY
    assert retention.prune_deliveries(now=at) == {"sends": 1, "deliveries": 6}
