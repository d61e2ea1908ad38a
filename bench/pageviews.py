"""What counting page views adds to a request: ``pageview_overhead_ms``.

``.venv/bin/python bench/pageviews.py`` (BENCH_REQUESTS=20000 by default): a
throwaway embedded Redis (the counters' home without a Redis cache), Django on
the dev settings, then the same labelled page response passed out through
``impact.middleware.PageViewMiddleware`` and through nothing, in alternating
rounds, as a browser's GET. The overhead is the difference per request (the
median of the rounds' means, and the worst round). It also checks that every
request was really counted (a Redis outage would look cheap: a count that fails
is skipped). Progress on stderr; the last line of stdout is one JSON object.

bench/pages.py can fold it in once its platform is up (the same settings and
Redis): ``from pageviews import measure_overhead`` then
``results.update(measure_overhead(5000))``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import log, rounded

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20000"))
ROUNDS = 20
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def measure_overhead(requests: int = REQUESTS, rounds: int = ROUNDS) -> dict:
    """Time the middleware against no middleware on the same request; needs
    Django set up and the counters' Redis reachable."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils import timezone

    from impact import pageviews
    from impact.middleware import PageViewMiddleware

    response = HttpResponse("<p>A page</p>")
    response[pageviews.PAGE_ID_HEADER] = "999999"
    response[pageviews.PAGE_TYPE_HEADER] = "website.standardpage"
    request = RequestFactory().get("/a-page/", HTTP_USER_AGENT=FIREFOX)

    def get_response(_request):
        return response

    bare, counted = get_response, PageViewMiddleware(get_response)
    client = pageviews.redis_client()
    key = pageviews.day_key(timezone.localdate())
    field = "999999:website.standardpage"
    client.hdel(key, field)
    per_round = max(1, requests // rounds)
    for _ in range(200):  # warm: the connection, the code paths
        bare(request)
        counted(request)
    client.hdel(key, field)
    overheads = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(per_round):
            bare(request)
        without = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(per_round):
            counted(request)
        with_counting = time.perf_counter() - started
        overheads.append((with_counting - without) * 1000 / per_round)
    total = int(client.hget(key, field) or 0)
    client.hdel(key, field)
    expected = per_round * rounds
    if total != expected:
        raise SystemExit(f"Counted {total} views of {expected}: is Redis reachable?")
    result = {
        "pageview_requests": expected,
        "pageview_overhead_ms": round(statistics.median(overheads), 4),
        "pageview_overhead_worst_round_ms": round(max(overheads), 4),
    }
    log(
        f"page-view counting: {result['pageview_overhead_ms']} ms a request "
        f"(worst round {result['pageview_overhead_worst_round_ms']} ms), "
        f"{expected} views counted"
    )
    return result


def main() -> dict:
    base = Path(tempfile.mkdtemp(prefix="cdrpv-", dir="/tmp"))
    os.environ["CDR_VAR_DIR"] = str(base)
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.dev"
    os.environ["DJANGO_DEBUG"] = "false"
    from website import embedded

    redis = embedded.EmbeddedRedis(base)
    try:
        redis.start()
        import django

        django.setup()
        return rounded({"bench": "pageviews", **measure_overhead()})
    finally:
        redis.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(main()))
