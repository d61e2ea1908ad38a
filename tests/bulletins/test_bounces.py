"""Bounces and complaints: provider webhooks (django-anymail) and returned mail (DSNs).

Webhooks are posted to the real anymail URLs through Django's test client, with the
payloads Postmark and Mailgun send; DSNs are whole messages as Postfix, Exim and a
feedback loop write them; the mailbox poller reads a real IMAP server (pymap).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import imaplib
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core import mail

from bulletins import bounces, sending
from bulletins.models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    Subscriber,
    Subscription,
)

pytestmark = pytest.mark.django_db

SECRET = "anymail-user:correct-horse-battery"
MAILGUN_KEY = "key-mailgun-signing-0123456789"
POSTMARK_URL = "/anymail/postmark/tracking/"
MAILGUN_URL = "/anymail/mailgun/tracking/"

HARD = DeliveryEvent.Kind.HARD_BOUNCE
SOFT = DeliveryEvent.Kind.SOFT_BOUNCE
COMPLAINT = DeliveryEvent.Kind.COMPLAINT


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    # anymail reads its settings afresh for each request (a new view instance).
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    }
    settings.SOFT_BOUNCE_LIMIT = 3
    mail.outbox = []


def auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def post_json(client, url, payload, **extra):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(url, body, content_type="application/json", **extra)


# --- Realistic payloads ---------------------------------------------------------------


def postmark_bounce(email, *, event_id=4323372036854775807, kind="HardBounce"):
    """A Postmark bounce webhook, as in Postmark's documentation."""
    descriptions = {
        "HardBounce": "The server was unable to deliver your message (ex: unknown "
        "user, mailbox not found).",
        "SoftBounce": "Unable to temporarily deliver this message",
    }
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": event_id,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "Tag": "bulletin",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": descriptions[kind],
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does "
        "not exist."
        if kind == "HardBounce"
        else "smtp;452 4.2.2 Mailbox full",
        "Email": email,
        "From": "bulletins@cdr-learning.example",
        "BouncedAt": "2026-11-03T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": kind == "HardBounce",
        "CanActivate": True,
        "Subject": "Learning bulletin, issue 7",
    }


def postmark_spam_complaint(email, *, event_id=42):
    return {
        "RecordType": "SpamComplaint",
        "MessageStream": "outbound",
        "ID": event_id,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Tag": "bulletin",
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "Metadata": {},
        "ServerID": 1234,
        "Description": "",
        "Details": "Marked as spam by the recipient",
        "Email": email,
        "From": "bulletins@cdr-learning.example",
        "BouncedAt": "2026-11-03T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": False,
        "Subject": "Learning bulletin, issue 7",
    }


def postmark_delivery(email):
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "6d1bdb9c-2cf5-4d22-9fcb-9bf4e38a7b2e",
        "Recipient": email,
        "Tag": "bulletin",
        "DeliveredAt": "2026-11-05T16:33:54.9070259Z",
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": {},
    }


def mailgun_failed(email, *, message_id, token, severity="permanent", key=MAILGUN_KEY):
    """A Mailgun "failed" webhook (JSON, signed with the webhook signing key)."""
    timestamp = "1762161247"
    signature = hmac.new(
        key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    status = (
        {"code": 550, "message": "5.1.1 The email account does not exist."}
        if severity == "permanent"
        else {"code": 452, "message": "4.2.2 The mailbox is over quota."}
    )
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": "failed",
            "id": "G9Bn5sl1TC6nu79C8C0bwg",
            "timestamp": 1762161247.375624,
            "log-level": "error" if severity == "permanent" else "warn",
            "severity": severity,
            "reason": "bounce" if severity == "permanent" else "generic",
            "recipient": email,
            "recipient-domain": email.split("@")[1],
            "envelope": {
                "sender": "bounces@cdr-learning.example",
                "transport": "smtp",
                "targets": email,
            },
            "message": {
                "headers": {
                    "to": email,
                    "message-id": message_id.strip("<>"),
                    "from": "bulletins@cdr-learning.example",
                    "subject": "Learning bulletin, issue 7",
                },
                "attachments": [],
                "size": 4211,
            },
            "delivery-status": {
                "attempt-no": 1,
                "description": "",
                "session-seconds": 0.4,
                **status,
            },
            "flags": {"is-routed": False, "is-authenticated": True},
            "tags": [],
            "user-variables": {},
        },
    }


# --- Sends that really went out -------------------------------------------------------


def make_list(name: str) -> DistributionList:
    return DistributionList.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), description=name
    )


def make_subscriber(address: str, *lists, status="active") -> Subscriber:
    subscriber = Subscriber.objects.create(email=address, status=status)
    for distribution_list in lists:
        Subscription.objects.create(
            subscriber=subscriber, distribution_list=distribution_list
        )
    return subscriber


