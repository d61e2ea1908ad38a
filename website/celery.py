"""The Celery application: queues named by purpose, the whole beat schedule here."""

import os
from contextvars import Token

from celery import Celery, signals
from celery.schedules import crontab
from celery.utils.log import get_multiprocessing_logger
from kombu import Queue

from website import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "website.settings.dev")

app = Celery("cdr_learning")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Queues by purpose and priority (docs/deploy.md says which workers take which).
QUEUES = ("default", "transactional", "bulk", "index", "periodic")
app.conf.task_queues = [Queue(name) for name in QUEUES]
# Which queue each task goes to, in one place (anything unlisted: "default").
app.conf.task_routes = {
    "website.tasks.heartbeat_task": {"queue": "periodic"},
    "website.tasks.send_review_reminders_task": {"queue": "periodic"},
    "website.tasks.publish_scheduled_task": {"queue": "periodic"},
    # Sends pass their own queue (transactional ahead of bulk); these are defaults.
    "bulletins.start_send": {"queue": "bulk"},
    "bulletins.deliver_batch": {"queue": "bulk"},
    "bulletins.handle_subscription_request": {"queue": "transactional"},
    "bulletins.notify_page_published": {"queue": "default"},
    "bulletins.sweep_deliveries": {"queue": "periodic"},
    "bulletins.dispatch_scheduled_sends": {"queue": "periodic"},
    "bulletins.send_weekly_digests": {"queue": "periodic"},
    "bulletins.delete_unconfirmed_subscribers": {"queue": "periodic"},
    "bulletins.prune_deliveries": {"queue": "periodic"},
    "bulletins.poll_bounce_mailbox": {"queue": "periodic"},
    "qipacks.send_uptake_reminders": {"queue": "periodic"},
    "qipacks.reconcile_uptake_rollups": {"queue": "periodic"},
    "webinars.send_reminders": {"queue": "periodic"},
    "webinars.catch_up": {"queue": "periodic"},
    "webinars.announce_changes": {"queue": "default"},
    "webinars.send_recording_available": {"queue": "default"},
    "webinars.fill_places": {"queue": "default"},
    "webinars.delete_unconfirmed_topics": {"queue": "periodic"},
    "search.sync_page": {"queue": "index"},
    "search.sync_document": {"queue": "index"},
    "search.reconcile": {"queue": "periodic"},
    "search.count_common_terms": {"queue": "index"},
    "impact.flush_page_views": {"queue": "periodic"},
    "search.flush_queries": {"queue": "periodic"},
    "impact.send_quarterly_summary": {"queue": "periodic"},
}

