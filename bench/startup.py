"""Cold and warm start of the embedded platform, and the home page's speed.

Run after ``make test``'s install: ``.venv/bin/python bench/startup.py``.
Starts its own embedded PostgreSQL and Redis in a temporary directory (so it
measures a true cold start), migrates, loads demo content, then times the home
page, /healthz and a standard page through Django's test client. Progress goes
to stderr; the last line of stdout is one JSON object.
"""

import json
import os

from _common import embedded_platform, measure, rounded, timed

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def main() -> dict:
    results: dict = {"bench": "startup", "requests_per_url": REQUESTS}
    with embedded_platform(results):
        from django.core.management import call_command
        from django.test import Client

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
            measure(client, url, REQUESTS, key, results)
    return rounded(results)


if __name__ == "__main__":
    print(json.dumps(main()))
