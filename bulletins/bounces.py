"""Bounces and complaints: what a provider or a returned message says, acted on once.

Two ways in, one way of acting (``record``):

- **Provider webhooks** through django-anymail (``/anymail/<esp>/tracking/``, HTTP
  basic auth from ``ANYMAIL["WEBHOOK_SECRET"]``): ``handle_tracking_event`` is
  connected to ``anymail.signals.tracking`` and turns each normalised event into a
  ``Bounce``. ``webhook_urls()`` are anymail's tracking endpoints, refusing a body
  they cannot parse with a 400 (and answering 404 for a provider whose keys are
  not set) where anymail alone would answer 500.
- **Delivery status notifications** (RFC 3464) and feedback reports (ARF, RFC 5965)
  in a bounce mailbox: ``poll_bounce_mailbox`` reads unseen messages over IMAP and
  hands each to ``handle_dsn``.

What happens to the address:

- a **hard bounce** (the address does not exist, or the provider will not send to
  it) or a **complaint** (marked as spam) ends every subscription at once: status
  ``bounced`` or ``complained``, subscriptions deleted, deliveries not yet started
  skipped, and an ``unsubscribed`` consent record saying why;
- a **soft bounce** (mailbox full, server busy, message blocked) is counted, once
  per send, and only ends the subscriptions when ``SOFT_BOUNCE_LIMIT`` sends in a
  row have bounced; a "delivered" event from the provider starts the count again.

Every report is recorded once: a second copy of the same provider event (the same
``source`` and ``provider_event_id``) changes nothing. A report is linked to the
send it is about through our Message-ID (``<cdr.{send}.{delivery}@domain>``) when
the report carries it, else to the latest delivery to that address.
"""

from __future__ import annotations

import email
import email.policy
import functools
import hashlib
import imaplib
import json
import logging
import re
import ssl
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote, urlsplit

from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailWebhookValidationFailure,
)
from anymail.signals import EventType, RejectReason
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.http import Http404
from django.urls import URLPattern
from django.utils import timezone

from .models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    Send,
    SentMark,
    Subscriber,
    Subscription,
    message_domain,
    normalise_email,
)

logger = logging.getLogger(__name__)

HARD = DeliveryEvent.Kind.HARD_BOUNCE
SOFT = DeliveryEvent.Kind.SOFT_BOUNCE
COMPLAINT = DeliveryEvent.Kind.COMPLAINT

_SOURCE_LENGTH = DeliveryEvent._meta.get_field("source").max_length
_EVENT_ID_LENGTH = DeliveryEvent._meta.get_field("provider_event_id").max_length
_DESCRIPTION_LENGTH = 2000
# A notification bigger than this is not a bounce we sent anything to cause.
MAX_DSN_BYTES = 5 * 1024 * 1024
# Messages read from the bounce mailbox per poll (the task runs every 5 minutes).
MAX_MESSAGES_PER_POLL = 500

# Our Message-ID, as made by bulletins.models.message_id_for.
_OUR_MESSAGE_ID = re.compile(
    r"cdr\.(\d{1,18})\.(\d{1,18})@([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
)
# An enhanced status code (RFC 3463), as in "550 5.1.1 User unknown".
_STATUS_CODE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# A basic SMTP reply code at the start of a response, as in "452 Mailbox full".
_REPLY_CODE = re.compile(r"^\s*(?:smtp\s*;\s*)?([245])\d\d[\s-]", re.IGNORECASE)

# Postmark's bounce types (anymail reports most of them as "bounced").
_POSTMARK_TYPES = {
    "HardBounce": HARD,
    "SoftBounce": SOFT,
    "Transient": SOFT,
    "DnsError": SOFT,
    "VirusNotification": SOFT,  # about the message, not the address
}


@dataclass(frozen=True)
class Bounce:
    """One bounce or complaint about one address, whoever reported it."""

    kind: str
    email: str
    source: str
    provider_event_id: str = ""
    message_ids: tuple[str, ...] = ()
    description: str = ""


