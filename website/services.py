"""Site-wide business actions: health checks, heartbeats, the admin account."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import Heartbeat

BROKER_TIMEOUT_SECONDS = 2.0


@dataclass
class ComponentHealth:
    """The state of one dependency as /healthz reports it."""

    ok: bool
    detail: str = ""
    latency_ms: float | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = {"ok": self.ok, "detail": self.detail}
        if self.latency_ms is not None:
            data["latency_ms"] = round(self.latency_ms, 1)
        data.update(self.extra)
        return data


def check_database() -> ComponentHealth:
    """Run ``SELECT 1`` on the default database."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return ComponentHealth(False, f"database unreachable: {type(exc).__name__}")
    return ComponentHealth(True, "ok", (time.perf_counter() - started) * 1000)


def check_broker(broker_url: str | None = None) -> ComponentHealth:
    """Open (and close) a connection to the Celery broker."""
    from kombu import Connection

    url = broker_url or settings.CELERY_BROKER_URL
    started = time.perf_counter()
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return ComponentHealth(False, f"broker unreachable: {type(exc).__name__}")
    return ComponentHealth(True, "ok", (time.perf_counter() - started) * 1000)


def worker_heartbeat(name: str = "celery") -> ComponentHealth:
    """When beat and a worker last proved themselves (informational, never fatal)."""
    try:
        beat = Heartbeat.objects.filter(name=name).first()
    except Exception:  # noqa: BLE001
        return ComponentHealth(False, "unknown: database unreachable")
    if beat is None:
        return ComponentHealth(False, "no heartbeat recorded yet")
    age = (timezone.now() - beat.last_seen).total_seconds()
    return ComponentHealth(
        age < 180,
        "ok" if age < 180 else "stale: is the Celery worker or beat running?",
        extra={"last_seen": beat.last_seen.isoformat(), "age_seconds": int(age)},
    )


def check_health() -> tuple[bool, dict]:
    """Database and broker state; healthy only when both answer."""
    database = check_database()
    broker = check_broker()
    report = {
        "status": "ok" if database.ok and broker.ok else "unavailable",
        "database": database.as_dict(),
        "broker": broker.as_dict(),
        "worker": worker_heartbeat().as_dict() if database.ok else None,
    }
    failing = [name for name in ("database", "broker") if not report[name]["ok"]]
    if failing:
        report["failing"] = failing
    return not failing, report


def record_heartbeat(name: str, when: datetime | None = None) -> Heartbeat:
    """Record that ``name`` is alive now."""
    beat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": when or timezone.now()}
    )
    return beat


def ensure_admin_user(
    username: str, email: str, password: str | None = None
) -> tuple[object, str | None]:
    """Create the superuser if missing. Returns (user, password if it was just set)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is not None:
        return user, None
    password = password or secrets.token_urlsafe(12)
    user = user_model.objects.create_superuser(
        username=username, email=email, password=password
    )
    return user, password
