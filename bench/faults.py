"""Parts of the platform fail while pages are read and a bulletin goes out.

``.venv/bin/python bench/faults.py --subscribers 5000``: one embedded platform
(the demo content, ``--subscribers`` people on four lists), gunicorn with
``gunicorn.conf.py`` on the production settings (three workers), a real Celery
worker (prefork) and the counting SMTP sink (taking ``--smtp-delay-ms`` over each
message, as a real mail server does, so the send lasts through every fault). A
separate process reads pages at ``--rate`` requests a second (the mix of
bench/pages.py) and polls ``/healthz`` twice a second, recording when each
request started and ended, its status, and whether an error was the friendly 503
page or something a reader should never see (a 500, a traceback).

Then one bulletin is sent to everyone and, ``--pause`` seconds apart, these fail:

1. Redis (broker and cache) is stopped, and started ``--redis-down`` seconds later;
2. PostgreSQL is restarted (``pg_ctl stop -m fast``, then started);
3. one gunicorn worker is SIGKILLed (the master starts another);
4. one Celery pool process is SIGKILLed mid-batch (or, with ``celery_worker_killed``
   in ``--faults``, the whole worker, which is then started again, as
   bench/chaos_send.py does).

``--faults`` picks which of these run, in which order (all four by default).

``sending.sweep()`` runs every second with a short stale time, as beat runs it
every minute in production. After the last fault the pages are read for
``--after`` seconds more and until the send has finished.

A fault's window runs from its start until the site has recovered: the first of
ten page requests in a row that succeed, with ``/healthz`` healthy.
``recovery_seconds`` is the longest time from a fault's end to its recovery.
``errors_during_faults`` counts failed page requests overlapping a window (the
friendly 503 page is what is expected there), ``errors_after_recovery`` every
other failed page request, from before the first fault to the end;
``unfriendly_errors`` (500s and tracebacks, anywhere) must be 0. A request the
server dropped (a killed worker's) is counted as ``dropped``, not as unfriendly:
behind a proxy it is the proxy's 502, or a retry on another node. The sink's
count against the subscribers gives ``deliveries_missing`` and
``deliveries_duplicated`` (extra messages; those with a new Message-ID apart).

Progress on stderr; the last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from _common import embedded_platform, log, percentile, rounded
from _send_common import Sink, Workers, make_bulletin, seed_subscribers
from _web import (
    MIX,
    collectstatic,
    free_port,
    mix_urls,
    server_environ,
    start_server,
    statuses,
    stop_server,
)

FRIENDLY = "The site is having trouble right now"
# A browser's user agent, so page views are counted (in Redis) as a reader's are.
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
REQUEST_TIMEOUT = 10
HEALTH_EVERY = 0.5
# Recovered: this many page requests in a row succeed (and /healthz is healthy).
IN_A_ROW = 10
RECOVERY_GOAL_SECONDS = 30


# --- The readers (a process of their own) --------------------------------------------


def outcome(status: int, body: str) -> str:
    """``ok``, ``friendly`` (the 503 page), ``unfriendly`` (a 500, a traceback),
    ``dropped`` (no answer: the connection failed or was cut) or ``refused`` (4xx)."""
    if status == 0:
        return "dropped"
    if "Traceback" in body:
        return "unfriendly"
    if 200 <= status < 400:
        return "ok"
    if status == 503 and FRIENDLY in body:
        return "friendly"
    return "unfriendly" if status >= 500 else "refused"


def fetch(port: int, url: str) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://127.0.0.1:{port}{url}", headers={"User-Agent": BROWSER}
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as error:
        return 0, type(error).__name__


def read_pages(port, urls, rate, out_path, seed) -> None:
    """Request pages of the mix at ``rate`` a second, whatever the answers take,
    and ``/healthz`` every HEALTH_EVERY seconds, until SIGTERM; one JSON line per
    request."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    rng = random.Random(seed)
    kinds = [kind for kind in MIX if urls.get(kind)]
    weights = [MIX[kind] for kind in kinds]
    lock = threading.Lock()
    with open(out_path, "w") as out:

        def get(kind: str, url: str) -> None:
            started = time.monotonic()
            status, body = fetch(port, url)
            row = {
                "kind": kind,
                "url": url,
                "t0": started,
                "t1": time.monotonic(),
                "status": status,
                "outcome": outcome(status, body),
            }
            with lock:
                out.write(json.dumps(row) + "\n")
                out.flush()

        def poll_health() -> None:
            while not stop.is_set():
                get("healthz", "/healthz")
                stop.wait(HEALTH_EVERY)

        threading.Thread(target=poll_health, daemon=True).start()
        # Enough threads that requests waiting on a fault never slow the pace.
        with ThreadPoolExecutor(math.ceil(rate * REQUEST_TIMEOUT)) as pool:
            due = time.monotonic()
            while not stop.is_set():
                kind = rng.choices(kinds, weights)[0]
                pool.submit(get, kind, rng.choice(urls[kind]))
                due += 1 / rate
                stop.wait(max(0.0, due - time.monotonic()))