def send_now(lists, subject="Learning bulletin, issue 7") -> Send:
    """A bulletin sent through the real pipeline (mail lands in the outbox)."""
    send = sending.create_send(
        kind=Send.Kind.BULLETIN,
        subject=subject,
        text="CDRTOKENGREETINGCDR\nNews.\n",
        html="<p>CDRTOKENGREETINGCDR</p><p>News.</p>",
        lists=lists,
    )
    sending.start_send(send.pk)
    while Delivery.objects.filter(send=send, status="pending").exists():
        sending.deliver_batch(send.pk)
    return send


def message_id_sent_to(address: str, send: Send) -> str:
    delivery = Delivery.objects.get(send=send, email=address)
    for message in mail.outbox:
        if message.to == [address] and message.parsed["Message-ID"] == (
            delivery.message_id
        ):
            return delivery.message_id
    raise AssertionError(f"No message to {address} for send {send.pk}")


def recipients_of(send: Send) -> set[str]:
    return set(
        Delivery.objects.filter(send=send, status="sent").values_list(
            "email", flat=True
        )
    )


def nothing_written():
    assert DeliveryEvent.objects.count() == 0
    assert not ConsentRecord.objects.exists()
    assert not Subscriber.objects.exclude(status="active").exists()


# --- Hard bounces ---------------------------------------------------------------------


def test_a_hard_bounce_ends_every_subscription_and_later_sends_skip_the_address(
    client,
):
    news, safety = make_list("News"), make_list("Safer sleep")
    gone = make_subscriber("gone@example.org", news, safety)
    make_subscriber("fine@example.org", news)
    first = send_now([news])
    # A send still going out when the bounce arrives: its row for them is skipped.
    in_flight = sending.create_send(
        kind=Send.Kind.BULLETIN, subject="Safety message", text="Hi", lists=[safety]
    )
    sending.start_send(in_flight.pk)
    assert Delivery.objects.get(send=in_flight, subscriber=gone).status == "pending"

    response = post_json(
        client, POSTMARK_URL, postmark_bounce("Gone@Example.org"), **auth()
    )

    assert response.status_code == 200
    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.BOUNCED
    assert not Subscription.objects.filter(subscriber=gone).exists()
    assert Delivery.objects.get(send=in_flight, subscriber=gone).status == "skipped"
    event = DeliveryEvent.objects.get()
    assert (event.kind, event.email, event.subscriber) == (
        HARD,
        "gone@example.org",
        gone,
    )
    assert event.source == "webhook:postmark"
    assert event.provider_event_id == "4323372036854775807"
    assert "550 5.1.1" in event.description
    # Postmark gives its own message id, so the latest delivery to them is used.
    assert event.send == first
    consent = ConsentRecord.objects.get(subscriber=gone)
    assert consent.action == ConsentRecord.Action.UNSUBSCRIBED
    assert consent.method == ConsentRecord.Method.BOUNCE
    assert consent.details["lists"] == sorted([news.pk, safety.pk])
    assert consent.details["event"] == event.pk

    assert not Subscriber.objects.active().filter(pk=gone.pk).exists()
    later = send_now([news, safety], subject="Learning bulletin, issue 8")
    assert recipients_of(later) == {"fine@example.org"}
    assert not Delivery.objects.filter(send=later, email="gone@example.org").exists()


def test_a_bounce_does_not_rewrite_a_message_the_server_already_took(client):
    from django.utils import timezone

    from bulletins.models import SentMark

    news = make_list("News")
    gone = make_subscriber("gone@example.org", news)
    send = sending.create_send(
        kind=Send.Kind.BULLETIN, subject="Safety message", text="Hi", lists=[news]
    )
    sending.start_send(send.pk)
    Delivery.objects.filter(send=send).update(status="claimed", claim="task-1")
    delivery = Delivery.objects.get(send=send, subscriber=gone)
    # Accepted by the server, recorded, not yet folded into the row...
    SentMark.objects.create(
        delivery_id=delivery.pk, send_id=send.pk, sent_at=timezone.now()
    )
    # ...when a bounce for an earlier message arrives.
    response = post_json(client, POSTMARK_URL, postmark_bounce(gone.email), **auth())
    assert response.status_code == 200
    sending._settle(send.pk, "task-1")
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert sending.progress(send)["sent"] == 1


