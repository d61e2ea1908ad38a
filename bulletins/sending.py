"""The send pipeline: every person once, through kills, retries and restarts.

A ``Send`` holds its email rendered once. Starting it inserts one ``Delivery`` per
person in a single ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (one per person
however many of their lists match; running it again adds nothing), then queues
one batch task per ``DELIVERY_BATCH_SIZE`` people, after the transaction commits.

A batch task claims up to that many pending rows with ``FOR UPDATE SKIP LOCKED``
(so concurrent batches never share a row) and commits the claim. Then, for each
row, one statement records the previous message as sent (a ``SentMark``) and
checks that this person is still active -- if not, their row becomes
``skipped`` -- and the message goes over the batch's one SMTP connection. At the
end of the batch its marks are folded into its rows (``sent``) in one statement.
A person who unsubscribes gets nothing once that change has committed: the check
is made in the statement just before their message is sent.

What no system can do is make the server's acceptance and our commit one atomic
step. If a worker is killed between the two, the task message comes back
(``acks_late`` with ``reject_on_worker_lost``), the re-run reclaims its own rows
and sends the one that was in flight again, with the same ``Message-ID`` (made
from the delivery's id), so receiving systems can drop it: at most one repeat per
killed process. If instead the database goes away mid-batch (a restart, a
failover), the worker still knows which message the server took last: the batch
raises ``DatabaseLost`` carrying it, and the retry records it before anything
else, so a database restart repeats nothing. Rows left claimed by a worker that
died for good are put back by ``sweep()`` after ``DELIVERY_STALE_AFTER_SECONDS``;
a row that has been tried ``DELIVERY_MAX_ATTEMPTS`` times is marked failed with
the last reason.
"""

from __future__ import annotations

import logging
import math
import smtplib
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from website.services import is_database_outage

from . import tokens
from .mime import HeaderInjection, PreparedMessage, Recipient
from .models import (
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    SentMark,
    Subscriber,
    Subscription,
    absolute,
    message_domain,
)
from .transport import PermanentFailure, TemporaryFailure, get_transport

logger = logging.getLogger(__name__)

BATCH_MAX_RETRIES = 5
NO_LONGER_ACTIVE = "Not sent: no longer subscribed when their turn came."
# Statuses of a delivery that is not finished yet.
OPEN = (Delivery.Status.PENDING, Delivery.Status.CLAIMED, Delivery.Status.SENDING)


# --- Creating sends -----------------------------------------------------------------


def create_send(
    *,
    kind: str,
    subject: str,
    text: str,
    html: str = "",
    preheader: str = "",
    page=None,
    lists=(),
    recipients=None,
    created_by=None,
    scheduled_for=None,
    key: str | None = None,
) -> Send:
    """A send to ``lists`` (their "immediately" subscribers) or to ``recipients``.

    ``recipients`` is a Subscriber queryset; only active subscribers get a delivery.
    With ``key``, a second call returns the first send and sends nothing more.
    Without ``scheduled_for`` the send starts once the caller's transaction commits.
    """
    with transaction.atomic():
        if key:
            existing = Send.objects.filter(key=key).first()
            if existing is not None:
                return existing
        send = Send(
            kind=kind,
            status=Send.Status.SCHEDULED if scheduled_for else Send.Status.QUEUED,
            key=key,
            page=page,
            subject=" ".join(subject.split())[:255],
            preheader=" ".join(preheader.split())[:255],
            html=html,
            text=text,
            created_by=created_by,
            scheduled_for=scheduled_for,
        )
        try:
            with transaction.atomic():
                send.save()
        except IntegrityError:
            if key and (existing := Send.objects.filter(key=key).first()):
                return existing  # created by a concurrent call a moment ago
            raise
        if lists:
            send.lists.set(lists)
        if recipients is not None:
            send.recipient_count = _insert_for_subscribers(send, recipients)
            send.save(update_fields=["recipient_count"])
        if not scheduled_for:
            _start_on_commit(send)
    return send


