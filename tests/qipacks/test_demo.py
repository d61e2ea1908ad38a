"""The QI packs demo: idempotent, 40 organisations, histories, two QI lead logins."""

from __future__ import annotations

import datetime as dt
import json
from base64 import b32decode
from collections import Counter

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from qipacks import demo
from qipacks.models import (
    QIPackIndexPage,
    QIPackPage,
    Recommendation,
    UptakeChange,
    UptakeRecord,
    UptakeStatus,
)
from website.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Organisation,
            Membership,
            QIPackIndexPage,
            QIPackPage,
            Recommendation,
            UptakeRecord,
            UptakeChange,
            TOTPDevice,
            StaticToken,
        )
    }


@pytest.fixture
def seeded(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", verbosity=0)
    return tmp_path


def test_seeding_twice_gives_the_same_counts(seeded):
    first = counts()
    passwords = (seeded / "demo-qi-leads.json").read_text()
    call_command("seed_demo", verbosity=0)
    assert counts() == first
    assert (seeded / "demo-qi-leads.json").read_text() == passwords
    assert first["QIPackPage"] == 2 and first["QIPackIndexPage"] == 1


def test_forty_organisations_packs_histories_and_links(seeded, client):
    organisations = list(Organisation.objects.all())
    assert len(organisations) == 40
    assert {o.region for o in organisations} == set(Organisation.Region.values)
    assert {o.type for o in organisations} == set(Organisation.Type.values)
    with_lead = [o for o in organisations if o.named_lead_email]
    assert 30 <= len(with_lead) < 40
    assert all(o.named_lead_email.endswith(".example.org") for o in with_lead)
    _packs_have_plans_materials_related_links_and_recommendations(client)
    _related_pages_list_the_packs_that_use_them(client)


def _packs_have_plans_materials_related_links_and_recommendations(client):
    today = dt.date.today()
    for pack in QIPackPage.objects.live():
        recommendations = list(pack.recommendations.all())
        assert 4 <= len(recommendations) <= 6
        dues = [r.response_due for r in recommendations]
        assert min(dues) < today < max(dues)
        kinds = {block.block_type for block in pack.qi_plan}
        assert kinds == {"aim", "measure", "change_idea", "pdsa"}
        assert len({block.value["audience"] for block in pack.materials}) == 3
        assert pack.related_links.count() >= 2
        response = client.get(pack.url)
        assert response.status_code == 200
        for r in recommendations:
            assert client.get(f"{pack.url}recommendations/{r.reference.lower()}/")
    # The dashboards have something to show: varied statuses, months of history,
    # and both "enough responses" and "not enough" on the pages.
    statuses = Counter(UptakeRecord.objects.values_list("status", flat=True))
    assert set(statuses) == set(UptakeStatus.values)
    oldest = UptakeChange.objects.order_by("changed_at").first().changed_at
    assert (dt.datetime.now(dt.UTC) - oldest).days > 90
    assert (
        UptakeChange.objects.filter(old_status="").count()
        == UptakeRecord.objects.count()
    )
    html = "".join(client.get(p.url).content.decode() for p in QIPackPage.objects.all())
    assert "% implemented" in html
    assert "Not enough responses yet to show national uptake" in html


def _related_pages_list_the_packs_that_use_them(client):
    from learning.models import SafetyMessagePage

    safer_sleep = SafetyMessagePage.objects.get(
        slug="safer-sleep", locale__language_code="en-gb"
    )
    html = client.get(safer_sleep.url).content.decode()
    assert "QI packs that use this" in html
    assert "Safer sleep: learning from sudden unexpected deaths in infancy" in html


def test_two_qi_leads_in_different_organisations_can_sign_in(seeded):
    logins = demo.demo_logins()
    assert len(logins) == 2
    assert len({login["organisation"] for login in logins}) == 2
    saved = json.loads((seeded / "demo-qi-leads.json").read_text())
    for login in logins:
        user = Membership.objects.get(
            user__username=login["username"], role="qi_lead"
        ).user
        assert user.check_password(login["password"])
        assert saved[login["username"]] == login["password"]
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        # The printed key is the device's key: a code made from it is accepted.
        key = login["totp_key"].replace(" ", "")
        assert device.bin_key == b32decode(key + "=" * (-len(key) % 8))
        assert device.verify_token(str(totp(device.bin_key)).zfill(6))
        assert len(login["backup_codes"]) == 10
        code = login["backup_codes"][0].replace(" ", "")
        assert StaticToken.objects.filter(device__user=user, token=code).exists()
    # The key is fixed: the same on every database.
    assert demo.demo_totp_key("qi.northshire") == demo.demo_totp_key("qi.northshire")

    # make run prints them.
    from website.management.commands.runplatform import Command

    lines = "\n".join(Command()._qi_lead_lines("http://127.0.0.1:8000"))
    for login in demo.demo_logins():
        assert login["username"] in lines and login["password"] in lines
        assert login["totp_key"] in lines
        assert login["backup_codes"][0] in lines
    assert "http://127.0.0.1:8000/qi/login/" in lines