def test_our_message_id_links_the_bounce_to_the_send_it_is_about(client):
    news = make_list("News")
    make_subscriber("gone@example.org", news)
    first = send_now([news])
    send_now([news], subject="Learning bulletin, issue 8")  # the latest delivery
    message_id = message_id_sent_to("gone@example.org", first)

    payload = mailgun_failed(
        "gone@example.org", message_id=message_id, token="a8ce0edb2dd8301dee6c24"
    )
    response = post_json(client, MAILGUN_URL, payload, **auth())

    assert response.status_code == 200
    event = DeliveryEvent.objects.get()
    assert (event.kind, event.send, event.source) == (HARD, first, "webhook:mailgun")
    assert event.provider_event_id == "a8ce0edb2dd8301dee6c24"
    assert Subscriber.objects.get(email="gone@example.org").status == "bounced"
    assert bounces.bounce_counts(first) == {"hard": 1, "soft": 0, "complaints": 0}


def test_a_message_id_of_someone_else_or_another_site_does_not_link(client):
    news = make_list("News")
    make_subscriber("gone@example.org", news)
    make_subscriber("other@example.org", news)
    first = send_now([news])
    latest = send_now([news], subject="Learning bulletin, issue 8")
    others = message_id_sent_to("other@example.org", first)
    foreign = message_id_sent_to("gone@example.org", first).replace(
        "@testserver", "@elsewhere.example"
    )
    for token, message_id in (("t-1", others), ("t-2", foreign)):
        payload = mailgun_failed("gone@example.org", message_id=message_id, token=token)
        assert post_json(client, MAILGUN_URL, payload, **auth()).status_code == 200
    # Neither id names a delivery to this address here: the latest one is used.
    assert set(DeliveryEvent.objects.values_list("send", flat=True)) == {latest.pk}


def test_an_invalid_address_rejected_by_the_provider_is_a_hard_bounce(client):
    news = make_list("News")
    subscriber = make_subscriber("typo@example.con", news)
    payload = {
        **postmark_bounce("typo@example.con", event_id=592),
        "Type": "BadEmailAddress",
        "TypeCode": 100000,
        "Name": "Invalid email address",
        "Description": "The address is not a valid email address.",
        "Details": "",
    }
    response = post_json(client, POSTMARK_URL, payload, **auth())
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED
    event = DeliveryEvent.objects.get()
    assert (event.kind, event.provider_event_id) == (HARD, "592")


# --- Complaints -----------------------------------------------------------------------


def test_a_spam_complaint_ends_every_subscription(client):
    news, safety = make_list("News"), make_list("Safer sleep")
    annoyed = make_subscriber("annoyed@example.com", news, safety)
    send = send_now([news])

    response = post_json(
        client, POSTMARK_URL, postmark_spam_complaint("annoyed@example.com"), **auth()
    )

    assert response.status_code == 200
    annoyed.refresh_from_db()
    assert annoyed.status == Subscriber.Status.COMPLAINED
    assert not annoyed.subscriptions.exists()
    event = DeliveryEvent.objects.get()
    assert (event.kind, event.send) == (COMPLAINT, send)
    consent = ConsentRecord.objects.get(subscriber=annoyed)
    assert (consent.action, consent.method) == ("unsubscribed", "complaint")
    assert bounces.bounce_counts(send) == {"hard": 0, "soft": 0, "complaints": 1}


# --- Soft bounces ---------------------------------------------------------------------


def test_soft_bounces_end_subscriptions_only_after_the_limit_of_sends(client):
    news = make_list("News")
    full = make_subscriber("full@example.net", news)
    for issue in range(1, 4):
        send_now([news], subject=f"Learning bulletin, issue {issue}")
        payload = postmark_bounce("full@example.net", event_id=issue, kind="SoftBounce")
        assert post_json(client, POSTMARK_URL, payload, **auth()).status_code == 200
        full.refresh_from_db()
        assert full.soft_bounce_count == issue
        if issue < 3:
            assert full.status == Subscriber.Status.ACTIVE
            assert full.subscriptions.count() == 1
            assert not ConsentRecord.objects.exists()
    assert full.status == Subscriber.Status.BOUNCED
    assert not full.subscriptions.exists()
    consent = ConsentRecord.objects.get(subscriber=full)
    assert (consent.method, consent.details["soft_bounces"]) == ("bounce", 3)
    assert set(DeliveryEvent.objects.values_list("kind", flat=True)) == {SOFT}


def test_a_provider_retrying_one_message_counts_as_one_soft_bounce(client):
    news = make_list("News")
    full = make_subscriber("full@example.net", news)
    send = send_now([news])
    message_id = message_id_sent_to("full@example.net", send)
    # Mailgun reports every failed attempt at the same message ("temporary").
    for attempt in range(5):
        payload = mailgun_failed(
            "full@example.net",
            message_id=message_id,
            token=f"retry-{attempt}",
            severity="temporary",
        )
        assert post_json(client, MAILGUN_URL, payload, **auth()).status_code == 200
    full.refresh_from_db()
    assert (full.soft_bounce_count, full.status) == (1, "active")
    assert DeliveryEvent.objects.filter(kind=SOFT, send=send).count() == 5
    assert bounces.bounce_counts(send) == {"hard": 0, "soft": 1, "complaints": 0}


