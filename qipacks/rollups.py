"""Rebuilding and checking the uptake roll-ups (``UptakeTally``, ``UptakeMonthly``).

PostgreSQL triggers (migration 0002) keep both exact as records, history,
organisations and recommendations change, whatever does the writing (the
service, bulk SQL, a cascade, a shell). ``rebuild_rollups`` recomputes them from
the records and history with one ``GROUP BY`` each, compares, and replaces them
if anything differs, reporting how many rows it fixed. It runs nightly (the
``qipacks.reconcile_uptake_rollups`` task), from ``manage.py
rebuild_uptake_rollups``, and after anything that could bypass the triggers (a
restore, ``session_replication_role = replica``, a changed ``TIME_ZONE``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection, transaction

from website.models import Organisation

from .models import (
    Recommendation,
    UptakeChange,
    UptakeMonthly,
    UptakeRecord,
    UptakeStatus,
    UptakeTally,
)

logger = logging.getLogger(__name__)

STATUSES = [s.value for s in UptakeStatus]
TALLY = UptakeTally._meta.db_table
MONTHLY = UptakeMonthly._meta.db_table
RECORD = UptakeRecord._meta.db_table
CHANGE = UptakeChange._meta.db_table
ORG = Organisation._meta.db_table
REC = Recommendation._meta.db_table

TALLY_KEY = ["recommendation_id", "region", "organisation_type"]
TALLY_VALUES = STATUSES
MONTHLY_KEY = ["pack_id", "region", "organisation_type", "month"]
MONTHLY_VALUES = ["implemented", "not_applicable"]

_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE u.status = '{s}')::int AS {s}" for s in STATUSES
)
TALLY_TRUTH = f"""
    SELECT u.recommendation_id, o.region, o.type AS organisation_type, {_COUNTS}
    FROM {RECORD} u JOIN {ORG} o ON o.id = u.organisation_id
    GROUP BY 1, 2, 3
"""  # noqa: S608 - table names from models
MONTHLY_TRUTH = f"""
    SELECT * FROM (
        SELECT r.pack_id, o.region, o.type AS organisation_type,
            qipacks_uptake_month(c.changed_at) AS month,
            sum((c.new_status = 'implemented')::int
                - (c.old_status = 'implemented')::int)::int AS implemented,
            sum((c.new_status = 'not_applicable')::int
                - (c.old_status = 'not_applicable')::int)::int AS not_applicable
        FROM {CHANGE} c
        JOIN {ORG} o ON o.id = c.organisation_id
        JOIN {REC} r ON r.id = c.recommendation_id
        WHERE o.type = ANY(r.applies_to)
          AND c.new_status <> c.old_status
          AND (c.new_status IN ('implemented', 'not_applicable')
               OR c.old_status IN ('implemented', 'not_applicable'))
        GROUP BY 1, 2, 3, 4
    ) s WHERE implemented <> 0 OR not_applicable <> 0
"""  # noqa: S608 - table names from models


def month_function_sql(tz: str | None = None) -> str:
    """The SQL function the triggers bucket changes by (``TIME_ZONE`` months)."""
    tz = (tz or settings.TIME_ZONE).replace("'", "''")
    return f"""
        CREATE OR REPLACE FUNCTION qipacks_uptake_month(at timestamptz) RETURNS date
        LANGUAGE sql STABLE AS $fn$
            SELECT date_trunc('month', at AT TIME ZONE '{tz}')::date
        $fn$
    """


def _replace(cursor, table: str, key: list[str], values: list[str], truth: str) -> int:
    """Make ``table`` equal ``truth``; return how many rows were wrong or missing
    (or there but should not be)."""
    columns = [*key, *values]
    cursor.execute(
        f"CREATE TEMP TABLE rollup_truth ON COMMIT DROP AS {truth}"  # noqa: S608
    )
    names = ", ".join(columns)
    same = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in columns)
    joined = " AND ".join(f"a.{c} = b.{c}" for c in key)
    cursor.execute(
        f"""
        SELECT count(*) FROM (SELECT {names} FROM {table}) a
        FULL JOIN rollup_truth b ({names}) ON {joined}
        WHERE NOT ({same})
        """  # noqa: S608 - table and column names from models
    )
    wrong = cursor.fetchone()[0]
    if wrong:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT * FROM rollup_truth"  # noqa: S608
        )
    cursor.execute("DROP TABLE rollup_truth")
    return wrong


@transaction.atomic
def rebuild_rollups() -> dict[str, int]:
    """Recompute both roll-ups from the records and history; fix any difference.

    Returns how many rows of each were wrong (0 and 0 when all was well), so it
    is idempotent and safe to run at any time: writers of records, history,
    organisations and recommendations wait (``SHARE`` locks) for the second or
    two it takes, so nothing changes between reading the truth and writing it.
    """
    with connection.cursor() as cursor:
        cursor.execute(month_function_sql())
        cursor.execute(f"LOCK TABLE {ORG}, {REC}, {RECORD}, {CHANGE} IN SHARE MODE")
        cursor.execute(f"LOCK TABLE {TALLY}, {MONTHLY} IN EXCLUSIVE MODE")
        fixed = {
            "tally": _replace(cursor, TALLY, TALLY_KEY, TALLY_VALUES, TALLY_TRUTH),
            "monthly": _replace(
                cursor, MONTHLY, MONTHLY_KEY, MONTHLY_VALUES, MONTHLY_TRUTH
            ),
        }
    return fixed


def reconcile() -> dict[str, int]:
    """Rebuild, and log loudly if the triggers had let anything drift."""
    fixed = rebuild_rollups()
    if any(fixed.values()):
        logger.warning(
            "Uptake roll-ups had drifted and were rebuilt: %s tally rows and %s "
            "monthly rows were wrong.",
            fixed["tally"],
            fixed["monthly"],
        )
    else:
        logger.info("Uptake roll-ups checked: nothing to fix.")
    return fixed
