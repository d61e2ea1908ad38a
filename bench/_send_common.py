"""Shared plumbing for the send benches: subscribers in bulk, the sink, workers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from multiprocessing import Process
from pathlib import Path

import psutil
from _common import ROOT, log


def seed_subscribers(count: int, lists: int = 4) -> list:
    """``count`` active subscribers, each on one to three of ``lists`` lists (SQL)."""
    from django.db import connection

    from bulletins.models import DistributionList

    made = [
        DistributionList.objects.create(
            name=f"Bench list {n}", slug=f"bench-list-{n}", description="Bench"
        )
        for n in range(lists)
    ]
    ids = [d.pk for d in made]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO bulletins_subscriber
                (email, name, status, token, pending_choices, soft_bounce_count,
                 created_at, confirmed_at, status_changed_at)
            SELECT 'person' || g || '@example.org', 'Person ' || g, 'active',
                   md5(random()::text) || g, '{}', 0, now(), now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [count],
        )
        # Everyone on one to three lists: a send to all of them must still send
        # each person one email.
        cursor.execute(
            """
            INSERT INTO bulletins_subscription
                (subscriber_id, distribution_list_id, frequency, created_at)
            SELECT s.id, l.id, 'immediate', now()
            FROM bulletins_subscriber s
            JOIN LATERAL unnest(%s::int[]) WITH ORDINALITY AS l(id, n)
              ON l.n <= 1 + (s.id %% 3)
            WHERE s.email LIKE 'person%%@example.org'
            """,
            [ids],
        )
    return made


def make_bulletin():
    """An eight-item bulletin from the demo content (as bench/email_render.py)."""
    import datetime as dt

    from bulletins.models import BulletinIndexPage, BulletinPage
    from learning.models import LearningResourcePage, SafetyMessagePage
    from website.models import HomePage

    home = HomePage.objects.get(depth=2, locale__language_code="en-gb")
    index = BulletinIndexPage.objects.first()
    if index is None:
        index = BulletinIndexPage(title="Bulletins", slug="bulletins")
        home.add_child(instance=index)
    pages = list(SafetyMessagePage.objects.filter(locale__language_code="en-gb"))
    pages += list(LearningResourcePage.objects.all())
    items = [("page_item", {"page": p, "summary": ""}) for p in pages[:8]]
    bulletin = BulletinPage(
        title="Bench bulletin",
        slug=f"bench-bulletin-{time.time_ns()}",
        summary="Eight things from the programme.",
        issue_number=99,
        issue_date=dt.date(2026, 11, 1),
        intro="Welcome to the bench bulletin.",
        sections=[
            ("section", {"heading": "Safety messages", "items": items[:5]}),
            ("section", {"heading": "Learning", "items": items[5:8]}),
        ],
    )
    index.add_child(instance=bulletin)
    bulletin.save_revision().publish()
    return bulletin


class Sink:
    """bench/_smtp_sink.py in ``processes`` processes sharing one port, each taking
    ``delay_ms`` over every message."""

    def __init__(self, processes: int = 2, delay_ms: int = 0):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        sink = [sys.executable, str(ROOT / "bench" / "_smtp_sink.py"), str(self.port)]
        self.procs = [
            subprocess.Popen(
                [*sink, str(delay_ms)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        for proc in self.procs:
            assert proc.stdout.readline().strip() == "ready"

    def _ask(self, command: str) -> list[dict]:
        for proc in self.procs:
            proc.stdin.write(command + "\n")
            proc.stdin.flush()
        return [json.loads(proc.stdout.readline()) for proc in self.procs]

    def stats(self) -> dict:
        """Messages, recipients and duplicates, merged over the sink processes."""
        ids_by_rcpt: dict[str, list[str]] = defaultdict(list)
        messages = recipients = 0
        for part in self._ask("stats"):
            messages += part["messages"]
            recipients += part["recipients"]
            for rcpt, ids in part["ids"].items():
                ids_by_rcpt[rcpt].extend(ids)
        others = sorted(r for r in ids_by_rcpt if not r.startswith("person"))
        if others:
            log(f"sink: {len(others)} recipients outside the bench: {others[:10]}")
        return {
            "messages": messages,
            "recipients": recipients,
            "distinct_recipients": len(ids_by_rcpt) - len(others),
            "duplicates": sum(len(ids) - 1 for ids in ids_by_rcpt.values()),
            "duplicates_with_new_message_id": sum(
                len(set(ids)) - 1 for ids in ids_by_rcpt.values()
            ),
        }

    def reset(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        for proc in self.procs:
            try:
                proc.stdin.write("quit\n")
                proc.stdin.flush()
                proc.wait(10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                proc.kill()


def _raw_sender(port: int, message: bytes, start: int, count: int, batch: int):
    """Pre-built identical messages through the pipeline's own SMTP client (so the
    same protocol, PIPELINING included), one connection per batch, no database."""
    from bulletins.transport import SMTPTransport

    transport = SMTPTransport()
    transport.host, transport.port = "127.0.0.1", port
    transport.username = ""
    transport.use_tls = transport.use_ssl = False
    transport.open()
    for n in range(count):
        if n and n % batch == 0:
            transport.close()
            transport.open()
        transport.send("bench@localhost", f"raw{start + n}@example.org", message)
    transport.close()


def raw_ceiling(port: int, message: bytes, count: int, connections: int, batch: int):
    """Messages/s for pre-built identical messages over ``connections`` senders."""
    share = count // connections
    senders = [
        Process(target=_raw_sender, args=(port, message, k * share, share, batch))
        for k in range(connections)
    ]
    started = time.perf_counter()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return share * connections / (time.perf_counter() - started)


class Workers:
    """A real Celery worker (prefork) on the bench's broker and database."""

    def __init__(self, base: Path, smtp_port: int, concurrency: int, batch: int):
        self.base = base
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "website.settings.dev",
            "CDR_VAR_DIR": str(base),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "DELIVERY_BATCH_SIZE": str(batch),
            "LOG_LEVEL": "WARNING",
        }
        self.concurrency = concurrency
        self.log_path = base / "worker.log"
        self.proc = None
        self.peak_rss_mb = 0.0
        self._sampling = False

    def start(self) -> None:
        if self.proc is None:
            # Anything the demo seeding queued (confirmation emails to the demo
            # subscribers) is not part of what is measured.
            from website.celery import app

            app.control.purge()
        self.log = open(self.log_path, "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "website",
                "worker",
                "-Q",
                "transactional,bulk",
                "-c",
                str(self.concurrency),
                "-P",
                "prefork",
                "-n",
                f"bench-{time.time_ns()}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        marker = self.log_path.stat().st_size if self.log_path.exists() else 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited; see {self.log_path}")
            with open(self.log_path) as log_file:
                log_file.seek(marker)
                if "ready." in log_file.read():
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"worker not ready; see {self.log_path}")
        if not self._sampling:
            self._sampling = True
            threading.Thread(target=self._sample, daemon=True).start()

    def children(self) -> list[psutil.Process]:
        if self.proc is None:  # not started (stopped before it could be)
            return []
        try:
            return psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return []

    def _sample(self) -> None:
        while self._sampling:
            try:
                procs = [psutil.Process(self.proc.pid), *self.children()]
                for proc in procs:
                    rss = proc.memory_info().rss / 2**20
                    self.peak_rss_mb = max(self.peak_rss_mb, rss)
            except (psutil.NoSuchProcess, AttributeError):
                pass
            time.sleep(0.25)

    def stop(self) -> None:
        self._sampling = False
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for child in self.children():
            child.kill()


def wait_for_send(send_id: int, timeout: float, tick=None) -> bool:
    from bulletins.models import Send

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Send.objects.filter(pk=send_id, status=Send.Status.SENT).exists():
            return True
        if tick:
            tick()
        time.sleep(0.25)
    log(f"send {send_id} did not finish within {timeout}s")
    return False


def cpu_seconds(procs) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user
            total += times.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def postgres_processes() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
