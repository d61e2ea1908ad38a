"""The impact demo: page views and past sends, so the report looks alive; idempotent."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from bulletins.models import Delivery, Send
from impact import metrics
from impact.models import PageViewDaily
from impact.periods import Period
from tests.factories import ensure_wagtail_tree

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        "views": PageViewDaily.objects.count(),
        "sends": Send.objects.filter(key__startswith="demo:impact:").count(),
        "deliveries": Delivery.objects.count(),
    }


def test_the_demo_gives_the_last_full_quarter_figures_and_runs_twice(
    settings, tmp_path
):
    settings.VAR_DIR = tmp_path  # the QI demo writes its logins there
    ensure_wagtail_tree()
    Group.objects.get_or_create(name="Moderators")  # Wagtail's migrations make it
    call_command("seed_demo", verbosity=0)
    first = counts()
    assert first["views"] > 0 and first["sends"] == 6
    call_command("seed_demo", verbosity=0)
    assert counts() == first

    report = metrics.report(Period.last_full_quarter())
    assert report.reach.total.current > 0
    assert report.reach.total.previous > 0
    assert report.sends.delivered.current > 0
    assert report.subscribers.at_end > 0
    moderators = Group.objects.get(name="Moderators")
    assert moderators.permissions.filter(codename="view_report").exists()