# --- Acting on a report ---------------------------------------------------------------


def record(bounce: Bounce) -> DeliveryEvent | None:
    """Record a bounce or complaint and act on it; None if unusable or already done."""
    address = normalise_email(bounce.email)
    if not _is_address(address):
        logger.warning("Bounce from %s ignored: no usable address", bounce.source)
        return None
    event_id = _fit(bounce.provider_event_id)
    source = bounce.source[:_SOURCE_LENGTH]
    with transaction.atomic():
        if (
            event_id
            and DeliveryEvent.objects.filter(
                source=source, provider_event_id=event_id
            ).exists()
        ):
            return None
        subscriber = (
            Subscriber.objects.select_for_update().filter(email=address).first()
        )
        delivery = _delivery_for(address, bounce.message_ids)
        try:
            with transaction.atomic():
                event = DeliveryEvent.objects.create(
                    kind=bounce.kind,
                    email=address,
                    subscriber=subscriber,
                    send_id=delivery.send_id if delivery else None,
                    source=source,
                    provider_event_id=event_id,
                    description=bounce.description[:_DESCRIPTION_LENGTH],
                )
        except IntegrityError:
            return None  # the same event, recorded a moment ago by another request
        if subscriber is not None and not _predates_confirmation(delivery, subscriber):
            _act(subscriber, event)
    logger.info(
        "%s for subscriber %s (send %s) from %s, event %s",
        event.get_kind_display(),
        subscriber.pk if subscriber else "-",
        event.send_id or "-",
        source,
        event.pk,
    )
    return event


def _predates_confirmation(delivery: Delivery | None, subscriber: Subscriber) -> bool:
    """A report about mail sent before the person (re)confirmed is out of date.

    Confirming from the email link proves the mailbox works now, so a late report
    about an older message is kept but changes nothing.
    """
    return bool(
        delivery is not None
        and delivery.sent_at is not None
        and subscriber.confirmed_at is not None
        and delivery.sent_at < subscriber.confirmed_at
    )


def _act(subscriber: Subscriber, event: DeliveryEvent) -> None:
    if event.kind == SOFT:
        if subscriber.status in (
            Subscriber.Status.BOUNCED,
            Subscriber.Status.COMPLAINED,
        ):
            return
        if event.send_id and (
            DeliveryEvent.objects.filter(
                subscriber=subscriber, send_id=event.send_id, kind=SOFT
            )
            .exclude(pk=event.pk)
            .exists()
        ):
            return  # the provider retried the same message: one send, one count
        subscriber.soft_bounce_count = min(subscriber.soft_bounce_count + 1, 32767)
        subscriber.save(update_fields=["soft_bounce_count"])
        if subscriber.soft_bounce_count < settings.SOFT_BOUNCE_LIMIT:
            return
        if subscriber.status not in (
            Subscriber.Status.ACTIVE,
            Subscriber.Status.PENDING,
        ):
            return
        _end(subscriber, Subscriber.Status.BOUNCED, ConsentRecord.Method.BOUNCE, event)
    elif event.kind == HARD:
        _end(subscriber, Subscriber.Status.BOUNCED, ConsentRecord.Method.BOUNCE, event)
    else:
        _end(
            subscriber,
            Subscriber.Status.COMPLAINED,
            ConsentRecord.Method.COMPLAINT,
            event,
        )


