"""Hostile and broken input on the registration form and the registrant's page.

Whatever is sent: a 4xx or a neutral page, never a 500; nothing written (no
registration, no change to one, no email in the ledger or the outbox). The email
pipeline runs inline, so anything a view queued would show up in the outbox.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
from django.core import mail

from tests.factories.webinars import RegistrationFactory
from tests.webinars import test_registration as journeys
from webinars.models import Registration, WebinarEmail

# The journeys' fixtures and helpers, shared rather than copied.
_fresh_rate_limits_and_outbox = journeys._fresh_rate_limits_and_outbox
tree = journeys.tree
webinar = journeys.webinar
post = journeys.post
details = journeys.details
register_url = journeys.register_url
manage_path = journeys.manage_path
make_webinar = journeys.make_webinar

pytestmark = pytest.mark.django_db

EMAIL_ERROR = "Enter an email address in the correct format, like name@example.com"
Status = Registration.Status


def snapshot():
    return (
        list(
            Registration.objects.order_by("pk").values_list(
                "pk", "status", "name", "email", "cancelled_at", "promoted_at"
            )
        ),
        WebinarEmail.objects.count(),
    )


def assert_nothing_written(before=None):
    if before is None:
        assert Registration.objects.count() == 0
        assert WebinarEmail.objects.count() == 0
    else:
        assert snapshot() == before
    assert mail.outbox == []


# --- The registration form ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": ""}, "Enter your email address"),
        ({"email": "   "}, "Enter your email address"),
        ({"email": "not-an-email"}, EMAIL_ERROR),
        ({"email": "ann@"}, EMAIL_ERROR),
        ({"email": "ann@@example.org"}, EMAIL_ERROR),
        ({"email": "ann@example.org\r\nBcc: victim@example.com"}, EMAIL_ERROR),
        ({"email": "ann@example.org,victim@example.com"}, EMAIL_ERROR),
        ({"email": '"ann example"@example.org'}, EMAIL_ERROR),
        ({"email": "ann@example.org\x00"}, EMAIL_ERROR),
        ({"email": "a" * 10_000 + "@example.org"}, "254 characters or fewer"),
        ({"name": ""}, "Enter your name"),
        ({"name": "   "}, "Enter your name"),
        ({"name": "x" * 121}, "Name must be 120 characters or fewer"),
        ({"name": "Ann\r\nBcc: victim@example.com"}, "Name must be on one line"),
        ({"name": "Ann\x00"}, "Name must be on one line"),
        ({"name": "Ann\u2028Example"}, "Name must be on one line"),
        ({"name": "Ann \ufffd"}, "Name must be on one line"),
        ({"organisation": "o" * 201}, "Organisation must be 200 characters"),
        ({"organisation": "Org\nX-Injected: yes"}, "Organisation must be on one line"),
        ({"role": "r" * 121}, "Role must be 120 characters or fewer"),
        ({"role": "Role\x1b[31m"}, "Role must be on one line"),
        ({"accessibility_needs": "n" * 1001}, "1,000 characters or fewer"),
        ({"accessibility_needs": "Needs\x00"}, "plain text"),
        ({"accessibility_needs": "Needs\x07bell"}, "plain text"),
    ],
)
def test_bad_fields_get_a_plain_english_error_and_nothing_is_written(
    post, webinar, changes, message
):
    response = post(register_url(webinar), details(**changes))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert_nothing_written()


def test_line_breaks_in_access_needs_are_fine(post, webinar):
    response = post(
        register_url(webinar),
        details(accessibility_needs="Captions, please.\r\n\tAnd the slides before."),
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert Registration.objects.get().accessibility_needs.startswith("Captions")


def test_unreadable_bodies_are_form_errors_not_crashes(client, webinar):
    url = register_url(webinar)
    for response in (
        client.post(url, '{"email": "a@b.org"}', content_type="application/json"),
        client.post(url, b"\xff\xfe\x00garbage", content_type="text/plain"),
        client.generic(
            "POST",
            url,
            b"name=%FF%FE&email=ann%40example.org",
            content_type="application/x-www-form-urlencoded",
        ),
        client.generic(
            "POST",
            url,
            b"name=Ann&email=ann%FF%40example.org",
            content_type="application/x-www-form-urlencoded; charset=no-such-charset",
        ),
        client.post(url, {}),
    ):
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert_nothing_written()


def test_too_many_fields_are_refused(client, webinar, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    data = {**details(), **{f"extra{n}": "x" for n in range(100)}}
    response = client.post(register_url(webinar), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert_nothing_written()


@pytest.mark.parametrize("method", ["put", "patch", "delete", "head"])
def test_wrong_methods_are_refused(client, webinar, method):
    item = RegistrationFactory(webinar=webinar)
    before = snapshot()
    for url in (register_url(webinar), manage_path(item)):
        response = getattr(client, method)(url)
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED, url
    assert_nothing_written(before)


def test_posting_to_a_webinar_that_is_not_open_writes_nothing(post, tree):
    past = make_webinar(
        tree,
        slug="past",
        starts_at=dt.datetime(2020, 1, 1, 10, tzinfo=dt.UTC),
        ends_at=dt.datetime(2020, 1, 1, 11, tzinfo=dt.UTC),
    )
    response = post(register_url(past), details())
    assert response.status_code == HTTPStatus.CONFLICT
    assert_nothing_written()


def test_unknown_routes_under_the_webinar_are_not_found(client, webinar):
    for suffix in ("register/extra/", "register/../../admin/", "registerx/"):
        assert client.get(webinar.url + suffix).status_code == HTTPStatus.NOT_FOUND


# --- A registrant's own page ----------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "not-a-real-token-but-the-right-shape-00000000",
        "short",
        "x" * 65,
        "x" * 5000,
        "caf%C3%A9-caf%C3%A9-caf%C3%A9-caf%C3%A9-caf%C3%A9",
    ],
)
def test_forged_tokens_get_the_not_found_page_and_change_nothing(
    client, webinar, tree, token, django_assert_max_num_queries
):
    RegistrationFactory(webinar=webinar)
    before = snapshot()
    url = tree.index.url + f"registration/{token}/"
    client.get(url)  # the site's settings cached
    with django_assert_max_num_queries(12):
        first = client.get(url)
    for response in (
        first,
        client.get(url + "?cancel=1"),
        client.post(url, {"confirm": "yes"}),
    ):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "This link does not work" in response.content.decode()
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"]
    assert_nothing_written(before)


@pytest.mark.parametrize(
    "token",
    ["%FF%FE", "%00" * 30, "%27%20OR%201%3D1%20--aaaaaaaaaaaaaaaaaaaa", "a%2Fb" * 10],
)
def test_tokens_no_page_address_can_hold_are_not_found(client, webinar, tree, token):
    # Wagtail's page addresses are letters, digits, "-" and "_" only: these never
    # reach the view, and get the site's own "page not found".
    RegistrationFactory(webinar=webinar)
    before = snapshot()
    url = tree.index.url + f"registration/{token}/"
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url, {"confirm": "yes"}).status_code == HTTPStatus.NOT_FOUND
    assert_nothing_written(before)


def test_a_token_is_matched_exactly(client, webinar):
    item = RegistrationFactory(webinar=webinar)
    before = snapshot()
    for forged in (
        item.token.upper(),
        item.token[:-1],
        item.token + "A",
        item.token[:-1] + ("A" if item.token[-1] != "A" else "B"),
    ):
        url = manage_path(item).replace(item.token, forged)
        assert client.post(url, {"confirm": "yes"}).status_code == 404
    assert_nothing_written(before)


def test_a_registration_of_an_unpublished_webinar_is_not_found(client, webinar):
    item = RegistrationFactory(webinar=webinar)
    path = manage_path(item)
    webinar.unpublish()
    before = snapshot()
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    assert client.post(path, {"confirm": "yes"}).status_code == HTTPStatus.NOT_FOUND
    assert_nothing_written(before)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"confirm": "no"},
        {"confirm": "YES"},
        {"confirm": "yes\x00"},
        {"confirm": "y" * 10_000},
        {"confirm": ["yes", "no"]},
    ],
)
def test_cancelling_without_the_confirm_button_changes_nothing(post, webinar, data):
    item = RegistrationFactory(webinar=webinar)
    RegistrationFactory(webinar=webinar, status=Status.WAITLISTED)
    before = snapshot()
    response = post(manage_path(item), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "We could not read your answer" in response.content.decode()
    assert_nothing_written(before)


def test_a_non_utf8_cancel_post_changes_nothing(client, webinar):
    item = RegistrationFactory(webinar=webinar)
    before = snapshot()
    response = client.post(
        manage_path(item),
        b"confirm=%FF%FEyes",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert_nothing_written(before)


def test_odd_query_strings_on_the_own_page_are_harmless(client, webinar):
    item = RegistrationFactory(webinar=webinar)
    before = snapshot()
    for query in (
        "?done=<script>alert(1)</script>",
        "?done=cancelled",  # not cancelled: no banner claiming it is
        "?cancel=%FF",
        "?" + "x" * 5000,
    ):
        response = client.get(manage_path(item) + query)
        assert response.status_code == HTTPStatus.OK
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "Your place has been cancelled" not in html
    assert_nothing_written(before)
