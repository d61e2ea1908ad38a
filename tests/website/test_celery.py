"""A real Celery worker, on the real embedded Redis, runs the site's tasks."""

import pytest

from tests.conftest import wait_for
from website.models import Heartbeat
from website.tasks import heartbeat_task

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_worker_runs_heartbeat_task_from_the_periodic_queue(celery_worker_process):
    assert not Heartbeat.objects.filter(name="ci-check").exists()

    heartbeat_task.apply_async(args=["ci-check"], queue="periodic")

    beat = wait_for(lambda: Heartbeat.objects.filter(name="ci-check").first(), 30)
    assert beat.last_seen is not None


def test_beat_schedule_lives_in_one_place():
    from website.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["heartbeat"]["task"] == "website.tasks.heartbeat_task"
    assert schedule["heartbeat"]["options"]["queue"] == "periodic"
    assert "website.tasks.heartbeat_task" in app.tasks
