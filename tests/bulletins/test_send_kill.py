"""A real worker process SIGKILLed mid-batch: nobody missed, at most one repeat.

The test runs its own prefork worker (one pool process) on a separate Redis
database, so the suite's shared worker never takes these tasks, and a slow SMTP
sink, so the kill lands while the batch is sending. Killing the pool process makes
Celery's parent requeue the task (``acks_late`` + ``reject_on_worker_lost``); the
same task id runs again in a fresh pool process and takes back its own rows.
"""

from __future__ import annotations

import os
import signal
from collections import Counter, defaultdict
from pathlib import Path

import psutil
import pytest
from celery import Celery
from django.conf import settings

from bulletins import sending
from bulletins.models import Delivery, Send
from tests.bulletins.test_sending import make_list, make_subscriber, simple_send
from tests.conftest import (
    SmtpSink,
    _database_url,
    start_worker,
    stop_worker,
    wait_for,
)
from website import embedded

PEOPLE = 300


@pytest.fixture
def slow_sink():
    sink = SmtpSink()
    sink.delay = 0.01
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def own_worker(slow_sink, transactional_db):
    broker = embedded.celery_broker_url(3, settings.VAR_DIR)
    # Not the current app: shared tasks elsewhere must keep using the project's app.
    app = Celery(broker=broker, set_as_current=False)
    app.control.purge()
    proc = start_worker(
        name="kill-test",
        broker_url=broker,
        email_url=slow_sink.url,
        database_url=_database_url(),
        log_path=kill_worker_log(),
        worker_args=["-Q", "bulk", "-P", "prefork", "-c", "1"],
        # Everyone in one batch: the kill is mid-batch.
        extra_env={"DELIVERY_BATCH_SIZE": "1000"},
    )
    yield app, proc
    stop_worker(proc)


def kill_worker_log() -> Path:
    return Path(settings.VAR_DIR) / "log" / "celery-kill-test-worker.log"


@pytest.mark.celery_worker
def test_a_worker_killed_mid_batch_misses_nobody_and_repeats_at_most_one(
    own_worker, slow_sink
):
    app, worker = own_worker
    news = make_list("News")
    people = [make_subscriber(f"p{n:03d}@example.org", news) for n in range(PEOPLE)]
    # Made as a scheduled send, so nothing is queued for the suite's shared worker;
    # this test starts it by hand on its own broker.
    from datetime import timedelta

    from django.utils import timezone

    send = simple_send([news], scheduled_for=timezone.now() + timedelta(days=1))
    sending._insert_for_lists(send, [news.pk])
    Send.objects.filter(pk=send.pk).update(status=Send.Status.SENDING)
    app.send_task("bulletins.deliver_batch", args=[send.pk], queue="bulk")

    wait_for(lambda: len(slow_sink.messages) >= 40, timeout=60)
    [pool_process] = psutil.Process(worker.pid).children()
    os.kill(pool_process.pid, signal.SIGKILL)
    received_at_kill = len(slow_sink.messages)
    assert received_at_kill < PEOPLE, "the kill came after the batch had finished"

    wait_for(
        lambda: Send.objects.get(pk=send.pk).status == Send.Status.SENT, timeout=90
    )
    ids_by_person = defaultdict(list)
    for rcpts, message in slow_sink.messages:
        for rcpt in rcpts:
            ids_by_person[rcpt].append(message["Message-ID"])
    assert sorted(ids_by_person) == sorted(p.email for p in people)
    repeats = {rcpt: ids for rcpt, ids in ids_by_person.items() if len(ids) > 1}
    assert len(repeats) <= 1
    for ids in repeats.values():
        assert len(set(ids)) == 1, "a repeat must carry the same Message-ID"
    statuses = Counter(
        Delivery.objects.filter(send=send).values_list("status", flat=True)
    )
    assert statuses == {"sent": PEOPLE}
    log = kill_worker_log().read_text()
    assert "exited with 'signal 9 (SIGKILL)'" in log
    # The same task came back after the kill: received twice, the same task id.
    assert log.count("Task bulletins.deliver_batch[") >= 2