def send_page(page, lists, *, user=None, scheduled_for=None, key=None) -> Send:
    """A bulletin or safety message, rendered once, to the people on ``lists``."""
    from learning.models import SafetyMessagePage

    page = page.specific
    compiled = page.compile_email()
    kind = (
        Send.Kind.SAFETY_MESSAGE
        if isinstance(page, SafetyMessagePage)
        else Send.Kind.BULLETIN
    )
    return create_send(
        kind=kind,
        subject=compiled.subject,
        preheader=compiled.preheader,
        html=compiled.html,
        text=compiled.text,
        page=page,
        lists=lists,
        created_by=user,
        scheduled_for=scheduled_for,
        key=key,
    )


def send_test(page, to_email: str, *, user=None) -> Send:
    """The page's email to one address, now, with links that lead nowhere personal."""
    page = page.specific
    compiled = page.compile_email()
    with transaction.atomic():
        send = Send.objects.create(
            kind=Send.Kind.TEST,
            status=Send.Status.SENDING,
            page=page,
            subject=f"[Test] {compiled.subject}"[:255],
            preheader=compiled.preheader[:255],
            html=compiled.html,
            text=compiled.text,
            created_by=user,
            started_at=timezone.now(),
            recipient_count=1,
        )
        Delivery.objects.create(send=send, email=to_email)
        _enqueue_batches_on_commit(send, 1)
    return send


def send_transactional(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    subscriber: Subscriber | None = None,
    key: str | None = None,
    attachments: list[dict] | None = None,
) -> Send:
    """One message (a confirmation, a link) on the transactional queue, once per key.

    ``attachments``: files sent with it, each ``{"filename", "content_type",
    "content"}`` with text content (a calendar invitation, say).
    """
    with transaction.atomic():
        if key and (existing := Send.objects.filter(key=key).first()):
            return existing
        send = Send(
            kind=Send.Kind.TRANSACTIONAL,
            status=Send.Status.SENDING,
            key=key,
            subject=" ".join(subject.split())[:255],
            html=html,
            text=text,
            attachments=attachments or [],
            started_at=timezone.now(),
            recipient_count=1,
        )
        try:
            with transaction.atomic():
                send.save()
        except IntegrityError:
            if key and (existing := Send.objects.filter(key=key).first()):
                return existing
            raise
        Delivery.objects.create(send=send, subscriber=subscriber, email=to)
        _enqueue_batches_on_commit(send, 1)
    return send


def count_recipients(lists) -> int:
    """How many people a send to ``lists`` reaches now (each person once)."""
    return (
        Subscriber.objects.active()
        .filter(
            subscriptions__distribution_list__in=lists,
            subscriptions__frequency=Subscription.Frequency.IMMEDIATE,
        )
        .distinct()
        .count()
    )


def count_digest_only(lists) -> int:
    """People on ``lists`` who asked for a weekly digest (and no email now)."""
    immediate = Subscription.objects.filter(
        distribution_list__in=lists, frequency=Subscription.Frequency.IMMEDIATE
    ).values("subscriber_id")
    return (
        Subscriber.objects.active()
        .filter(subscriptions__distribution_list__in=lists)
        .exclude(pk__in=immediate)
        .distinct()
        .count()
    )


def cancel(send: Send) -> bool:
    """Cancel a scheduled send that has not started; False if it is too late."""
    return bool(
        Send.objects.filter(pk=send.pk, status=Send.Status.SCHEDULED).update(
            status=Send.Status.CANCELLED, finished_at=timezone.now()
        )
    )


