"""Demo distribution lists and subscribers: realistic, consistent and idempotent."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command

from bulletins import sending, subscriptions
from bulletins.demo import LISTS, PEOPLE, seed_distribution
from bulletins.models import (
    ConsentRecord,
    Delivery,
    DistributionList,
    Send,
    Subscriber,
    Subscription,
)

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (DistributionList, Subscriber, Subscription, ConsentRecord)
    }


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)
    return seed_distribution()


def test_seeding_twice_adds_nothing(demo):
    first = counts()
    assert first["DistributionList"] == len(LISTS) >= 4
    assert first["Subscriber"] == len(PEOPLE) >= 12
    seed_distribution()
    call_command("seed_demo", verbosity=0)
    assert counts() == first


def test_lists_carry_the_demo_themes_and_audiences(demo):
    monthly = demo["monthly-learning-bulletin"]
    assert not monthly.themes.exists() and not monthly.audiences.exists()  # all
    sleep = demo["safer-sleep-infant-safety"]
    assert set(sleep.themes.values_list("slug", flat=True)) == {
        "safe-sleep",
        "home-safety",
    }
    assert set(sleep.audiences.values_list("slug", flat=True)) == {
        "health-visitors",
        "midwives",
    }
    # Every theme and audience a list names was found in the demo vocabularies.
    for slug, _name, _description, themes, audiences, _visibility in LISTS:
        assert demo[slug].themes.count() == len(themes), slug
        assert demo[slug].audiences.count() == len(audiences), slug
    qi = demo["qi-leads-updates"]
    assert qi.visibility == DistributionList.Visibility.STAFF
    assert qi not in subscriptions.public_lists()
    assert subscriptions.public_lists().count() == len(LISTS) - 1


def test_people_are_in_every_state_with_a_consistent_history(demo):
    people = Subscriber.objects.all()
    assert {person.status for person in people} == set(Subscriber.Status.values)
    for person in people:
        assert person.email.endswith(("@example.org", "@example.com")), person
        records = list(person.consent_records.order_by("created_at"))
        assert records, person
        assert records[0].action in ("requested", "added_by_staff")
        lists = person.subscriptions.count()
        if person.status == Subscriber.Status.ACTIVE:
            assert lists >= 1 and person.confirmed_at is not None, person
        else:
            assert lists == 0, person
        if person.status == Subscriber.Status.PENDING:
            assert person.confirmed_at is None and person.pending_choices
        if person.status in ("unsubscribed", "bounced", "complained"):
            assert records[-1].action == ConsentRecord.Action.UNSUBSCRIBED
        wordings = {r.wording_version for r in records} - {""}
        assert wordings <= set(subscriptions.CONSENT_WORDING), person
    methods = set(ConsentRecord.objects.values_list("method", flat=True))
    assert {"web_form", "email_link", "admin", "bounce", "complaint"} <= methods
    assert Subscription.objects.filter(frequency="weekly").exists()
    assert Subscription.objects.filter(frequency="immediate").exists()


def test_a_send_to_a_demo_list_reaches_its_active_immediate_subscribers(demo):
    mail.outbox = []
    send = sending.create_send(
        kind=Send.Kind.SAFETY_MESSAGE,
        subject="Safer sleep: a reminder",
        text="CDRTOKENGREETINGCDR\nA reminder.\n",
        lists=[demo["safer-sleep-infant-safety"], demo["monthly-learning-bulletin"]],
    )
    sending.start_send(send.pk)
    sending.deliver_batch(send.pk)
    reached = set(
        Delivery.objects.filter(send=send, status="sent").values_list(
            "email", flat=True
        )
    )
    assert reached == {
        "priya.shah@example.org",
        "megan.jones@example.org",
        "dr.amir.haddad@example.org",
        "asha.patel@example.org",
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(reached)


def test_the_pending_demo_subscriber_can_confirm(demo):
    pending = Subscriber.objects.get(status=Subscriber.Status.PENDING)
    assert subscriptions.confirm(pending)
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.ACTIVE
    assert list(
        pending.subscriptions.values_list("distribution_list__slug", flat=True)
    ) == ["monthly-learning-bulletin"]
