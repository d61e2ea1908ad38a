"""Sentry, when SENTRY_DSN is set: errors reach it, personal data does not.

A real local HTTP server stands in for Sentry's ingest and keeps every envelope
the SDK posts; a separate Python process loads the settings with SENTRY_DSN
pointing at it, as a web process would, and makes a view fail.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import ROOT, _database_url
from website import observability

READER_EMAIL = "probe-reader@example.org"
FORM_EMAIL = "form-field@example.org"
COOKIE_VALUE = "cookie-value-not-for-sentry"
# A reader's own link: a signed token in the path, a random one in the query.
SIGNED_TOKEN = "k3Yx9Qp2:Zr8vW1sT4uXy7"
RANDOM_TOKEN = "Qm9uZXktbm90LWZvci1zZW50cnktMTIzNDU2Nzg5"
CLIENT_ADDRESS = "203.0.113.77"
FORWARDED_ADDRESS = "198.51.100.9"

# Run in the other process, through Django's WSGI handler as a server would call
# it: a view that fails, reached by a signed-in reader who has cookies, posts a
# form with an email address and comes from a known address.
PROBE = f"""
import io, json, sys, types
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults
import django
django.setup()
import sentry_sdk
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from website import urls as site_urls

@csrf_exempt
def boom(request, token, other):
    reader_email = request.user.email  # a local variable holding personal data
    raise RuntimeError("sentry probe failure for " + reader_email.split("@")[1])

probe_urls = types.ModuleType("probe_urls")
probe_urls.urlpatterns = [
    path("probe/<str:token>/boom/<str:other>/", boom), *site_urls.urlpatterns
]
probe_urls.handler500 = site_urls.handler500
sys.modules["probe_urls"] = probe_urls
settings.ROOT_URLCONF = "probe_urls"

signed_in = Client()
signed_in.force_login(get_user_model().objects.get(username="probe"))
session = signed_in.cookies["sessionid"].value
body = urlencode({{"email": "{FORM_EMAIL}"}}).encode()
environ = {{
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/probe/{SIGNED_TOKEN}/boom/{RANDOM_TOKEN}/",
    "QUERY_STRING": "next={RANDOM_TOKEN}",
    "CONTENT_TYPE": "application/x-www-form-urlencoded",
    "CONTENT_LENGTH": str(len(body)),
    "wsgi.input": io.BytesIO(body),
    "HTTP_HOST": "testserver",
    "HTTP_COOKIE": "sessionid=" + session + "; preferences={COOKIE_VALUE}",
    "HTTP_X_FORWARDED_FOR": "{FORWARDED_ADDRESS}",
    "HTTP_X_REQUEST_ID": "sentry-probe-1",
    "REMOTE_ADDR": "{CLIENT_ADDRESS}",
}}
setup_testing_defaults(environ)
statuses = []
response = get_wsgi_application()(
    environ, lambda status, headers, exc_info=None: statuses.append(status)
)
b"".join(response)
response.close()
sentry_sdk.flush(timeout=10)
print(json.dumps({{
    "status": statuses[0],
    "session": session,
    "integrations": sorted(sentry_sdk.get_client().integrations),
}}))
"""


class FakeSentry:
    """A local HTTP server that accepts envelopes as Sentry's ingest does."""

    def __init__(self):
        self.envelopes: list[bytes] = []
        received = self.envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                received.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.server_port}/1"

    def events(self) -> list[dict]:
        """The error events among the envelopes' items."""
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def fake_sentry():
    sentry = FakeSentry()
    sentry.thread.start()
    yield sentry
    sentry.server.shutdown()
    sentry.server.server_close()


@pytest.mark.django_db(transaction=True)
def test_an_error_reaches_sentry_without_personal_data(fake_sentry):
    get_user_model().objects.create_user(
        "probe", email=READER_EMAIL, password="a long enough password"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.test",
        "TEST_DATABASE_URL": _database_url(),
        "SENTRY_DSN": fake_sentry.dsn,
        "SENTRY_ENVIRONMENT": "h2-test",
        "SENTRY_RELEASE": "cdr-learning@1.2.3",
    }

    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "500 Internal Server Error"
    assert {"django", "celery"} <= set(outcome["integrations"])
    [event] = fake_sentry.events()
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "sentry probe failure for example.org"
    assert event["environment"] == "h2-test"
    assert event["release"] == "cdr-learning@1.2.3"
    assert event["tags"]["request_id"] == "sentry-probe-1"
    assert event["request"]["url"] == (
        "http://testserver/probe/[Filtered]/boom/[Filtered]/"
    )
    assert event["request"]["method"] == "POST"
    sent = b"\n".join(fake_sentry.envelopes).decode()
    for personal in (
        READER_EMAIL,
        FORM_EMAIL,
        COOKIE_VALUE,
        SIGNED_TOKEN,
        RANDOM_TOKEN,
        outcome["session"],
        CLIENT_ADDRESS,
        FORWARDED_ADDRESS,
    ):
        assert personal not in sent, personal
    assert "email" not in event.get("user", {})
    assert "cookies" not in event["request"]
    assert not event["request"].get("data")  # no form bodies
    frames = exception["stacktrace"]["frames"]
    assert not any("vars" in frame for frame in frames)


def test_without_a_dsn_nothing_is_sent():
    assert os.environ.get("SENTRY_DSN", "") == ""
    assert not sentry_sdk.get_client().is_active()


@pytest.mark.parametrize("value", ["0", "0.05", "1"])
def test_a_traces_sample_rate_from_0_to_1_is_accepted(value):
    assert observability.sample_rate(value) == float(value)


@pytest.mark.parametrize("value", ["-0.1", "1.5", "some", "", "nan"])
def test_any_other_traces_sample_rate_is_refused_by_name(value):
    with pytest.raises(ImproperlyConfigured, match="SENTRY_TRACES_SAMPLE_RATE"):
        observability.sample_rate(value)


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        (
            "https://learning.example.org/safer-sleep-for-babies-in-winter/?page=2",
            "https://learning.example.org/safer-sleep-for-babies-in-winter/",
        ),
        (
            "https://learning.example.org/subscriptions/manage/abc:def/export/",
            "https://learning.example.org/subscriptions/manage/[Filtered]/export/",
        ),
        (
            "https://learning.example.org/webinars/registration/"
            "dGhpcy1pcy1hLXJhbmRvbS10b2tlbg_x/",
            "https://learning.example.org/webinars/registration/[Filtered]/",
        ),
    ],
    ids=["page", "signed-token", "random-token"],
)
def test_link_tokens_and_query_strings_are_kept_out_of_events(url, sent):
    event = {"request": {"url": url, "query_string": "page=2"}}

    observability._before_send(event, {})

    assert event["request"] == {"url": sent}
