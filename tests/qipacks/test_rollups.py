"""The uptake roll-ups (``UptakeTally``, ``UptakeMonthly``) always equal the truth.

Triggers keep them up to date whatever writes the records and history; these
tests compare them with a ``GROUP BY`` over the records and with the trend
worked out from the history the slow way (the latest status of each record at
each month's end, ``DISTINCT ON``), after random sequences of responses, moves
of organisations between regions and types, a recommendation changing the types
it applies to, and deletions. Then rebuilding, corruption and concurrency.
"""

from __future__ import annotations

import datetime
import logging
import random
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from qipacks import reports, rollups, services
from qipacks.models import (
    UptakeMonthly,
    UptakeRecord,
    UptakeStatus,
    UptakeTally,
)
from qipacks.reports import Filters
from qipacks.tasks import reconcile_uptake_rollups_task
from tests.factories import OrganisationFactory, UserFactory, ensure_wagtail_tree
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
)
from website.models import Organisation

LONDON = ZoneInfo("Europe/London")
STATUSES = [s.value for s in UptakeStatus]


def _packs():
    from website.models import HomePage

    ensure_wagtail_tree()
    index = QIPackIndexPageFactory(parent=HomePage.objects.first())
    return (
        QIPackPageFactory(parent=index, title="Pack one", slug="pack-one"),
        QIPackPageFactory(parent=index, title="Pack two", slug="pack-two"),
    )


def tally_truth() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.recommendation_id, o.region, o.type, u.status, count(*) "
            "FROM qipacks_uptakerecord u "
            "JOIN website_organisation o ON o.id = u.organisation_id "
            "GROUP BY 1, 2, 3, 4"
        )
        return {tuple(row[:4]): row[4] for row in cursor.fetchall()}


def tally_rollup() -> dict:
    return {
        (t.recommendation_id, t.region, t.organisation_type, status): getattr(t, status)
        for t in UptakeTally.objects.all()
        for status in STATUSES
        if getattr(t, status)
    }


def trend_truth(recs, month_starts) -> list[tuple[int, int, dict]]:
    """(implemented, denominator, {region: (implemented, denominator)}) at each
    month's end: the latest change of each applicable record before it."""
    applicable = {
        (r.pk, o.pk): o.region
        for r in recs
        for o in Organisation.objects.all()
        if o.type in r.applies_to
    }
    result = []
    for month in month_starts:
        end = (month + datetime.timedelta(days=32)).replace(day=1)
        end_at = datetime.datetime(end.year, end.month, 1, tzinfo=LONDON)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT ON (record_id) recommendation_id, organisation_id,"
                " new_status FROM qipacks_uptakechange WHERE changed_at < %s"
                " ORDER BY record_id, changed_at DESC, id DESC",
                [end_at],
            )
            latest = [
                (applicable[(rec_id, org_id)], status)
                for rec_id, org_id, status in cursor.fetchall()
                if (rec_id, org_id) in applicable
            ]
        regions = {}
        for code in reports.REGIONS:
            pairs = sum(1 for region in applicable.values() if region == code)
            done = sum(1 for r, s in latest if r == code and s == "implemented")
            na = sum(1 for r, s in latest if r == code and s == "not_applicable")
            regions[code] = (done, pairs - na)
        result.append(
            (
                sum(v[0] for v in regions.values()),
                sum(v[1] for v in regions.values()),
                regions,
            )
        )
    return result


