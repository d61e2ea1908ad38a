"""What people search for, without who searched: one row per query per day.

Queries are lower-cased and trimmed. Anything that looks like personal data (an
email address, a phone or NHS number, a postcode) is not stored at all.

A search is counted as it is answered, from the page cache too (a search page
is kept like any other page): ``SearchCountMiddleware`` sits above the page
cache and, for a first page of results, calls ``record``, which adds one to a
Redis hash for the UK day (the field ``c:<query>``) and notes the number of
results (``h:<query>``), in one transaction and one round trip, no database
write. ``flush`` (every five minutes, from Celery beat) moves the counts into
``SearchQuery`` exactly once, as page views are moved (``impact.pageviews``):
the day's hash is renamed to a batch key, the batch is added to the table in
the transaction that records its key in ``SearchCountBatch``, and only then is
the key deleted. A batch left by a killed run is added by the next one, or only
deleted if it was added already.

Redis is the page-view counters' (``impact.pageviews.redis_client``). If it
cannot be reached, searches are answered uncounted and a warning is logged now
and then.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from impact.pageviews import drain, redis_client

from .models import SearchCountBatch, SearchQuery

logger = logging.getLogger(__name__)

MAX_STORED = 100
COUNTER_PREFIX = "search:queries:day:"
BATCH_PREFIX = "search:queries:batch:"
WARN_EVERY_SECONDS = 60
# Recorded batches are kept this long, as page views' are.
BATCH_LEDGER_DAYS = 7
_PERSONAL = re.compile(
    r"@|\d[\d\s-]{5,}\d|\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", re.IGNORECASE
)
_warned_at = 0.0


def normalise(query: str) -> str:
    return " ".join(query.lower().split())[:MAX_STORED]


def looks_personal(query: str) -> bool:
    return bool(_PERSONAL.search(query))


def day_key(day) -> str:
    return f"{COUNTER_PREFIX}{day.isoformat()}"


def record(query: str, hits: int) -> None:
    """Count one search for ``query`` today, which found ``hits`` results."""
    query = normalise(query)
    if not query or looks_personal(query):
        return
    key = day_key(timezone.localdate())
    try:
        pipe = redis_client().pipeline(transaction=True)
        pipe.hincrby(key, f"c:{query}", 1)
        pipe.hset(key, f"h:{query}", int(hits))
        pipe.execute()
    except Exception as error:  # noqa: BLE001 - never fail a search over a count
        global _warned_at
        if time.monotonic() - _warned_at >= WARN_EVERY_SECONDS:
            _warned_at = time.monotonic()
            logger.warning("Search not counted: Redis unavailable (%s)", error)


@dataclass
class FlushResult:
    batches: int = 0  # batches added to the table
    searches: int = 0  # searches those batches held
    repeats: int = 0  # batches found already added (only deleted)


def flush() -> FlushResult:
    """Move every day's counts from Redis into ``SearchQuery``, each exactly once
    (``impact.pageviews.drain``, as page views are moved)."""
    drained = drain(COUNTER_PREFIX, BATCH_PREFIX, add_batch)
    SearchCountBatch.objects.filter(
        added_at__lt=timezone.now() - datetime.timedelta(days=BATCH_LEDGER_DAYS)
    ).delete()
    return FlushResult(drained.batches, drained.views, drained.repeats)


def add_batch(batch: str, fields: dict) -> int | None:
    """Add one batch's counts to the table, or None if it was added before."""
    day = batch.removeprefix(BATCH_PREFIX).split(":")[0]
    counts: dict[str, int] = {}
    hits: dict[str, int] = {}
    for raw_field, raw_value in fields.items():
        field = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
        kind, _, query = field.partition(":")
        (counts if kind == "c" else hits)[query] = int(raw_value)
    queries = sorted(counts)
    with transaction.atomic():
        _, created = SearchCountBatch.objects.get_or_create(key=batch)
        if not created:
            return None
        if queries:
            with connection.cursor() as cursor:
                cursor.execute(
                    _UPSERT,
                    [
                        day,
                        queries,
                        [counts[q] for q in queries],
                        [hits.get(q, 0) for q in queries],
                    ],
                )
    return sum(counts.values())


_UPSERT = f"""
    INSERT INTO {SearchQuery._meta.db_table} (day, query, count, hits)
    SELECT %s::date, v.query, v.count, v.hits
    FROM unnest(%s::text[], %s::int[], %s::int[]) AS v (query, count, hits)
    ON CONFLICT (query, day) DO UPDATE
    SET count = {SearchQuery._meta.db_table}.count + EXCLUDED.count,
        hits = EXCLUDED.hits
"""  # noqa: S608 - the table name from the model; values are parameters
