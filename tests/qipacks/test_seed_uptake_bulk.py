"""``seed_uptake_bulk``: consistent records and history, made in SQL, rerunnable."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from qipacks import reports
from qipacks.models import QIPackPage, Recommendation, UptakeChange, UptakeRecord
from tests.factories import ensure_wagtail_tree
from website.models import Organisation

pytestmark = pytest.mark.django_db


def run(**options) -> str:
    out = StringIO()
    call_command("seed_uptake_bulk", stdout=out, **options)
    return out.getvalue()


def test_seeds_consistent_records_and_history():
    ensure_wagtail_tree()
    output = run(organisations=30, recommendations=12, packs=3)
    assert "30 organisations, 12 recommendations in 3 packs" in output
    assert Organisation.objects.filter(code__startswith="BULK").count() == 30
    assert QIPackPage.objects.live().count() == 3
    assert Recommendation.objects.count() == 12
    records = UptakeRecord.objects.count()
    assert f"{records} uptake records" in output
    applicable = sum(
        1
        for r in Recommendation.objects.all()
        for o in Organisation.objects.all()
        if o.type in r.applies_to
    )
    assert 0.8 * applicable <= records <= applicable
    # Only applicable pairs, and "not applicable" always has its reason.
    for record in UptakeRecord.objects.select_related("recommendation", "organisation"):
        assert record.organisation.type in record.recommendation.applies_to
        assert (record.status == "not_applicable") == bool(record.not_applicable_reason)
    # Each record's history is a chain ending in its status, in time order.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT old_status, new_status,
                    lag(new_status, 1, '') OVER w AS previous,
                    lag(changed_at) OVER w AS previous_at, changed_at
                FROM qipacks_uptakechange
                WINDOW w AS (PARTITION BY record_id ORDER BY changed_at, id)
            ) c
            WHERE old_status <> previous OR changed_at < previous_at
            """
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            """
            SELECT count(*) FROM qipacks_uptakerecord u
            WHERE u.status <> (
                SELECT new_status FROM qipacks_uptakechange c
                WHERE c.record_id = u.id ORDER BY changed_at DESC, id DESC LIMIT 1
            )
            """
        )
        assert cursor.fetchone()[0] == 0
    assert UptakeChange.objects.count() > records
    # The trend's latest point agrees with the records as they are now.
    recs = reports.recommendations()
    (now,) = reports.trend(recs, months=1).national
    assert now.implemented == UptakeRecord.objects.filter(status="implemented").count()


def test_rerunning_replaces_the_earlier_run():
    ensure_wagtail_tree()
    run(organisations=10, recommendations=5, packs=1)
    run(organisations=8, recommendations=4, packs=2)
    assert Organisation.objects.count() == 8
    assert Recommendation.objects.count() == 4
    assert QIPackPage.objects.count() == 2


def test_refuses_nonsense():
    with pytest.raises(CommandError):
        run(organisations=0)
    with pytest.raises(CommandError):
        run(response_rate=2)
