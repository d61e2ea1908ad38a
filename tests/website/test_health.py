"""GET /healthz: 200 with each part's state, 503 naming the part that is down."""

from http import HTTPStatus

import pytest

from website import embedded, services

pytestmark = pytest.mark.django_db


def test_healthy_platform_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["status"] == "ok"
    assert data["database"]["ok"] is True
    assert data["broker"]["ok"] is True
    assert "failing" not in data
    assert response["Cache-Control"].startswith("max-age=0")


def test_stopped_broker_gives_503_naming_the_broker(client, settings, tmp_path_factory):
    base = tmp_path_factory.mktemp("broker")
    broker = embedded.EmbeddedRedis(base)
    broker.start()
    settings.CELERY_BROKER_URL = embedded.celery_broker_url(0, base)
    try:
        assert client.get("/healthz").status_code == HTTPStatus.OK
    finally:
        broker.stop()

    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    data = response.json()
    assert data["status"] == "unavailable"
    assert data["failing"] == ["broker"]
    assert data["broker"]["ok"] is False
    assert "broker unreachable" in data["broker"]["detail"]
    assert data["database"]["ok"] is True


def test_unreachable_database_is_reported(monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    healthy, report = services.check_health()
    assert healthy is False
    assert report["failing"] == ["database"]
    assert report["database"]["detail"] == "database unreachable: OperationalError"


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_worker_heartbeat_is_informational(client):
    services.record_heartbeat("celery")
    data = client.get("/healthz").json()
    assert data["worker"]["ok"] is True
    assert data["worker"]["age_seconds"] < 5
