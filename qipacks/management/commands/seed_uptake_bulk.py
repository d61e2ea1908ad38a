"""Make a large, realistic uptake picture for benchmarks, in a few SQL statements.

``python manage.py seed_uptake_bulk --organisations 1000 --recommendations 500``
makes live QI packs (about ten recommendations each), the organisations, an
uptake record for most applicable organisation x recommendation pairs, and a
consistent history for each record (one to three changes, each ``old_status``
the one before's ``new_status``, the last the record's status). Records and
history are generated inside PostgreSQL (``generate_subscripts``, ``random()``
with ``setseed``), so half a million records take seconds, not minutes.

The roll-ups the dashboards read (``UptakeTally``, ``UptakeMonthly``) follow by
themselves: PostgreSQL triggers sum each INSERT and DELETE statement once.

Rerunning replaces what an earlier run made (organisations whose code starts
with ``--prefix``, packs whose slug starts with ``bulk-pack-``); nothing else is
touched.
"""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Page

from qipacks.models import (
    QIPackIndexPage,
    QIPackPage,
    Recommendation,
    UptakeChange,
    UptakeMonthly,
    UptakeRecord,
    UptakeTally,
)
from website.models import HomePage, Organisation

PACK_SLUG = "bulk-pack-"
TYPES = [t for t, _ in Organisation.Type.choices]
REGIONS = [r for r, _ in Organisation.Region.choices]