def _end(subscriber: Subscriber, status: str, method: str, event: DeliveryEvent):
    """Stop all email to a subscriber: no lists, nothing still to be sent."""
    subscriptions = Subscription.objects.filter(subscriber=subscriber)
    lists = sorted(subscriptions.values_list("distribution_list_id", flat=True))
    subscriptions.delete()
    skipped = (
        Delivery.objects.filter(
            subscriber=subscriber,
            status__in=[Delivery.Status.PENDING, Delivery.Status.CLAIMED],
        )
        .exclude(  # accepted by the server already, only not folded into the row yet
            pk__in=SentMark.objects.values("delivery_id")
        )
        .update(
            status=Delivery.Status.SKIPPED,
            error=f"Not sent: {event.get_kind_display().lower()} reported.",
        )
    )
    changed = subscriber.status != status
    if changed:
        subscriber.status = status
        subscriber.status_changed_at = timezone.now()
        subscriber.save(update_fields=["status", "status_changed_at"])
    if changed or lists:
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=ConsentRecord.Action.UNSUBSCRIBED,
            method=method,
            details={
                "lists": lists,
                "event": event.pk,
                "source": event.source,
                "soft_bounces": subscriber.soft_bounce_count,
            },
        )
    logger.info(
        "Subscriber %s is now %s: %s lists ended, %s deliveries skipped",
        subscriber.pk,
        status,
        len(lists),
        skipped,
    )


def _by_message_id(message_ids, address: str | None = None) -> Delivery | None:
    """The delivery our Message-ID in any of these texts names (to ``address``)."""
    domain = message_domain().lower()
    for text in message_ids:
        for send_id, delivery_id, host in _OUR_MESSAGE_ID.findall(text or ""):
            if host.lower() != domain:
                continue
            deliveries = Delivery.objects.filter(
                pk=int(delivery_id), send_id=int(send_id)
            )
            if address is not None:
                deliveries = deliveries.filter(email=address)
            delivery = deliveries.first()
            if delivery is not None:
                return delivery
    return None


def _delivery_for(address: str, message_ids) -> Delivery | None:
    """The delivery a report is about: by our Message-ID, else the latest one."""
    delivery = _by_message_id(message_ids, address)
    if delivery is not None:
        return delivery
    return (
        Delivery.objects.filter(
            email=address,
            status__in=[Delivery.Status.SENT, Delivery.Status.SENDING],
        )
        .order_by(F("sent_at").desc(nulls_last=True), "-pk")
        .first()
    )


def _is_address(value: str) -> bool:
    if not value or len(value) > 254 or any(c.isspace() for c in value):
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _fit(event_id: str) -> str:
    """A provider's event id that fits the column (long ones are hashed)."""
    event_id = (event_id or "").strip()
    if len(event_id) <= _EVENT_ID_LENGTH:
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()


def bounce_counts(send: Send) -> dict:
    """Addresses that hard-bounced, soft-bounced or complained about a send."""
    counts = DeliveryEvent.objects.filter(send=send).aggregate(
        hard=Count("email", filter=Q(kind=HARD), distinct=True),
        soft=Count("email", filter=Q(kind=SOFT), distinct=True),
        complaints=Count("email", filter=Q(kind=COMPLAINT), distinct=True),
    )
    return {key: counts[key] or 0 for key in ("hard", "soft", "complaints")}


# --- Provider webhooks (django-anymail) -----------------------------------------------


def handle_tracking_event(sender, event, esp_name, **kwargs) -> DeliveryEvent | None:
    """anymail's ``tracking`` signal: act on bounces, complaints and deliveries."""
    recipient = event.recipient if isinstance(event.recipient, str) else ""
    if event.event_type == EventType.DELIVERED:
        if recipient:
            # Delivered, so any soft bounces before were not "in a row".
            Subscriber.objects.filter(
                email=normalise_email(recipient), soft_bounce_count__gt=0
            ).update(soft_bounce_count=0)
        return None
    kind = classify_tracking_event(event, esp_name)
    if kind is None:
        return None
    address = normalise_email(recipient)
    return record(
        Bounce(
            kind=kind,
            email=address,
            source=_webhook_source(esp_name),
            provider_event_id=_tracking_event_id(event, esp_name, address),
            message_ids=_message_id_texts(event),
            description=_describe(event),
        )
    )


