"""Request ids and JSON logs: from the request's header to the worker's log lines."""

from __future__ import annotations

import http.cookiejar
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from bulletins import subscriptions
from bulletins.models import DistributionList, Send
from tests.conftest import ROOT, _database_url, start_worker, stop_worker, wait_for
from website import embedded, observability

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log():
    """What the root logger writes, as the JSON console handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(observability.RequestIdFilter())
    handler.setFormatter(observability.json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.django_db
def test_a_well_formed_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a:42.abc_DEF")

    assert response["X-Request-ID"] == "lb-7f3a:42.abc_DEF"


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_new_one_each_time(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.django_db
@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 129,
        "abc\r\nSet-Cookie: session=stolen",
        "abc\ndef",
        "idé-ünïcode",
        "id with spaces",
        "<script>alert(1)</script>",
        "",
    ],
    ids=["too-long", "crlf", "newline", "non-ascii", "spaces", "markup", "empty"],
)
def test_a_hostile_request_id_is_replaced(client, json_log, hostile):
    response = client.get("/no-such-page-here/", HTTP_X_REQUEST_ID=hostile)

    assert response.status_code == HTTPStatus.NOT_FOUND
    given = response["X-Request-ID"]
    assert GENERATED.fullmatch(given), given
    assert "Set-Cookie: session" not in str(response.headers)
    [logged] = [line for line in lines(json_log.getvalue()) if line["level"] != "INFO"]
    assert logged["request_id"] == given
    if hostile:
        assert hostile not in json_log.getvalue()


def test_the_longest_accepted_id_is_128_characters():
    assert observability.accept_request_id("a" * 128) == "a" * 128
    assert observability.accept_request_id("a" * 129) != "a" * 129


@pytest.mark.django_db
def test_a_log_line_is_one_json_object_with_the_request_id(client, json_log):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-0001")

    assert response.status_code == HTTPStatus.NOT_FOUND
    [line] = [
        line
        for line in lines(json_log.getvalue())
        if line["logger"] == "django.request"
    ]
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /no-such-page/"
    assert line["request_id"] == "req-0001"
    assert line["status_code"] == HTTPStatus.NOT_FOUND
    assert "request" not in line  # the request object is not data
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", line["timestamp"]
    )
    # The id belongs to that request only.
    assert observability.current_request_id() is None


def test_an_exception_is_logged_with_its_traceback_on_the_same_line(json_log):
    token = observability.bind_request_id("req-0002")
    try:
        raise ValueError("the reason")
    except ValueError:
        logging.getLogger("cdr.test").exception("It failed")
    finally:
        observability.unbind_request_id(token)

    [raw] = json_log.getvalue().splitlines()
    line = json.loads(raw)
    assert line["message"] == "It failed"
    assert line["request_id"] == "req-0002"
    assert "ValueError: the reason" in line["exc_info"]
    assert "task_id" not in line  # outside a task


def test_log_format_must_be_plain_or_json():
    assert observability.log_format(" JSON ") == "json"
    assert observability.log_format("plain") == "plain"
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT is 'xml'"):
        observability.log_format("xml")


def test_production_settings_always_log_json():
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "learning.example.org",
        "BASE_URL": "https://learning.example.org",
        "DATABASE_URL": "postgres://cdr:secret@db.internal:5432/cdr_learning",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "EMAIL_URL": "smtp://mailer:secret@smtp.internal:587/?tls=True",
        "ANYMAIL_WEBHOOK_SECRET": "hooks:" + "s" * 20,
        "LOG_FORMAT": "plain",
    }
    script = (
        "import logging, django; django.setup(); "
        "logging.getLogger('cdr.check').warning('hello')"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "website.settings.production"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    [line] = [
        line for line in lines(result.stderr) if line.get("logger") == "cdr.check"
    ]
    assert line["message"] == "hello"
    assert line["level"] == "WARNING"
    assert line["request_id"] is None


# --- Through a real web process and a real worker -----------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_broker():
    """A Redis database of the suite's broker that only this test's processes use."""
    from celery import Celery

    broker = embedded.celery_broker_url(4, settings.VAR_DIR)
    Celery(broker=broker, set_as_current=False).control.purge()
    return broker


@pytest.fixture
def json_worker(own_broker, smtp_sink, transactional_db):
    """A real Celery worker (prefork) logging JSON, on this test's own broker."""
    log_path = Path(settings.VAR_DIR) / "log" / "celery-json-test-worker.log"
    proc = start_worker(
        name="json-log-test",
        broker_url=own_broker,
        email_url=smtp_sink.url,
        database_url=_database_url(),
        log_path=log_path,
        worker_args=[
            *("-Q", "default,transactional,bulk,index,periodic"),
            *("-P", "prefork", "-c", "1"),
        ],
        extra_env={"LOG_FORMAT": "json"},
    )
    yield log_path
    stop_worker(proc)