def progress(send: Send) -> dict:
    """Counts for the progress view and the report (two queries, plus events)."""
    counts = send.deliveries.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status__in=OPEN)),
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        skipped=Count("pk", filter=Q(status=Delivery.Status.SKIPPED)),
    )
    # Accepted by the server, not yet folded into their rows (at most a batch each).
    marked = SentMark.objects.filter(send_id=send.pk).count()
    counts["sent"] += marked
    counts["pending"] = max(0, counts["pending"] - marked)
    summary = getattr(send, "summary", None) if counts["total"] == 0 else None
    if summary is not None:  # the rows were pruned; the summary kept the counts
        counts = {**counts, **{k: summary.counts.get(k, 0) for k in counts}}
    from .bounces import bounce_counts

    events = bounce_counts(send)  # distinct addresses, not provider retries
    events = {
        "bounced": events["hard"] + events["soft"],
        "hard_bounces": events["hard"],
        "soft_bounces": events["soft"],
        "complaints": events["complaints"],
    }
    send.refresh_from_db(fields=["status", "started_at", "finished_at"])
    done_count = counts["sent"] + counts["failed"] + counts["skipped"]
    total = counts["total"]
    return {
        **counts,
        **events,
        "status": send.status,
        "done": send.status in (Send.Status.SENT, Send.Status.CANCELLED),
        "percent": 100 if total == 0 else math.floor(100 * done_count / total),
    }


# --- Starting a send ------------------------------------------------------------------


def _start_on_commit(send: Send) -> None:
    from .tasks import start_send_task

    send_id, queue = send.pk, send.queue
    transaction.on_commit(lambda: start_send_task.apply_async((send_id,), queue=queue))


def _enqueue_batches_on_commit(send: Send, pending: int) -> None:
    send_id, queue = send.pk, send.queue
    transaction.on_commit(lambda: enqueue_batches(send_id, pending, queue))


def enqueue_batches(send_id: int, pending: int, queue: str, countdown=None) -> int:
    from .tasks import deliver_batch_task

    batches = math.ceil(pending / settings.DELIVERY_BATCH_SIZE)
    for _ in range(batches):
        deliver_batch_task.apply_async((send_id,), queue=queue, countdown=countdown)
    return batches


_INSERT = """
    INSERT INTO bulletins_delivery
        (send_id, subscriber_id, email, status, attempts, claim, error)
    SELECT %s, s.id, s.email, 'pending', 0, '', ''
    FROM bulletins_subscriber s
    WHERE s.status = 'active' AND {condition}
    ORDER BY s.id
    ON CONFLICT (send_id, subscriber_id) DO NOTHING
"""


def _insert_for_lists(send: Send, list_ids: list[int]) -> int:
    """One delivery per active "immediately" subscriber of any of the lists."""
    condition = """EXISTS (
        SELECT 1 FROM bulletins_subscription sub
        WHERE sub.subscriber_id = s.id
          AND sub.distribution_list_id = ANY(%s)
          AND sub.frequency = 'immediate')"""
    with connection.cursor() as cursor:
        cursor.execute(_INSERT.format(condition=condition), [send.pk, list_ids])
        return cursor.rowcount


def _insert_for_subscribers(send: Send, recipients) -> int:
    sql, params = recipients.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_INSERT.format(condition=f"s.id IN ({sql})"), [send.pk, *params])
        return cursor.rowcount


def start_send(send_id: int) -> None:
    """Expand a queued send into deliveries (idempotently) and queue its batches."""
    with transaction.atomic():
        send = Send.objects.select_for_update().filter(pk=send_id).first()
        if send is None or send.status not in (Send.Status.QUEUED, Send.Status.SENDING):
            return
        if send.status == Send.Status.QUEUED:
            list_ids = list(send.lists.values_list("pk", flat=True))
            if list_ids:
                _insert_for_lists(send, list_ids)
            send.status = Send.Status.SENDING
            send.started_at = timezone.now()
            send.recipient_count = send.deliveries.count()
            send.save(update_fields=["status", "started_at", "recipient_count"])
        pending = send.deliveries.filter(status=Delivery.Status.PENDING).count()
        logger.info("Send %s started: %s people", send.pk, send.recipient_count)
        if pending:
            _enqueue_batches_on_commit(send, pending)
        else:
            transaction.on_commit(lambda: _maybe_finish(send_id))