def classify_tracking_event(event, esp_name: str) -> str | None:
    """Hard bounce, soft bounce, complaint, or None for an event we do not act on."""
    event_type = event.event_type
    if event_type == EventType.COMPLAINED:
        return COMPLAINT
    if event_type == EventType.DEFERRED:
        return SOFT
    if event_type == EventType.REJECTED:
        # The provider would not even try: a bad address, or one it has suppressed.
        return {
            RejectReason.INVALID: HARD,
            RejectReason.BOUNCED: HARD,
            RejectReason.SPAM: COMPLAINT,
            RejectReason.TIMED_OUT: SOFT,
        }.get(event.reject_reason)
    if event_type == EventType.BOUNCED:
        hint = _provider_hint(event.esp_event, esp_name)
        if hint is not None:
            return hint
        for text in (event.mta_response, event.description):
            severity = status_severity(text if isinstance(text, str) else "")
            if severity is not None:
                return severity
        return HARD
    return None


def _provider_hint(esp_event, esp_name: str) -> str | None:
    """Each provider's own word on whether a bounce is permanent."""
    if not isinstance(esp_event, dict):
        return None
    if esp_name == "Postmark":
        return _POSTMARK_TYPES.get(str(esp_event.get("Type")))
    if esp_name == "Amazon SES":
        bounce = esp_event.get("bounce")
        if isinstance(bounce, dict) and bounce.get("bounceType") in (
            "Transient",
            "Undetermined",
        ):
            return SOFT
    if esp_name == "SendGrid" and esp_event.get("type") == "blocked":
        return SOFT
    return None


def status_severity(text: str) -> str | None:
    """Hard or soft from an SMTP status in a server's response, or None if none.

    5.x.x is permanent, except "mailbox full" (5.2.2) and policy refusals (5.7.x,
    such as a spam filter blocking one message): those say nothing about whether
    the address exists, so they count as soft bounces. 4.x.x is temporary.
    """
    if not text:
        return None
    found = _STATUS_CODE.search(text)
    if found:
        klass, subject, detail = found.groups()
        if klass == "4":
            return SOFT
        if klass == "5":
            if (subject, detail) == ("2", "2") or subject == "7":
                return SOFT
            return HARD
        return None
    found = _REPLY_CODE.search(text)
    if found:
        return {"4": SOFT, "5": HARD}.get(found.group(1))
    return None


def _webhook_source(esp_name: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", str(esp_name).lower()).strip("_")
    return f"webhook:{name}"[:_SOURCE_LENGTH]


def _tracking_event_id(event, esp_name: str, address: str) -> str:
    event_id = str(event.event_id) if event.event_id not in (None, "") else ""
    if not event_id:
        # No id from the provider: the same report posted again hashes the same.
        basis = json.dumps(
            [
                event.event_type,
                address,
                str(event.message_id),
                str(event.timestamp),
                str(event.description),
            ]
        )
        return "sha256:" + hashlib.sha256(basis.encode()).hexdigest()
    if esp_name == "Amazon SES":
        # One SES notification lists every bounced recipient under one id.
        event_id = f"{event_id}:{address}"
    return event_id


def _message_id_texts(event) -> tuple[str, ...]:
    """Where our Message-ID may appear: the event's id, else the provider's payload."""
    texts = [event.message_id if isinstance(event.message_id, str) else ""]
    esp_event = event.esp_event
    if hasattr(esp_event, "lists"):  # a QueryDict (form-encoded webhooks)
        esp_event = dict(esp_event.lists())
    try:
        texts.append(json.dumps(esp_event, default=str)[:1_000_000])
    except (TypeError, ValueError):
        pass
    return tuple(texts)


def _describe(event) -> str:
    parts = [
        str(value)
        for value in (event.description, event.mta_response)
        if value not in (None, "")
    ]
    return " ".join(" | ".join(parts).split())


# What anymail's views raise on a body they cannot parse (a provider's payload sent
# to another provider's URL raises AnymailConfigurationError).
_MALFORMED = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    AssertionError,
    AnymailConfigurationError,
)