@pytest.fixture
def web_process(own_broker, smtp_sink, transactional_db):
    """The site under gunicorn, as in production, on the same broker and database."""
    port = free_port()
    log_path = Path(settings.VAR_DIR) / "log" / "gunicorn-json-test.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.test",
        "TEST_DATABASE_URL": _database_url(),
        "TEST_CELERY_BROKER_URL": own_broker,
        "TEST_EMAIL_URL": smtp_sink.url,
        "LOG_FORMAT": "json",
    }
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                *("-m", "gunicorn", "website.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{log_path.read_text()}")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=5).close()  # noqa: S310
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    else:
        pytest.fail(f"gunicorn did not answer:\n{log_path.read_text()}")
    yield base
    proc.terminate()
    proc.wait(20)


def post_subscribe_form(base: str, request_id: str, list_id: int):
    """GET the form (for its CSRF cookie and token), then POST it, as a browser does."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), NoRedirect()
    )
    html = opener.open(f"{base}/subscribe/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "email": "traced@example.org",
            "lists": list_id,
            "frequency": "immediate",
            "wording": subscriptions.CURRENT_WORDING,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        f"{base}/subscribe/", data=body, headers={"X-Request-ID": request_id}
    )
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as exc:  # the 303 is not followed
        return exc
    pytest.fail("the subscribe form should answer 303")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def task_lines(log_path: Path, task_name: str) -> list[dict]:
    return [
        line
        for line in lines(log_path.read_text())
        if line.get("task_name") == task_name
    ]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_task_logs_the_request_id_of_the_request_that_queued_it(
    site, smtp_sink, json_worker, web_process
):
    news = DistributionList.objects.create(name="News", slug="news")
    smtp_sink.clear()

    response = post_subscribe_form(web_process, "trace-me-0042", news.pk)

    assert response.code == HTTPStatus.SEE_OTHER
    assert response.headers["X-Request-ID"] == "trace-me-0042"
    # The request queued the subscription task; that task queued the delivery.
    wait_for(lambda: smtp_sink.messages, timeout=60)
    assert Send.objects.filter(subject="Confirm your email subscription").exists()

    def finished(task_name):
        return lambda: [
            line
            for line in task_lines(json_worker, task_name)
            if "succeeded" in line["message"]
        ]

    for task_name in (
        "bulletins.handle_subscription_request",
        "bulletins.deliver_batch",
    ):
        [done] = wait_for(finished(task_name), timeout=30)
        assert done["request_id"] == "trace-me-0042", done
        assert done["message"].startswith(f"Task {task_name}[{done['task_id']}]")
        assert {"timestamp", "level", "logger"} <= done.keys()
    # Task arguments (the address here) stay out of the log, as in readable lines.
    assert "traced@example.org" not in json_worker.read_text()
    # Lines outside any task (the worker starting) carry no request id.
    ready = next(
        line for line in lines(json_worker.read_text()) if "ready." in line["message"]
    )
    assert ready["request_id"] is None and "task_id" not in ready
