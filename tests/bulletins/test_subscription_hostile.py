"""Hostile and broken input on every subscription endpoint.

Whatever is sent: a 4xx or the same neutral page, never a 500; no rows written
(subscribers, consent records, sends, subscriptions) and no email sent. The task
runs inline (``celery_eager``), so anything the view queued would show up.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from bulletins import subscriptions, tokens
from bulletins.models import ConsentRecord, DistributionList, Subscriber
from tests.bulletins import test_subscriptions as journeys

# The journeys' fixtures and helpers, shared rather than copied.
_empty_outbox = journeys._empty_outbox
_fresh_rate_limits = journeys._fresh_rate_limits
active = journeys.active
data = journeys.data
SUBSCRIBE = journeys.SUBSCRIBE
counts = journeys.counts
form_data = journeys.form_data
post_with_csrf = journeys.post_with_csrf
preferences_path = journeys.preferences_path
unsubscribe_path = journeys.unsubscribe_path

pytestmark = pytest.mark.django_db

EMAIL_ERROR = "Enter an email address in the correct format, like name@example.com"
LISTS_ERROR = "Choose from the lists shown"


@pytest.fixture
def post_inline(client, celery_eager, django_capture_on_commit_callbacks):
    """Post the subscribe form; run anything it queued; return the response."""

    def run(data, **extra):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(SUBSCRIBE, data, **extra)
        run.callbacks = callbacks
        return response

    return run


def assert_nothing_happened(before=(0, 0, 0, 0)):
    assert counts() == before
    assert mail.outbox == []


# --- The subscribe form ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address"),
        ("   ", "Enter your email address"),
        ("not-an-email", EMAIL_ERROR),
        ("ann@", EMAIL_ERROR),
        ("@example.org", EMAIL_ERROR),
        ("ann@@example.org", EMAIL_ERROR),
        ("ann example@example.org", EMAIL_ERROR),
        ('"ann example"@example.org', EMAIL_ERROR),
        ("ann@example.org\r\nBcc: victim@example.com", EMAIL_ERROR),
        ("ann@example.org\nBcc: victim@example.com", EMAIL_ERROR),
        ("ann@example.org\rX-Injected: yes", EMAIL_ERROR),
        ("ann\r\n@example.org", EMAIL_ERROR),
        ("ann@example.org,victim@example.com", EMAIL_ERROR),
        ("ann@example.org\x00", EMAIL_ERROR),
        ("ann\u2028@example.org", EMAIL_ERROR),
        ("<script>@example.org", EMAIL_ERROR),
        ("a" * 64 + "@" + "b" * 186 + ".org", "254 characters or fewer"),
        ("a" * 10_000 + "@example.org", "254 characters or fewer"),
    ],
    ids=[
        "empty",
        "spaces",
        "no-at",
        "no-domain",
        "no-local-part",
        "two-ats",
        "space",
        "quoted",
        "crlf-bcc",
        "lf-bcc",
        "cr-header",
        "crlf-local-part",
        "two-addresses",
        "nul",
        "line-separator",
        "markup",
        "255-characters",
        "10k-characters",
    ],
)
def test_bad_addresses_are_refused_in_plain_english(data, post_inline, email, message):
    response = post_inline(form_data(data, email=email))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert message in html
    assert '<a href="#subscribe-email">' in html
    assert "<script>" not in html
    assert post_inline.callbacks == []
    assert_nothing_happened()


@pytest.mark.parametrize(
    "name",
    [
        "Ann\r\nBcc: victim@example.com",
        "Ann\nSubject: hello",
        "Ann\rX: y",
        "Ann\x00",
        "Ann\x1b[31m",
        "Ann\u2029Example",
    ],
    ids=["crlf", "lf", "cr", "nul", "escape", "paragraph-separator"],
)
def test_names_with_line_breaks_or_control_characters_are_refused(
    data, post_inline, name
):
    response = post_inline(form_data(data, name=name))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Name must be on one line" in response.content.decode()
    assert_nothing_happened()


def test_an_overlong_name_is_refused(data, post_inline):
    response = post_inline(form_data(data, name="A" * 121))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Name must be 120 characters or fewer" in response.content.decode()
    assert_nothing_happened()


@pytest.mark.parametrize(
    "values",
    [
        ["999999"],
        ["abc"],
        ["1; DROP TABLE bulletins_subscriber"],
        ["-1"],
        ["0"],
        ["1.5"],
        ["99999999999999999999999999"],
        ["１"],  # a full-width digit one
        [""],
        ["staff"],  # replaced by the staff list's id below
        [str(n) for n in range(1, 150)],
    ],
    ids=[
        "unknown",
        "not-a-number",
        "sql",
        "negative",
        "zero",
        "decimal",
        "huge",
        "full-width-digit",
        "empty-string",
        "staff-only-list",
        "too-many",
    ],
)
def test_lists_not_offered_are_refused(data, post_inline, values):
    if values == ["staff"]:
        values = [str(data.staff.pk)]
    response = post_inline(form_data(data, lists=values))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert LISTS_ERROR in html
    assert '<a href="#subscribe-lists">' in html
    assert_nothing_happened()


def test_a_good_list_with_a_bad_one_is_refused_too(data, post_inline):
    response = post_inline(form_data(data, lists=[data.everything.pk, "999999"]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert LISTS_ERROR in response.content.decode()
    assert_nothing_happened()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("themes", ["999999"], "Choose from the topics shown"),
        ("themes", ["x"], "Choose from the topics shown"),
        ("audience", "999999", "Choose your role from the list"),
        ("audience", "midwives", "Choose your role from the list"),
        ("audience", "99999999999999999999", "Choose your role from the list"),
        ("organisation", "999999", "Choose your organisation from the list"),
        ("organisation", "x" * 5000, "Choose your organisation from the list"),
        ("frequency", "hourly", "Select how often you want emails"),
        ("frequency", "", "Select how often you want emails"),
        ("wording", "1999-01", "This form has been updated"),
        ("wording", "", "This form has been updated"),
    ],
)
def test_other_fields_refuse_values_not_offered(
    data, post_inline, field, value, message
):
    response = post_inline(form_data(data, **{field: value}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert_nothing_happened()


def test_a_robot_gets_the_neutral_page_even_with_bad_input(data, post_inline):
    response = post_inline(
        form_data(data, email="x\r\nBcc: y@z", lists=["abc"], leave_blank="buy now")
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == "/subscribe/check-your-email/"
    assert_nothing_happened()


def test_a_json_or_empty_body_is_a_form_error_not_a_crash(client, data):
    for response in (
        client.post(SUBSCRIBE, '{"email": "a@b.org"}', content_type="application/json"),
        client.post(SUBSCRIBE, b"\xff\xfe\x00garbage", content_type="text/plain"),
        client.post(SUBSCRIBE, {}),
    ):
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert_nothing_happened()


def test_too_many_fields_are_refused(client, data, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    response = client.post(
        SUBSCRIBE, form_data(data, lists=[str(n) for n in range(1, 100)])
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert_nothing_happened()


def test_the_task_ignores_anything_the_form_would_have_refused(data):
    good = {"lists": [data.everything.pk], "frequency": "weekly"}
    for email, choices, wording in [
        ("a@b.org\r\nBcc: c@d.org", good, subscriptions.CURRENT_WORDING),
        ("x" * 300 + "@b.org", good, subscriptions.CURRENT_WORDING),
        ("a@b.org", good, "never-shown"),
        ("a@b.org", {"lists": [data.staff.pk]}, subscriptions.CURRENT_WORDING),
        ("a@b.org", {"lists": ["1", None, True, -4]}, subscriptions.CURRENT_WORDING),
        ("a@b.org", "not a dict", subscriptions.CURRENT_WORDING),
    ]:
        subscriptions.handle_subscription_request(email, choices, wording)
    assert_nothing_happened()


def test_the_task_cleans_what_it_stores(data, celery_eager):
    subscriptions.handle_subscription_request(
        "a@b.org",
        {
            "lists": [data.everything.pk, data.staff.pk, "7", 999999],
            "frequency": "hourly",
            "name": "Ann\r\nBcc: x",
            "audience": 999999,
            "organisation": "1",
        },
        subscriptions.CURRENT_WORDING,
    )
    choices = Subscriber.objects.get().pending_choices
    assert choices["lists"] == [data.everything.pk]
    assert choices["frequency"] == "immediate"
    assert (choices["name"], choices["audience"], choices["organisation"]) == (
        "",
        None,
        None,
    )


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_the_subscribe_form_takes_only_get_and_post(client, data, method):
    response = getattr(client, method)(SUBSCRIBE, "email=a%40b.org")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert_nothing_happened()


def test_check_your_email_takes_only_get(client, data):
    assert client.post("/subscribe/check-your-email/").status_code == 405


def test_repeated_submissions_make_one_subscriber_and_one_email(data, post_inline):
    for _ in range(5):
        response = post_inline(form_data(data))
        assert response.status_code == HTTPStatus.SEE_OTHER
    assert Subscriber.objects.count() == 1
    assert ConsentRecord.objects.count() == 1
    assert len(mail.outbox) == 1


# --- Signed links ---------------------------------------------------------------------

TOKEN_PAGES = [
    ("/subscriptions/confirm/{}/", tokens.CONFIRM),
    ("/subscriptions/manage/{}/", tokens.PREFERENCES),
    ("/subscriptions/manage/{}/export/", tokens.PREFERENCES),
    ("/subscriptions/unsubscribe/{}/", tokens.UNSUBSCRIBE),
    ("/subscriptions/export/{}/", tokens.EXPORT),
    ("/subscriptions/delete/{}/", tokens.PREFERENCES),
]


def _mangled(token: str) -> list[str]:
    secret, rest = token.split(":", 1)
    return [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        secret[::-1] + ":" + rest,
        secret,
        "A" * 10_000,
        token + "A" * 10_000,
        "%00",
        "..%2f..%2fetc",
        "\u202e" + token,
    ]


@pytest.mark.parametrize(("pattern", "purpose"), TOKEN_PAGES)
def test_forged_altered_and_oversized_tokens_change_nothing(
    data, active, pattern, purpose
):
    before = counts()
    client = Client()
    for bad in _mangled(tokens.make_token(active, purpose)):
        path = pattern.format(bad)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (400, 404, 405), (method, path[:80])
    active.refresh_from_db()
    assert active.status == Subscriber.Status.ACTIVE
    assert counts() == before
    assert mail.outbox == []


@pytest.mark.parametrize(("pattern", "purpose"), TOKEN_PAGES)
def test_a_token_for_one_purpose_opens_no_other_page(data, active, pattern, purpose):
    before = counts()
    client = Client()
    for other in tokens.PURPOSES:
        if other == purpose:
            continue
        path = pattern.format(tokens.make_token(active, other))
        for method in ("get", "post"):
            response = getattr(client, method)(
                path,
                **(
                    {
                        "data": "List-Unsubscribe=One-Click",
                        "content_type": "application/x-www-form-urlencoded",
                    }
                    if method == "post"
                    else {}
                ),
            )
            assert response.status_code in (404, 405), (method, path)
    active.refresh_from_db()
    assert active.status == Subscriber.Status.ACTIVE
    assert counts() == before


@pytest.mark.parametrize(
    ("pattern", "purpose", "methods"),
    [
        ("/subscriptions/confirm/{}/", tokens.CONFIRM, ["put", "delete"]),
        ("/subscriptions/manage/{}/", tokens.PREFERENCES, ["put", "delete"]),
        ("/subscriptions/manage/{}/export/", tokens.PREFERENCES, ["get", "put"]),
        ("/subscriptions/unsubscribe/{}/", tokens.UNSUBSCRIBE, ["put", "delete"]),
        ("/subscriptions/export/{}/", tokens.EXPORT, ["post", "delete"]),
        ("/subscriptions/delete/{}/", tokens.PREFERENCES, ["put", "delete"]),
    ],
)
def test_wrong_methods_are_refused(data, active, pattern, purpose, methods):
    before = counts()
    path = pattern.format(tokens.make_token(active, purpose))
    for method in methods:
        assert getattr(Client(), method)(path).status_code == 405
    assert Subscriber.objects.filter(pk=active.pk).exists()
    assert counts() == before


# --- The preference centre ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lists": ["999999"], "frequency": "weekly"}, LISTS_ERROR),
        ({"lists": ["abc"], "frequency": "weekly"}, LISTS_ERROR),
        ({"lists": ["1e3"], "frequency": "weekly"}, LISTS_ERROR),
        ({"lists": "staff-not-mine", "frequency": "weekly"}, LISTS_ERROR),
        ({"lists": "everything", "frequency": "fortnightly"}, "Select how often"),
        (
            {"lists": "everything", "frequency": "weekly", "name": "K\r\nBcc: x@y"},
            "Name must be on one line",
        ),
        (
            {"lists": "everything", "frequency": "weekly", "name": "K" * 500},
            "Name must be 120 characters or fewer",
        ),
        (
            {"lists": "everything", "frequency": "weekly", "audience": "x"},
            "Choose your role from the list",
        ),
        ({"unsubscribe_list": "abc"}, "Choose a list you are subscribed to"),
        ({"unsubscribe_list": "999999"}, "Choose a list you are subscribed to"),
        ({"unsubscribe_list": "-1"}, "Choose a list you are subscribed to"),
        (
            {"unsubscribe_list": "99999999999999999999"},
            "Choose a list you are subscribed to",
        ),
        ({"unsubscribe_list": "not-mine"}, "Choose a list you are subscribed to"),
    ],
)
def test_the_preference_centre_refuses_bad_input(data, active, body, message):
    # Staff lists they are not on, and lists they are not on, stand in by name here.
    hidden_staff = DistributionList.objects.create(
        name="Hidden staff", slug="hidden-staff", description="x", visibility="staff"
    )
    replace = {
        "staff-not-mine": str(hidden_staff.pk),
        "everything": str(data.everything.pk),
        "not-mine": str(data.sleep_for_midwives.pk),
    }
    body = {
        key: replace.get(value, value) if isinstance(value, str) else value
        for key, value in body.items()
    }
    before = counts()

    response = post_with_csrf(
        Client(enforce_csrf_checks=True), preferences_path(active), body
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert counts() == before
    active.refresh_from_db()
    assert active.name == "Kim"
    assert active.status == Subscriber.Status.ACTIVE


def test_the_unsubscribe_link_ignores_extra_list_fields(data, active):
    """One-click always means everything; nothing in the body picks other people."""
    other = Subscriber.objects.create(email="other@example.org", status="active")
    response = Client().post(
        unsubscribe_path(active),
        f"List-Unsubscribe=One-Click&email=other%40example.org&subscriber={other.pk}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.OK
    other.refresh_from_db()
    assert other.status == Subscriber.Status.ACTIVE


def test_an_erased_subscribers_links_are_dead(data, active):
    links = [
        pattern.format(tokens.make_token(active, purpose))
        for pattern, purpose in TOKEN_PAGES
    ]
    subscriptions.erase(active)
    for link in links:
        for method in ("get", "post"):
            response = getattr(Client(), method)(link)
            assert response.status_code in (404, 405)
    assert mail.outbox == []