def _strict(view_class):
    """The view, answering 400 to a body it cannot parse (anymail may give 500)."""

    class StrictParsing(view_class):
        def run_validators(self, request):
            try:
                return super().run_validators(request)
            except _MALFORMED as e:
                raise AnymailWebhookValidationFailure(
                    f"Malformed {self.esp_name} webhook body"
                ) from e

        def parse_events(self, request):
            try:
                return super().parse_events(request)
            except _MALFORMED as e:
                raise AnymailWebhookValidationFailure(
                    f"Malformed {self.esp_name} webhook body"
                ) from e

    StrictParsing.__name__ = StrictParsing.__qualname__ = view_class.__name__
    return StrictParsing


def _configured(view):
    """A provider whose keys are not set answers 404 (anymail would give 500)."""

    @functools.wraps(view)
    def endpoint(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except AnymailConfigurationError as error:
            logger.error("Webhook %s is not configured: %s", request.path, error)
            raise Http404("This provider's webhook is not configured.") from error

    return endpoint


def webhook_urls() -> list[URLPattern]:
    """anymail's tracking webhooks (not its inbound mail ones), parsing strictly.

    Mount with ``path("anymail/", include((bounces.webhook_urls(), "anymail")))``.
    """
    from anymail import urls as anymail_urls
    from anymail.signals import inbound

    patterns = []
    for pattern in anymail_urls.urlpatterns:
        view_class = getattr(pattern.callback, "view_class", None)
        if view_class is None or view_class.signal is inbound:
            continue  # we take no inbound mail
        view = _configured(
            _strict(view_class).as_view(**pattern.callback.view_initkwargs)
        )
        patterns.append(
            URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)
        )
    return patterns


# --- Delivery status notifications in a mailbox ---------------------------------------


def handle_dsn(raw: bytes) -> DeliveryEvent | None:
    """Act on one message from the bounce mailbox; None if it is not a report for us.

    Understands RFC 3464 delivery status notifications (``multipart/report;
    report-type=delivery-status``) and RFC 5965 abuse reports (``report-type=
    feedback-report``). Anything else (auto-replies, out-of-office, spam) is None.
    """
    bounce = parse_report(raw)
    return record(bounce) if bounce is not None else None


def parse_report(raw: bytes) -> Bounce | None:
    """The bounce or complaint a returned message reports, without recording it."""
    if not raw or len(raw) > MAX_DSN_BYTES:
        return None
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # a mailbox may hold anything
        logger.warning("Bounce mailbox: a message could not be parsed")
        return None
    report = _find_report(message)
    if report is None:
        return None
    report_type = (report.get_param("report-type") or "").lower()
    own_id = _header(message, "Message-ID")
    event_id = own_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    returned = _returned_message_ids(report)
    try:
        if report_type == "delivery-status":
            return _parse_delivery_status(report, event_id, returned)
        if report_type == "feedback-report":
            return _parse_feedback_report(report, event_id, returned)
    except (AttributeError, IndexError, TypeError, ValueError):
        logger.warning("Bounce mailbox: a malformed %s report was ignored", report_type)
    return None


def _find_report(message: Message) -> Message | None:
    for part in message.walk():
        if part.get_content_type() == "multipart/report":
            return part
    return None


def _parse_delivery_status(report, event_id, returned) -> Bounce | None:
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            return None
        for block in blocks[1:]:  # the first block is about the message as a whole
            action = _header(block, "Action").lower()
            status = _header(block, "Status")
            diagnostic = _header(block, "Diagnostic-Code")
            if action == "failed":
                kind = status_severity(status) or status_severity(diagnostic) or HARD
            elif action == "delayed":
                kind = SOFT
            else:
                continue  # delivered, relayed, expanded
            address = _recipient(_header(block, "Original-Recipient")) or _recipient(
                _header(block, "Final-Recipient")
            )
            if not address:
                continue
            description = f"{action} {status} {diagnostic}".strip()
            return Bounce(
                kind=kind,
                email=address,
                source="dsn",
                provider_event_id=event_id,
                message_ids=returned,
                description=" ".join(description.split()),
            )
    return None


