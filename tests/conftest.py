"""Suite-wide fixtures: real embedded PostgreSQL and Redis, a real Celery worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from website import embedded

ROOT = Path(__file__).resolve().parent.parent
_started: list = []


def _test_environ() -> dict:
    """Which services the test settings will use (TEST_* URLs win over the others)."""
    return {
        "DATABASE_URL": os.environ.get("TEST_DATABASE_URL")
        or os.environ.get("DATABASE_URL"),
        "CELERY_BROKER_URL": os.environ.get("TEST_CELERY_BROKER_URL")
        or os.environ.get("CELERY_BROKER_URL"),
    }


def pytest_configure(config):
    """Start the embedded services the suite needs before any database access."""
    from django.conf import settings

    if getattr(config, "workerinput", None) is not None:
        return  # an xdist worker: the controller started them
    _started.extend(
        embedded.start_services(settings.VAR_DIR, environ=_test_environ(), fast=True)
    )


def pytest_unconfigure(config):
    embedded.stop_services(_started)
    _started.clear()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def unreachable_cache(settings):
    """Django's cache on production's backend, pointed at a Redis that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "website.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }


@pytest.fixture
def page_cache_on(settings):
    """The page cache on (the test settings turn it off), empty before and after."""
    from django.core.cache import cache

    settings.PAGE_CACHE_ENABLED = True
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def counters():
    """The real (embedded) Redis page views are counted in, empty before and after."""
    from impact import pageviews

    client = pageviews.redis_client()
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def routes_on(settings):
    """Routes and what is kept with them (website/routing.py) remembered, as in
    production; the test settings turn them off."""
    from django.core.cache import cache

    settings.ROUTE_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(db):
    """The default site with a published home page, as ``seed_demo`` would make it."""
    from tests.factories import HomePageFactory, ensure_site

    return ensure_site(HomePageFactory.build_home())


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    host = s["HOST"]
    if host.startswith("/"):
        return f"postgres://{s['USER']}@/{s['NAME']}?host={host}&port={s['PORT']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{host}:{s['PORT']}/{s['NAME']}"


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        # Addresses the server refuses at RCPT, with the reply (e.g. "550 ...").
        self.refuse: dict[str, str] = {}
        # Seconds to wait before accepting each message (a slow server).
        self.delay = 0.0
        # Whether EHLO offers PIPELINING (RFC 2920), as real MTAs do.
        self.pipelining = False
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        if self.pipelining:  # before the last line ("250 HELP")
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        import email
        from email import policy

        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message.raw_bytes = envelope.content  # exactly as received on the wire
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def clear(self):
        self.messages.clear()


@pytest.fixture(scope="session")
def smtp_sink():
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def start_worker(
    *,
    name: str,
    broker_url: str,
    email_url: str,
    database_url: str,
    log_path: Path,
    worker_args: list[str],
    extra_env: dict | None = None,
) -> subprocess.Popen:
    """Start a real Celery worker process on the test settings; wait until ready."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.test",
        "TEST_DATABASE_URL": database_url,
        "TEST_CELERY_BROKER_URL": broker_url,
        "TEST_EMAIL_URL": email_url,
        **(extra_env or {}),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "website",
                "worker",
                *worker_args,
                "-n",
                f"{name}-{os.getpid()}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Celery worker exited early; see {log_path}")
        if "ready." in log_path.read_text():
            return proc
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"Celery worker did not become ready; see {log_path}")


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, smtp_sink):
    """A real Celery worker (separate process) on the test broker and test database.

    Tests using it must use ``transactional_db`` so the worker sees committed rows.
    """
    from django.conf import settings

    from website.celery import app

    with django_db_blocker.unblock():
        database_url = _database_url()
    app.control.purge()
    proc = start_worker(
        name="test",
        broker_url=settings.CELERY_BROKER_URL,
        email_url=smtp_sink.url,
        database_url=database_url,
        log_path=Path(settings.VAR_DIR) / "log" / "celery-test-worker.log",
        worker_args=["-Q", "default,transactional,bulk,index,periodic", "-P", "solo"],
    )
    yield proc
    stop_worker(proc)


def wait_for(predicate, timeout: float = 30, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout}s waiting for {predicate.__name__}")


@pytest.fixture
def celery_eager():
    """Run Celery tasks inline in this process (for tests without a worker).

    Tasks are enqueued on commit; in a test inside a transaction, wrap the request
    in ``django_capture_on_commit_callbacks(execute=True)`` so they run.
    """
    from website.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