def dispatch_scheduled(now=None) -> int:
    """Start every scheduled send whose time has come, rendering the page afresh."""
    now = now or timezone.now()
    started = 0
    due = Send.objects.filter(status=Send.Status.SCHEDULED, scheduled_for__lte=now)
    for send_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            send = (
                Send.objects.select_for_update(skip_locked=True)
                .filter(pk=send_id, status=Send.Status.SCHEDULED)
                .first()
            )
            if send is None:
                continue
            page = send.page.specific if send.page_id else None
            if page is not None and page.live and hasattr(page, "compile_email"):
                compiled = page.compile_email()  # what is published now goes out
                send.subject, send.preheader = compiled.subject, compiled.preheader
                send.html, send.text = compiled.html, compiled.text
            send.status = Send.Status.QUEUED
            send.save()
            _start_on_commit(send)
            started += 1
    return started


# --- Delivering a batch --------------------------------------------------------------

_CLAIM = """
    WITH picked AS (
        SELECT id FROM bulletins_delivery
        WHERE send_id = %(send)s
          AND (status = 'pending'
               OR (claim = %(claim)s AND status IN ('claimed', 'sending')))
        ORDER BY id
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    )
    UPDATE bulletins_delivery d
    SET status = 'claimed', claim = %(claim)s, claimed_at = now(),
        attempts = d.attempts + 1
    FROM picked
    WHERE d.id = picked.id
    RETURNING d.id, d.email, d.subscriber_id, d.attempts
"""

# Record the previous message as sent and check the next, in one round trip. The
# record is a ``SentMark`` (see its docstring: a third of the cost of updating the
# delivery row); the batch folds its marks into its rows at the end. The check
# says whether the next row is still this batch's (the sweep may have taken it
# back) and whether the person is still active. The SELECT does not see the
# INSERT's row (one snapshot), and does not need to.
_NEXT = """
    WITH done AS (
        INSERT INTO bulletins_sentmark (delivery_id, send_id, sent_at)
        SELECT %(previous)s, %(send)s, now() WHERE %(previous)s > 0
        ON CONFLICT DO NOTHING
    )
    SELECT d.status = 'claimed' AND d.claim = %(claim)s,
           NOT %(check_active)s OR d.subscriber_id IS NULL OR EXISTS (
               SELECT 1 FROM bulletins_subscriber s
               WHERE s.id = d.subscriber_id AND s.status = 'active')
    FROM bulletins_delivery d WHERE d.id = %(id)s
"""

_MARK = """
    INSERT INTO bulletins_sentmark (delivery_id, send_id, sent_at)
    VALUES (%s, %s, now()) ON CONFLICT DO NOTHING
"""

_SKIP = """
    UPDATE bulletins_delivery SET status = 'skipped', error = %s
    WHERE id = %s AND status = 'claimed' AND claim = %s
"""

# Fold marks into their delivery rows and delete them, in one statement (so a
# mark and its row never disagree about whether a message went). ``{rows}`` picks
# which rows: one batch's, or every stale one for the sweep.
_SETTLE = """
    WITH settled AS (
        DELETE FROM bulletins_sentmark m USING bulletins_delivery d
        WHERE d.id = m.delivery_id AND {rows}
        RETURNING m.delivery_id, m.sent_at
    )
    UPDATE bulletins_delivery d
    SET status = 'sent', sent_at = settled.sent_at, error = ''
    FROM settled
    WHERE d.id = settled.delivery_id AND d.status IN ('claimed', 'sending')
"""
_SETTLE_BATCH = _SETTLE.format(rows="d.send_id = %s AND d.claim = %s")
_SETTLE_STALE = _SETTLE.format(
    rows="d.status IN ('claimed', 'sending') AND d.claimed_at < %s"
)


