"""Page views counted as pages are served: a Redis counter now, a table row later.

Serving a page (``wagtail_hooks.mark_page_response``) labels its response with
``X-Page-Id`` and ``X-Page-Type``; the page cache stores those headers with the
page, so a cached copy is labelled too. ``PageViewMiddleware`` sits outside the
page cache and, for each labelled answer worth counting (``countable``), adds one
to a Redis hash: one ``HINCRBY`` per request, no database write. The key is the
UK day, the field the page and its type; nothing about the reader is kept (no
address, cookie, user, session or referrer).

``flush`` (every five minutes, from Celery beat) moves the counters into
``PageViewDaily``, exactly once however it is interrupted or repeated:

1. each day's hash is renamed to a batch key of its own (``RENAME`` is atomic,
   so a view counted a moment later starts a fresh hash);
2. each batch, including any a dead run left behind, is read and added to the
   table in one transaction that also records the batch key in
   ``PageViewBatch`` (unique): a batch already recorded is not added again;
3. only after that commits is the batch key deleted.

A run killed after (1) leaves batches the next run adds; killed after (2), it
leaves a batch the next run finds already recorded and only deletes. Two runs at
once both try to record the same batch; the unique key lets one add it.

Redis is the Django cache's when the cache is Redis (production), else the
embedded Redis (``website.embedded``; development and tests). If Redis cannot be
reached, pages are served uncounted and a warning is logged now and then.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Page

from website import embedded

from .models import PageViewBatch, PageViewDaily

logger = logging.getLogger(__name__)

PAGE_ID_HEADER = "X-Page-Id"
PAGE_TYPE_HEADER = "X-Page-Type"
COUNTER_PREFIX = "impact:pageviews:day:"
BATCH_PREFIX = "impact:pageviews:batch:"
# The embedded Redis database for the counters (0 is Celery's broker).
EMBEDDED_DB = 4
# Recorded batches are kept this long: long enough for any left-over batch key
# to be found and deleted by a later run.
BATCH_LEDGER_DAYS = 7
WARN_EVERY_SECONDS = 60

# User agents that are not people reading: search engines and other crawlers,
# link previews, uptime monitors, command-line tools, HTTP libraries and headless
# browsers. A request with no user agent at all is not counted either.
ROBOTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|monitor|uptime|pingdom|lighthouse|headless"
    r"|preview|facebookexternalhit|curl|wget|python|httpx|java/|go-http-client"
    r"|okhttp|libwww|scrapy|node-fetch|axios",
    re.IGNORECASE,
)
# Browsers say a request is a prefetch or prerender in one of these headers.
PREFETCH_HEADERS = ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")


def is_robot(user_agent: str) -> bool:
    return not user_agent or ROBOTS.search(user_agent) is not None


def is_prefetch(request) -> bool:
    headers = request.headers
    return any(
        "prefetch" in headers.get(name, "").lower()
        or "prerender" in headers.get(name, "").lower()
        for name in PREFETCH_HEADERS
    )


def countable(request, response) -> bool:
    """A page a person asked for: a labelled, successful, plain GET of HTML."""
    return (
        request.method == "GET"
        and response.status_code == 200
        and PAGE_ID_HEADER in response
        and not is_robot(request.headers.get("User-Agent", ""))
        and not is_prefetch(request)
    )


# --- Redis ----------------------------------------------------------------------------

_client = None
_client_for = None
_warned_at = 0.0


def redis_client():
    """The Django cache's Redis client if the cache is Redis, else the embedded one.

    Made once per process (and again if the settings change, as tests do).
    """
    global _client, _client_for
    config = settings.CACHES["default"]
    source = (config["BACKEND"], str(config.get("LOCATION")), str(settings.VAR_DIR))
    if _client is None or _client_for != source:
        _client = _make_client(config["BACKEND"])
        _client_for = source
    return _client


def _make_client(backend: str):
    from django.core.cache.backends.redis import RedisCache
    from django.utils.module_loading import import_string

    # Django's Redis cache, or one built on it (website.cache.RedisCache).
    if issubclass(import_string(backend), RedisCache):
        from django.core.cache import caches

        return caches["default"]._cache.get_client(write=True)
    import redis

    return redis.Redis.from_url(
        embedded.redis_url(EMBEDDED_DB, settings.VAR_DIR),
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
    )


def _warn(message: str, *args) -> None:
    """Log a warning at most once a minute (a Redis outage touches every request)."""
    global _warned_at
    now = time.monotonic()
    if now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        logger.warning(message, *args)


def day_key(day: datetime.date) -> str:
    return f"{COUNTER_PREFIX}{day.isoformat()}"


def count(page_id: str, page_type: str) -> None:
    """Add one view of a page today (UK date): one HINCRBY, no database."""
    try:
        redis_client().hincrby(
            day_key(timezone.localdate()), f"{page_id}:{page_type}", 1
        )
    except Exception as error:  # noqa: BLE001 - never fail a page over a count
        _warn("Page view not counted: Redis unavailable (%s)", error)


# --- Moving counts into the table -----------------------------------------------------


@dataclass
class FlushResult:
    batches: int = 0  # batches added to the table
    views: int = 0  # views those batches held
    repeats: int = 0  # batches found already added (only deleted)


def drain(counter_prefix: str, batch_prefix: str, add) -> FlushResult:
    """Move every Redis hash under ``counter_prefix`` (one per day) into a table,
    each exactly once: rename each to a batch key of its own, then for every
    batch (a dead run's included) ``add(batch, fields)`` (the number added, or
    None if the batch was added before), and only then delete it. Page views and
    search counts (``search.analytics``) both move this way."""
    client = redis_client()
    for key in client.scan_iter(match=f"{counter_prefix}*", count=500):
        key = key.decode() if isinstance(key, bytes) else key
        day = key.removeprefix(counter_prefix)
        batch = f"{batch_prefix}{day}:{uuid.uuid4().hex}"
        try:
            client.rename(key, batch)
        except Exception as error:  # noqa: BLE001 - gone already: another run took it
            if "no such key" not in str(error).lower():
                raise
    result = FlushResult()
    for batch in client.scan_iter(match=f"{batch_prefix}*", count=500):
        batch = batch.decode() if isinstance(batch, bytes) else batch
        added = add(batch, client.hgetall(batch))
        if added is None:
            result.repeats += 1
        else:
            result.batches += 1
            result.views += added
        client.delete(batch)
    return result


def flush() -> FlushResult:
    """Move every counter in Redis into ``PageViewDaily``, each view exactly once."""
    result = drain(COUNTER_PREFIX, BATCH_PREFIX, add_batch)
    PageViewBatch.objects.filter(
        added_at__lt=timezone.now() - datetime.timedelta(days=BATCH_LEDGER_DAYS)
    ).delete()
    if result.batches or result.repeats:
        logger.info(
            "Page views moved: %s views in %s batches (%s already added)",
            result.views,
            result.batches,
            result.repeats,
        )
    return result


def add_batch(batch: str, fields: dict) -> int | None:
    """Add one batch's counts to the table, or None if it was added before."""
    day = datetime.date.fromisoformat(batch.removeprefix(BATCH_PREFIX).split(":")[0])
    counts = _parse(fields)
    views = sum(counts.values())
    with transaction.atomic():
        _, created = PageViewBatch.objects.get_or_create(
            key=batch, defaults={"views": views}
        )
        if not created:
            return None
        _upsert(day, counts)
    return views