class Command(BaseCommand):
    help = "Seed many organisations, recommendations, uptake records and history."

    def add_arguments(self, parser):
        parser.add_argument("--organisations", type=int, default=1000)
        parser.add_argument("--recommendations", type=int, default=500)
        parser.add_argument(
            "--packs", type=int, default=0, help="Default: one per ten recommendations."
        )
        parser.add_argument(
            "--response-rate",
            type=float,
            default=0.95,
            help="Share of applicable pairs with a record (0 to 1).",
        )
        parser.add_argument("--seed", type=float, default=0.42, help="-1 to 1.")
        parser.add_argument("--prefix", default="BULK")

    def handle(self, *args, **options):
        organisations = options["organisations"]
        recommendations = options["recommendations"]
        rate = options["response_rate"]
        if organisations < 1 or recommendations < 1:
            raise CommandError("Give at least one organisation and recommendation.")
        if not 0 <= rate <= 1:
            raise CommandError("--response-rate must be between 0 and 1.")
        if not -1 <= options["seed"] <= 1:
            raise CommandError("--seed must be between -1 and 1.")
        packs = options["packs"] or max(1, recommendations // 10)
        started = time.perf_counter()
        result = seed(
            organisations=organisations,
            recommendations=recommendations,
            packs=min(packs, recommendations),
            response_rate=rate,
            seed_value=options["seed"],
            prefix=options["prefix"],
        )
        result["seconds"] = round(time.perf_counter() - started, 1)
        self.stdout.write(
            "Seeded {organisations} organisations, {recommendations} recommendations "
            "in {packs} packs, {records} uptake records and {changes} history rows "
            "in {seconds}s.".format(**result)
        )


def _index() -> QIPackIndexPage:
    index = QIPackIndexPage.objects.first()
    if index:
        return index
    home = HomePage.objects.first()
    if home is None:
        home = Page.get_first_root_node().add_child(
            instance=HomePage(
                title="Learning from child death reviews",
                slug="bulk-home",
                intro="Bulk data for benchmarks.",
            )
        )
    return home.add_child(
        instance=QIPackIndexPage(title="QI packs", slug="qi-packs", intro="")
    )


def _applies_to(i: int) -> list[str]:
    """Most recommendations apply to every type; every fourth to three to five."""
    if i % 4 != 3:
        return list(TYPES)
    count = 3 + i % 3
    return [TYPES[(i + k) % len(TYPES)] for k in range(count)]


def clear(prefix: str) -> None:
    """Remove what an earlier run made."""
    Organisation.objects.filter(code__startswith=prefix).delete()
    for page in QIPackPage.objects.filter(slug__startswith=PACK_SLUG):
        page.delete()


@transaction.atomic
def seed(
    *,
    organisations: int,
    recommendations: int,
    packs: int,
    response_rate: float = 0.95,
    seed_value: float = 0.42,
    prefix: str = "BULK",
) -> dict:
    clear(prefix)
    today = timezone.localdate()
    index = _index()
    pack_pages = [
        index.add_child(
            instance=QIPackPage(
                title=f"Bulk QI pack {n + 1:03d}",
                slug=f"{PACK_SLUG}{n + 1:03d}",
                summary="Generated for benchmarks.",
                report_title="Generated report",
            )
        )
        for n in range(packs)
    ]
    recs = Recommendation.objects.bulk_create(
        [
            Recommendation(
                pack=pack_pages[i % packs],
                reference=f"R{i // packs + 1}",
                text=f"Generated recommendation {i + 1}.",
                applies_to=_applies_to(i),
                priority=("high", "medium", "low")[i % 3],
                # About six in ten were due in the last three months.
                response_due=today + datetime.timedelta(days=(i % 10) * 20 - 110),
                sort_order=i // packs,
            )
            for i in range(recommendations)
        ],
        batch_size=1000,
    )
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                name=f"Bulk organisation {i + 1:05d}",
                code=f"{prefix}{i + 1:05d}",
                type=TYPES[i % len(TYPES)],
                region=REGIONS[(i // len(TYPES)) % len(REGIONS)],
                named_lead_name=f"Named lead {i + 1}",
                named_lead_email=f"lead{i + 1}@example.org",
            )
            for i in range(organisations)
        ],
        batch_size=1000,
    )
    rec_ids = [r.pk for r in recs]
    org_ids = [o.pk for o in orgs]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed_value])
        cursor.execute(
            f"""
            WITH pairs AS (
                SELECT r.id AS rec_id, o.id AS org_id,
                    random() AS x, random() AS y, random() AS z, random() AS w
                FROM {Recommendation._meta.db_table} r
                JOIN {Organisation._meta.db_table} o ON o.type = ANY(r.applies_to)
                WHERE r.id = ANY(%s) AND o.id = ANY(%s)
                ORDER BY r.id, o.id
            ), picked AS (
                SELECT rec_id, org_id,
                    CASE WHEN y < 0.35 THEN 'implemented'
                         WHEN y < 0.55 THEN 'in_progress'
                         WHEN y < 0.70 THEN 'planned'
                         WHEN y < 0.88 THEN 'not_started'
                         ELSE 'not_applicable' END AS status,
                    now() - interval '540 days' * (0.05 + 0.95 * z) AS created_at,
                    w
                FROM pairs WHERE x < %s
            )
            INSERT INTO {UptakeRecord._meta.db_table} (
                recommendation_id, organisation_id, status, not_applicable_reason,
                evidence, created_at, updated_at
            )
            SELECT rec_id, org_id, status,
                CASE WHEN status = 'not_applicable'
                     THEN 'This does not apply to us (generated).' ELSE '' END,
                CASE WHEN status = 'implemented'
                     THEN 'Audit done (generated).' ELSE '' END,
                created_at,
                CASE WHEN status IN ('implemented', 'in_progress')
                     THEN created_at + (now() - created_at) * w
                     ELSE created_at END
            FROM picked
            """,  # noqa: S608 - table names from models; values are parameters
            [rec_ids, org_ids, response_rate],
        )
        records = cursor.rowcount
        # The path to each record's status; one change per step, evenly spaced
        # from when the record was made to when it was last changed.
        cursor.execute(
            f"""
            INSERT INTO {UptakeChange._meta.db_table} (
                record_id, recommendation_id, organisation_id, changed_by_name,
                changed_at, old_status, new_status, evidence,
                not_applicable_reason
            )
            SELECT u.id, u.recommendation_id, u.organisation_id, 'Bulk seed',
                CASE WHEN p.n = 1 THEN u.updated_at
                     ELSE u.created_at
                        + (u.updated_at - u.created_at) * (p.i - 1) / (p.n - 1)
                END,
                coalesce(p.path[p.i - 1], ''), p.path[p.i],
                CASE WHEN p.i = p.n THEN u.evidence ELSE '' END,
                CASE WHEN p.i = p.n THEN u.not_applicable_reason ELSE '' END
            FROM {UptakeRecord._meta.db_table} u
            CROSS JOIN LATERAL (
                SELECT a.path, i, array_length(a.path, 1) AS n
                FROM (SELECT CASE u.status
                    WHEN 'implemented'
                        THEN ARRAY['planned', 'in_progress', 'implemented']
                    WHEN 'in_progress' THEN ARRAY['planned', 'in_progress']
                    ELSE ARRAY[u.status::text] END AS path) a,
                generate_subscripts(a.path, 1) AS i
            ) p
            WHERE u.organisation_id = ANY(%s)
            ORDER BY u.id, p.i
            """,  # noqa: S608 - table names from models; values are parameters
            [org_ids],
        )
        changes = cursor.rowcount
        cursor.execute(
            f"ANALYZE {UptakeRecord._meta.db_table}, {UptakeChange._meta.db_table}, "
            f"{Organisation._meta.db_table}, {Recommendation._meta.db_table}, "
            f"{UptakeTally._meta.db_table}, {UptakeMonthly._meta.db_table}"
        )
    return {
        "organisations": len(orgs),
        "recommendations": len(recs),
        "packs": packs,
        "records": records,
        "changes": changes,
    }