def _settle(send_id: int, claim: str, last: int = -1) -> int:
    """Record ``last`` as sent too, then fold the batch's marks into its rows."""
    with connection.cursor() as cursor:
        if last > 0:
            cursor.execute(_MARK, [last, send_id])
        cursor.execute(_SETTLE_BATCH, [send_id, claim])
        return cursor.rowcount


_FINISH = """
    UPDATE bulletins_send SET status = 'sent', finished_at = now()
    WHERE id = %s AND status = 'sending' AND NOT EXISTS (
        SELECT 1 FROM bulletins_delivery
        WHERE send_id = %s AND status IN ('pending', 'claimed', 'sending'))
"""

_prepared: OrderedDict[int, PreparedMessage] = OrderedDict()


def _prepared_message(send: Send) -> PreparedMessage:
    """The send's message, built once per worker process."""
    prepared = _prepared.get(send.pk)
    if prepared is None:
        prepared = PreparedMessage(
            send_id=send.pk,
            subject=send.subject,
            html=send.html,
            text=send.text,
            list_headers=send.kind not in (Send.Kind.TRANSACTIONAL,),
            message_id_domain=message_domain(),
            attachments=send.attachments,
        )
        _prepared[send.pk] = prepared
        while len(_prepared) > 16:
            _prepared.popitem(last=False)
    return prepared


class _Links:
    """Per-person links, made by signing the token into a URL built once."""

    def __init__(self, kind: str):
        self.kind = kind
        placeholder = "TOKENPLACEHOLDER"
        self.unsubscribe = absolute(
            reverse("bulletins:unsubscribe", kwargs={"token": placeholder})
        ).split(placeholder)
        self.preferences = absolute(
            reverse("bulletins:preferences", kwargs={"token": placeholder})
        ).split(placeholder)
        self.subscribe = absolute(reverse("bulletins:subscribe"))

    def for_token(self, secret: str | None) -> tuple[str, str]:
        if secret is None:  # a test or a message to someone not subscribed
            return self.subscribe, self.subscribe
        unsubscribe = tokens.make_token(secret, tokens.UNSUBSCRIBE)
        preferences = tokens.make_token(secret, tokens.PREFERENCES)
        return (
            unsubscribe.join(self.unsubscribe),
            preferences.join(self.preferences),
        )


def _claim(send_id: int, claim: str, sent: int = -1) -> list[tuple]:
    # A re-run after a kill: what the server took before the kill is sent, not
    # claimed again (``sent``: one it took that the last try could not record).
    _settle(send_id, claim, sent)
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            {"send": send_id, "claim": claim, "limit": settings.DELIVERY_BATCH_SIZE},
        )
        return sorted(cursor.fetchall())


def _people(subscriber_ids: list[int]) -> dict[int, tuple[str, str]]:
    if not subscriber_ids:
        return {}
    rows = Subscriber.objects.filter(pk__in=subscriber_ids).values_list(
        "pk", "name", "token"
    )
    return {pk: (name, token) for pk, name, token in rows}


def _set(delivery_ids, claim: str, status: str, error: str = "") -> None:
    Delivery.objects.filter(pk__in=delivery_ids, claim=claim).update(
        status=status, error=error[:2000]
    )


class RetryLater(Exception):
    """The mail server could not be reached; the batch keeps its rows for a retry."""


class DatabaseLost(Exception):
    """The database could not be reached; the batch keeps its rows for a retry.

    ``sent`` is the delivery whose message the mail server took last without it
    being recorded (-1 if none): the retry records it before anything else.
    """

    def __init__(self, sent: int):
        super().__init__(f"Database unreachable (delivery {sent} to record as sent)")
        self.sent = sent


@dataclass
class _Batch:
    claim: str
    # The delivery the mail server took last, not yet recorded as sent (-1: none).
    unrecorded: int = -1


