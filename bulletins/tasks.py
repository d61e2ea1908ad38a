"""Thin Celery tasks for distribution: ids in, call a service.

Which queue each runs on is in ``website/celery.py`` (sends choose theirs:
transactional mail goes ahead of bulk).
"""

from celery import shared_task

from . import sending


@shared_task(name="bulletins.start_send", ignore_result=True)
def start_send_task(send_id: int) -> None:
    """Expand a send into one delivery per person and queue its batches."""
    sending.start_send(send_id)


@shared_task(
    name="bulletins.deliver_batch",
    bind=True,
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=sending.BATCH_MAX_RETRIES,
)
def deliver_batch_task(self, send_id: int, sent: int = -1) -> None:
    """Send one batch of a send's pending deliveries over one SMTP connection.

    A retry keeps the task id, so it takes back the same rows. When the mail
    server stays unreachable, the batch's unsent rows are marked failed with the
    reason after the last retry; when the database does, they are left to the
    sweep. A retry after losing the database carries the message the server took
    last (``sent``), to be recorded first rather than sent again.
    """
    claim = self.request.id
    retries = self.request.retries or 0
    countdown = min(300, 5 * 2**retries)
    try:
        sending.deliver_batch(send_id, claim, sent)
    except sending.RetryLater as error:
        if retries >= self.max_retries:
            sending.give_up_batch(send_id, claim, f"Mail server unreachable: {error}")
            return
        raise self.retry(exc=error, countdown=countdown, kwargs={}) from error
    except sending.DatabaseLost as error:
        kwargs = {"sent": error.sent}
        raise self.retry(exc=error, countdown=countdown, kwargs=kwargs) from error


@shared_task(name="bulletins.sweep_deliveries", ignore_result=True)
def sweep_deliveries_task() -> None:
    """Every minute: re-queue deliveries left claimed or pending too long."""
    sending.sweep()


@shared_task(name="bulletins.dispatch_scheduled_sends", ignore_result=True)
def dispatch_scheduled_sends_task() -> None:
    """Every minute: start the scheduled sends whose time has come."""
    sending.dispatch_scheduled()


@shared_task(name="bulletins.handle_subscription_request", ignore_result=True)
def handle_subscription_request_task(email: str, choices: dict, wording: str) -> None:
    """A subscribe form was sent: the same work whether the address is new or known."""
    from . import subscriptions

    subscriptions.handle_subscription_request(email, choices, wording)


@shared_task(name="bulletins.notify_page_published", ignore_result=True)
def notify_page_published_task(page_id: int) -> None:
    """A safety message was published: tell "immediately" subscribers of its topics."""
    from . import notify

    notify.notify_page_published(page_id)


@shared_task(name="bulletins.send_weekly_digests", ignore_result=True)
def send_weekly_digests_task() -> None:
    """Weekly: one digest per person of what was published for them; none if empty."""
    from . import digests

    digests.send_weekly_digests()


@shared_task(name="bulletins.delete_unconfirmed_subscribers", ignore_result=True)
def delete_unconfirmed_subscribers_task() -> None:
    from . import retention

    retention.delete_unconfirmed_subscribers()


@shared_task(name="bulletins.prune_deliveries", ignore_result=True)
def prune_deliveries_task() -> None:
    from . import retention

    retention.prune_deliveries()


@shared_task(name="bulletins.poll_bounce_mailbox", ignore_result=True)
def poll_bounce_mailbox_task() -> None:
    from . import bounces

    bounces.poll_bounce_mailbox()
