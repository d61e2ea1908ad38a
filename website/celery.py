"""The Celery application: queues named by purpose, the whole beat schedule here."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

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
    "review-reminders": {
        "task": "website.tasks.send_review_reminders_task",
        "schedule": crontab(hour=7, minute=0),
        "options": {"queue": "periodic"},
    },
}

app.autodiscover_tasks()