def deliver_batch(send_id: int, claim: str | None = None, sent: int = -1) -> None:
    """Claim and send one batch; see the module docstring for the guarantees.

    ``claim`` names the batch (the Celery task id): a re-run with the same claim
    takes back the rows it had claimed, after recording ``sent`` as sent (a
    message an earlier try sent but could not record). Raises ``RetryLater`` if
    the mail server cannot be reached and ``DatabaseLost`` if the database cannot;
    the caller retries with the same claim, or gives up.
    """
    batch = _Batch(claim or uuid.uuid4().hex, unrecorded=sent)
    try:
        _deliver(send_id, batch)
    except (DatabaseError, psycopg.Error) as error:
        if not is_database_outage(error):
            raise
        connection.close()  # the next try connects afresh
        raise DatabaseLost(batch.unrecorded) from error


def _deliver(send_id: int, batch: _Batch) -> None:
    claim = batch.claim
    send = Send.objects.filter(pk=send_id).first()
    if send is None or send.status == Send.Status.CANCELLED:
        return
    rows = _claim(send_id, claim, batch.unrecorded)
    batch.unrecorded = -1
    if not rows:
        _maybe_finish(send_id)
        return
    worn_out = [r[0] for r in rows if r[3] > settings.DELIVERY_MAX_ATTEMPTS]
    if worn_out:
        Delivery.objects.filter(pk__in=worn_out).update(
            status=Delivery.Status.FAILED,
            error=f"Gave up after {settings.DELIVERY_MAX_ATTEMPTS} attempts.",
        )
        rows = [r for r in rows if r[3] <= settings.DELIVERY_MAX_ATTEMPTS]
    prepared = _prepared_message(send)
    links = _Links(send.kind)
    people = _people([r[2] for r in rows if r[2] is not None])
    check_active = send.kind not in (Send.Kind.TRANSACTIONAL, Send.Kind.TEST)
    transport = get_transport()
    try:
        transport.open()
    except (OSError, smtplib.SMTPException) as error:
        raise RetryLater(str(error)) from error
    deferred = 0
    connection.ensure_connection()
    try:
        # psycopg's own cursor, for a server-side prepared statement: the per-message
        # statement is parsed and planned once per batch, not once per message.
        with psycopg.Cursor(connection.connection) as cursor:
            # Each status change commits on its own without waiting for the disk:
            # a worker killed after a commit loses nothing (PostgreSQL has it); only
            # a crash of PostgreSQL itself could lose the last fraction of a second
            # of "sent" marks, and those messages would go again with the same
            # Message-ID. Waiting for the disk instead costs ~5 ms a message.
            cursor.execute("SET synchronous_commit TO off")
            for delivery_id, address, subscriber_id, _attempts in rows:
                cursor.execute(
                    _NEXT,
                    {
                        "previous": batch.unrecorded,
                        "send": send_id,
                        "id": delivery_id,
                        "claim": claim,
                        "check_active": check_active,
                    },
                    prepare=True,
                )
                batch.unrecorded = -1
                row = cursor.fetchone()
                if row is None or not row[0]:
                    continue  # taken back by the sweep
                if not row[1]:
                    cursor.execute(_SKIP, [NO_LONGER_ACTIVE, delivery_id, claim])
                    continue
                name, secret = people.get(subscriber_id, ("", None))
                unsubscribe_url, preferences_url = links.for_token(secret)
                try:
                    message = prepared.build(
                        Recipient(
                            delivery_id,
                            address,
                            name,
                            unsubscribe_url,
                            preferences_url,
                            one_click=secret is not None,
                        )
                    )
                    transport.send(prepared.envelope_from, address, message)
                except (PermanentFailure, HeaderInjection, UnicodeEncodeError) as err:
                    _set([delivery_id], claim, Delivery.Status.FAILED, str(err))
                    continue
                except TemporaryFailure as error:
                    _set([delivery_id], claim, Delivery.Status.PENDING, str(error))
                    deferred += 1
                    continue
                batch.unrecorded = delivery_id
    except (OSError, smtplib.SMTPException) as error:
        # The connection failed mid-batch. Rows not yet tried stay claimed by this
        # task; the retry (same task id) reclaims them. The one in flight, if the
        # server did take it, goes again with the same Message-ID.
        _settle(send_id, claim, batch.unrecorded)
        logger.warning("Send %s: SMTP failed mid-batch (%s); retrying", send_id, error)
        raise RetryLater(str(error)) from error
    finally:
        transport.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    _settle(send_id, claim, batch.unrecorded)
    batch.unrecorded = -1
    if deferred:
        enqueue_batches(send_id, deferred, send.queue, countdown=60)
    _maybe_finish(send_id)