def assert_rollups_are_exact(today):
    assert tally_rollup() == tally_truth()
    recs = reports.recommendations()
    trend = reports.trend(recs, today=today)
    starts = [p.month for p in trend.national]
    for index, (implemented, denominator, regions) in enumerate(
        trend_truth(recs, starts)
    ):
        point = trend.national[index]
        assert (point.implemented, point.denominator) == (implemented, denominator)
        for code, expected in regions.items():
            region_point = trend.regions[code][index]
            assert (region_point.implemented, region_point.denominator) == expected
    # Nothing for the rebuild to fix, and the trend's per-pack reading agrees
    # with its per-recommendation reading of the history.
    assert rollups.rebuild_rollups() == {"tally": 0, "monthly": 0}
    assert reports._whole_packs(recs, Filters())
    some = recs[1:]  # not every recommendation of the first pack
    assert not reports._whole_packs(some, Filters())
    slow = reports.trend(some, today=today)  # read from the history itself
    assert [(p.implemented, p.denominator) for p in slow.national] == [
        (p.implemented, p.denominator) for p in _trend_by_hand(some, starts, today)
    ]


def _trend_by_hand(recs, starts, today):
    return [
        reports.TrendPoint(month, implemented, denominator)
        for month, (implemented, denominator, _) in zip(
            starts, trend_truth(recs, starts), strict=True
        )
    ]


@pytest.mark.django_db
def test_rollups_equal_the_truth_after_random_responses(monkeypatch):
    one, two = _packs()
    recs = [
        RecommendationFactory(pack=one, reference="R1", applies_to=["cdop", "icb"]),
        RecommendationFactory(pack=one, reference="R2", applies_to=["nhs_trust"]),
        RecommendationFactory(
            pack=two, reference="R1", applies_to=["cdop", "school", "icb"]
        ),
    ]
    orgs = [
        OrganisationFactory(type=t, region=r)
        for t, r in [
            ("cdop", "lon"),
            ("cdop", "nw"),
            ("icb", "lon"),
            ("nhs_trust", "mid"),
            ("school", "lon"),
            ("icb", "se"),
        ]
    ]
    user = UserFactory()
    rng = random.Random(5)  # noqa: S311 - a repeatable test sequence
    today = timezone.localdate()
    moment = datetime.datetime(
        today.year - 1, today.month, 1, 9, tzinfo=LONDON
    ) - datetime.timedelta(days=90)
    for step in range(90):
        moment += datetime.timedelta(hours=rng.randint(20, 200))
        monkeypatch.setattr(timezone, "now", lambda at=moment: at)
        rec = rng.choice(recs)
        org = rng.choice([o for o in orgs if o.type in rec.applies_to])
        status = rng.choice(STATUSES)
        services.record_uptake(
            recommendation=rec,
            organisation=org,
            user=user,
            status=status,
            not_applicable_reason="Not for us." if status == "not_applicable" else "",
        )
        if step == 30:  # an organisation moves region, another changes type
            orgs[0].region = "sw"
            orgs[0].save()
            Organisation.objects.filter(pk=orgs[2].pk).update(type="cdop")
            orgs[2].refresh_from_db()
        if step == 60:  # a recommendation stops applying to ICBs
            recs[2].applies_to = ["cdop", "school"]
            recs[2].save()
    monkeypatch.undo()
    assert UptakeRecord.objects.count() > 5
    assert UptakeMonthly.objects.exists()
    assert_rollups_are_exact(today)

    # Deleting an organisation takes its records and history out of both.
    orgs[1].delete()
    assert_rollups_are_exact(today)
    # A record deleted by itself (its history goes with it).
    UptakeRecord.objects.filter(organisation=orgs[4]).delete()
    assert_rollups_are_exact(today)


@pytest.mark.django_db
def test_national_uptake_and_progress_read_the_tally():
    one, _ = _packs()
    rec = RecommendationFactory(pack=one, applies_to=["cdop"])
    a = OrganisationFactory(type="cdop", region="lon")
    b = OrganisationFactory(type="cdop", region="nw")
    user = UserFactory()
    for org, status in ((a, "implemented"), (b, "planned")):
        services.record_uptake(
            recommendation=rec, organisation=org, user=user, status=status
        )
    uptake = services.national_uptake([rec])[rec.pk]
    assert (uptake.applicable, uptake.responses) == (2, 2)
    assert uptake.by_status == {"implemented": 1, "planned": 1}
    from qipacks import progress

    (entry,) = progress.progress(a)
    assert entry.national.by_status == {"implemented": 1, "planned": 1}
    assert entry.region.by_status == {"implemented": 1}
    assert entry.own.by_status == {"implemented": 1}


