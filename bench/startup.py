"""Cold and warm start of the embedded platform, and the home page's speed.

Run after ``make test``'s install: ``.venv/bin/python bench/startup.py``.
Starts its own embedded PostgreSQL and Redis in a temporary directory (so it
measures a true cold start), migrates, loads demo content, then times the home
page, /healthz and a standard page through Django's test client. Progress goes
to stderr; the last line of stdout is one JSON object.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> dict:
    base = Path(tempfile.mkdtemp(prefix="cdrb-", dir="/tmp"))
    os.environ["CDR_VAR_DIR"] = str(base)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.dev"
    os.environ["DJANGO_DEBUG"] = "false"

    from website import embedded

    pg = embedded.EmbeddedPostgres(base)
    redis = embedded.EmbeddedRedis(base)
    results: dict = {"bench": "startup", "requests_per_url": REQUESTS}
    try:
        _, results["postgres_cold_start_s"] = timed(pg.start)
        log(f"postgres cold start: {results['postgres_cold_start_s']:.2f}s")
        _, results["redis_start_s"] = timed(redis.start)
        pg.stop()
        _, results["postgres_warm_start_s"] = timed(pg.start)
        log(f"postgres warm start: {results['postgres_warm_start_s']:.2f}s")

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        _, results["migrate_s"] = timed(lambda: call_command("migrate", verbosity=0))
        log(f"migrate: {results['migrate_s']:.2f}s")
        _, results["seed_demo_s"] = timed(
            lambda: call_command("seed_demo", verbosity=0)
        )
        _, results["seed_demo_again_s"] = timed(
            lambda: call_command("seed_demo", verbosity=0)
        )
        client = Client()
        for url, key in (
            ("/", "home"),
            ("/about/", "standard_page"),
            ("/healthz", "healthz"),
        ):
            client.get(url)  # warm caches
            with CaptureQueriesContext(connection) as queries:
                status = client.get(url).status_code
            query_count = len(queries)
            assert status == 200, (url, status)
            samples = []
            for _ in range(REQUESTS):
                started = time.perf_counter()
                client.get(url)
                samples.append((time.perf_counter() - started) * 1000)
            results[f"{key}_queries"] = query_count
            results[f"{key}_median_ms"] = round(statistics.median(samples), 2)
            results[f"{key}_p95_ms"] = round(percentile(samples, 95), 2)
            log(
                f"{url}: median {results[f'{key}_median_ms']} ms, "
                f"p95 {results[f'{key}_p95_ms']} ms, "
                f"{results[f'{key}_queries']} queries"
            )
        connection.close()
    finally:
        _, results["stop_s"] = timed(lambda: (redis.stop(), pg.stop()))
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    for key, value in results.items():
        if isinstance(value, float):
            results[key] = round(value, 3)
    return results


if __name__ == "__main__":
    print(json.dumps(main()))