def give_up_batch(send_id: int, claim: str, reason: str) -> None:
    """After the last retry: this batch's unsent rows are failed, with the reason."""
    _settle(send_id, claim)
    Delivery.objects.filter(send_id=send_id, claim=claim, status__in=OPEN).update(
        status=Delivery.Status.FAILED, error=reason[:2000]
    )
    _maybe_finish(send_id)


def _maybe_finish(send_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_FINISH, [send_id, send_id])
        # A transactional message (a confirmation, an export link) carries a live
        # personal link: once sent, keep only its subject.
        cursor.execute(
            "UPDATE bulletins_send SET text = '', html = '' "
            "WHERE id = %s AND kind = 'transactional' AND status = 'sent'",
            [send_id],
        )


# --- Recovery ------------------------------------------------------------------------


def sweep(now=None) -> dict:
    """Put back rows claimed by workers that died; re-queue sends that stalled."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.DELIVERY_STALE_AFTER_SECONDS)
    with connection.cursor() as cursor:  # what the server took is sent, not retried
        cursor.execute(_SETTLE_STALE, [stale_before])
        # Marks whose person was erased mid-send (their rows went with them).
        cursor.execute(
            "DELETE FROM bulletins_sentmark m WHERE NOT EXISTS ("
            "SELECT 1 FROM bulletins_delivery d WHERE d.id = m.delivery_id)"
        )
    released = Delivery.objects.filter(
        status__in=[Delivery.Status.CLAIMED, Delivery.Status.SENDING],
        claimed_at__lt=stale_before,
    ).update(status=Delivery.Status.PENDING, claim="")
    requeued = 0
    stalled = (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING,
            send__status=Send.Status.SENDING,
            send__started_at__lt=stale_before,
        )
        .values("send_id", "send__kind")
        .annotate(pending=Count("pk"))
    )
    for row in stalled:
        recent = Delivery.objects.filter(
            send_id=row["send_id"], claimed_at__gte=stale_before
        ).exists()
        if not recent:
            queue = Send(kind=row["send__kind"]).queue
            requeued += enqueue_batches(row["send_id"], row["pending"], queue)
    # Sends whose start task was lost, and sends with nothing left to do.
    for send in Send.objects.filter(
        status=Send.Status.QUEUED, created_at__lt=stale_before, scheduled_for=None
    ).only("pk", "kind"):
        _start_on_commit(send)
    for send_id in Send.objects.filter(status=Send.Status.SENDING).values_list(
        "pk", flat=True
    ):
        _maybe_finish(send_id)
    if released or requeued:
        logger.warning(
            "Sweep: %s rows released, %s batches re-queued", released, requeued
        )
    return {"released": released, "requeued_batches": requeued}


def delivery_report(send: Send):
    """Failed deliveries with their reasons, for the report after a send."""
    return send.deliveries.filter(status=Delivery.Status.FAILED).order_by("pk")


def events_for(send: Send):
    return DeliveryEvent.objects.filter(send=send)


__all__ = [
    "DistributionList",
    "cancel",
    "count_digest_only",
    "count_recipients",
    "create_send",
    "dispatch_scheduled",
    "progress",
    "send_page",
    "send_test",
    "send_transactional",
    "start_send",
    "sweep",
]
