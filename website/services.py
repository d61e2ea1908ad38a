"""Site-wide business actions: health checks, heartbeats, the admin account."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection
from django.db.models import Exists, Min, OuterRef
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


# SQLSTATEs of a server shutting down, starting up or full (class 08, connection
# exceptions, counts as well); any other database error is a fault, not an outage.
_OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}


def is_database_outage(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the database being out of reach (not a bad query).

    psycopg 3 reports a connection that failed or was lost as an OperationalError
    with no SQLSTATE; its InterfaceError means code misused the driver (a closed
    cursor), which is a programming error like any other.
    """
    if not isinstance(exc, OperationalError | psycopg.OperationalError):
        return False
    sqlstate = getattr(exc.__cause__ or exc, "sqlstate", None)
    return sqlstate is None or sqlstate[:2] == "08" or sqlstate in _OUTAGE_SQLSTATES


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


def queue_depths(broker_url: str | None = None) -> dict[str, int] | None:
    """Messages waiting in each Celery queue, or None if the broker cannot be read."""
    from kombu import Connection

    from .celery import QUEUES

    url = broker_url or settings.CELERY_BROKER_URL
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            return {name: _queue_depth(conn, name) for name in QUEUES}
    except Exception:  # noqa: BLE001 - the broker check reports why
        return None


def _queue_depth(conn, name: str) -> int:
    # A passive declare reads the count without creating anything. A queue nothing
    # has been sent to yet does not exist (Redis keeps no empty lists), and on
    # RabbitMQ the failed declare closes its channel: hence a channel per queue.
    channel = conn.channel()
    try:
        return channel.queue_declare(queue=name, passive=True).message_count
    except conn.channel_errors:
        return 0
    finally:
        channel.close()


def oldest_pending_delivery_seconds(now: datetime | None = None) -> int | None:
    """Seconds since the send of the oldest unsent delivery started.

    None when nothing is waiting, or when the database cannot say (its tables
    missing mid-deploy, say: the health check must still answer). Deliveries
    only wait inside sends that are sending, so the few sending sends are
    searched rather than every delivery ever made.
    """
    from bulletins.models import Delivery, Send
    from bulletins.sending import OPEN

    waiting = Delivery.objects.filter(send=OuterRef("pk"), status__in=OPEN)
    try:
        started = (
            Send.objects.filter(status=Send.Status.SENDING, started_at__isnull=False)
            .filter(Exists(waiting))
            .aggregate(oldest=Min("started_at"))["oldest"]
        )
    except DatabaseError:
        return None
    if started is None:
        return None
    return max(0, int(((now or timezone.now()) - started).total_seconds()))


def check_health() -> tuple[bool, dict]:
    """Database and broker state; healthy only when both answer.

    Queue depths and the oldest waiting delivery are reported for monitoring to
    alert on, never a reason for a 503: a backlog is work for the workers, and a
    web node taken out of the load balancer for it would only add to the trouble.
    """
    database = check_database()
    broker = check_broker()
    report = {
        "status": "ok" if database.ok and broker.ok else "unavailable",
        "database": database.as_dict(),
        "broker": broker.as_dict(),
        "worker": worker_heartbeat().as_dict() if database.ok else None,
        "queues": queue_depths() if broker.ok else None,
        "oldest_pending_delivery_seconds": (
            oldest_pending_delivery_seconds() if database.ok else None
        ),
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