class Readers:
    """read_pages in a separate process; its records once stopped.

    Stopped by a signal, not a multiprocessing.Event: a process killed while
    waiting on an Event leaves its lock held, and setting it would hang.
    """

    def __init__(self, port: int, urls: dict, rate: float, out_path: Path, seed):
        context = multiprocessing.get_context("spawn")
        self.out_path = out_path
        self.proc = context.Process(
            target=read_pages,
            args=(port, urls, rate, str(out_path), seed),
            daemon=True,
        )

    def start(self) -> None:
        self.proc.start()

    def stop(self) -> list[dict]:
        if self.proc.is_alive():
            self.proc.terminate()
        self.proc.join(REQUEST_TIMEOUT + 5)
        if self.proc.is_alive():
            self.proc.kill()
        if not self.out_path.exists():  # stopped before it began
            return []
        with open(self.out_path) as records:
            return [json.loads(line) for line in records if line.endswith("\n")]


# --- The bench's own part: sweeps, waits --------------------------------------------


class Platform:
    """What the faults act on, and the sweep the bench runs as beat would."""

    def __init__(self, base: Path, server, workers: Workers):
        from website import embedded

        self.redis = embedded.EmbeddedRedis(base)
        self.postgres = embedded.EmbeddedPostgres(base)
        self.server = server
        self.workers = workers
        self.last_sweep = 0.0

    def tick(self) -> None:
        """Sweep once a second; an outage here is the bench's too, so it waits."""
        from django.db import Error, connection
        from kombu.exceptions import KombuError

        from bulletins import sending

        if time.monotonic() - self.last_sweep < 1:
            return
        self.last_sweep = time.monotonic()
        try:
            sending.sweep()
        except (Error, KombuError) as error:
            log(f"  sweep skipped: {type(error).__name__}")
            connection.close()

    def idle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.tick()
            time.sleep(0.1)

    def send_status(self, send_id: int) -> str | None:
        from django.db import Error, connection

        from bulletins.models import Send

        try:
            return Send.objects.filter(pk=send_id).values_list("status", flat=True)[0]
        except Error:
            connection.close()
            return None


# --- The faults -------------------------------------------------------------------


def stop_redis(platform: Platform, down_seconds: float) -> None:
    platform.redis.stop()
    platform.idle(down_seconds)
    platform.redis.start()


def restart_postgres(platform: Platform, _down_seconds: float) -> None:
    platform.postgres.stop()
    platform.postgres.start()


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_web_worker(platform: Platform, _down_seconds: float) -> None:
    workers = psutil.Process(platform.server.pid).children()
    victim = random.choice(workers)  # noqa: S311 - any of them
    kill(victim.pid)
    log(f"  killed gunicorn worker {victim.pid}")


def kill_pool_process(platform: Platform, _down_seconds: float) -> None:
    children = [
        c for c in platform.workers.children() if c.status() != psutil.STATUS_ZOMBIE
    ]
    victim = random.choice(children)  # noqa: S311 - any of them
    kill(victim.pid)
    log(f"  killed Celery pool process {victim.pid}")


def kill_celery_worker(platform: Platform, _down_seconds: float) -> None:
    workers = platform.workers
    for child in workers.children():
        kill(child.pid)
    kill(workers.proc.pid)
    workers.proc.wait()
    log("  killed the whole Celery worker; starting it again")
    workers.start()


FAULTS = {
    "redis_stopped": stop_redis,
    "postgres_restarted": restart_postgres,
    "web_worker_killed": kill_web_worker,
    "celery_pool_killed": kill_pool_process,
    "celery_worker_killed": kill_celery_worker,
}
DEFAULT_FAULTS = "redis_stopped,postgres_restarted,web_worker_killed,celery_pool_killed"


def fault_list(names: str) -> list[str]:
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(FAULTS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"choose faults from {', '.join(FAULTS)} (got {names!r})"
        )
    return chosen


def run_faults(platform, faults, pause: float, down_seconds: float) -> list[dict]:
    """Each fault in turn, ``pause`` seconds apart; when each started and ended."""
    done = []
    for name, act in faults:
        platform.idle(pause)
        log(f"fault: {name}")
        started = time.monotonic()
        act(platform, down_seconds)
        done.append({"name": name, "start": started, "end": time.monotonic()})
        log(f"  over after {done[-1]['end'] - started:.1f}s")
    return done


