"""Readers for bench/pages.py: each picks a kind of page by weight, then a URL of it.

``BENCH_URLS`` names a JSON file ``{"urls": {kind: [url, ...]}, "weights": {kind:
n}}``; requests are grouped by kind in locust's figures. Users wait for nothing
between requests (a closed loop), so the figures are the server's capacity.
Responses carrying ``X-Cache`` (the page cache looked) are counted, hits apart,
and written to ``BENCH_CACHE_STATS`` when locust stops.
"""

import json
import os
import random

from locust import FastHttpUser, constant, events, task

with open(os.environ["BENCH_URLS"]) as _fh:
    _config = json.load(_fh)
URLS: dict[str, list[str]] = _config["urls"]
KINDS = [kind for kind in _config["weights"] if URLS.get(kind)]
WEIGHTS = [_config["weights"][kind] for kind in KINDS]
_cache = {"pages": 0, "hits": 0}


class Reader(FastHttpUser):
    wait_time = constant(0)

    @task
    def read(self):
        kind = random.choices(KINDS, WEIGHTS)[0]  # noqa: S311 - a load mix
        self.client.get(random.choice(URLS[kind]), name=kind)  # noqa: S311


@events.request.add_listener
def count_cache(response=None, **kwargs):
    state = (getattr(response, "headers", None) or {}).get("X-Cache")
    if state:
        _cache["pages"] += 1
        _cache["hits"] += state == "hit"


@events.quitting.add_listener
def write_cache_counts(**kwargs):
    with open(os.environ["BENCH_CACHE_STATS"], "w") as fh:
        json.dump(_cache, fh)