def test_a_delivery_between_soft_bounces_starts_the_count_again(client):
    news = make_list("News")
    full = make_subscriber("full@example.net", news)
    for event_id in (1, 2):
        send_now([news], subject=f"Issue {event_id}")
        payload = postmark_bounce(
            "full@example.net", event_id=event_id, kind="SoftBounce"
        )
        post_json(client, POSTMARK_URL, payload, **auth())
    post_json(client, POSTMARK_URL, postmark_delivery("full@example.net"), **auth())
    full.refresh_from_db()
    assert full.soft_bounce_count == 0
    send_now([news], subject="Issue 3")
    payload = postmark_bounce("full@example.net", event_id=3, kind="SoftBounce")
    post_json(client, POSTMARK_URL, payload, **auth())
    full.refresh_from_db()
    assert (full.soft_bounce_count, full.status) == (1, "active")


# --- Once only, and only when it still applies ----------------------------------------


def test_the_same_event_posted_again_is_recorded_once(client):
    news = make_list("News")
    make_subscriber("gone@example.org", news)
    for _ in range(3):
        response = post_json(
            client, POSTMARK_URL, postmark_bounce("gone@example.org"), **auth()
        )
        assert response.status_code == 200
    assert DeliveryEvent.objects.count() == 1
    assert ConsentRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_event_arriving_twice_at_once_is_recorded_once():
    from django.db import connection

    gone = make_subscriber("gone@example.org", make_list("News"))
    report = bounces.Bounce(
        kind=HARD,
        email="gone@example.org",
        source="webhook:postmark",
        provider_event_id="1",
    )
    barrier = threading.Barrier(4)
    results = []

    def deliver():
        try:
            barrier.wait(timeout=10)
            results.append(bounces.record(report))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 4
    assert sum(result is not None for result in results) == 1
    assert DeliveryEvent.objects.count() == 1
    assert ConsentRecord.objects.filter(subscriber=gone).count() == 1


def test_the_same_soft_bounce_posted_again_counts_once(client):
    news = make_list("News")
    full = make_subscriber("full@example.net", news)
    payload = postmark_bounce("full@example.net", event_id=77, kind="SoftBounce")
    for _ in range(3):
        post_json(client, POSTMARK_URL, payload, **auth())
    full.refresh_from_db()
    assert full.soft_bounce_count == 1
    assert DeliveryEvent.objects.count() == 1


def test_a_late_report_about_mail_sent_before_they_confirmed_again_changes_nothing(
    client,
):
    from django.utils import timezone

    news = make_list("News")
    back = make_subscriber("back@example.org", news)
    old = send_now([news])
    back.confirmed_at = timezone.now()  # fixed their mailbox and confirmed since
    back.save()
    message_id = message_id_sent_to("back@example.org", old)
    payload = mailgun_failed("back@example.org", message_id=message_id, token="late-1")
    assert post_json(client, MAILGUN_URL, payload, **auth()).status_code == 200
    back.refresh_from_db()
    assert back.status == Subscriber.Status.ACTIVE
    assert back.subscriptions.count() == 1
    assert DeliveryEvent.objects.get().send == old  # kept for the report


def test_a_bounce_for_an_address_we_do_not_know_is_recorded_and_changes_nothing(
    client,
):
    news = make_list("News")
    make_subscriber("someone@example.org", news)
    response = post_json(
        client, POSTMARK_URL, postmark_bounce("stranger@example.org"), **auth()
    )
    assert response.status_code == 200
    event = DeliveryEvent.objects.get()
    assert (event.subscriber, event.send) == (None, None)
    assert Subscriber.objects.get().status == "active"
    assert not ConsentRecord.objects.exists()


def test_opens_clicks_and_deliveries_record_nothing(client):
    make_subscriber("reader@example.org", make_list("News"))
    click = {
        "RecordType": "Click",
        "MessageStream": "outbound",
        "ClickLocation": "HTML",
        "Platform": "Desktop",
        "OriginalLink": "https://example.org/safer-sleep/",
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "Recipient": "reader@example.org",
        "ReceivedAt": "2026-11-05T16:33:54.9070259Z",
    }
    for payload in (click, postmark_delivery("reader@example.org")):
        assert post_json(client, POSTMARK_URL, payload, **auth()).status_code == 200
    nothing_written()


