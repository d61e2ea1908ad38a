"""A send while worker processes are SIGKILLed at random: nothing lost, little repeated.

``.venv/bin/python bench/chaos_send.py --subscribers 10000 --kills 5``: the platform
of bench/fanout.py, then one bulletin to everyone while, at random moments, a
worker process is killed with SIGKILL -- a pool process mid-batch (the worker
starts a new one and the task comes back, ``acks_late`` + ``reject_on_worker_lost``)
or, for the last kill, the whole worker (restarted here; its claimed rows come back
through ``sending.sweep()``, run here every second with a short stale time, as
beat runs it every minute in production). The sink counts, per recipient, every
message and its Message-ID: a duplicate is a second message to the same person for
this send; one with a new Message-ID would be one receivers could not drop.

Last line of stdout: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import time

import psutil
from _common import embedded_platform, log, rounded
from _send_common import Sink, Workers, make_bulletin, seed_subscribers


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--stale-seconds", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results: dict = {}
    with embedded_platform(results) as base:
        from django.conf import settings
        from django.core.management import call_command

        from bulletins import sending
        from bulletins.models import Send

        settings.DELIVERY_STALE_AFTER_SECONDS = args.stale_seconds
        call_command("seed_demo", verbosity=0)
        lists = seed_subscribers(args.subscribers)
        bulletin = make_bulletin()
        sink = Sink()
        workers = Workers(base, sink.port, args.concurrency, args.batch)
        kills_done = 0
        try:
            workers.start()
            started = time.perf_counter()
            send = sending.send_page(bulletin, lists)
            next_kill = time.monotonic() + rng.uniform(0.5, 2.0)
            deadline = time.monotonic() + args.timeout
            last_sweep = time.monotonic()
            while time.monotonic() < deadline:
                status = Send.objects.filter(pk=send.pk).values_list(
                    "status", flat=True
                )[0]
                if status == Send.Status.SENT:
                    break
                now = time.monotonic()
                if kills_done < args.kills and now >= next_kill:
                    if kills_done == args.kills - 1:
                        # The last kill takes the whole worker down, pool and all.
                        for child in workers.children():
                            kill(child.pid)
                        kill(workers.proc.pid)
                        workers.proc.wait()
                        log("killed the whole worker; restarting it")
                        workers.start()
                    else:
                        children = [
                            c
                            for c in workers.children()
                            if c.status() != psutil.STATUS_ZOMBIE
                        ]
                        if not children:
                            time.sleep(0.05)
                            continue  # the pool is being refilled; try again
                        victim = rng.choice(children)
                        kill(victim.pid)
                        log(f"killed pool process {victim.pid}")
                    kills_done += 1
                    next_kill = now + rng.uniform(1.0, 3.0)
                if now - last_sweep >= 1:
                    sending.sweep()
                    last_sweep = now
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            stats = sink.stats()
        finally:
            workers.stop()
            sink.stop()
            from django.db import connection

            connection.close()
    delivered = stats["distinct_recipients"]
    return rounded(
        {
            "bench": "chaos_send",
            "subscribers": args.subscribers,
            "kills": kills_done,
            "delivered": delivered,
            "duplicates": stats["duplicates"],
            "duplicates_with_new_message_id": stats["duplicates_with_new_message_id"],
            "missing": args.subscribers - delivered,
            "seconds": seconds,
        }
    )


if __name__ == "__main__":
    print(json.dumps(main()))
