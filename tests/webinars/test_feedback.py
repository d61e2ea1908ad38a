"""The feedback form a registrant reaches from the "recording available" email:
one response per registration (sending again replaces it), open once the
webinar has started, private (no-store, noindex, no referrer), and hostile input
gets a 4xx or a neutral page and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import emails
from webinars.models import Feedback, Registration, WebinarPage

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def tree(site):
    return webinar_tree(site)


@pytest.fixture
def webinar(tree):
    _index, series = tree
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=1)
    return WebinarPageFactory(
        parent=series,
        title="Working with families",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        recording_embed_url="https://video.example.net/watch/5",
    )


@pytest.fixture
def registration(webinar):
    return RegistrationFactory(webinar=webinar, name="Asha")


def url_for(registration: Registration) -> str:
    index = registration.webinar.get_parent().get_parent().specific
    return index.url + index.reverse_subpage(
        "registration_feedback", args=[registration.token]
    )


def token_url(tree, token: str) -> str:
    index = tree[0]
    return index.url + f"registration/{token}/feedback/"


def assert_private(response, *, form=False):
    """Never stored or indexed; the address (a secret) goes to no other site.

    The form page is "same-origin": under "no-referrer" browsers send
    ``Origin: null`` with the form and the CSRF check refuses it.
    """
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == ("same-origin" if form else "no-referrer")
    assert '<meta name="robots" content="noindex">' in response.content.decode()


GOOD = {
    "rating": "4",
    "useful": "The case study about safer sleep conversations.",
    "next_topics": "Supporting bereaved siblings.",
}


def test_the_email_link_opens_the_form(client, registration):
    assert emails.feedback_url(registration).endswith(url_for(registration))
    response = client.get(url_for(registration))
    assert response.status_code == 200
    assert_private(response, form=True)
    html = response.content.decode()
    assert "Tell us what you thought" in html
    assert "Working with families" in html
    for value in range(1, 6):
        assert f'name="rating" type="radio" value="{value}"' in html
    assert "csrfmiddlewaretoken" in html
    assert registration.webinar.join_url not in html


def test_sending_feedback_saves_it_and_thanks(client, registration):
    response = client.post(url_for(registration), GOOD)
    assert response.status_code == 303
    assert response["Location"] == url_for(registration) + "?sent=1"
    feedback = Feedback.objects.get()
    assert feedback.registration == registration
    assert feedback.webinar_id == registration.webinar_id
    assert (feedback.rating, feedback.useful, feedback.next_topics) == (
        4,
        GOOD["useful"],
        GOOD["next_topics"],
    )
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert_private(thanks)
    assert "Thank you for your feedback" in thanks.content.decode()


def test_sending_again_replaces_the_first_response(client, registration):
    client.post(url_for(registration), GOOD)
    form = client.get(url_for(registration)).content.decode()
    assert "You have already sent us feedback" in form
    assert 'value="4" checked' in form
    assert GOOD["useful"] in form
    client.post(url_for(registration), {"rating": "5", "useful": "", "next_topics": ""})
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.useful, feedback.next_topics) == (5, "", "")


def test_before_the_webinar_starts_the_form_is_not_open(client, registration):
    later = dt.datetime.now(UTC) + dt.timedelta(days=2)
    WebinarPage.objects.filter(pk=registration.webinar_id).update(
        starts_at=later, ends_at=later + dt.timedelta(hours=1)
    )
    response = client.get(url_for(registration))
    assert response.status_code == 200
    assert_private(response)
    assert "Feedback opens when the webinar starts" in response.content.decode()
    assert client.post(url_for(registration), GOOD).status_code == 200
    assert Feedback.objects.count() == 0


def test_a_cancelled_webinar_takes_no_feedback(client, registration):
    WebinarPage.objects.filter(pk=registration.webinar_id).update(is_cancelled=True)
    response = client.post(url_for(registration), GOOD)
    assert "This webinar was cancelled" in response.content.decode()
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize(
    "token",
    [
        "not-a-real-token",
        "x" * 65,
        "x" * 5000,
        "%C3%A9t%C3%A9",  # non-ASCII once decoded
    ],
)
def test_a_forged_token_gets_a_neutral_404(client, tree, registration, token):
    for method in (client.get, client.post):
        response = method(token_url(tree, token), GOOD)
        assert response.status_code == 404
        assert_private(response)
        assert "This link does not work" in response.content.decode()
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize("token", ["' OR 1=1 --", "a.b", "<x>"])
def test_a_token_no_page_address_allows_is_a_plain_404(client, tree, token):
    assert client.post(token_url(tree, token), GOOD).status_code == 404
    assert Feedback.objects.count() == 0


def test_no_form_for_a_place_given_up_a_waiting_list_or_an_unpublished_webinar(
    client, webinar
):
    waiting = RegistrationFactory(webinar=webinar, status="waitlisted")
    cancelled = RegistrationFactory(webinar=webinar, status="cancelled")
    for registration in (waiting, cancelled):
        assert client.post(url_for(registration), GOOD).status_code == 404
    ok = RegistrationFactory(webinar=webinar)
    webinar.unpublish()
    index = webinar.get_parent().get_parent()
    response = client.post(index.url + f"registration/{ok.token}/feedback/", GOOD)
    assert response.status_code == 404
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Select how you rate the webinar, from 1 to 5"),
        ({"rating": ""}, "Select how you rate the webinar, from 1 to 5"),
        ({"rating": "6"}, "Select how you rate the webinar, from 1 to 5"),
        ({"rating": "0"}, "Select how you rate the webinar, from 1 to 5"),
        ({"rating": "-1"}, "Select how you rate the webinar, from 1 to 5"),
        ({"rating": "4.5"}, "Select how you rate the webinar, from 1 to 5"),
        ({"rating": "five"}, "Select how you rate the webinar, from 1 to 5"),
        ({"rating": "9" * 400}, "Select how you rate the webinar, from 1 to 5"),
        (
            {"rating": "3", "useful": "a" * 2001},
            "What was useful must be 2,000 characters or fewer",
        ),
        (
            {"rating": "3", "next_topics": "b" * 100_000},
            "What you would like next must be 2,000 characters or fewer",
        ),
        (
            {"rating": "3", "useful": "nul \x00 byte"},
            "Remove the special characters from what was useful",
        ),
        (
            {"rating": "3", "next_topics": "bell \x07"},
            "Remove the special characters from what you would like next",
        ),
    ],
)
def test_bad_input_is_refused_with_a_plain_message_and_nothing_saved(
    client, registration, data, error
):
    response = client.post(url_for(registration), data)
    assert response.status_code == 400
    assert_private(response, form=True)
    html = response.content.decode()
    assert "There is a problem" in html
    assert error in html
    assert Feedback.objects.count() == 0


def test_what_people_typed_is_shown_back_escaped(client, registration):
    hostile = '<script>alert("x")</script>'
    response = client.post(url_for(registration), {"rating": "9", "useful": hostile})
    html = response.content.decode()
    assert hostile not in html
    assert "&lt;script&gt;" in html


def test_non_utf8_and_odd_bodies_do_not_break_the_form(client, registration):
    url = url_for(registration)
    for body in (b"rating=\xff\xfe&useful=\xc3\x28", b"\x00\x01\x02", b"rating"):
        response = client.post(
            url, body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 400
    assert Feedback.objects.count() == 0
    # A form declared as Latin-1: Django refuses any but UTF-8 (400).
    response = client.post(
        url,
        "rating=3&useful=caf\u00e9",  # the client encodes it as Latin-1
        content_type="application/x-www-form-urlencoded; charset=iso-8859-1",
    )
    assert response.status_code == 400
    assert Feedback.objects.count() == 0


def test_other_methods_and_a_missing_csrf_token_are_refused(client, registration):
    url = url_for(registration)
    for method in (client.put, client.patch, client.delete):
        assert method(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url, GOOD).status_code == 403
    assert Feedback.objects.count() == 0


def test_query_counts_are_bounded(client, registration, django_assert_max_num_queries):
    url = url_for(registration)
    client.get(url)  # warm the site root paths cache
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.post(url, GOOD).status_code == 303
    with django_assert_max_num_queries(12):
        assert client.get(url + "?sent=1").status_code == 200
