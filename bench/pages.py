"""Public pages under load: the production server, with and without the page cache.

``.venv/bin/python bench/pages.py --seconds 30 --concurrency 32``: a fresh embedded
platform (PostgreSQL, Redis), the demo content plus ``--pages`` extra pages
(safety messages, bulletins, QI packs and learning resources, each a copy of a
demo page of its type with its own title, summary, themes and audiences and a
copy of its live revision, written with COPY and INSERT ... SELECT), the search
index, ``collectstatic``; then
gunicorn started with ``gunicorn.conf.py`` on the production settings, and a
separate load generator process (wrk with bench/wrk_mix.lua when Debian's wrk
is installed, else locust headless with bench/locustfile.py; set
``BENCH_LOAD_GENERATOR=locust`` to choose it) driving a weighted mix of home,
listings with filters, safety messages, QI packs, bulletins, learning pages,
webinars and searches.

Runs:

1. cached: every URL of the mix requested once (the cache warm), then
   ``--concurrency`` users for ``--seconds``;
2. uncached: gunicorn restarted with ``PAGE_CACHE=false``, 8 users.

Progress on stderr; the last line of stdout is one JSON object with
``requests, rps, p50_ms, p95_ms, p99_ms, errors`` (cached run),
``rps_uncached, p95_uncached_ms`` and extras (workers, server, hit ratio, p95 by
kind of page).

Where the time goes (2-core build machine, 23 November 2026, measured by calling
the WSGI application in-process): a cache hit costs 0.8-0.95 ms in Python, most
of it two Redis round trips (the page, the page-view count); gunicorn adds about
as much again, and wrk about 0.1 ms of CPU per request on the same two cores.
Before search pages were kept by the page cache, the 2% of searches (about 17 ms
each) used about a third of a cached run's CPU and set its tail: the same server
gave p95 50 ms without them and 113 ms with them. Uncached, after routes, sites,
breadcrumb trails, tags and listing counts were kept between changes
(website/routing.py, website/listing.py): 20-45 ms a page, of which templates
are about half; 4-15 queries (17-27 before).

24 November 2026: in gunicorn a hit costs about 1.8 ms of CPU under load (1.56 ms
with one worker and one user), of which Django and Redis are 0.65 ms; wrk's 32
connections had gathered 16 on one worker until gunicorn.conf.py capped each
worker's connections. One thread serving one user at a time, uncached: home
46 ms, safety message listing 51, message 22, QI pack 38, bulletin 30, learning
25, webinars 36, search 14; 32 ms over the mix. Redis round trips per uncached
page, once generation tokens were read once a request: 5-9 (6-12 before).

24 November 2026, night (a quicker machine): uncached, gunicorn spent about 22
ms of CPU a page and PostgreSQL 3 ms in the first 20 seconds after a start, 17
and 2.5 ms in the next 20 (the same server, the same mix), so the uncached run
now warms with every URL, as the cached run does. In-process, over the mix: SQL
compilation and model loading about a third of a page (py-spy), the template
engine itself, PostgreSQL and Redis (client and waiting) about a tenth each.
Pages are now kept as their own type per live revision (one small query instead
of the page's own; the extra pages here carry a copy of a live revision for it),
and the home page's featured and latest pages, a bulletin's linked pages and the
QI packs and webinars linking to a page with the routes. Before and after, one
full run each: uncached 85/s, p95 163 ms; 140/s, p95 108 ms (cached about
1,930/s, p95 33 ms, both). Layouts of 2 or 3 workers of 1-2 threads were within
the noise of 5 of 4 (alternating 20-second runs differed by a fifth with no
change).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import runpy
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from _common import ROOT, embedded_platform, log, rounded
from _web import (
    MIX,
    VENV_BIN,
    collectstatic,
    free_port,
    mix_urls,
    server_environ,
    start_server,
    stop_server,
    warm,
)

UNCACHED_CONCURRENCY = 8
# wrk (Debian's package: apt-get install wrk) costs the shared cores far less
# than locust, so more of them serve pages; locust is the fallback.
WRK = os.environ.get("BENCH_LOAD_GENERATOR", "wrk") == "wrk" and shutil.which("wrk")
# Extra pages by type: (model, parent index model, share of --pages).
EXTRA = [
    ("learning.SafetyMessagePage", "learning.SafetyMessageIndexPage", 0.5),
    ("bulletins.BulletinPage", "bulletins.BulletinIndexPage", 0.2),
    ("qipacks.QIPackPage", "qipacks.QIPackIndexPage", 0.1),
    ("learning.LearningResourcePage", "learning.LearningIndexPage", 0.2),
]
# Child rows copied from the demo page to each extra page: (model, its page key).
CHILD_ROWS = {"qipacks.QIPackPage": [("qipacks.Recommendation", "pack")]}


# --- Seeding ------------------------------------------------------------------------


def _base36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, rest = divmod(n, 36)
        out = digits[rest] + out
    return out or "0"


def _columns(model, leave_out=()) -> list[str]:
    return [
        f.column for f in model._meta.local_concrete_fields if f.column not in leave_out
    ]


def _quoted(columns, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f'{prefix}"{column}"' for column in columns)


def _copy_rows(cursor, model, ids: list[int], template_id: int, fk: str) -> None:
    """Copy ``model``'s rows of the template page (``fk`` = template_id) once for
    each of ``ids``, every column but the key and ``fk`` kept as they are."""
    columns = _columns(model, ("id", fk))
    table = model._meta.db_table
    cursor.execute(
        f'INSERT INTO "{table}" ("{fk}", {_quoted(columns)}) '  # noqa: S608 - model metadata
        f"SELECT n.id, {_quoted(columns, 't')} "
        f'FROM "{table}" t, unnest(%s::bigint[]) AS n(id) WHERE t."{fk}" = %s',
        [ids, template_id],
    )


def _add_pages(model_label: str, parent_label: str, count: int, rng) -> list[int]:
    """``count`` live copies of the first demo page of a type, under its index,
    each with its own title, summary, theme and two audiences."""
    from django.apps import apps
    from django.db import connection
    from wagtail.models import Page

    from website.models import Audience, PageAudience, PageTheme, Theme

    model = apps.get_model(model_label)
    parent = apps.get_model(parent_label).objects.get(locale__language_code="en-gb")
    template = model.objects.child_of(parent).live().first()
    last = parent.get_last_child()
    first_step = int(last.path[-4:], 36) + 1 if last else 1
    words = template.title.split() + ["review", "learning", "family", "practice"]
    rows = []
    for n in range(count):
        title = f"{' '.join(rng.sample(words, min(4, len(words)))).capitalize()} {n}"
        slug = f"bench-{model._meta.model_name}-{n}"
        rows.append((parent.path + _base36(first_step + n).rjust(4, "0"), title, slug))
    stamp = "2026-01-15 09:00:00+00"
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY wagtailcore_page (path, depth, numchild, title, slug, live, "
            "has_unpublished_changes, url_path, seo_title, show_in_menus, "
            "search_description, expired, content_type_id, locked, draft_title, "
            "translation_key, locale_id, first_published_at, last_published_at) "
            "FROM STDIN"
        ) as copy:
            for path, title, slug in rows:
                copy.write_row(
                    (path, parent.depth + 1, 0, title, slug, True, False,
                     f"{parent.url_path}{slug}/", "", False, "", False,
                     template.content_type_id, False, title, str(uuid.uuid4()),
                     parent.locale_id, stamp, stamp)
                )  # fmt: skip
        cursor.execute(
            "SELECT id FROM wagtailcore_page WHERE path = ANY(%s) ORDER BY path",
            [[row[0] for row in rows]],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        _copy_rows(cursor, model, ids, template.pk, "page_ptr_id")
        cursor.execute(
            f'UPDATE "{model._meta.db_table}" '  # noqa: S608 - model metadata
            "SET summary = summary || ' (' || page_ptr_id || ')' "
            "WHERE page_ptr_id = ANY(%s)",
            [ids],
        )
        for child_label, key in CHILD_ROWS.get(model_label, []):
            child = apps.get_model(child_label)
            fk = child._meta.get_field(key).column
            _copy_rows(cursor, child, ids, template.pk, fk)
        if template.live_revision_id:
            # A live revision each, as every page published in Wagtail has (the
            # template's copied): routing keeps pages per live revision.
            cursor.execute(
                "WITH r AS (INSERT INTO wagtailcore_revision (content_type_id, "
                "base_content_type_id, object_id, created_at, user_id, object_str, "
                "content, approved_go_live_at) SELECT t.content_type_id, "
                "t.base_content_type_id, n.id::text, t.created_at, t.user_id, "
                "t.object_str, t.content, t.approved_go_live_at "
                "FROM wagtailcore_revision t, unnest(%s::bigint[]) AS n(id) "
                "WHERE t.id = %s RETURNING id, object_id) "
                "UPDATE wagtailcore_page p SET live_revision_id = r.id, "
                "latest_revision_id = r.id FROM r WHERE p.id = r.object_id::bigint",
                [ids, template.live_revision_id],
            )
    Page.objects.filter(pk=parent.pk).update(numchild=parent.numchild + count)
    themes, audiences = list(Theme.objects.all()), list(Audience.objects.all())
    PageTheme.objects.bulk_create(
        [PageTheme(content_object_id=pk, tag=rng.choice(themes)) for pk in ids],
        batch_size=2000,
    )
    PageAudience.objects.bulk_create(
        [
            PageAudience(content_object_id=pk, tag=tag)
            for pk in ids
            for tag in rng.sample(audiences, 2)
        ],
        batch_size=2000,
    )
    return ids


def _first_bulletin() -> None:
    """The demo has no bulletin issue yet: an archive with one, pulling in pages."""
    import datetime as dt

    from bulletins.models import BulletinIndexPage, BulletinPage
    from learning.models import SafetyMessagePage
    from qipacks.models import QIPackPage
    from website.models import HomePage

    home = HomePage.objects.get(locale__language_code="en-gb")
    index = home.add_child(
        instance=BulletinIndexPage(title="Bulletins", slug="bulletins")
    )
    items = [
        ("page_item", {"page": page, "summary": ""})
        for page in [
            *SafetyMessagePage.objects.live()[:3],
            *QIPackPage.objects.live()[:1],
        ]
    ]
    bulletin = index.add_child(
        instance=BulletinPage(
            title="Learning bulletin",
            slug="learning-bulletin-1",
            summary="New safety messages and a QI pack.",
            issue_number=1,
            issue_date=dt.date(2026, 11, 1),
            intro="Welcome to this month's bulletin.",
            sections=[("section", {"heading": "New this month", "items": items})],
        )
    )
    bulletin.save_revision().publish()


def seed(pages: int, rng) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from search.indexing import reindex

    started = time.perf_counter()
    call_command("seed_demo", verbosity=0)
    _first_bulletin()
    log(f"demo content: {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    counts = [round(pages * share) for _, _, share in EXTRA]
    counts[-1] = pages - sum(counts[:-1])
    for (model_label, parent_label, _), count in zip(EXTRA, counts, strict=True):
        _add_pages(model_label, parent_label, count, rng)
        log(f"added {count} {model_label}")
    seed_s = time.perf_counter() - started
    started = time.perf_counter()
    indexed = reindex()
    log(f"search index: {indexed} in {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"extra_pages": pages, "seed_extra_s": seed_s}


# --- The server and the load ------------------------------------------------------


def run_load(port: int, users: int, seconds: int, urls: dict, work: Path, name: str):
    """One load run in a process of its own (wrk when installed, else locust):
    its figures, its count of cache hits, and the CPU seconds the load generator
    used (the machine's, not the server's)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if WRK:
        figures = _run_wrk(port, users, seconds, urls, work)
    else:
        figures = _run_locust(port, users, seconds, urls, work, name)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["generator_cpu_s"] = (after.ru_utime + after.ru_stime) - (
        before.ru_utime + before.ru_stime
    )
    return figures


