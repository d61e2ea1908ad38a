"""What people search for, without who searched: one row per query per day.

Queries are lower-cased and trimmed. Anything that looks like personal data (an
email address, a phone or NHS number, a postcode) is not stored at all.
"""

from __future__ import annotations

import re

from django.db import connection
from django.utils import timezone

MAX_STORED = 100
_PERSONAL = re.compile(
    r"@|\d[\d\s-]{5,}\d|\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", re.IGNORECASE
)


def normalise(query: str) -> str:
    return " ".join(query.lower().split())[:MAX_STORED]


def looks_personal(query: str) -> bool:
    return bool(_PERSONAL.search(query))


def record(query: str, hits: int) -> None:
    query = normalise(query)
    if not query or looks_personal(query):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO search_searchquery (query, day, count, hits)
            VALUES (%s, %s, 1, %s)
            ON CONFLICT (query, day) DO UPDATE
            SET count = search_searchquery.count + 1, hits = EXCLUDED.hits
            """,
            [query, timezone.localdate(), hits],
        )