# --- Hostile and broken requests ------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("anymail-user:wrong-password"),
        auth("anymail-user"),
        {"HTTP_AUTHORIZATION": "Basic not-base64!"},
        {"HTTP_AUTHORIZATION": "Bearer " + SECRET},
    ],
    ids=["missing", "wrong", "no-password", "garbled", "not-basic"],
)
def test_wrong_or_missing_basic_auth_is_refused_and_writes_nothing(client, headers):
    make_subscriber("gone@example.org", make_list("News"))
    response = post_json(
        client, POSTMARK_URL, postmark_bounce("gone@example.org"), **headers
    )
    assert 400 <= response.status_code < 500
    nothing_written()


def test_a_wrong_mailgun_signature_is_refused_and_writes_nothing(client):
    make_subscriber("gone@example.org", make_list("News"))
    payload = mailgun_failed(
        "gone@example.org", message_id="<x@y>", token="t", key="not-the-key"
    )
    assert 400 <= post_json(client, MAILGUN_URL, payload, **auth()).status_code < 500
    nothing_written()


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "",
        "[]",
        '"a string"',
        "null",
        b"\xff\xfe\x00garbage",
        json.dumps({"RecordType": "Bounce", "Type": "HardBounce", "BouncedAt": 5}),
        # An inbound-mail payload posted to the tracking URL.
        json.dumps({"FromFull": {"Email": "gone@example.org"}, "TextBody": "Hi"}),
    ],
    ids=[
        "broken",
        "empty",
        "list",
        "string",
        "null",
        "binary",
        "wrong-types",
        "inbound-payload",
    ],
)
def test_a_malformed_body_is_a_400_and_writes_nothing(client, body):
    make_subscriber("gone@example.org", make_list("News"))
    response = post_json(client, POSTMARK_URL, body, **auth())
    assert response.status_code == 400
    nothing_written()


def test_a_malformed_mailgun_body_is_a_400_and_writes_nothing(client):
    make_subscriber("gone@example.org", make_list("News"))
    for body in ("{not json", "[]", json.dumps({"signature": "x"})):
        assert post_json(client, MAILGUN_URL, body, **auth()).status_code == 400
    nothing_written()


@pytest.mark.parametrize(
    "recipient",
    [
        None,
        "",
        12345,
        ["gone@example.org"],
        "gone@example.org\r\nBcc: everyone@example.org",
        "not an address",
        "a" * 250 + "@example.org",
    ],
    ids=["none", "empty", "number", "list", "crlf", "not-address", "too-long"],
)
def test_an_unusable_recipient_is_ignored(client, recipient):
    make_subscriber("gone@example.org", make_list("News"))
    payload = {**postmark_bounce("x@example.org"), "Email": recipient}
    response = post_json(client, POSTMARK_URL, payload, **auth())
    assert response.status_code == 200
    nothing_written()


def test_an_oversized_body_is_refused(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    make_subscriber("gone@example.org", make_list("News"))
    payload = {**postmark_bounce("gone@example.org"), "Details": "x" * 2_000_000}
    response = post_json(client, POSTMARK_URL, payload, **auth())
    assert response.status_code == 400
    nothing_written()


def test_a_provider_without_its_keys_answers_404_and_writes_nothing(client, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}  # no Mailgun signing key
    make_subscriber("gone@example.org", make_list("News"))
    payload = mailgun_failed("gone@example.org", message_id="<x@y>", token="t")
    assert post_json(client, MAILGUN_URL, payload, **auth()).status_code == 404
    nothing_written()


def test_only_tracking_webhooks_are_mounted_and_only_for_post(client):
    inbound = post_json(client, "/anymail/postmark/inbound/", "{}", **auth())
    assert inbound.status_code == 404
    assert client.get(POSTMARK_URL, **auth()).status_code == 405


def test_a_huge_provider_event_id_still_records_once(client):
    make_subscriber("gone@example.org", make_list("News"))
    payload = postmark_bounce("gone@example.org", event_id="9" * 500)
    for _ in range(2):
        assert post_json(client, POSTMARK_URL, payload, **auth()).status_code == 200
    event = DeliveryEvent.objects.get()
    assert event.provider_event_id.startswith("sha256:")


# --- Classifying what providers and servers say ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smtp; 550 5.1.1 <x@example.org>: Recipient address rejected", HARD),
        ("550-5.1.1 The email account that you tried to reach does not exist.", HARD),
        ("5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found", HARD),
        ("smtp; 452 4.2.2 Mailbox full", SOFT),
        ("552 5.2.2 Mailbox full", SOFT),
        ("554 5.7.1 Message rejected as spam by content filter", SOFT),
        ("421 Service not available, try again later", SOFT),
        ("550 Requested action not taken: mailbox unavailable", HARD),
        ("4.4.7", SOFT),
        ("Delivery failed", None),
        ("", None),
    ],
)
def test_smtp_statuses(text, expected):
    assert bounces.status_severity(text) == expected


# --- Returned mail (DSNs) in a mailbox ------------------------------------------------

