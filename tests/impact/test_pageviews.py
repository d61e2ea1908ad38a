"""Page views: counted in real Redis as pages are served (cached too), moved into
the table exactly once, through repeats, overlaps and a killed worker."""

from __future__ import annotations

import datetime
import os
import signal
from pathlib import Path

import psutil
import pytest
from celery import Celery
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from impact import pageviews
from impact.models import PageViewBatch, PageViewDaily
from tests.conftest import _database_url, start_worker, stop_worker, wait_for
from tests.factories import StandardPageFactory, UserFactory
from website import embedded

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def page(site):
    page = StandardPageFactory(parent=site, title="Water safety", slug="water")
    page.save_revision().publish()
    return page


def today_counts(client) -> dict[str, int]:
    key = pageviews.day_key(timezone.localdate())
    return {k.decode(): int(v) for k, v in client.hgetall(key).items()}


def field(page) -> str:
    return f"{page.pk}:website.standardpage"


# --- Counting -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_view_is_one_counter_in_redis_and_nothing_else(client, page, counters):
    response = client.get(page.url, HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 200
    assert response["X-Page-Id"] == str(page.pk)
    assert response["X-Page-Type"] == "website.standardpage"
    client.get(page.url, HTTP_USER_AGENT=FIREFOX)
    assert today_counts(counters) == {field(page): 2}
    # Nothing about the reader: one key, named by the date; no table rows yet.
    assert [k.decode() for k in counters.keys("*")] == [
        pageviews.day_key(timezone.localdate())
    ]
    assert not PageViewDaily.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp)",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0 Safari/537.36",
        "UptimeRobot/2.0",
        "",
    ],
)
def test_robots_are_not_counted(client, page, counters, user_agent):
    assert client.get(page.url, HTTP_USER_AGENT=user_agent).status_code == 200
    assert today_counts(counters) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", [("Sec-Purpose", "prefetch"), ("Sec-Purpose", "prefetch;prerender")]
)
def test_prefetches_and_head_requests_are_not_counted(client, page, counters, header):
    name, value = header
    headers = {"HTTP_" + name.upper().replace("-", "_"): value}
    assert client.get(page.url, HTTP_USER_AGENT=FIREFOX, **headers).status_code == 200
    assert client.head(page.url, HTTP_USER_AGENT=FIREFOX).status_code == 200
    assert today_counts(counters) == {}


@pytest.mark.django_db
def test_previews_admin_pages_and_missing_pages_are_not_counted(client, page, counters):
    client.force_login(UserFactory(is_superuser=True))
    draft = client.get(f"/admin/pages/{page.pk}/view_draft/", HTTP_USER_AGENT=FIREFOX)
    assert draft.status_code == 200
    assert "X-Page-Id" not in draft
    assert client.get("/admin/", HTTP_USER_AGENT=FIREFOX).status_code == 200
    assert client.get("/no-such-page/", HTTP_USER_AGENT=FIREFOX).status_code == 404
    assert today_counts(counters) == {}


@pytest.mark.django_db
def test_pages_served_from_the_page_cache_are_counted(client, page, counters, settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    try:
        first = client.get(page.url, HTTP_USER_AGENT=FIREFOX)
        second = client.get(page.url, HTTP_USER_AGENT=FIREFOX)
    finally:
        cache.clear()
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second["X-Page-Id"] == str(page.pk)
    assert today_counts(counters) == {field(page): 2}


@pytest.mark.django_db
def test_pages_are_served_uncounted_when_redis_is_down(client, page, settings):
    settings.VAR_DIR = Path("/nonexistent-h5")  # no embedded Redis there
    response = client.get(page.url, HTTP_USER_AGENT=FIREFOX)
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_django_cache_redis_is_used_when_the_cache_is_redis(client, page, settings):
    import redis

    location = embedded.redis_url(7, settings.VAR_DIR)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
        }
    }
    other = redis.Redis.from_url(location)
    other.flushdb()
    try:
        client.get(page.url, HTTP_USER_AGENT=FIREFOX)
        key = pageviews.day_key(timezone.localdate())
        assert other.hgetall(key) == {field(page).encode(): b"1"}
    finally:
        other.flushdb()


# --- Moving counts into the table -----------------------------------------------------


def put(client, day: datetime.date, page, views: int) -> None:
    client.hincrby(pageviews.day_key(day), field(page), views)


def table(day: datetime.date | None = None) -> dict:
    rows = PageViewDaily.objects.all()
    if day:
        rows = rows.filter(day=day)
    return {
        (row.day, row.page_id, row.content_type.model): row.views
        for row in rows.select_related("content_type")
    }


@pytest.mark.django_db
def test_flush_moves_each_day_into_the_table_and_a_repeat_adds_nothing(page, counters):
    day1, day2 = datetime.date(2025, 1, 10), datetime.date(2025, 1, 11)
    put(counters, day1, page, 3)
    put(counters, day2, page, 4)
    result = pageviews.flush()
    assert (result.batches, result.views, result.repeats) == (2, 7, 0)
    assert table() == {
        (day1, page.pk, "standardpage"): 3,
        (day2, page.pk, "standardpage"): 4,
    }
    assert counters.keys("*") == []
    assert pageviews.flush().batches == 0
    put(counters, day1, page, 2)  # later views the same day add to the row
    pageviews.flush()
    assert table(day1) == {(day1, page.pk, "standardpage"): 5}


@pytest.mark.django_db
def test_a_deleted_page_keeps_its_views_and_unknown_fields_are_dropped(page, counters):
    day = datetime.date(2025, 2, 1)
    put(counters, day, page, 2)
    counters.hincrby(pageviews.day_key(day), "12:nosuchapp.nosuchmodel", 9)
    page_id = page.pk
    page.delete()
    pageviews.flush()
    assert table() == {(day, None, "standardpage"): 2}
    assert page_id not in PageViewDaily.objects.values_list("page_id", flat=True)


