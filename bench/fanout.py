"""One bulletin to N subscribers through the real pipeline, against the raw ceiling.

``.venv/bin/python bench/fanout.py --subscribers 100000``: a fresh embedded
platform (PostgreSQL + Redis) with the demo content; N confirmed subscribers, each
on one to three of four lists; a counting SMTP sink (aiosmtpd) in its own process;
a real Celery worker (prefork, ``--concurrency`` processes). First the raw ceiling:
the same sink fed pre-built identical messages of the same size by as many sender
processes, through the pipeline's own SMTP client (PIPELINING included, as the
sink offers it), over connections of one batch each, with no database or Celery.
Then the real send to all four lists, timed from the editor's confirm to the send
marked finished.

Last line of stdout: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import psutil
from _common import embedded_platform, log, rounded
from _send_common import (
    Sink,
    Workers,
    cpu_seconds,
    make_bulletin,
    postgres_processes,
    raw_ceiling,
    seed_subscribers,
)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    results: dict = {"bench": "fanout", "subscribers": args.subscribers}
    with embedded_platform(results) as base:
        from django.core.management import call_command

        from bulletins import sending
        from bulletins.mime import PreparedMessage, Recipient
        from bulletins.models import Send

        call_command("seed_demo", verbosity=0)
        started = time.perf_counter()
        lists = seed_subscribers(args.subscribers)
        log(f"seeded {args.subscribers} in {time.perf_counter() - started:.1f}s")
        bulletin = make_bulletin()
        compiled = bulletin.compile_email()
        sample = PreparedMessage(
            send_id=0, subject=compiled.subject, html=compiled.html, text=compiled.text
        ).build(
            Recipient(
                1,
                "raw@example.org",
                "Person 1",
                "http://127.0.0.1:8000/subscriptions/unsubscribe/" + "x" * 90 + "/",
                "http://127.0.0.1:8000/subscriptions/manage/" + "x" * 90 + "/",
            )
        )
        sink = Sink()
        workers = Workers(base, sink.port, args.concurrency, args.batch)
        try:
            raw = raw_ceiling(
                sink.port, sample, args.subscribers, args.concurrency, args.batch
            )
            log(f"raw ceiling: {raw:.0f} messages/s")
            sink.reset()
            workers.start()
            from django.db import connection

            worker_procs = [psutil.Process(workers.proc.pid), *workers.children()]
            sink_procs = [psutil.Process(p.pid) for p in sink.procs]
            pg_procs = postgres_processes()
            cpu_before = [cpu_seconds(g) for g in (worker_procs, sink_procs, pg_procs)]
            started = time.perf_counter()
            send = sending.send_page(bulletin, lists)  # autocommit: starts now
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                status = Send.objects.filter(pk=send.pk).values_list(
                    "status", flat=True
                )[0]
                if status == Send.Status.SENT:
                    break
                time.sleep(0.1)
            seconds = time.perf_counter() - started
            pg_procs = postgres_processes()  # backends come and go
            cpu_after = [cpu_seconds(g) for g in (worker_procs, sink_procs, pg_procs)]
            stats = sink.stats()
            connection.close()
        finally:
            workers.stop()
            sink.stop()
        delivered = stats["distinct_recipients"]
        rate = stats["messages"] / seconds
        results.update(
            {
                "seconds": seconds,
                "messages_per_s": rate,
                "delivered": delivered,
                "duplicates": stats["duplicates"],
                "missing": args.subscribers - delivered,
                "raw_smtp_messages_per_s": raw,
                "ratio_to_raw": rate / raw,
                "peak_rss_mb": workers.peak_rss_mb,
                "concurrency": args.concurrency,
                "batch_size": args.batch,
                "message_bytes": len(sample),
                "cpu_ms_per_message_workers": (cpu_after[0] - cpu_before[0])
                * 1000
                / max(1, stats["messages"]),
                "cpu_ms_per_message_sink": (cpu_after[1] - cpu_before[1])
                * 1000
                / max(1, stats["messages"]),
                # Backends that exited are counted in the postmaster's children.
                "cpu_ms_per_message_postgres": (cpu_after[2] - cpu_before[2])
                * 1000
                / max(1, stats["messages"]),
            }
        )
    keys = [
        "subscribers",
        "seconds",
        "messages_per_s",
        "delivered",
        "duplicates",
        "missing",
        "raw_smtp_messages_per_s",
        "ratio_to_raw",
        "peak_rss_mb",
        "concurrency",
        "batch_size",
        "message_bytes",
        "cpu_ms_per_message_workers",
        "cpu_ms_per_message_sink",
        "cpu_ms_per_message_postgres",
    ]
    return rounded({"bench": "fanout", **{k: results[k] for k in keys}})


if __name__ == "__main__":
    print(json.dumps(main()))