POSTFIX_DSN = """\
Return-Path: <>
Delivered-To: bounces@cdr-learning.example
Received: by mx.cdr-learning.example (Postfix)
\tid 3F1C21A0452; Tue,  3 Nov 2026 09:14:07 +0000 (GMT)
Date: Tue,  3 Nov 2026 09:14:07 +0000 (GMT)
From: MAILER-DAEMON@mx.cdr-learning.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounces@cdr-learning.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="3F1C21A0452.1762161247/mx.cdr-learning.example"
Content-Transfer-Encoding: 7bit
Message-Id: <20261103091407.3F1C21A0452@mx.cdr-learning.example>

This is a MIME-encapsulated message.

--3F1C21A0452.1762161247/mx.cdr-learning.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.cdr-learning.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<{rcpt}>: host mx.example.org[192.0.2.25] said: {code} {status}
    <{rcpt}>: Recipient address rejected: {reason} (in reply to
    RCPT TO command)

--3F1C21A0452.1762161247/mx.cdr-learning.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.cdr-learning.example
X-Postfix-Queue-ID: 3F1C21A0452
X-Postfix-Sender: rfc822; bounces@cdr-learning.example
Arrival-Date: Tue,  3 Nov 2026 09:14:05 +0000 (GMT)

Final-Recipient: rfc822; {final}
Original-Recipient: rfc822;{rcpt}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {code} {status} <{rcpt}>: Recipient address
    rejected: {reason}

--3F1C21A0452.1762161247/mx.cdr-learning.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <bounces@cdr-learning.example>
Received: from worker-1 (localhost [127.0.0.1])
\tby mx.cdr-learning.example (Postfix) with ESMTP id 3F1C21A0452
\tfor <{rcpt}>; Tue,  3 Nov 2026 09:14:05 +0000 (GMT)
From: Child death review learning <bulletins@cdr-learning.example>
Subject: Learning bulletin, issue 7
MIME-Version: 1.0
Precedence: bulk
To: {rcpt}
Date: Tue, 03 Nov 2026 09:14:05 GMT
Message-ID: {message_id}

--3F1C21A0452.1762161247/mx.cdr-learning.example--
"""

EXIM_DELAY_DSN = """\
Return-path: <>
Received: from Debian-exim by mail.example.net with local (Exim 4.96)
\tid 1vFxYz-000123-AB
\tfor bounces@cdr-learning.example; Wed, 04 Nov 2026 10:00:00 +0000
X-Failed-Recipients: {rcpt}
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mail.example.net>
To: bounces@cdr-learning.example
Content-Type: multipart/report; report-type=delivery-status;
 boundary=1762250400-eximdsn-1804289383
MIME-Version: 1.0
Subject: Warning: message 1vFxYa-000120-QP delayed 24 hours
Message-Id: <E1vFxYz-000123-AB@mail.example.net>
Date: Wed, 04 Nov 2026 10:00:00 +0000

--1762250400-eximdsn-1804289383
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mail.example.net.

  {rcpt}
    Mailbox full

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.

--1762250400-eximdsn-1804289383
Content-type: message/delivery-status

Reporting-MTA: dns; mail.example.net

Action: delayed
Final-Recipient: rfc822;{rcpt}
Status: 4.2.2
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full
Will-Retry-Until: Tue, 10 Nov 2026 10:00:00 +0000

--1762250400-eximdsn-1804289383
Content-type: message/rfc822

Return-path: <bounces@cdr-learning.example>
From: Child death review learning <bulletins@cdr-learning.example>
To: {rcpt}
Subject: Learning bulletin, issue 7
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Hello,

The November bulletin is here.

--1762250400-eximdsn-1804289383--
"""

ARF_COMPLAINT = """\
From: <complaints@feedback.example.com>
Date: Thu, 05 Nov 2026 14:00:00 +0000
Subject: Complaint about message from 192.0.2.1
To: abuse@cdr-learning.example
Message-ID: <arf-2026-11-05-0001@feedback.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.1 on Thu, 05 Nov 2026 13:58:00 +0000.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Original-Mail-From: <bounces@cdr-learning.example>
{rcpt_field}Arrival-Date: Thu, 05 Nov 2026 13:58:00 +0000
Source-IP: 192.0.2.1
Reported-Domain: cdr-learning.example

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

From: Child death review learning <bulletins@cdr-learning.example>
To: {to}
Subject: Learning bulletin, issue 7
Message-ID: {message_id}
Date: Thu, 05 Nov 2026 13:57:00 +0000

The November bulletin is here.
--part1_13d.2e68ed54_boundary--
"""