def _lua(value) -> str:
    """A Lua literal for JSON-shaped ``value`` (the URLs are ASCII, percent-encoded)."""
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    return json.dumps(value)


def _run_wrk(port: int, users: int, seconds: int, urls: dict, work: Path) -> dict:
    urls_file = work / "urls.lua"
    urls_file.write_text("return " + _lua({"urls": urls, "weights": MIX}) + "\n")
    done = subprocess.run(
        [
            WRK, "-t", str(min(users, os.cpu_count() or 1)), "-c", str(users),
            "-d", f"{seconds}s", "--timeout", "10s",
            "-s", str(ROOT / "bench" / "wrk_mix.lua"),
            f"http://127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env={**os.environ, "BENCH_URLS_LUA": str(urls_file)},
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    out = json.loads(line.removeprefix("BENCH "))
    return {
        "requests": out["requests"],
        "rps": out["requests"] / out["seconds"],
        "p50_ms": out["p50_ms"],
        "p95_ms": out["p95_ms"],
        "p99_ms": out["p99_ms"],
        "errors": out["status_errors"] + out["socket_errors"],
        "p95_by_kind_ms": None,  # wrk keeps one latency histogram per run
        "hit_ratio": out["hits"] / max(1, out["pages"]),
        "generator": "wrk",
    }


def _run_locust(port, users, seconds, urls: dict, work: Path, name: str) -> dict:
    urls_file = work / "urls.json"
    urls_file.write_text(json.dumps({"urls": urls, "weights": MIX}))
    stats_file = work / f"{name}-cache.json"
    prefix = work / name
    subprocess.run(
        [
            str(VENV_BIN / "locust"),
            "-f", str(ROOT / "bench" / "locustfile.py"),
            "--headless", "--only-summary",
            "-u", str(users), "-r", str(users),
            "-t", f"{seconds}s",
            "-H", f"http://127.0.0.1:{port}",
            "--csv", str(prefix),
            "--loglevel", "WARNING",
            "--exit-code-on-error", "0",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "BENCH_URLS": str(urls_file),
            "BENCH_CACHE_STATS": str(stats_file),
        },
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv") as fh:
        rows = {row["Name"]: row for row in csv.DictReader(fh)}
    hits = json.loads(stats_file.read_text())
    total = rows.pop("Aggregated")
    return {
        "requests": int(total["Request Count"]),
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "errors": int(total["Failure Count"]),
        "p95_by_kind_ms": {kind: float(row["95%"]) for kind, row in rows.items()},
        "hit_ratio": hits["hits"] / max(1, hits["pages"]),
        "generator": "locust",
    }


def measure(base, port, urls, *, page_cache: bool, users: int, seconds: int) -> dict:
    """Start gunicorn, warm it, run the load; the figures of that run."""
    name = "cached" if page_cache else "uncached"
    server = start_server(
        server_environ(base, port, page_cache), port, base / "log" / f"{name}.log"
    )
    try:
        # Every URL once. Cached: so the cache holds the mix. Uncached: so every
        # worker has compiled its templates, connected, and filled its own and
        # PostgreSQL's per-connection caches, as a server that has been up a while
        # has: after a few of each kind only, the first 20 seconds cost about a
        # fifth more CPU a page than the next 20 (1 worker: 18.4 then 16.2 ms).
        warm_urls = [url for kind in urls.values() for url in kind]
        started = time.perf_counter()
        statuses = warm(port, warm_urls)
        log(f"warmed {len(warm_urls)} URLs in {time.perf_counter() - started:.0f}s")
        load = os.getloadavg()[0]
        log(f"{name} run: {users} users, {seconds}s (load average {load:.1f})")
        figures = run_load(port, users, seconds, urls, base, name)
    finally:
        stop_server(server)
    return {**figures, "warm_statuses": statuses, "load_average_before": load}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    results: dict = {
        "bench": "pages",
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "concurrency_uncached": UNCACHED_CONCURRENCY,
        "workers": config["workers"],
        "server": f"gunicorn {config['worker_class']}"
        + (f", {config['threads']} threads" if config["threads"] > 1 else ""),
        "mix": MIX,
    }
    with embedded_platform(results) as base:
        results.update(seed(args.pages, rng))
        urls = mix_urls(rng)
        results["mix_urls"] = sum(len(v) for v in urls.values())
        port = free_port()
        collectstatic(server_environ(base, port, page_cache=True))

        cached = measure(
            base, port, urls, page_cache=True, users=args.concurrency,
            seconds=args.seconds,
        )  # fmt: skip
        log(json.dumps(cached))
        # Issue 9: what counting a page view adds to a request, on this
        # platform's Redis (bench/pageviews.py says how it is measured).
        from pageviews import measure_overhead

        results.update(measure_overhead(5000))
        uncached = measure(
            base, port, urls, page_cache=False, users=UNCACHED_CONCURRENCY,
            seconds=args.seconds,
        )  # fmt: skip
        log(json.dumps(uncached))
    for key in ("requests", "rps", "p50_ms", "p95_ms", "p99_ms", "errors"):
        results[key] = cached[key]
        # The issue's names: rps_uncached, p95_uncached_ms...
        stem, ms, _ = key.partition("_ms")
        results[f"{stem}_uncached{ms}"] = uncached[key]
    results["p95_by_kind_ms"] = cached["p95_by_kind_ms"]
    results["cached_hit_ratio"] = cached["hit_ratio"]
    results["p95_uncached_by_kind_ms"] = uncached["p95_by_kind_ms"]
    results["load_generator"] = cached["generator"]
    for key in ("warm_statuses", "load_average_before", "generator_cpu_s"):
        results[key] = {"cached": cached[key], "uncached": uncached[key]}
    results["goals_met"] = {
        "cached_1000_rps": results["rps"] >= 1000,
        "cached_p95_under_50ms": results["p95_ms"] < 50,
        "uncached_p95_under_150ms": results["p95_uncached_ms"] < 150,
        "no_errors": results["errors"] == 0 and results["errors_uncached"] == 0,
    }
    return rounded(results)


if __name__ == "__main__":
    print(json.dumps(main()))