# --- Reading the records ------------------------------------------------------------


def recovered_at(pages: list[dict], health: list[dict], end: float) -> float | None:
    """When, after ``end``, IN_A_ROW page requests in a row first succeeded and
    /healthz said healthy (the later of the two), or None if they never did."""
    first, in_a_row, pages_at = None, 0, None
    for row in pages:
        if row["t0"] < end:
            continue
        if row["outcome"] != "ok":
            in_a_row = 0
            continue
        in_a_row += 1
        first = row["t0"] if in_a_row == 1 else first
        if in_a_row == IN_A_ROW:
            pages_at = first
            break
    healthy_at = next(
        (row["t0"] for row in health if row["t0"] >= end and row["status"] == 200),
        None,
    )
    if pages_at is None or healthy_at is None:
        return None
    return max(pages_at, healthy_at)


def analyse(records: list[dict], faults: list[dict]) -> dict:
    """Errors inside and outside the faults' windows, and each recovery."""
    records.sort(key=lambda row: row["t0"])
    pages = [row for row in records if row["kind"] != "healthz"]
    health = [row for row in records if row["kind"] == "healthz"]
    last = records[-1]["t1"] if records else 0.0
    for fault in faults:
        at = recovered_at(pages, health, fault["end"])
        fault["recovered"] = at is not None
        fault["until"] = at if at is not None else last
        fault["recovery_seconds"] = max(0.0, fault["until"] - fault["end"])

    def in_a_window(row) -> dict | None:
        return next(
            (f for f in faults if row["t0"] <= f["until"] and row["t1"] >= f["start"]),
            None,
        )

    counts = {"during": 0, "after": 0}
    by_outcome: dict[str, int] = {}
    seconds: dict[str, list[float]] = {f["name"]: [] for f in faults}
    seconds["outside"] = []
    for fault in faults:
        fault["errors"] = {}
    for row in pages:
        fault = in_a_window(row)
        seconds[fault["name"] if fault else "outside"].append(row["t1"] - row["t0"])
        if row["outcome"] == "ok":
            continue
        by_outcome[row["outcome"]] = by_outcome.get(row["outcome"], 0) + 1
        if fault is None:
            counts["after"] += 1
            log(f"  error after recovery: {row['status']} {row['url']}")
            continue
        counts["during"] += 1
        fault["errors"][row["outcome"]] = fault["errors"].get(row["outcome"], 0) + 1
        if row["outcome"] == "unfriendly":
            log(f"  unfriendly during {fault['name']}: {row['status']} {row['url']}")
    for fault in faults:
        fault["latency_ms"] = latency_ms(seconds[fault["name"]])
    return {
        "requests": len(pages),
        "healthz_polls": len(health),
        "errors_during_faults": counts["during"],
        "errors_after_recovery": counts["after"],
        "errors_by_outcome": by_outcome,
        "unfriendly_errors": by_outcome.get("unfriendly", 0),
        "recovery_seconds": max(f["recovery_seconds"] for f in faults),
        "all_recovered": all(f["recovered"] for f in faults),
        "latency_outside_faults_ms": latency_ms(seconds["outside"]),
    }


def latency_ms(seconds: list[float]) -> dict:
    """Median, 95th percentile and slowest of page requests, in milliseconds."""
    if not seconds:
        return {}
    return {
        name: round(value * 1000)
        for name, value in (
            ("p50", percentile(seconds, 50)),
            ("p95", percentile(seconds, 95)),
            ("max", max(seconds)),
        )
    }


# --- The bench ----------------------------------------------------------------------


def answering(port: int, urls: dict[str, list[str]]) -> dict[str, list[str]]:
    """The mix without URLs that do not answer well before any fault (the first
    request of each also fills the page cache, as readers would have)."""
    every = [url for kind in urls.values() for url in kind]
    seen = zip(every, statuses(port, every), strict=True)
    bad = {url: status for url, status in seen if not 200 <= status < 400}
    if bad:
        log(f"left out of the mix, answering badly before any fault: {bad}")
    return {
        kind: [u for u in kind_urls if u not in bad] for kind, kind_urls in urls.items()
    }