def postfix_dsn(rcpt, message_id, *, final=None, status="5.1.1", action="failed"):
    reason = {
        "5.1.1": "User unknown in virtual mailbox table",
        "5.2.2": "Mailbox full",
        "4.4.7": "Message expired",
    }.get(status, "Rejected")
    raw = POSTFIX_DSN.format(
        rcpt=rcpt,
        final=final or rcpt,
        message_id=message_id,
        status=status,
        action=action,
        code="550" if status.startswith("5") else "450",
        reason=reason,
    )
    return raw.replace("\n", "\r\n").encode("ascii")


def test_a_postfix_hard_bounce_ends_subscriptions_and_names_its_send():
    news, safety = make_list("News"), make_list("Safer sleep")
    gone = make_subscriber("gone@example.org", news, safety)
    first = send_now([news])
    send_now([news], subject="Issue 8")
    message_id = message_id_sent_to("gone@example.org", first)

    event = bounces.handle_dsn(postfix_dsn("gone@example.org", message_id))

    assert event is not None
    assert (event.kind, event.email, event.send, event.source) == (
        HARD,
        "gone@example.org",
        first,
        "dsn",
    )
    assert event.provider_event_id == (
        "<20261103091407.3F1C21A0452@mx.cdr-learning.example>"
    )
    assert "5.1.1" in event.description
    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.BOUNCED
    assert not gone.subscriptions.exists()
    consent = ConsentRecord.objects.get(subscriber=gone)
    assert (consent.method, consent.details["source"]) == ("bounce", "dsn")


def test_the_same_dsn_read_twice_is_recorded_once():
    gone = make_subscriber("gone@example.org", make_list("News"))
    raw = postfix_dsn("gone@example.org", "<unknown@elsewhere.example>")
    assert bounces.handle_dsn(raw) is not None
    assert bounces.handle_dsn(raw) is None
    assert DeliveryEvent.objects.count() == 1
    assert ConsentRecord.objects.filter(subscriber=gone).count() == 1


@pytest.mark.parametrize(
    ("status", "action"),
    [("4.4.7", "failed"), ("5.2.2", "failed"), ("4.2.2", "delayed")],
    ids=["expired", "mailbox-full", "delayed"],
)
def test_temporary_failures_in_a_dsn_are_soft_bounces(status, action):
    full = make_subscriber("full@example.net", make_list("News"))
    event = bounces.handle_dsn(
        postfix_dsn("full@example.net", "<x@y>", status=status, action=action)
    )
    assert event.kind == SOFT
    full.refresh_from_db()
    assert (full.status, full.soft_bounce_count) == ("active", 1)


def test_an_exim_delay_warning_is_a_soft_bounce_linked_by_the_returned_message():
    news = make_list("News")
    full = make_subscriber("full@example.net", news)
    send = send_now([news])
    message_id = message_id_sent_to("full@example.net", send)
    raw = EXIM_DELAY_DSN.format(rcpt="full@example.net", message_id=message_id)
    event = bounces.handle_dsn(raw.replace("\n", "\r\n").encode())
    assert (event.kind, event.send, event.email) == (SOFT, send, "full@example.net")
    full.refresh_from_db()
    assert full.soft_bounce_count == 1


def test_the_original_recipient_is_the_address_we_sent_to():
    # The subscriber's mailbox forwards elsewhere, and the forward target bounced.
    forwarded = make_subscriber("old.job@example.org", make_list("News"))
    raw = postfix_dsn(
        "old.job@example.org", "<x@y>", final="someone@forward.example.net"
    )
    event = bounces.handle_dsn(raw)
    assert event.email == "old.job@example.org"
    forwarded.refresh_from_db()
    assert forwarded.status == "bounced"


@pytest.mark.parametrize("redacted", [False, True])
def test_a_feedback_loop_abuse_report_is_a_complaint(redacted):
    news = make_list("News")
    annoyed = make_subscriber("annoyed@example.com", news)
    send = send_now([news])
    message_id = message_id_sent_to("annoyed@example.com", send)
    raw = ARF_COMPLAINT.format(
        # Some providers redact the recipient in the returned copy, some omit it.
        rcpt_field="" if redacted else "Original-Rcpt-To: <annoyed@example.com>\n",
        to="redacted@feedback.example.com" if redacted else "annoyed@example.com",
        message_id=message_id,
    )
    event = bounces.handle_dsn(raw.replace("\n", "\r\n").encode())
    # Redacted or not, our Message-ID in the returned copy says who it was.
    assert (event.kind, event.send, event.subscriber) == (COMPLAINT, send, annoyed)
    annoyed.refresh_from_db()
    assert annoyed.status == Subscriber.Status.COMPLAINED
    assert not annoyed.subscriptions.exists()


OUT_OF_OFFICE = b"""\
From: Priya Shah <priya.shah@example.org>\r
To: bounces@cdr-learning.example\r
Subject: Out of office: Learning bulletin, issue 7\r
Auto-Submitted: auto-replied\r
Message-ID: <ooo-1@example.org>\r
\r
I am away until Monday.\r
"""


