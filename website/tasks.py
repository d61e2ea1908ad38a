"""Site-wide Celery tasks (thin: they call services)."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def heartbeat_task(name: str = "celery") -> None:
    """Beat queues this every minute; the worker records that the chain is alive."""
    services.record_heartbeat(name)