def keep_logs(base: Path, to: Path) -> None:
    """The servers' and workers' logs and the readers' records, for a post-mortem."""
    to.mkdir(parents=True, exist_ok=True)
    for path in [
        *(base / "log").glob("*.log"),
        base / "worker.log",
        base / "requests.jsonl",
    ]:
        if path.exists():
            shutil.copy(path, to / path.name)
    log(f"logs kept in {to}")


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=20, help="page requests a second")
    parser.add_argument("--pause", type=float, default=8, help="seconds between faults")
    parser.add_argument("--redis-down", type=float, default=5)
    parser.add_argument("--after", type=float, default=20)
    parser.add_argument(
        "--faults",
        type=fault_list,
        default=fault_list(DEFAULT_FAULTS),
        help=f"in order, comma-separated, from: {', '.join(FAULTS)}",
    )
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--smtp-delay-ms", type=int, default=10)
    parser.add_argument("--stale-seconds", type=int, default=15)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--logs", type=Path, help="keep the services' logs here")
    args = parser.parse_args()
    random.seed(args.seed)
    results: dict = {"bench": "faults", "subscribers": args.subscribers}
    with embedded_platform(results) as base:
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.db.models import Count

        from bulletins import sending
        from bulletins.models import Delivery, Send

        settings.DELIVERY_STALE_AFTER_SECONDS = args.stale_seconds
        call_command("seed_demo", verbosity=0)
        lists = seed_subscribers(args.subscribers)
        bulletin = make_bulletin()
        urls = mix_urls(random.Random(args.seed))
        port = free_port()
        environ = {
            **server_environ(base, port, page_cache=True),
            "WEB_CONCURRENCY": "3",
        }
        collectstatic(environ)
        with contextlib.ExitStack() as stack:
            # Undone in reverse: the logs are kept once everything has stopped.
            if args.logs:
                stack.callback(keep_logs, base, args.logs)
            stack.callback(connection.close)
            server = start_server(environ, port, base / "log" / "gunicorn.log")
            stack.callback(stop_server, server)
            sink = Sink(delay_ms=args.smtp_delay_ms)
            stack.callback(sink.stop)
            workers = Workers(base, sink.port, args.concurrency, args.batch)
            stack.callback(workers.stop)
            urls = answering(port, urls)
            results["mix_urls"] = sum(len(v) for v in urls.values())
            workers.start()
            platform = Platform(base, server, workers)
            readers = Readers(port, urls, args.rate, base / "requests.jsonl", args.seed)
            readers.start()
            stack.callback(readers.stop)
            log(f"reading pages at {args.rate:g} a second; sending the bulletin")
            platform.idle(args.pause)
            send_started = time.monotonic()
            send = sending.send_page(bulletin, lists)
            faults = run_faults(
                platform,
                [(name, FAULTS[name]) for name in args.faults],
                args.pause,
                args.redis_down,
            )
            results["send_status_at_last_fault"] = platform.send_status(send.pk)
            deadline = time.monotonic() + args.timeout
            platform.idle(args.after)
            while time.monotonic() < deadline:
                if platform.send_status(send.pk) == Send.Status.SENT:
                    break
                platform.idle(1)
            send_seconds = time.monotonic() - send_started
            records = readers.stop()
            stats = sink.stats()
            send.refresh_from_db()
            delivery_statuses = dict(
                Delivery.objects.filter(send=send)
                .values_list("status")
                .annotate(n=Count("pk"))
            )
    results.update(analyse(records, faults))
    celery_kills = sum(name.startswith("celery_") for name in args.faults)
    results.update(
        {
            "faults": [
                {
                    "name": f["name"],
                    "seconds": round(f["end"] - f["start"], 2),
                    "recovery_seconds": round(f["recovery_seconds"], 2),
                    "recovered": f["recovered"],
                    "errors": f["errors"],
                    "latency_ms": f["latency_ms"],
                }
                for f in faults
            ],
            "recovery_seconds_by_fault": {
                f["name"]: round(f["recovery_seconds"], 2) for f in faults
            },
            "deliveries_missing": args.subscribers - stats["distinct_recipients"],
            "deliveries_duplicated": stats["duplicates"],
            "duplicates_with_new_message_id": stats["duplicates_with_new_message_id"],
            "celery_kills": celery_kills,
            "sends": [
                {
                    "status": send.status,
                    "seconds": round(send_seconds, 1),
                    "messages": stats["messages"],
                    "deliveries": delivery_statuses,
                }
            ],
        }
    )
    results["goals_met"] = {
        "no_errors_after_recovery": results["errors_after_recovery"] == 0,
        "no_unfriendly_errors": results["unfriendly_errors"] == 0,
        "no_deliveries_missing": results["deliveries_missing"] == 0,
        "duplicates_within_kills": results["deliveries_duplicated"] <= celery_kills
        and results["duplicates_with_new_message_id"] == 0,
        "recovery_under_30s": results["all_recovered"]
        and results["recovery_seconds"] < RECOVERY_GOAL_SECONDS,
    }
    return rounded(results)


if __name__ == "__main__":
    # Stopped by SIGTERM (timeout, a CI runner), stop what it started, as on Ctrl-C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(json.dumps(main()))