@pytest.mark.parametrize(
    "raw",
    [
        OUT_OF_OFFICE,
        b"",
        b"\x00\xff\xfe not a message at all",
        b"Content-Type: multipart/report; report-type=delivery-status\r\n\r\nno parts",
        postfix_dsn("gone@example.org", "<x@y>", action="delivered"),
        postfix_dsn("gone@example.org", "<x@y>").replace(b"rfc822;", b"x400;"),
    ],
    ids=["out-of-office", "empty", "binary", "no-parts", "delivered", "not-rfc822"],
)
def test_messages_that_are_not_bounces_change_nothing(raw):
    make_subscriber("gone@example.org", make_list("News"))
    assert bounces.handle_dsn(raw) is None
    nothing_written()


def test_bounce_counts_are_per_address_for_each_send():
    news = make_list("News")
    for name in ("a", "b", "c", "d"):
        make_subscriber(f"{name}@example.org", news)
    send = send_now([news])
    other = send_now([news], subject="Issue 8")
    reports = [
        (HARD, "a@example.org", send),
        (SOFT, "b@example.org", send),
        (SOFT, "b@example.org", send),
        (COMPLAINT, "c@example.org", send),
        (HARD, "d@example.org", other),
    ]
    for number, (kind, address, target) in enumerate(reports):
        bounces.record(
            bounces.Bounce(
                kind=kind,
                email=address,
                source="test",
                provider_event_id=str(number),
                message_ids=(message_id_sent_to(address, target),),
            )
        )
    assert bounces.bounce_counts(send) == {"hard": 1, "soft": 1, "complaints": 1}
    assert bounces.bounce_counts(other) == {"hard": 1, "soft": 0, "complaints": 0}


# --- The bounce mailbox over IMAP -----------------------------------------------------


def test_no_bounce_mailbox_means_nothing_to_do(settings):
    settings.BOUNCE_MAILBOX_URL = ""
    assert bounces.poll_bounce_mailbox() == 0


@pytest.fixture
def imap_server():
    """A real IMAP server (pymap, in-memory) on loopback, with one mailbox."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pymap = Path(sys.executable).with_name("pymap")
    process = subprocess.Popen(
        [
            str(pymap),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-user",
            "bounces",
            "--demo-password",
            "p@ss/word",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("The IMAP server (pymap) did not start")
            time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


def imap(port) -> imaplib.IMAP4:
    connection = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    connection.login("bounces", "p@ss/word")
    return connection


def unseen(port) -> list[bytes]:
    connection = imap(port)
    try:
        connection.select("INBOX")
        _status, data = connection.uid("SEARCH", None, "UNSEEN")
        return data[0].split()
    finally:
        connection.logout()


def test_the_poller_reads_unseen_reports_from_a_real_imap_mailbox(
    imap_server, settings
):
    news = make_list("News")
    gone = make_subscriber("gone@example.org", news)
    full = make_subscriber("full@example.net", news)
    send = send_now([news])
    connection = imap(imap_server)
    for raw in (
        postfix_dsn("gone@example.org", message_id_sent_to("gone@example.org", send)),
        EXIM_DELAY_DSN.format(
            rcpt="full@example.net",
            message_id=message_id_sent_to("full@example.net", send),
        )
        .replace("\n", "\r\n")
        .encode(),
        OUT_OF_OFFICE,
    ):
        connection.append("INBOX", None, None, raw)
    connection.logout()
    assert len(unseen(imap_server)) == 3
    # The password has characters that must be escaped in a URL.
    settings.BOUNCE_MAILBOX_URL = (
        f"imap://bounces:p%40ss%2Fword@127.0.0.1:{imap_server}/INBOX"
    )

    assert bounces.poll_bounce_mailbox() == 3

    assert unseen(imap_server) == []
    gone.refresh_from_db()
    full.refresh_from_db()
    assert gone.status == Subscriber.Status.BOUNCED
    assert (full.status, full.soft_bounce_count) == ("active", 1)
    assert set(DeliveryEvent.objects.values_list("kind", "send")) == {
        (HARD, send.pk),
        (SOFT, send.pk),
    }
    # Nothing unseen is left, so a second poll does nothing.
    assert bounces.poll_bounce_mailbox() == 0
    assert DeliveryEvent.objects.count() == 2


def test_a_wrong_mailbox_password_raises_for_the_task_to_log(imap_server, settings):
    settings.BOUNCE_MAILBOX_URL = f"imap://bounces:wrong@127.0.0.1:{imap_server}/INBOX"
    with pytest.raises(imaplib.IMAP4.error):
        bounces.poll_bounce_mailbox()
    assert DeliveryEvent.objects.count() == 0
