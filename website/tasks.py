"""Site-wide Celery tasks (thin: they call services)."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def heartbeat_task(name: str = "celery") -> None:
    """Beat queues this every minute; the worker records that the chain is alive."""
    services.record_heartbeat(name)


@shared_task(ignore_result=True)
def send_review_reminders_task() -> int:
    """Daily: email the owners of pages due a review (each reminder once)."""
    from . import reviews

    return reviews.send_review_reminders()


@shared_task(ignore_result=True)
def publish_scheduled_task() -> None:
    """Every minute: publish pages whose scheduled time has come (and unpublish)."""
    from django.core.management import call_command

    call_command("publish_scheduled", verbosity=0)
