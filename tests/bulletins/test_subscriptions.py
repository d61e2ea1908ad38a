"""Subscribing without a password: the subscribe form, double opt-in, the preference
centre, one-click unsubscribe, data export and erasure.

In-process tests run the Celery task inline (``celery_eager`` with
``django_capture_on_commit_callbacks(execute=True)``) and read the delivered
messages from ``django.core.mail.outbox``; one test goes through the real worker
and the SMTP sink.
"""

from __future__ import annotations

import html as html_module
import json
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bulletins import subscriptions, tokens
from bulletins.models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    Subscriber,
    Subscription,
)
from tests.conftest import wait_for
from tests.factories import AudienceFactory, OrganisationFactory, ThemeFactory

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/subscribe/"
CHECK_EMAIL = "/subscribe/check-your-email/"
IMMEDIATE = Subscription.Frequency.IMMEDIATE
WEEKLY = Subscription.Frequency.WEEKLY
LINK = re.compile(r"https?://[^\s]+")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _empty_outbox():
    mail.outbox = []


class Data:
    """The vocabularies and lists every test here uses."""

    def __init__(self):
        self.safe_sleep = ThemeFactory(name="Safe sleep", slug="safe-sleep")
        self.water = ThemeFactory(name="Water safety", slug="water-safety")
        self.suicide = ThemeFactory(name="Suicide prevention", slug="suicide")
        self.midwives = AudienceFactory(name="Midwives", slug="midwives")
        self.gps = AudienceFactory(name="GPs", slug="gps")
        self.trust = OrganisationFactory(name="Northtown NHS Trust")
        self.sleep_for_midwives = make_list(
            "Safe sleep for midwives",
            themes=[self.safe_sleep],
            audiences=[self.midwives],
            sort_order=1,
        )
        self.water_list = make_list("Water safety", themes=[self.water], sort_order=2)
        self.everything = make_list("All bulletins", sort_order=0)
        self.staff = make_list(
            "Panel managers",
            themes=[self.safe_sleep],
            visibility=DistributionList.Visibility.STAFF,
            sort_order=3,
        )


def make_list(name, *, themes=(), audiences=(), **kwargs) -> DistributionList:
    item = DistributionList.objects.create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        description=f"What {name} carries.",
        **kwargs,
    )
    item.themes.set(themes)
    item.audiences.set(audiences)
    return item


@pytest.fixture
def data(site):
    from website.models import SiteNavigation

    SiteNavigation.for_site(site.get_site())  # made on a site's first page view
    return Data()


def make_subscriber(email, *lists, status=Subscriber.Status.ACTIVE, **kwargs):
    subscriber = Subscriber.objects.create(email=email, status=status, **kwargs)
    for item in lists:
        Subscription.objects.create(
            subscriber=subscriber, distribution_list=item, frequency=IMMEDIATE
        )
    return subscriber