@pytest.mark.django_db
def test_rebuild_is_idempotent_and_fixes_a_corrupted_rollup(caplog):
    one, _ = _packs()
    rec = RecommendationFactory(pack=one, applies_to=["cdop"])
    user = UserFactory()
    for region in ("lon", "nw", "mid"):
        services.record_uptake(
            recommendation=rec,
            organisation=OrganisationFactory(type="cdop", region=region),
            user=user,
            status="implemented",
        )
    good_tally, good_monthly = (
        tally_rollup(),
        list(
            UptakeMonthly.objects.values_list(
                "pack_id", "region", "organisation_type", "month", "implemented"
            ).order_by("region")
        ),
    )
    assert rollups.rebuild_rollups() == {"tally": 0, "monthly": 0}
    assert rollups.rebuild_rollups() == {"tally": 0, "monthly": 0}

    # Corrupt both: a wrong count, a missing row, a row that should not exist.
    UptakeTally.objects.filter(region="lon").update(implemented=7)
    UptakeMonthly.objects.filter(region="nw").delete()
    UptakeMonthly.objects.create(
        pack_id=one.pk,
        region="se",
        organisation_type="cdop",
        month=datetime.date(2020, 1, 1),
        implemented=3,
    )
    with caplog.at_level(logging.WARNING, logger="qipacks.rollups"):
        fixed = reconcile_uptake_rollups_task.apply().get()
    assert fixed == {"tally": 1, "monthly": 2}
    assert "drifted" in caplog.text
    assert tally_rollup() == good_tally == tally_truth()
    assert (
        list(
            UptakeMonthly.objects.values_list(
                "pack_id", "region", "organisation_type", "month", "implemented"
            ).order_by("region")
        )
        == good_monthly
    )
    assert rollups.rebuild_rollups() == {"tally": 0, "monthly": 0}


@pytest.mark.django_db
def test_bulk_seed_rollups_are_exact():
    from qipacks.management.commands.seed_uptake_bulk import seed

    seed(organisations=30, recommendations=12, packs=3)
    assert tally_rollup() == tally_truth()
    assert rollups.rebuild_rollups() == {"tally": 0, "monthly": 0}
    seed(organisations=20, recommendations=12, packs=3)  # replaces the first run
    assert tally_rollup() == tally_truth()
    assert rollups.rebuild_rollups() == {"tally": 0, "monthly": 0}


@pytest.mark.django_db(transaction=True)
def test_two_organisations_responding_at_once_both_count():
    """Same recommendation, region and type: both write the same tally row."""
    one, _ = _packs()
    rec = RecommendationFactory(pack=one, applies_to=["cdop"])
    a = OrganisationFactory(type="cdop", region="lon")
    b = OrganisationFactory(type="cdop", region="lon")
    user = UserFactory()
    started, errors = threading.Event(), []

    def respond(org, wait_first):
        try:
            if wait_first:
                started.wait(10)
            with transaction.atomic():
                services.record_uptake(
                    recommendation=rec,
                    organisation=org,
                    user=user,
                    status=UptakeStatus.IMPLEMENTED,
                )
                if not wait_first:
                    started.set()
                    import time

                    time.sleep(1)  # uncommitted while the other one writes
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=respond, args=(a, False)),
        threading.Thread(target=respond, args=(b, True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert UptakeTally.objects.get(recommendation=rec).implemented == 2
    assert list(UptakeMonthly.objects.values_list("implemented", flat=True)) == [2]
    assert tally_rollup() == tally_truth()
    assert rollups.rebuild_rollups() == {"tally": 0, "monthly": 0}
