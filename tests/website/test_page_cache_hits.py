"""Page-cache hits answered in front of Django's request handler
(``website.page_cache.Hits``, the WSGI application in website/wsgi.py): the same
response Django would give, counted the same, and everything else passed on."""

import io
import sys

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from impact import pageviews
from tests.factories import StandardPageFactory, UserFactory
from website import page_cache

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def app():
    """website/wsgi.py's application, on the test database's open transaction
    (Django's handler would otherwise close the connection between requests, as
    the test client stops it doing)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield page_cache.Hits(WSGIHandler())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def page(site):
    return StandardPageFactory(parent=site, title="Water safety", slug="water")


class Answer:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status_code = int(status.split()[0])
        self.headers = dict(headers)
        self.body = body


def get(app, path, method="GET", host="testserver", **extra) -> Answer:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": FIREFOX,
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **extra,
    }
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=headers)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return Answer(started["status"], started["headers"], body)


@pytest.fixture
def handler_calls():
    """How many requests reached Django's request handler."""
    calls = []

    def seen(**kwargs):
        calls.append(1)

    request_started.connect(seen)
    yield calls
    request_started.disconnect(seen)


def test_a_hit_is_django_s_hit_without_django_s_handler(
    app, page, page_cache_on, handler_calls
):
    first = get(app, page.url)
    assert first.headers["X-Cache"] == "miss"
    assert len(handler_calls) == 1
    through_django = get(app.application, page.url)
    assert through_django.headers["X-Cache"] == "hit"
    assert len(handler_calls) == 2

    fast = get(app, page.url)
    assert len(handler_calls) == 2  # answered in front of the handler
    assert fast.status_code == 200
    assert fast.body == through_django.body == first.body
    assert "Water safety" in fast.body.decode()
    # Every header the middleware above the page cache adds, as Django adds it.
    assert fast.headers.keys() == through_django.headers.keys()
    for name, value in through_django.headers.items():
        if name != "X-Request-ID":
            assert fast.headers[name] == value, name
    assert fast.headers["X-Request-ID"] != through_django.headers["X-Request-ID"]
    assert fast.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in fast.headers


def test_a_hit_keeps_a_well_formed_request_id(app, page, page_cache_on):
    get(app, page.url)
    answer = get(app, page.url, HTTP_X_REQUEST_ID="lb-1234-abcd")
    assert answer.headers["X-Cache"] == "hit"
    assert answer.headers["X-Request-ID"] == "lb-1234-abcd"


def test_a_hit_is_counted_as_a_page_view(app, page, page_cache_on, counters):
    get(app, page.url)
    assert get(app, page.url).headers["X-Cache"] == "hit"
    get(app, page.url, HTTP_USER_AGENT="curl/8.5.0")  # not a person: not counted
    key = pageviews.day_key(timezone.localdate())
    assert counters.hgetall(key) == {f"{page.pk}:website.standardpage".encode(): b"2"}


def test_a_miss_reads_the_cache_once(app, page, page_cache_on, monkeypatch):
    looked = []
    real = page_cache.lookup

    def counting(request):
        looked.append(request.path)
        return real(request)

    monkeypatch.setattr(page_cache, "lookup", counting)
    assert get(app, page.url).headers["X-Cache"] == "miss"
    assert looked == [page.url]


def test_a_signed_in_reader_goes_to_django(
    app, client, page, page_cache_on, handler_calls
):
    get(app, page.url)
    client.force_login(UserFactory())
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    answer = get(app, page.url, HTTP_COOKIE=cookie)
    assert len(handler_calls) == 2
    assert answer.status_code == 200
    assert "X-Cache" not in answer.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_go_to_django(app, page, page_cache_on, handler_calls, method):
    get(app, page.url)
    answer = get(app, page.url, method=method, CONTENT_LENGTH="0")
    assert len(handler_calls) == 2
    assert answer.headers.get("X-Cache") != "hit"


def test_a_bad_host_is_django_s_400(app, page, page_cache_on, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    get(app, page.url)
    answer = get(app, page.url, host="evil.example")
    assert answer.status_code == 400


def test_https_is_still_required_on_a_hit(app, page, page_cache_on, settings):
    get(app, page.url)
    settings.SECURE_SSL_REDIRECT = True
    answer = get(app, page.url)
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"https://testserver{page.url}"


def test_turned_off_everything_goes_to_django(app, page, settings, handler_calls):
    settings.PAGE_CACHE_ENABLED = False
    get(app, page.url)
    get(app, page.url)
    assert len(handler_calls) == 2


def test_an_unreachable_cache_still_serves_the_page(
    app, page, settings, unreachable_cache
):
    settings.PAGE_CACHE_ENABLED = True
    answer = get(app, page.url)
    assert answer.status_code == 200
    assert "Water safety" in answer.body.decode()