def _parse(fields: dict) -> dict[tuple[int, int], int]:
    """``{(page id, content type id): views}`` from a hash's fields.

    A field naming a page type that no longer exists is dropped (and logged).
    """
    counts: dict[tuple[int, int], int] = {}
    for raw_field, raw_views in fields.items():
        field = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
        page_id, _, label = field.partition(":")
        app_label, _, model = label.partition(".")
        try:
            content_type = ContentType.objects.get_by_natural_key(app_label, model)
            key = (int(page_id), content_type.pk)
        except (ContentType.DoesNotExist, ValueError):
            logger.warning("Page views for %r dropped: not a page we know", field)
            continue
        counts[key] = counts.get(key, 0) + int(raw_views)
    return counts


_UPSERT = f"""
    INSERT INTO {PageViewDaily._meta.db_table} (day, page_id, content_type_id, views)
    SELECT %s, p.id, v.content_type_id, v.views
    FROM unnest(%s::bigint[], %s::int[], %s::int[])
        AS v (page_id, content_type_id, views)
    LEFT JOIN {Page._meta.db_table} p ON p.id = v.page_id
    ON CONFLICT (day, page_id, content_type_id)
    DO UPDATE SET views = {PageViewDaily._meta.db_table}.views + EXCLUDED.views
"""  # noqa: S608 - table names from the models; values are parameters


def _upsert(day: datetime.date, counts: dict[tuple[int, int], int]) -> None:
    """Add ``counts`` to the day's rows in one statement (a deleted page's views
    are kept, without the page)."""
    if not counts:
        return
    keys = sorted(counts)
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT,
            [
                day,
                [page_id for page_id, _ in keys],
                [content_type_id for _, content_type_id in keys],
                [counts[key] for key in keys],
            ],
        )
