"""The national uptake dashboard and a QI lead's to-do page at scale.

``.venv/bin/python bench/uptake.py --organisations 1000 --recommendations 500``:
a fresh embedded platform; ``seed_uptake_bulk`` makes the organisations, live
packs of recommendations, an uptake record for most applicable pairs and their
history (about 500,000 records at the default size). Then, through Django's test
client (the real views, middleware and templates):

- the national dashboard (``/admin/reports/qi-uptake/``) as a staff member with
  admin access and ``qipacks.view_uptakerecord`` (not a superuser), plus the
  matrix and overdue pages;
- a QI lead's to-do page (``/qi/<code>/``) with a second-factor-verified
  session. If the /qi/ area is not there, the equivalent queries
  (``services.recommendations_for(org)`` and that organisation's records) are
  timed instead, and ``todo_source`` says so.

Query counts are taken at the full size and at a tenth of the organisations
(the same recommendations), to show they do not depend on the number of
organisations. Last line of stdout: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _common import embedded_platform, log, percentile, rounded


def _timed_gets(client, url: str, requests: int) -> list[float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def _staff_client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.test import Client

    user = get_user_model().objects.create_user("bench-analyst", password="x" * 12)
    group, _ = Group.objects.get_or_create(name="Bench analysts")
    group.permissions.set(
        Permission.objects.filter(codename__in=["access_admin", "view_uptakerecord"])
    )
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


def _lead_client(organisation):
    """A QI lead of ``organisation`` whose session passed the second factor."""
    import django_otp
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp.plugins.otp_static.models import StaticDevice

    from website.models import Membership

    user = get_user_model().objects.create_user("bench-lead", password="x" * 12)
    Membership.objects.create(
        user=user, organisation=organisation, role=Membership.Role.QI_LEAD
    )
    device = StaticDevice.objects.create(user=user, name="Backup codes")
    device.token_set.create(token="abcdefgh")  # noqa: S106 - a bench-only code
    client = Client()
    client.force_login(user)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _todo_equivalent(organisation) -> None:
    from qipacks import services
    from qipacks.models import UptakeRecord

    recs = list(services.recommendations_for(organisation).only("pk", "reference"))
    dict(
        UptakeRecord.objects.filter(organisation=organisation).values_list(
            "recommendation_id", "status"
        )
    )
    return recs


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--recommendations", type=int, default=500)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    results: dict = {
        "bench": "uptake",
        "organisations": args.organisations,
        "recommendations": args.recommendations,
    }
    with embedded_platform(results):
        from django.core.management import call_command
        from django.db import connection

        from qipacks.models import UptakeChange, UptakeRecord
        from website.models import Organisation

        # Query counts at a tenth of the organisations first, then the full size.
        small = max(10, args.organisations // 10)
        call_command(
            "seed_uptake_bulk",
            organisations=small,
            recommendations=args.recommendations,
            verbosity=0,
        )
        staff = _staff_client()
        dashboard = "/admin/reports/qi-uptake/"
        pages = {
            "dashboard": dashboard,
            "matrix": dashboard + "matrix/",
            "overdue": dashboard + "overdue/",
        }
        staff.get(dashboard)
        small_counts = {k: _queries(staff, url) for k, url in pages.items()}
        log(f"queries with {small} organisations: {small_counts}")

        started = time.perf_counter()
        call_command(
            "seed_uptake_bulk",
            organisations=args.organisations,
            recommendations=args.recommendations,
            verbosity=0,
        )
        results["seed_s"] = time.perf_counter() - started
        results["records"] = UptakeRecord.objects.count()
        results["history_rows"] = UptakeChange.objects.count()
        log(
            f"seeded {results['records']} records, {results['history_rows']} "
            f"history rows in {results['seed_s']:.1f}s"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

        full_counts = {k: _queries(staff, url) for k, url in pages.items()}
        log(f"queries with {args.organisations} organisations: {full_counts}")
        results["queries_per_dashboard"] = full_counts["dashboard"]
        results["queries_per_dashboard_at_tenth_size"] = small_counts["dashboard"]
        results["query_count_independent_of_organisations"] = (
            small_counts == full_counts
        )

        for key, url in pages.items():
            staff.get(url)  # warm
            samples = _timed_gets(staff, url, args.requests)
            prefix = key if key != "dashboard" else "dashboard"
            results[f"{prefix}_p50_ms"] = round(statistics.median(samples), 1)
            results[f"{prefix}_p95_ms"] = round(percentile(samples, 95), 1)
            log(
                f"{url}: p50 {results[f'{prefix}_p50_ms']} ms, "
                f"p95 {results[f'{prefix}_p95_ms']} ms"
            )

        organisation = Organisation.objects.filter(code__startswith="BULK").first()
        lead = _lead_client(organisation)
        todo_url = f"/qi/{organisation.code}/"
        try:
            status = lead.get(todo_url).status_code
        except Exception as error:  # noqa: BLE001 - report, then time the queries
            log(f"{todo_url} failed: {error!r}")
            status = None
        if status == 200:
            results["todo_source"] = f"view {todo_url}"
            results["todo_queries"] = _queries(lead, todo_url)
            samples = _timed_gets(lead, todo_url, args.requests)
        else:
            results["todo_source"] = (
                f"{todo_url} answered {status}: timed services.recommendations_for"
                "(org) + that organisation's records instead"
            )
            samples = []
            for _ in range(args.requests):
                started = time.perf_counter()
                _todo_equivalent(organisation)
                samples.append((time.perf_counter() - started) * 1000)
        results["todo_p50_ms"] = round(statistics.median(samples), 1)
        results["todo_p95_ms"] = round(percentile(samples, 95), 1)
        log(f"to-do ({results['todo_source']}): p95 {results['todo_p95_ms']} ms")
        results["goals_met"] = {
            "dashboard_p95_under_300ms": results["dashboard_p95_ms"] < 300,
            "todo_p95_under_100ms": results["todo_p95_ms"] < 100,
            "query_count_independent": results[
                "query_count_independent_of_organisations"
            ],
        }
    return rounded(results)


if __name__ == "__main__":
    print(json.dumps(main()))  # noqa: T201 - the bench's one line of output