@pytest.mark.django_db
def test_a_run_that_died_after_renaming_leaves_batches_the_next_run_adds(
    page, counters
):
    day = datetime.date(2025, 3, 1)
    put(counters, day, page, 6)
    # What a run does first, before it died: the day's hash renamed to a batch.
    counters.rename(pageviews.day_key(day), f"{pageviews.BATCH_PREFIX}{day}:dead")
    put(counters, day, page, 1)  # counted after the rename
    result = pageviews.flush()
    assert (result.batches, result.views) == (2, 7)
    assert table() == {(day, page.pk, "standardpage"): 7}


@pytest.mark.django_db
def test_a_run_that_died_after_adding_leaves_a_batch_the_next_run_only_deletes(
    page, counters
):
    day = datetime.date(2025, 3, 2)
    batch = f"{pageviews.BATCH_PREFIX}{day}:dead"
    counters.hincrby(batch, field(page), 5)
    # What the run did before it died: added the batch (committed), not deleted it.
    assert pageviews.add_batch(batch, counters.hgetall(batch)) == 5
    result = pageviews.flush()
    assert (result.batches, result.repeats) == (0, 1)
    assert table() == {(day, page.pk, "standardpage"): 5}
    assert counters.keys("*") == []


@pytest.mark.django_db
def test_old_ledger_entries_are_pruned(page, counters):
    old = PageViewBatch.objects.create(key="impact:pageviews:batch:2020-01-01:x")
    PageViewBatch.objects.filter(pk=old.pk).update(
        added_at=timezone.now() - datetime.timedelta(days=8)
    )
    recent = PageViewBatch.objects.create(key="impact:pageviews:batch:2020-01-02:x")
    pageviews.flush()
    assert list(PageViewBatch.objects.values_list("pk", flat=True)) == [recent.pk]


# --- With the real worker -------------------------------------------------------------


@pytest.mark.celery_worker
def test_the_worker_and_a_second_run_at_once_add_every_view_once(
    celery_worker_process, transactional_db, counters
):
    """The beat task on the real worker and another run in this process, at the
    same time, over the same counters: each view lands in the table once."""
    from tests.factories import HomePageFactory, ensure_site, ensure_wagtail_tree
    from website.celery import app

    ensure_wagtail_tree()
    home = ensure_site(HomePageFactory.build_home())
    page = StandardPageFactory(parent=home, slug="counted")
    days = [datetime.date(2024, 1, 1) + datetime.timedelta(n) for n in range(300)]
    for n, day in enumerate(days):
        put(counters, day, page, n + 1)
    app.send_task("impact.flush_page_views", queue="periodic")
    pageviews.flush()
    wait_for(lambda: not counters.keys("*"), timeout=60)
    wait_for(
        lambda: (
            PageViewBatch.objects.count() >= len(days)
            and PageViewDaily.objects.aggregate(n=Sum("views"))["n"] == 300 * 301 // 2
        ),
        timeout=60,
    )
    assert PageViewDaily.objects.count() == len(days)
    for n, day in enumerate(days):
        assert table(day) == {(day, page.pk, "standardpage"): n + 1}


KILL_DAYS = 1500


@pytest.fixture
def kill_worker(transactional_db):
    broker = embedded.celery_broker_url(6, settings.VAR_DIR)
    app = Celery(broker=broker, set_as_current=False)
    app.control.purge()
    log = Path(settings.VAR_DIR) / "log" / "celery-impact-kill-worker.log"
    proc = start_worker(
        name="impact-kill",
        broker_url=broker,
        email_url="smtp://127.0.0.1:9",
        database_url=_database_url(),
        log_path=log,
        worker_args=["-Q", "periodic", "-P", "prefork", "-c", "1"],
    )
    yield app, proc, log
    stop_worker(proc)


@pytest.mark.celery_worker
def test_a_worker_killed_mid_flush_loses_and_repeats_nothing(kill_worker, counters):
    from tests.factories import HomePageFactory, ensure_site, ensure_wagtail_tree

    app, worker, log = kill_worker
    ensure_wagtail_tree()
    home = ensure_site(HomePageFactory.build_home())
    page = StandardPageFactory(parent=home, slug="counted")
    days = [datetime.date(2020, 1, 1) + datetime.timedelta(n) for n in range(KILL_DAYS)]
    for n, day in enumerate(days):
        put(counters, day, page, n % 7 + 1)
    app.send_task("impact.flush_page_views", queue="periodic")

    wait_for(lambda: PageViewBatch.objects.count() >= 100, timeout=60, interval=0.02)
    [pool_process] = psutil.Process(worker.pid).children()
    os.kill(pool_process.pid, signal.SIGKILL)
    at_kill = PageViewBatch.objects.count()
    assert at_kill < KILL_DAYS, "the kill came after the flush had finished"

    wait_for(lambda: not counters.keys("*"), timeout=120)
    expected = sum(n % 7 + 1 for n in range(KILL_DAYS))
    wait_for(
        lambda: PageViewDaily.objects.aggregate(n=Sum("views"))["n"] == expected,
        timeout=30,
    )
    assert PageViewDaily.objects.count() == KILL_DAYS
    views = dict(PageViewDaily.objects.values_list("day", "views"))
    assert views == {day: n % 7 + 1 for n, day in enumerate(days)}
    text = log.read_text()
    assert "exited with 'signal 9 (SIGKILL)'" in text
    assert text.count("Task impact.flush_page_views[") >= 2
