"""The optional "why are you unsubscribing?" question, which the report counts."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from bulletins.models import ConsentRecord, Subscriber
from bulletins.subscriptions import UNSUBSCRIBE_REASONS
from tests.bulletins.test_subscriptions import unsubscribe_path
from tests.factories.distribution import SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    subscriber = SubscriberFactory(email="reader@example.org")
    SubscriptionFactory(subscriber=subscriber)
    return subscriber


def test_the_unsubscribe_page_asks_why_without_requiring_an_answer(reader):
    page = Client().get(unsubscribe_path(reader)).content.decode()
    assert "Why are you unsubscribing? (optional)" in page
    for value, label in UNSUBSCRIBE_REASONS:
        assert f'value="{value}"' in page and label in page


@pytest.mark.parametrize(
    ("posted", "recorded"),
    [({"reason": "too_many"}, "too_many"), ({}, None), ({"reason": "<b>x"}, None)],
)
def test_a_reason_given_is_kept_with_the_consent_record(reader, posted, recorded):
    path = unsubscribe_path(reader)
    response = Client().post(path, {"confirm": "yes", **posted})
    assert response.status_code == HTTPStatus.SEE_OTHER
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    record = ConsentRecord.objects.get(subscriber=reader)
    assert record.details.get("reason") == recorded
    assert record.details["lists"] == "all"
