"""Hostile and broken input on the topic proposal, support and confirm pages.

Whatever is sent: a 4xx or the same neutral page, never a 500, and nothing
written (no proposal, support or email) unless the request was a good one.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import AudienceFactory
from tests.webinars import test_proposals as journeys
from webinars import proposals
from webinars.models import TopicProposal, TopicSupport

# The journeys' fixtures and helpers, shared rather than copied.
_fresh_rate_limits = journeys._fresh_rate_limits
tree = journeys.tree
index = journeys.index
webinar = journeys.webinar
make_proposal = journeys.make_proposal
make_support = journeys.make_support
propose_data = journeys.propose_data
counts = journeys.counts
TOPICS = journeys.TOPICS
Status = TopicProposal.Status

pytestmark = pytest.mark.django_db

NOTHING = (0, 0, 0)
EMAIL_ERROR = "Enter an email address in the correct format, like name@example.com"


# --- The propose form -----------------------------------------------------------------


def test_a_filled_honeypot_gets_the_neutral_page_and_nothing_is_written(client, index):
    response = client.post(TOPICS, propose_data(leave_blank="http://spam.example"))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == TOPICS + "?sent=1"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    assert counts() == NOTHING


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Enter the topic you would like a webinar on"),
        ({"title": "   "}, "Enter the topic you would like a webinar on"),
        ({"title": "T" * 151}, "Topic must be 150 characters or fewer"),
        ({"title": "T" * 100_000}, "Topic must be 150 characters or fewer"),
        ({"title": "Sleep\r\nBcc: x@example.com"}, "Topic must be on one line"),
        ({"title": "Sleep\x00"}, "Topic must be on one line"),
        ({"why": ""}, "Say why this topic matters"),
        ({"why": "\x00\x01\x02"}, "Say why this topic matters"),
        ({"why": "W" * 2001}, "Why it matters must be 2000 characters or fewer"),
        ({"name": ""}, "Enter your name"),
        ({"name": "N" * 121}, "Name must be 120 characters or fewer"),
        ({"name": "Ben\r\nSubject: hi"}, "Name must be on one line"),
        ({"email": ""}, "Enter your email address"),
        ({"email": "not-an-email"}, EMAIL_ERROR),
        ({"email": "ben@example.org\r\nBcc: victim@example.com"}, EMAIL_ERROR),
        ({"email": "ben@example.org,victim@example.com"}, EMAIL_ERROR),
        ({"email": "a" * 10_000 + "@example.org"}, "254 characters or fewer"),
        ({"audience": "abc"}, "Choose who it is for from the list"),
        ({"audience": "-1"}, "Choose who it is for from the list"),
        ({"audience": "9" * 30}, "Choose who it is for from the list"),
        ({"audience": "999999"}, "Choose who it is for from the list"),
    ],
    ids=[
        "no-title",
        "blank-title",
        "long-title",
        "huge-title",
        "title-header-injection",
        "title-nul",
        "no-why",
        "why-only-control-characters",
        "long-why",
        "no-name",
        "long-name",
        "name-header-injection",
        "no-email",
        "bad-email",
        "email-header-injection",
        "two-emails",
        "huge-email",
        "audience-not-a-number",
        "audience-negative",
        "audience-huge",
        "audience-unknown",
    ],
)
def test_bad_fields_are_refused_in_plain_english(client, index, overrides, message):
    response = client.post(TOPICS, propose_data(**overrides))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error: " in html
    assert counts() == NOTHING


def test_the_form_keeps_what_was_typed_and_escapes_it(client, index):
    audience = AudienceFactory(name="Midwives", slug="midwives")
    response = client.post(
        TOPICS,
        propose_data(
            title="<script>alert(1)</script>", email="bad", audience=audience.pk
        ),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f'value="{audience.pk}" checked' in html
    assert counts() == NOTHING


def test_a_body_that_is_not_utf8_is_not_a_500(client, index):
    response = client.post(
        TOPICS,
        data=b"title=\xff\xfe&why=\xc3\x28&name=\x80&email=ben%40example.org",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (HTTPStatus.SEE_OTHER, HTTPStatus.BAD_REQUEST)
    assert response.status_code < 500


def test_fields_sent_twice_or_missing_altogether_are_not_a_500(client, index):
    response = client.post(TOPICS, {"title": ["One", "Two"]})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert counts() == NOTHING
    response = client.post(TOPICS, {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert counts() == NOTHING


def test_the_propose_form_needs_its_csrf_token(index):
    client = Client(enforce_csrf_checks=True)
    response = client.post(TOPICS, propose_data())
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert counts() == NOTHING


def test_too_many_proposals_from_one_address_get_a_429(client, index, settings):
    settings.TOPIC_RATE_LIMITS = {"propose": 2, "support": 2}
    for number in range(2):
        client.post(TOPICS, propose_data(email=f"p{number}@example.org"))
    before = counts()

    response = client.post(TOPICS, propose_data(email="late@example.org"))

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == str(proposals.RATE_WINDOW_SECONDS)
    html = response.content.decode()
    assert "Too many requests" in html
    assert "Wait 10 minutes, then try again" in html
    assert counts() == before
    # Another address is not held up.
    other = client.post(TOPICS, propose_data(), REMOTE_ADDR="192.0.2.9")
    assert other.status_code == HTTPStatus.SEE_OTHER


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_refused(client, index, method):
    proposal = make_proposal()
    for path in (TOPICS, f"{TOPICS}{proposal.pk}/support/"):
        response = getattr(client, method)(path)
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert counts() == (1, 0, 0)


# --- The support form -----------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [Status.UNCONFIRMED, Status.PENDING, Status.DECLINED, Status.MERGED],
)
def test_a_topic_that_is_not_public_cannot_be_supported(client, index, status):
    proposal = make_proposal(status=status)
    path = f"{TOPICS}{proposal.pk}/support/"
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    response = client.post(path, {"email": "ann@example.org"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert counts() == (1, 0, 0)


@pytest.mark.parametrize("pk", ["0", "999999", "9" * 30])
def test_unknown_topic_ids_are_not_found(client, index, pk):
    path = f"{TOPICS}{pk}/support/"
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    response = client.post(path, {"email": "ann@example.org"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert counts() == NOTHING


def test_a_support_with_a_filled_honeypot_writes_nothing(client, index):
    proposal = make_proposal()
    path = f"{TOPICS}{proposal.pk}/support/"
    response = client.post(path, {"email": "x@example.org", "leave_blank": "1"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == path + "?sent=1"
    assert counts() == (1, 0, 0)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address"),
        ("nope", EMAIL_ERROR),
        ("ann@example.org\nBcc: victim@example.com", EMAIL_ERROR),
        ("ann@example.org\x00", EMAIL_ERROR),
        ("a" * 300 + "@example.org", "254 characters or fewer"),
    ],
    ids=["empty", "no-at", "header-injection", "nul", "long"],
)
def test_bad_support_addresses_are_refused(client, index, email, message):
    proposal = make_proposal()
    response = client.post(f"{TOPICS}{proposal.pk}/support/", {"email": email})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert message in html
    assert '<a href="#support-email">' in html
    assert counts() == (1, 0, 0)


def test_too_many_supports_from_one_address_get_a_429(client, index, settings):
    settings.TOPIC_RATE_LIMITS = {"propose": 2, "support": 2}
    proposal = make_proposal()
    path = f"{TOPICS}{proposal.pk}/support/"
    for number in range(2):
        client.post(path, {"email": f"s{number}@example.org"})
    before = counts()
    response = client.post(path, {"email": "late@example.org"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "A lot of support has been sent" in response.content.decode()
    assert counts() == before


def test_the_support_form_needs_its_csrf_token(index):
    proposal = make_proposal()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"{TOPICS}{proposal.pk}/support/", {"email": "ann@example.org"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert counts() == (1, 0, 0)


# --- Confirmation links ---------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "not-a-real-token-at-all-xxxxxxxxxxxxxxxxxxx",
        "short",
        "x" * 500,
        "%00" * 30,
        "..%2F..%2Fetc%2Fpasswd",
        "%F0%9F%92%A9" * 10,
        "%ff%fe",
    ],
    ids=["unknown", "short", "long", "nul", "traversal", "emoji", "not-utf8"],
)
def test_forged_links_get_the_not_valid_page_and_change_nothing(client, index, token):
    proposal = make_proposal(status=Status.UNCONFIRMED)
    path = f"{TOPICS}confirm/{token}/"
    for response in (client.get(path), client.post(path)):
        assert response.status_code == HTTPStatus.NOT_FOUND
        if "This link does not work" in response.content.decode():
            assert response["Referrer-Policy"] == "same-origin"
    proposal.refresh_from_db()
    assert proposal.status == Status.UNCONFIRMED
    assert counts() == (1, 0, 0)


def test_an_expired_proposal_link_changes_nothing(client, index):
    proposal = make_proposal(
        status=Status.UNCONFIRMED,
        created_at=timezone.now() - dt.timedelta(days=proposals.CONFIRM_DAYS, hours=1),
    )
    path = f"{TOPICS}confirm/{proposal.token}/"
    response = client.post(path)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "may have expired" in response.content.decode()
    assert "noindex" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.UNCONFIRMED


def test_a_support_link_for_a_topic_declined_since_counts_nothing(client, index):
    proposal = make_proposal()
    support = make_support(proposal, "late@example.org", confirmed=False)
    proposals.decline(proposal, "Covered last year.")
    path = f"{TOPICS}confirm/{support.token}/"

    assert "no longer open" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == HTTPStatus.SEE_OTHER
    support.refresh_from_db()
    proposal.refresh_from_db()
    assert support.confirmed_at is None
    assert proposal.support_count == 0


def test_a_confirm_link_refuses_other_methods(client, index):
    proposal = make_proposal(status=Status.UNCONFIRMED)
    path = f"{TOPICS}confirm/{proposal.token}/"
    for method in ("put", "delete", "patch"):
        response = getattr(client, method)(path)
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    proposal.refresh_from_db()
    assert proposal.status == Status.UNCONFIRMED


def test_the_confirm_button_needs_its_csrf_token(index):
    proposal = make_proposal(status=Status.UNCONFIRMED)
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{TOPICS}confirm/{proposal.token}/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    proposal.refresh_from_db()
    assert proposal.status == Status.UNCONFIRMED


def test_a_support_token_cannot_confirm_a_proposal_or_the_reverse(index):
    unconfirmed = make_proposal(status=Status.UNCONFIRMED)
    public = make_proposal()
    support = make_support(public, "zed@example.org", confirmed=False)
    proposals.confirm(support.token)
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == Status.UNCONFIRMED
    proposals.confirm(unconfirmed.token)
    assert TopicSupport.objects.get().confirmed_at is not None
    public.refresh_from_db()
    assert public.support_count == 1