# Every periodic job, in one place. Each task is safe to run twice.
app.conf.beat_schedule = {
    "heartbeat": {
        "task": "website.tasks.heartbeat_task",
        "schedule": 60.0,
        "options": {"queue": "periodic", "expires": 55},
    },
    "publish-scheduled-pages": {
        "task": "website.tasks.publish_scheduled_task",
        "schedule": 60.0,
        "options": {"queue": "periodic", "expires": 55},
    },
    "sweep-deliveries": {
        "task": "bulletins.sweep_deliveries",
        "schedule": 60.0,
        "options": {"queue": "periodic", "expires": 55},
    },
    "dispatch-scheduled-sends": {
        "task": "bulletins.dispatch_scheduled_sends",
        "schedule": 60.0,
        "options": {"queue": "periodic", "expires": 55},
    },
    "weekly-digests": {
        "task": "bulletins.send_weekly_digests",
        "schedule": crontab(day_of_week="mon", hour=7, minute=30),
        "options": {"queue": "periodic"},
    },
    "delete-unconfirmed-subscribers": {
        "task": "bulletins.delete_unconfirmed_subscribers",
        "schedule": crontab(hour=3, minute=0),
        "options": {"queue": "periodic"},
    },
    "prune-deliveries": {
        "task": "bulletins.prune_deliveries",
        "schedule": crontab(hour=3, minute=30),
        "options": {"queue": "periodic"},
    },
    "poll-bounce-mailbox": {
        "task": "bulletins.poll_bounce_mailbox",
        "schedule": 300.0,
        "options": {"queue": "periodic", "expires": 290},
    },
    "review-reminders": {
        "task": "website.tasks.send_review_reminders_task",
        "schedule": crontab(hour=7, minute=0),
        "options": {"queue": "periodic"},
    },
    "uptake-reminders": {
        "task": "qipacks.send_uptake_reminders",
        "schedule": crontab(hour=7, minute=15),
        "options": {"queue": "periodic"},
    },
    "uptake-rollups": {
        "task": "qipacks.reconcile_uptake_rollups",
        "schedule": crontab(hour=2, minute=40),
        "options": {"queue": "periodic"},
    },
    "webinar-reminders": {
        "task": "webinars.send_reminders",
        "schedule": 300.0,
        "options": {"queue": "periodic", "expires": 290},
    },
    "webinar-catch-up": {
        "task": "webinars.catch_up",
        "schedule": crontab(minute=20),
        "options": {"queue": "periodic"},
    },
    "webinar-topics-cleanup": {
        "task": "webinars.delete_unconfirmed_topics",
        "schedule": crontab(hour=3, minute=10),
        "options": {"queue": "periodic"},
    },
    "search-reconcile": {
        "task": "search.reconcile",
        "schedule": crontab(hour=2, minute=10),
        "options": {"queue": "periodic"},
    },
    # Does nothing unless the index changed since the last run.
    "search-count-common-terms": {
        "task": "search.count_common_terms",
        "schedule": 60.0,
        "options": {"queue": "index", "expires": 55},
    },
    # Page-view counters from Redis into the table; nothing lost if one is missed.
    "impact-flush-page-views": {
        "task": "impact.flush_page_views",
        "schedule": 300.0,
        "options": {"queue": "periodic", "expires": 290},
    },
    # Search counts likewise, for the editors' search reports.
    "search-flush-queries": {
        "task": "search.flush_queries",
        "schedule": 300.0,
        "options": {"queue": "periodic", "expires": 290},
    },
    # The first day of each quarter, for the quarter just ended (sent once).
    "impact-quarterly-summary": {
        "task": "impact.send_quarterly_summary",
        "schedule": crontab(month_of_year="1,4,7,10", day_of_month=1, hour=8, minute=0),
        "options": {"queue": "periodic"},
    },
}

app.autodiscover_tasks()

# The id of the request that queued a task travels in a message header; around the
# task it is the current request id again, so the task's log lines (and any task it
# queues in turn) carry it. A task queued outside any request has none.
_bound_request_ids: dict[str, Token] = {}


@signals.before_task_publish.connect
def _send_request_id(headers=None, **kwargs):
    request_id = observability.current_request_id()
    if request_id and headers is not None:
        headers.setdefault(observability.TASK_HEADER, request_id)


@signals.task_prerun.connect
def _bind_request_id(task_id=None, task=None, **kwargs):
    # Run inline (eager), a task has no header and keeps the caller's id.
    request_id = getattr(task.request, observability.TASK_HEADER, None)
    _bound_request_ids[task_id] = observability.bind_request_id(
        request_id or observability.current_request_id()
    )


@signals.task_postrun.connect
def _unbind_request_id(task_id=None, **kwargs):
    token = _bound_request_ids.pop(task_id, None)
    if token is not None:
        observability.unbind_request_id(token)


def _json_logs() -> bool:
    from django.conf import settings

    return settings.LOG_FORMAT == "json"


@signals.after_setup_logger.connect
def _worker_log_format(logger=None, **kwargs):
    """Workers log in the web processes' format when it is JSON, billiard's pool too."""
    if _json_logs():
        observability.use_json_logs(logger)
        observability.use_json_logs(get_multiprocessing_logger())


@signals.after_setup_task_logger.connect
def _task_log_format(logger=None, **kwargs):
    if _json_logs():
        observability.use_json_logs(logger)