def form_data(data, **overrides) -> dict:
    values = {
        "email": "ann@example.org",
        "name": "Ann Example",
        "audience": data.midwives.pk,
        "organisation": data.trust.pk,
        "lists": [data.everything.pk],
        "frequency": WEEKLY,
        "wording": subscriptions.CURRENT_WORDING,
        "leave_blank": "",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def counts() -> tuple[int, int, int, int]:
    return (
        Subscriber.objects.count(),
        ConsentRecord.objects.count(),
        Send.objects.count(),
        Subscription.objects.count(),
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


def link_in(message, start: str) -> str:
    """The first link in a delivered message whose path starts with ``start``."""
    for url in LINK.findall(message.body):
        if path_of(url).startswith(start):
            return path_of(url)
    raise AssertionError(f"No {start} link in:\n{message.body}")


def named_by(path: str, purpose: str):
    """The subscriber a link's token names (timestamped tokens differ each second)."""
    return tokens.subscriber_for(path.rstrip("/").rsplit("/", 1)[1], purpose)


def text_of(response) -> str:
    """The page as a reader sees its text (entities such as &#x27; decoded)."""
    return html_module.unescape(response.content.decode())


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def post_with_csrf(client: Client, page: str, data=None, action: str | None = None):
    """GET ``page`` (which sets the CSRF cookie), then POST the form to ``action``."""
    client.get(page)
    token = client.cookies["csrftoken"].value
    return client.post(action or page, {**(data or {}), "csrfmiddlewaretoken": token})


@pytest.fixture
def subscribe_inline(client, celery_eager, django_capture_on_commit_callbacks):
    """Post the subscribe form and run what it queues, here and now."""

    def run(data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SUBSCRIBE, data, **extra)

    return run


def preferences_path(subscriber) -> str:
    return path_of(tokens.link(subscriber, tokens.PREFERENCES))


def unsubscribe_path(subscriber) -> str:
    return path_of(tokens.link(subscriber, tokens.UNSUBSCRIBE))


def confirm_path(subscriber) -> str:
    return path_of(tokens.link(subscriber, tokens.CONFIRM))


# --- The subscribe form ---------------------------------------------------------------


def test_the_form_offers_public_lists_topics_roles_and_shows_the_exact_wording(
    client, data, django_assert_max_num_queries
):
    # Lists, themes, audiences, organisations, and the site's header and footer.
    with django_assert_max_num_queries(8):
        response = client.get(SUBSCRIBE)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<h1>Get email updates</h1>" in html
    for item in (data.everything, data.sleep_for_midwives, data.water_list):
        assert f'name="lists" type="checkbox" value="{item.pk}"' in html
        assert item.name in html and item.description in html
    assert "Panel managers" not in html  # staff-only lists are never offered
    assert (
        f'value="{data.staff.pk}"'
        not in html.split('name="lists"', 1)[1].split('name="themes"')[0]
    )
    for theme in (data.safe_sleep, data.water):
        assert f'name="themes" type="checkbox" value="{theme.pk}"' in html
    assert f'name="audience" type="radio" value="{data.midwives.pk}"' in html
    assert f'<option value="{data.trust.pk}">Northtown NHS Trust</option>' in html
    assert 'value="immediate" checked' in html  # the default frequency
    assert 'value="weekly"' in html
    wording = subscriptions.CONSENT_WORDING[subscriptions.CURRENT_WORDING]
    assert wording in html
    assert (
        f'<input type="hidden" name="wording" '
        f'value="{subscriptions.CURRENT_WORDING}">' in html
    )
    assert 'name="csrfmiddlewaretoken"' in html
    honeypot = html[html.index('name="leave_blank"') - 400 :][:600]
    assert 'name="leave_blank"' in honeypot and 'tabindex="-1"' in honeypot
    assert 'autocomplete="email"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_query_count_does_not_grow_with_the_number_of_lists(
    client, data, django_assert_max_num_queries
):
    for n in range(20):
        make_list(f"Extra list {n}", themes=[data.water], audiences=[data.gps])
    with django_assert_max_num_queries(8):
        response = client.get(SUBSCRIBE)
    assert "Extra list 19" in response.content.decode()


def test_a_valid_post_only_queues_the_request_and_shows_check_your_email(
    client, data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE, form_data(data))

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == CHECK_EMAIL
    assert len(callbacks) == 1  # the task, queued for after the commit
    assert counts() == (0, 0, 0, 0)  # the view itself writes nothing
    assert mail.outbox == []

    page = client.get(CHECK_EMAIL)
    assert page.status_code == HTTPStatus.OK
    assert "Check your email" in page.content.decode()


def test_a_new_address_gets_a_confirmation_email_and_is_pending(data, subscribe_inline):
    response = subscribe_inline(
        form_data(data, email="  Ann@Example.ORG ", lists=[data.water_list.pk])
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ann@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.pending_choices == {
        "lists": [data.water_list.pk],
        "themes": [],
        "frequency": WEEKLY,
        "name": "Ann Example",
        "audience": data.midwives.pk,
        "organisation": data.trust.pk,
        "wording": subscriptions.CURRENT_WORDING,
    }
    assert Subscription.objects.count() == 0  # nothing until they confirm
    record = ConsentRecord.objects.get()
    assert (record.action, record.method, record.wording_version) == (
        ConsentRecord.Action.REQUESTED,
        ConsentRecord.Method.WEB_FORM,
        subscriptions.CURRENT_WORDING,
    )

    [message] = mail.outbox
    assert message.to == ["ann@example.org"]
    assert message.subject == "Confirm your email subscription"
    link = link_in(message, "/subscriptions/confirm/")
    assert named_by(link, tokens.CONFIRM) == subscriber
    # Sent through the pipeline, as one transactional delivery to this person.
    delivery = Delivery.objects.get()
    assert delivery.send.kind == Send.Kind.TRANSACTIONAL
    assert (delivery.subscriber, delivery.status) == (subscriber, "sent")


def test_new_and_known_addresses_get_byte_identical_responses(
    client, data, django_capture_on_commit_callbacks
):
    known = make_subscriber("known@example.org", data.water_list, name="Kim")
    before = (
        known.status,
        known.pending_choices,
        list(known.subscriptions.values_list("distribution_list", flat=True)),
    )

    responses, queries = [], []
    for address in ("known@example.org", "stranger@example.org"):
        with (
            django_capture_on_commit_callbacks(execute=False) as callbacks,
            CaptureQueriesContext(connection) as captured,
        ):
            responses.append(client.post(SUBSCRIBE, form_data(data, email=address)))
        assert len(callbacks) == 1
        queries.append([query["sql"] for query in captured.captured_queries])

    # The view never looks the address up, so it does the same work for both.
    assert queries[0] == queries[1]
    assert not any("bulletins_subscriber" in sql for sql in queries[0])

    first, second = responses
    assert first.status_code == second.status_code == HTTPStatus.SEE_OTHER
    assert first.content == second.content
    assert first["Location"] == second["Location"]
    # Every header alike but the request id, which is random for every request,
    # and Expires, which is the moment of the response (a second can tick between
    # the two); neither says anything about the address.
    assert first["X-Request-ID"] != second["X-Request-ID"]
    varying = {"X-Request-ID", "Expires"}
    assert sorted(
        (k, v) for k, v in first.headers.items() if k not in varying
    ) == sorted((k, v) for k, v in second.headers.items() if k not in varying)
    # Both already expired when sent: neither response may be kept by a cache.
    for response in responses:
        assert parsedate_to_datetime(response["Expires"]) <= datetime.now(UTC)
    assert first.cookies.keys() == second.cookies.keys()
    # Nothing was written for either, and the known subscriber is untouched.
    known.refresh_from_db()
    assert (
        known.status,
        known.pending_choices,
        list(known.subscriptions.values_list("distribution_list", flat=True)),
    ) == before
    assert Subscriber.objects.count() == 1
    assert ConsentRecord.objects.count() == 0


def test_an_error_page_is_the_same_for_a_known_address_apart_from_the_csrf_token(
    client, data
):
    bad = form_data(data, email="kim@example.org", lists=["999999"])
    unknown = client.post(SUBSCRIBE, bad)
    make_subscriber("kim@example.org", data.water_list)
    known = client.post(SUBSCRIBE, bad)

    assert unknown.status_code == known.status_code == HTTPStatus.BAD_REQUEST
    strip = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub(b"", unknown.content) == strip.sub(b"", known.content)


def test_an_active_subscriber_keeps_their_lists_until_they_confirm(
    data, subscribe_inline
):
    subscriber = make_subscriber("kim@example.org", data.water_list, name="Kim")

    subscribe_inline(
        form_data(data, email="kim@example.org", lists=[data.everything.pk], name="")
    )

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert list(
        subscriber.subscriptions.values_list("distribution_list", flat=True)
    ) == [data.water_list.pk]
    assert subscriber.pending_choices["lists"] == [data.everything.pk]
    assert len(mail.outbox) == 1

    assert subscriptions.confirm(subscriber) is True
    subscriber.refresh_from_db()
    assert subscriber.name == "Kim"  # an empty name leaves the old one
    assert set(
        subscriber.subscriptions.values_list("distribution_list", flat=True)
    ) == {data.water_list.pk, data.everything.pk}
    assert subscriber.subscriptions.get(
        distribution_list=data.everything
    ).frequency == (WEEKLY)


@pytest.mark.parametrize(
    ("status", "waiting_status"),
    [
        (Subscriber.Status.UNSUBSCRIBED, Subscriber.Status.PENDING),
        (Subscriber.Status.PENDING, Subscriber.Status.PENDING),
        (Subscriber.Status.BOUNCED, Subscriber.Status.BOUNCED),
        (Subscriber.Status.COMPLAINED, Subscriber.Status.COMPLAINED),
    ],
)
def test_any_known_address_gets_the_same_email_and_only_the_link_applies_it(
    data, subscribe_inline, status, waiting_status
):
    subscriber = make_subscriber("kim@example.org", status=status)

    subscribe_inline(form_data(data, email="kim@example.org"))

    subscriber.refresh_from_db()
    assert subscriber.status == waiting_status
    assert Subscription.objects.count() == 0
    [message] = mail.outbox
    assert message.to == ["kim@example.org"]
    link = link_in(message, "/subscriptions/confirm/")
    assert named_by(link, tokens.CONFIRM) == subscriber

    subscriptions.confirm(subscriber)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.soft_bounce_count == 0


def test_the_same_request_again_sends_no_second_email(data, subscribe_inline):
    for _ in range(3):
        response = subscribe_inline(form_data(data))
        assert response["Location"] == CHECK_EMAIL

    assert Subscriber.objects.count() == 1
    assert len(mail.outbox) == 1
    assert Send.objects.count() == 1
    assert ConsentRecord.objects.count() == 1


def test_a_changed_request_soon_after_updates_what_the_first_link_confirms(
    data, subscribe_inline
):
    subscribe_inline(form_data(data, lists=[data.everything.pk]))
    subscribe_inline(form_data(data, lists=[data.water_list.pk]))

    [message] = mail.outbox  # one email per address per window
    subscriber = Subscriber.objects.get()
    assert subscriber.pending_choices["lists"] == [data.water_list.pk]
    assert ConsentRecord.objects.count() == 2
    page = Client().get(link_in(message, "/subscriptions/confirm/"))
    html = page.content.decode()
    assert "Water safety" in html and "All bulletins" not in html


def test_a_robot_filling_the_hidden_box_sees_the_same_page_and_nothing_happens(
    client, data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(SUBSCRIBE, form_data(data, leave_blank="http://spam"))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == CHECK_EMAIL
    assert callbacks == []
    assert counts() == (0, 0, 0, 0)
    assert mail.outbox == []


# --- Choosing by topic ----------------------------------------------------------------


def test_topics_for_a_role_map_to_the_lists_for_that_role(data, subscribe_inline):
    subscribe_inline(
        form_data(
            data,
            lists=None,
            themes=[data.safe_sleep.pk, data.water.pk],
            audience=data.midwives.pk,
        )
    )
    choices = Subscriber.objects.get().pending_choices
    # Safe sleep for midwives (theme and role), water safety (for every role); never
    # "All bulletins" (no theme) or the staff list (which also carries safe sleep).
    assert choices["lists"] == sorted([data.sleep_for_midwives.pk, data.water_list.pk])
    assert choices["themes"] == [data.safe_sleep.pk, data.water.pk]


def test_topics_leave_out_lists_for_other_roles(data):
    lists = subscriptions.lists_for_topics([data.safe_sleep.pk], data.gps.pk)
    assert list(lists) == []
    lists = subscriptions.lists_for_topics([data.safe_sleep.pk], None)
    assert list(lists) == [data.sleep_for_midwives]


def test_topics_no_list_covers_give_a_plain_error_and_nothing_is_queued(
    client, data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            SUBSCRIBE,
            form_data(data, lists=None, themes=[data.suicide.pk], audience=""),
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "No list covers those topics for your role yet" in html
    assert '<a href="#subscribe-themes">' in html
    assert f'value="{data.suicide.pk}" checked' in html  # the answer is kept
    assert callbacks == []


def test_choosing_nothing_asks_for_a_list_or_topic(client, data):
    response = client.post(SUBSCRIBE, form_data(data, lists=None))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "Choose at least one list, or at least one topic below" in html
    assert "<title>Error: Get email updates" in html
    assert 'value="ann@example.org"' in html  # what they typed is kept


# --- Confirming -----------------------------------------------------------------------


@pytest.fixture
def pending(data, subscribe_inline):
    subscribe_inline(form_data(data, lists=[data.everything.pk, data.water_list.pk]))
    [message] = mail.outbox
    return Subscriber.objects.get(), link_in(message, "/subscriptions/confirm/")


def test_opening_the_confirmation_link_changes_nothing(data, pending):
    subscriber, link = pending
    before = counts()

    response = Client().get(link)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Confirm your subscription" in html
    assert "All bulletins" in html and "Water safety" in html
    assert "Once a week, in a digest" in html
    assert ">Confirm</button>" in html and 'method="post"' in html
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert counts() == before


def test_the_confirm_button_applies_the_choices_once(data, pending):
    subscriber, link = pending
    browser = csrf_client()

    response = post_with_csrf(browser, link)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == preferences_path(subscriber) + "?done=confirmed"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None
    assert subscriber.pending_choices == {}
    assert (subscriber.name, subscriber.audience, subscriber.organisation) == (
        "Ann Example",
        data.midwives,
        data.trust,
    )
    assert sorted(
        subscriber.subscriptions.values_list("distribution_list", "frequency")
    ) == sorted([(data.everything.pk, WEEKLY), (data.water_list.pk, WEEKLY)])
    confirmed = ConsentRecord.objects.get(action=ConsentRecord.Action.CONFIRMED)
    assert confirmed.method == ConsentRecord.Method.EMAIL_LINK
    assert confirmed.wording_version == subscriptions.CURRENT_WORDING

    assert "You're subscribed." in text_of(browser.get(response["Location"]))

    # Pressing it again (or a second tab) changes nothing and is not an error.
    again = post_with_csrf(browser, link)
    assert again.status_code == HTTPStatus.SEE_OTHER
    assert ConsentRecord.objects.filter(action="confirmed").count() == 1
    assert "Nothing to confirm" in browser.get(link).content.decode()


def test_confirming_needs_the_csrf_token(data, pending):
    subscriber, link = pending
    response = csrf_client().post(link)
    assert response.status_code == HTTPStatus.FORBIDDEN
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_an_expired_confirmation_link_offers_to_subscribe_again(
    data, pending, monkeypatch
):
    subscriber, _link = pending
    eight_days_ago = time.time() - 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    old_link = confirm_path(subscriber)
    monkeypatch.undo()

    for response in (Client().get(old_link), Client().post(old_link)):
        assert response.status_code == HTTPStatus.NOT_FOUND
        html = response.content.decode()
        assert "This link does not work" in html
        assert 'href="/subscribe/"' in html
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_link_made_for_another_purpose_does_not_confirm(data, pending):
    subscriber, _link = pending
    token = tokens.make_token(subscriber, tokens.PREFERENCES)
    wrong = f"/subscriptions/confirm/{token}/"
    assert Client().post(wrong).status_code == HTTPStatus.NOT_FOUND
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_an_old_confirmation_link_cannot_resubscribe_after_unsubscribing(data, pending):
    subscriber, link = pending
    subscriptions.unsubscribe(subscriber)
    browser = Client()
    assert "Nothing to confirm" in text_of(browser.get(link))
    assert browser.post(link).status_code == HTTPStatus.SEE_OTHER
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert Subscription.objects.count() == 0


# --- The preference centre ------------------------------------------------------------


@pytest.fixture
def active(data):
    subscriber = make_subscriber(
        "kim@example.org",
        data.everything,
        data.water_list,
        data.staff,
        name="Kim",
        audience=data.gps,
    )
    return subscriber


def test_the_preference_centre_shows_what_they_get(
    data, active, django_assert_max_num_queries
):
    path = preferences_path(active)
    client = Client()
    # The subscriber, their subscriptions, the lists, audiences, organisations,
    # the banner's list, and the site's header and footer.
    with django_assert_max_num_queries(9):
        response = client.get(path)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "kim@example.org" in html
    for item in (data.everything, data.water_list, data.staff):
        assert f'name="lists" type="checkbox" value="{item.pk}" checked' in html
        assert f'name="unsubscribe_list" value="{item.pk}"' in html
    assert f'name="lists" type="checkbox" value="{data.sleep_for_midwives.pk}"' in html
    assert 'value="immediate" checked' in html
    assert 'value="Kim"' in html
    assert f'value="{data.gps.pk}" checked' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Delete everything about me" in html
    assert "Email me a copy of my data" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_preference_centre_query_count_does_not_grow_with_lists(
    data, active, django_assert_max_num_queries
):
    for n in range(15):
        extra = make_list(f"Extra {n}")
        Subscription.objects.create(subscriber=active, distribution_list=extra)
    with django_assert_max_num_queries(9):
        response = Client().get(preferences_path(active))
    assert "Extra 14" in response.content.decode()


def test_changing_lists_frequency_and_name(data, active):
    browser = csrf_client()
    path = preferences_path(active)

    response = post_with_csrf(
        browser,
        path,
        {
            "lists": [data.sleep_for_midwives.pk, data.water_list.pk],
            "frequency": WEEKLY,
            "name": "Kim Jones",
            "audience": data.midwives.pk,
            "organisation": "",
        },
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == path + "?done=saved"
    active.refresh_from_db()
    assert (active.name, active.audience) == ("Kim Jones", data.midwives)
    assert sorted(
        active.subscriptions.values_list("distribution_list", "frequency")
    ) == sorted([(data.sleep_for_midwives.pk, WEEKLY), (data.water_list.pk, WEEKLY)])
    record = ConsentRecord.objects.get()
    assert (record.action, record.method) == ("changed", "preference_centre")
    assert record.details["added"] == [data.sleep_for_midwives.pk]
    assert sorted(record.details["removed"]) == sorted(
        [data.everything.pk, data.staff.pk]
    )
    assert (
        "Your choices have been saved."
        in browser.get(response["Location"]).content.decode()
    )

    # The staff list they left is no longer offered to them.
    html = browser.get(path).content.decode()
    assert "Panel managers" not in html


def test_saving_the_same_choices_records_nothing(data, active):
    browser = csrf_client()
    post_with_csrf(
        browser,
        preferences_path(active),
        {
            "lists": [data.everything.pk, data.water_list.pk, data.staff.pk],
            "frequency": IMMEDIATE,
            "name": "Kim",
            "audience": data.gps.pk,
        },
    )
    assert ConsentRecord.objects.count() == 0


def test_unticking_every_list_asks_to_use_unsubscribe_instead(data, active):
    response = post_with_csrf(
        csrf_client(), preferences_path(active), {"frequency": IMMEDIATE}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose at least one list." in response.content.decode()
    assert active.subscriptions.count() == 3


def test_leaving_one_list(data, active):
    browser = csrf_client()
    path = preferences_path(active)

    response = post_with_csrf(browser, path, {"unsubscribe_list": data.water_list.pk})

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == f"{path}?left={data.water_list.pk}"
    active.refresh_from_db()
    assert active.status == Subscriber.Status.ACTIVE
    assert sorted(active.subscriptions.values_list("distribution_list", flat=True)) == (
        sorted([data.everything.pk, data.staff.pk])
    )
    record = ConsentRecord.objects.get()
    assert (record.action, record.details) == (
        "unsubscribed",
        {"lists": [data.water_list.pk]},
    )
    page = text_of(browser.get(response["Location"]))
    assert "You've unsubscribed from Water safety." in page


def test_leaving_the_last_list_is_leaving_everything(data):
    subscriber = make_subscriber("one@example.org", data.water_list)
    browser = csrf_client()
    response = post_with_csrf(
        browser,
        preferences_path(subscriber),
        {"unsubscribe_list": data.water_list.pk},
    )
    assert response["Location"] == unsubscribe_path(subscriber)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert "You have unsubscribed" in browser.get(response["Location"]).content.decode()


def test_unsubscribing_from_everything_in_the_preference_centre(data, active):
    browser = csrf_client()
    response = post_with_csrf(
        browser, preferences_path(active), {"unsubscribe_all": "yes"}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    active.refresh_from_db()
    assert active.status == Subscriber.Status.UNSUBSCRIBED
    assert active.subscriptions.count() == 0
    record = ConsentRecord.objects.get()
    assert (record.method, record.details) == ("preference_centre", {"lists": "all"})


def test_someone_who_unsubscribed_can_choose_lists_again(data):
    subscriber = make_subscriber("back@example.org", status="unsubscribed")
    page = Client().get(preferences_path(subscriber)).content.decode()
    assert "You are not getting any emails from us." in page

    post_with_csrf(
        csrf_client(),
        preferences_path(subscriber),
        {"lists": [data.water_list.pk], "frequency": IMMEDIATE},
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    record = ConsentRecord.objects.get()
    assert record.details["resubscribed"] is True


def test_preference_forms_need_the_csrf_token(data, active):
    path = preferences_path(active)
    for body in (
        {"lists": [data.everything.pk], "frequency": WEEKLY},
        {"unsubscribe_list": data.water_list.pk},
        {"unsubscribe_all": "yes"},
    ):
        assert csrf_client().post(path, body).status_code == HTTPStatus.FORBIDDEN
    assert csrf_client().post(path + "export/").status_code == HTTPStatus.FORBIDDEN
    erase = path_of(tokens.link(active, tokens.PREFERENCES)).replace(
        "/manage/", "/delete/"
    )
    assert csrf_client().post(erase).status_code == HTTPStatus.FORBIDDEN
    active.refresh_from_db()
    assert active.subscriptions.count() == 3
    assert Subscriber.objects.count() == 1
    assert ConsentRecord.objects.count() == 0


# --- Unsubscribe link and RFC 8058 one-click ------------------------------------------


def test_opening_the_unsubscribe_link_changes_nothing(data, active):
    response = Client().get(unsubscribe_path(active))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Unsubscribe from all emails" in html
    assert ">Unsubscribe</button>" in html
    active.refresh_from_db()
    assert active.status == Subscriber.Status.ACTIVE
    assert active.subscriptions.count() == 3


def test_one_click_post_with_no_cookies_unsubscribes_from_everything(data, active):
    mail_program = Client(enforce_csrf_checks=True)  # no cookie, no token
    path = unsubscribe_path(active)

    response = mail_program.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == HTTPStatus.OK
    assert "You have unsubscribed" in response.content.decode()
    active.refresh_from_db()
    assert active.status == Subscriber.Status.UNSUBSCRIBED
    assert active.subscriptions.count() == 0
    record = ConsentRecord.objects.get()
    assert (record.action, record.method) == ("unsubscribed", "one_click")

    again = mail_program.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert again.status_code == HTTPStatus.OK
    assert ConsentRecord.objects.count() == 1


def test_the_unsubscribe_button_works_and_shows_the_done_page(data, active):
    browser = Client(enforce_csrf_checks=True)
    path = unsubscribe_path(active)
    page = browser.get(path).content.decode()
    assert 'name="confirm" value="yes"' in page

    response = browser.post(path, {"confirm": "yes"})

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == path
    active.refresh_from_db()
    assert active.status == Subscriber.Status.UNSUBSCRIBED
    assert ConsentRecord.objects.get().method == "email_link"
    done = browser.get(path).content.decode()
    assert "You have unsubscribed" in done
    assert preferences_path(active) in done
    assert browser.post(path, {"confirm": "yes"}).status_code == HTTPStatus.SEE_OTHER
    assert ConsentRecord.objects.count() == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: token.split(":")[0],
        lambda token: signing.Signer(salt="bulletins.link.unsubscribe").sign("nobody"),
        lambda token: signing.Signer(salt="wrong").sign(token.split(":")[0]),
    ],
    ids=["altered", "prefixed", "unsigned", "unknown-secret", "wrong-salt"],
)
def test_forged_or_altered_unsubscribe_tokens_change_nothing(data, active, mangle):
    token = tokens.make_token(active, tokens.UNSUBSCRIBE)
    path = f"/subscriptions/unsubscribe/{mangle(token)}/"
    client = Client(enforce_csrf_checks=True)
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    response = client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    active.refresh_from_db()
    assert active.status == Subscriber.Status.ACTIVE
    assert ConsentRecord.objects.count() == 0


def test_a_post_without_the_one_click_body_changes_nothing(data, active):
    response = Client().post(unsubscribe_path(active), {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Nothing has been changed yet" in response.content.decode()
    active.refresh_from_db()
    assert active.status == Subscriber.Status.ACTIVE


# --- Data export and erasure ----------------------------------------------------------


def test_asking_for_a_data_export_emails_a_download_link(
    data, active, celery_eager, django_capture_on_commit_callbacks
):
    browser = csrf_client()
    path = preferences_path(active)
    Send.objects.create(kind=Send.Kind.BULLETIN, subject="Issue 7", text="Hi")
    Delivery.objects.create(
        send=Send.objects.get(subject="Issue 7"),
        subscriber=active,
        email=active.email,
        status="sent",
    )
    DeliveryEvent.objects.create(
        kind="soft_bounce", email=active.email, subscriber=active, source="dsn"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = post_with_csrf(browser, path, action=path + "export/")

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == path + "?done=export"
    assert "emailed you a link" in browser.get(response["Location"]).content.decode()
    [message] = mail.outbox
    assert message.to == [active.email]
    download = link_in(message, "/subscriptions/export/")

    response = Client().get(download)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="my-email-updates-data.json"'
    )
    exported = json.loads(response.content)
    assert exported["subscriber"]["email"] == "kim@example.org"
    assert exported["subscriber"]["name"] == "Kim"
    assert exported["subscriber"]["role"] == "GPs"
    assert {item["list"] for item in exported["subscriptions"]} == {
        "All bulletins",
        "Water safety",
        "Panel managers",
    }
    assert exported["emails"]["by_status"] == {"sent": 2}  # the bulletin, the export
    assert "Issue 7" in [item["subject"] for item in exported["emails"]["items"]]
    assert exported["bounces_and_complaints"][0]["kind"] == "soft_bounce"
    assert active.token not in response.content.decode()  # never the secret


def test_the_export_includes_consent_with_its_wording(data, pending):
    subscriber, _link = pending
    subscriptions.confirm(subscriber)
    exported = subscriptions.export_data(subscriber)
    actions = [record["action"] for record in exported["consent_records"]]
    assert actions == ["requested", "confirmed"]
    wording = subscriptions.CONSENT_WORDING[subscriptions.CURRENT_WORDING]
    assert exported["consent_records"][1]["wording"] == wording


def test_an_expired_export_link_says_so(data, active, monkeypatch):
    two_days_ago = time.time() - 2 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: two_days_ago)
    old = path_of(tokens.link(active, tokens.EXPORT))
    monkeypatch.undo()
    response = Client().get(old)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "works for 24 hours" in response.content.decode()


def test_delete_everything_about_me(data, active):
    Send.objects.create(kind=Send.Kind.BULLETIN, subject="Issue 7", text="Hi")
    bulletin = Send.objects.get()
    Delivery.objects.create(send=bulletin, subscriber=active, email=active.email)
    other = make_subscriber("other@example.org", data.water_list)
    Delivery.objects.create(send=bulletin, subscriber=other, email=other.email)
    confirmation = subscriptions.email_data_export(active)
    ConsentRecord.objects.create(
        subscriber=active, action="confirmed", method="email_link"
    )
    DeliveryEvent.objects.create(kind="hard_bounce", email=active.email, source="dsn")
    links = [
        preferences_path(active),
        unsubscribe_path(active),
        path_of(tokens.link(active, tokens.EXPORT)),
    ]
    browser = csrf_client()
    erase = preferences_path(active).replace("/manage/", "/delete/")

    page = browser.get(erase)
    assert page.status_code == HTTPStatus.OK
    assert "Delete everything we hold about you" in page.content.decode()
    assert Subscriber.objects.filter(pk=active.pk).exists()  # GET deletes nothing

    response = post_with_csrf(browser, erase)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == "/subscriptions/deleted/"
    assert (
        "Your details have been deleted"
        in browser.get(response["Location"]).content.decode()
    )
    assert not Subscriber.objects.filter(email="kim@example.org").exists()
    assert not Subscription.objects.filter(subscriber_id=active.pk).exists()
    assert not ConsentRecord.objects.exists()
    assert list(Delivery.objects.values_list("email", flat=True)) == [other.email]
    assert not Send.objects.filter(pk=confirmation.pk).exists()
    assert Send.objects.filter(pk=bulletin.pk).exists()  # other people's email stays
    assert not DeliveryEvent.objects.exists()
    for link in links:
        assert Client().get(link).status_code == HTTPStatus.NOT_FOUND


# --- Rate limits ----------------------------------------------------------------------


def test_subscribing_is_rate_limited_per_client_address(
    client, data, settings, django_capture_on_commit_callbacks
):
    settings.SUBSCRIPTION_RATE_LIMITS = {"subscribe": 2, "export": 1}
    for _ in range(2):
        assert client.post(SUBSCRIBE, form_data(data)).status_code == 303

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(SUBSCRIBE, form_data(data))

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == str(subscriptions.RATE_WINDOW_SECONDS)
    assert "Wait 10 minutes, then try again." in response.content.decode()
    assert callbacks == []
    # Another address is not held up by this one.
    other = client.post(SUBSCRIBE, form_data(data), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == HTTPStatus.SEE_OTHER


def test_export_requests_are_rate_limited(data, active, settings, celery_eager):
    settings.SUBSCRIPTION_RATE_LIMITS = {"subscribe": 2, "export": 1}
    browser = csrf_client()
    path = preferences_path(active)
    assert post_with_csrf(browser, path, action=path + "export/").status_code == 303
    response = post_with_csrf(browser, path, action=path + "export/")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"]
    assert "asked for your data a lot of times" in response.content.decode()
    assert Send.objects.count() == 1


# --- Through the real worker ----------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_subscribe_and_confirm_through_the_worker_and_a_real_mail_server(
    celery_worker_process, smtp_sink, site
):
    smtp_sink.clear()
    cache.clear()
    news = make_list("News")
    response = Client().post(
        SUBSCRIBE,
        {
            "email": "real@example.org",
            "lists": [news.pk],
            "frequency": IMMEDIATE,
            "wording": subscriptions.CURRENT_WORDING,
        },
    )
    assert response.status_code == HTTPStatus.SEE_OTHER

    wait_for(lambda: smtp_sink.messages, timeout=60)
    [(recipients, message)] = smtp_sink.messages
    assert recipients == ["real@example.org"]
    assert message["Subject"] == "Confirm your email subscription"
    assert "List-Unsubscribe" not in message  # a confirmation is not list mail
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = next(
        path_of(url) for url in LINK.findall(body) if "/subscriptions/confirm/" in url
    )
    browser = csrf_client()
    assert post_with_csrf(browser, link).status_code == HTTPStatus.SEE_OTHER
    subscriber = Subscriber.objects.get(email="real@example.org")
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert list(
        subscriber.subscriptions.values_list("distribution_list", flat=True)
    ) == [news.pk]