def _parse_feedback_report(report, event_id, returned) -> Bounce | None:
    for part in report.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        fields = _feedback_fields(part)
        if fields.get("feedback-type", "").lower() not in ("abuse", "fraud", "virus"):
            return None
        address = _recipient(fields.get("original-rcpt-to", ""))
        if not address:
            # Providers often redact the recipient; our Message-ID still names it.
            delivery = _by_message_id(returned)
            address = delivery.email if delivery else _returned_recipient(report)
        if not address:
            return None
        return Bounce(
            kind=COMPLAINT,
            email=address,
            source="dsn",
            provider_event_id=event_id,
            message_ids=returned,
            description=f"Feedback report: {fields.get('feedback-type', '')}",
        )
    return None


def _feedback_fields(part: Message) -> dict:
    payload = part.get_payload()
    if isinstance(payload, list):  # parsed as a message: one block of fields
        block = payload[0] if payload else None
        items = block.items() if block is not None else []
    else:
        items = email.message_from_string(str(payload)).items()
    return {name.lower(): str(value).strip() for name, value in items}


def _returned_parts(report: Message):
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                yield payload[0]
        elif content_type == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            yield email.message_from_bytes(text, policy=email.policy.compat32)


def _returned_message_ids(report: Message) -> tuple[str, ...]:
    return tuple(
        _header(returned, "Message-ID") for returned in _returned_parts(report)
    )


def _returned_recipient(report: Message) -> str:
    for returned in _returned_parts(report):
        address = _recipient(_header(returned, "To"))
        if address:
            return address
    return ""


def _header(message: Message | None, name: str) -> str:
    if message is None:
        return ""
    value = message.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _recipient(value: str) -> str:
    """The address from ``rfc822; name@example.org`` (or a plain address)."""
    if ";" in value:
        address_type, value = value.split(";", 1)
        if address_type.strip().lower() != "rfc822":
            return ""
    value = value.strip().strip("<>").strip()
    address = normalise_email(value)
    return address if _is_address(address) else ""


def poll_bounce_mailbox() -> int:
    """Handle unseen messages in ``BOUNCE_MAILBOX_URL``; nothing when it is unset.

    ``imaps://user:password@host:993/INBOX`` (TLS, certificate checked), or
    ``imap://`` (no encryption: only for a server on this host or a private
    network). Escape ``@``, ``:`` and ``/`` in the password as %40, %3A and %2F.

    Each message is marked seen once handled (a report recorded, or nothing to
    do); one that fails with an error stays unseen and is tried again next time.
    Returns how many messages were handled.
    """
    url = settings.BOUNCE_MAILBOX_URL
    if not url:
        return 0
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        logger.error("BOUNCE_MAILBOX_URL must be imaps://user:password@host/INBOX")
        return 0
    mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    if parts.scheme == "imaps":
        connection = imaplib.IMAP4_SSL(
            parts.hostname, port, ssl_context=ssl.create_default_context(), timeout=60
        )
    else:
        connection = imaplib.IMAP4(parts.hostname, port, timeout=60)
    handled = recorded = 0
    try:
        connection.login(unquote(parts.username or ""), unquote(parts.password or ""))
        status, _ = connection.select(_quote_mailbox(mailbox))
        if status != "OK":
            logger.error("Bounce mailbox %r could not be opened", mailbox)
            return 0
        status, data = connection.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids[:MAX_MESSAGES_PER_POLL]:
            status, fetched = connection.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next(
                (item[1] for item in fetched or () if isinstance(item, tuple)), None
            )
            if status != "OK" or raw is None:
                continue
            try:
                event = handle_dsn(raw)
            except Exception:
                logger.exception("Bounce mailbox: message %s left unseen", uid)
                continue
            recorded += event is not None
            connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            handled += 1
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    logger.info(
        "Bounce mailbox: %s messages handled, %s reports recorded", handled, recorded
    )
    return handled


def _quote_mailbox(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
