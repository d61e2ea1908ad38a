"""Shared bench plumbing: a throwaway embedded platform and a request timer."""

import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


@contextlib.contextmanager
def embedded_platform(results: dict, migrate: bool = True):
    """Fresh embedded PostgreSQL and Redis in a temp dir, Django set up, migrated.

    Records start, migrate and stop times in ``results``.
    """
    base = Path(tempfile.mkdtemp(prefix="cdrb-", dir="/tmp"))
    os.environ["CDR_VAR_DIR"] = str(base)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.dev"
    os.environ["DJANGO_DEBUG"] = "false"

    from website import embedded

    pg = embedded.EmbeddedPostgres(base)
    redis = embedded.EmbeddedRedis(base)
    try:
        _, results["postgres_cold_start_s"] = timed(pg.start)
        _, results["redis_start_s"] = timed(redis.start)
        log(f"postgres cold start: {results['postgres_cold_start_s']:.2f}s")
        pg.stop()
        _, results["postgres_warm_start_s"] = timed(pg.start)
        import django

        django.setup()
        if migrate:
            from django.core.management import call_command

            _, results["migrate_s"] = timed(
                lambda: call_command("migrate", verbosity=0)
            )
            log(f"migrate: {results['migrate_s']:.2f}s")
        yield base
        from django.db import connection

        connection.close()
    finally:
        _, results["stop_s"] = timed(lambda: (redis.stop(), pg.stop()))
        shutil.rmtree(base, ignore_errors=True)


def measure(client, url: str, requests: int, key: str, results: dict) -> None:
    """Warm, count queries once, then time ``requests`` GETs of ``url``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        status = client.get(url).status_code
    query_count = len(queries)
    assert status == 200, (url, status)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    results[f"{key}_queries"] = query_count
    results[f"{key}_median_ms"] = round(statistics.median(samples), 2)
    results[f"{key}_p95_ms"] = round(percentile(samples, 95), 2)
    log(
        f"{url}: median {results[f'{key}_median_ms']} ms, "
        f"p95 {results[f'{key}_p95_ms']} ms, {query_count} queries"
    )


def rounded(results: dict) -> dict:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}
