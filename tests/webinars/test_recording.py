"""After a webinar: "the recording is available" to its registrants (with the
feedback link for people who had a place) and once to the "immediately"
subscribers of its themes, leaving out the registrants so nobody gets two.

Publishing runs for real (signal, on-commit hook, tasks inline with
``celery_eager``, the send pipeline); messages land in ``django.core.mail.outbox``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from wagtail.models import PageViewRestriction

from bulletins.models import Send, Subscriber, Subscription, absolute
from tests.factories import AudienceFactory, ThemeFactory
from tests.factories.distribution import (
    DistributionListFactory,
    SubscriberFactory,
    SubscriptionFactory,
)
from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import reminders
from webinars.models import Registration, WebinarEmail, WebinarPage

pytestmark = pytest.mark.django_db

UTC = dt.UTC
WEEKLY = Subscription.Frequency.WEEKLY


@pytest.fixture
def publish(celery_eager, django_capture_on_commit_callbacks):
    def run(page):
        with django_capture_on_commit_callbacks(execute=True):
            page.save_revision().publish()
        page.refresh_from_db()
        return page

    return run


@pytest.fixture
def run_inline(celery_eager, django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def sleep():
    return ThemeFactory(name="Safe sleep", slug="safe-sleep")


@pytest.fixture
def webinar(site, sleep):
    """A webinar about safe sleep that ended two hours ago, with no recording yet."""
    _index, series = webinar_tree(site)
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    page = WebinarPageFactory(
        parent=series,
        title="Safe sleep conversations",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )
    page.themes.add(sleep)
    page.save()
    RegistrationFactory(webinar=page, name="Asha", email="asha@example.org")
    # Stored as typed; the subscriber's address is lower case.
    RegistrationFactory(webinar=page, name="Ben", email="Ben@Example.org")
    RegistrationFactory(
        webinar=page,
        name="Cai",
        email="cai@example.org",
        status=Registration.Status.WAITLISTED,
    )
    RegistrationFactory(
        webinar=page,
        name="Dee",
        email="dee@example.org",
        status=Registration.Status.CANCELLED,
    )
    return page


@pytest.fixture
def readers(sleep):
    sleep_list = DistributionListFactory(name="Safe sleep", themes=[sleep])
    water = DistributionListFactory(
        name="Water", themes=[ThemeFactory(name="Water", slug="water")]
    )
    police = DistributionListFactory(
        name="Police", audiences=[AudienceFactory(name="Police", slug="police")]
    )

    def reader(email, *lists, frequency=Subscription.Frequency.IMMEDIATE, **kwargs):
        subscriber = SubscriberFactory(email=email, **kwargs)
        for item in lists:
            SubscriptionFactory(
                subscriber=subscriber, distribution_list=item, frequency=frequency
            )
        return subscriber

    return {
        "eve": reader("eve@example.org", sleep_list, name="Eve Evans"),
        "ben": reader("ben@example.org", sleep_list),  # also a registrant
        "dee": reader("dee@example.org", sleep_list),  # cancelled her place
        "fay": reader("fay@example.org", water),  # the wrong theme
        "gus": reader("gus@example.org", police),  # an audience it is not for
        "hal": reader("hal@example.org", sleep_list, frequency=WEEKLY),
        "ivy": reader(
            "ivy@example.org", sleep_list, status=Subscriber.Status.UNSUBSCRIBED
        ),
    }


def by_address() -> dict:
    return {m.to[0]: m for m in mail.outbox}


def test_adding_the_recording_tells_registrants_then_subscribers_once(
    webinar, readers, publish
):
    webinar.recording_embed_url = "https://video.example.net/watch/123"
    publish(webinar)

    sent = by_address()
    assert sorted(sent) == [
        "Ben@Example.org",
        "asha@example.org",
        "cai@example.org",
        "dee@example.org",
        "eve@example.org",
    ]
    asha = sent["asha@example.org"]
    assert asha.subject == "Watch the recording: Safe sleep conversations"
    assert "Hello Asha," in asha.body
    registration = Registration.objects.get(name="Asha")
    assert f"/registration/{registration.token}/feedback/" in asha.body
    assert absolute(webinar.url) in asha.body
    assert webinar.join_url not in asha.body
    assert asha.parsed["List-Unsubscribe"] is None  # a registrant's own email
    cai = sent["cai@example.org"]
    assert "waiting list" in cai.body
    assert "/feedback/" not in cai.body  # no place, no feedback form

    # The broadcast: to Eve and Dee (whose place was cancelled), never to Ben.
    eve = sent["eve@example.org"]
    assert eve.subject == "Recording available: Safe sleep conversations"
    assert "Hello Eve Evans," in eve.body
    assert absolute(webinar.url) in eve.body
    assert webinar.join_url not in eve.body
    assert "/subscriptions/unsubscribe/" in eve.body
    assert "/subscriptions/manage/" in eve.body
    assert eve.parsed["List-Unsubscribe"].startswith("<http://testserver/")
    send = Send.objects.get(key=f"webinar-recording:{webinar.pk}")
    assert send.kind == Send.Kind.WEBINAR
    assert send.page_id == webinar.pk
    assert send.recipient_count == 2
    assert WebinarEmail.objects.filter(kind="recording").count() == 3

    # Publishing again, and the hourly check, send nothing more.
    mail.outbox.clear()
    publish(webinar)
    assert reminders.pending_recordings() == []
    assert reminders.catch_up() == {"announced": 0, "recordings": 0}
    assert mail.outbox == []


def test_a_recording_added_before_the_end_goes_out_once_it_has_ended(
    webinar, readers, run_inline
):
    WebinarPage.objects.filter(pk=webinar.pk).update(
        recording_embed_url="https://video.example.net/watch/9"
    )
    before_end = webinar.ends_at - dt.timedelta(minutes=10)
    assert reminders.pending_recordings(before_end) == []
    run = run_inline(reminders.send_recording_available, webinar.pk, before_end)
    assert run.registrants == 0 and run.send is None
    assert mail.outbox == []

    # The hourly check after the end catches it; running it twice sends once.
    assert reminders.pending_recordings() == [webinar.pk]
    assert run_inline(reminders.catch_up) == {"announced": 0, "recordings": 1}
    assert run_inline(reminders.catch_up) == {"announced": 0, "recordings": 0}
    assert len(mail.outbox) == 5
    assert Send.objects.filter(kind=Send.Kind.WEBINAR).count() == 1


def test_nothing_for_a_webinar_without_a_recording_or_that_was_cancelled(
    webinar, readers, run_inline
):
    run = run_inline(reminders.send_recording_available, webinar.pk)
    assert run.registrants == 0 and run.send is None
    WebinarPage.objects.filter(pk=webinar.pk).update(
        is_cancelled=True, recording_embed_url="https://video.example.net/watch/1"
    )
    assert reminders.pending_recordings() == []
    run = run_inline(reminders.send_recording_available, webinar.pk)
    assert run.registrants == 0 and run.send is None
    assert run_inline(reminders.send_recording_available, 999_999).send is None
    assert mail.outbox == []


def test_a_restricted_webinar_tells_only_its_registrants(webinar, readers, run_inline):
    PageViewRestriction.objects.create(
        page=webinar, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    WebinarPage.objects.filter(pk=webinar.pk).update(
        recording_embed_url="https://video.example.net/watch/2"
    )
    run = run_inline(reminders.send_recording_available, webinar.pk)
    assert run.registrants == 3 and run.send is None
    assert sorted(by_address()) == [
        "Ben@Example.org",
        "asha@example.org",
        "cai@example.org",
    ]
    assert reminders.pending_recordings() == []  # nothing left to do
