"""/healthz reports each Celery queue's depth and the oldest waiting delivery."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from celery import Celery
from django.utils import timezone

from bulletins.models import Delivery, Send
from website import embedded, services
from website.celery import QUEUES

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_broker(settings, tmp_path_factory):
    """A real Redis of this test's own, which no worker reads from."""
    base = tmp_path_factory.mktemp("queues")
    broker = embedded.EmbeddedRedis(base)
    broker.start()
    settings.CELERY_BROKER_URL = embedded.celery_broker_url(0, base)
    yield broker, settings.CELERY_BROKER_URL
    broker.stop()


def queue_messages(broker_url: str, queue: str, count: int) -> None:
    app = Celery(broker=broker_url, set_as_current=False)
    for _ in range(count):
        app.send_task("website.tasks.heartbeat_task", args=["queued"], queue=queue)


def make_send(started_ago: timedelta | None, statuses: list[str], **kwargs) -> Send:
    started = None if started_ago is None else timezone.now() - started_ago
    send = Send.objects.create(
        kind=Send.Kind.BULLETIN,
        status=kwargs.pop("status", Send.Status.SENDING),
        subject="Learning bulletin",
        text="News.",
        started_at=started,
    )
    Delivery.objects.bulk_create(
        Delivery(send=send, email=f"p{n}@example.org", status=status)
        for n, status in enumerate(statuses)
    )
    return send


def test_every_queue_is_reported_with_its_waiting_messages(client, own_broker):
    _, url = own_broker
    queue_messages(url, "bulk", 3)
    queue_messages(url, "transactional", 1)

    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["queues"] == {
        "default": 0,
        "transactional": 1,
        "bulk": 3,
        "index": 0,
        "periodic": 0,
    }


def test_a_large_backlog_is_reported_not_a_failure(client, own_broker):
    _, url = own_broker
    queue_messages(url, "bulk", 250)
    make_send(timedelta(hours=3), ["pending"] * 5)

    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["status"] == "ok"
    assert data["queues"]["bulk"] == 250
    assert data["oldest_pending_delivery_seconds"] >= 3 * 3600


def test_queues_are_null_when_the_broker_is_down(client, own_broker):
    broker, _ = own_broker
    broker.stop()

    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    data = response.json()
    assert data["failing"] == ["broker"]
    assert data["queues"] is None
    assert data["oldest_pending_delivery_seconds"] is None  # nothing waiting


def test_queue_depths_name_every_queue_celery_routes_to(own_broker):
    _, url = own_broker
    assert list(services.queue_depths(url)) == list(QUEUES)


def test_no_waiting_delivery_is_null(client):
    make_send(timedelta(hours=1), ["sent", "failed", "skipped"], status="sent")

    assert client.get("/healthz").json()["oldest_pending_delivery_seconds"] is None


def test_the_oldest_waiting_delivery_is_timed_from_its_send_starting(client):
    make_send(timedelta(minutes=5), ["pending", "sent"])
    # Claimed by a worker but not sent yet: still waiting, and older.
    oldest = make_send(timedelta(minutes=42), ["claimed", "sent"])
    # Older still, but everything in it has gone.
    make_send(timedelta(hours=9), ["sent", "failed"], status="sent")
    # A send not started yet has no deliveries waiting on a worker.
    make_send(None, [], status="scheduled")

    age = client.get("/healthz").json()["oldest_pending_delivery_seconds"]

    assert 42 * 60 <= age <= 42 * 60 + 30
    later = oldest.started_at + timedelta(minutes=50)
    assert services.oldest_pending_delivery_seconds(later) == 50 * 60
