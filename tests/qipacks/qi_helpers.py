"""Shared set-up for the QI lead area's tests: packs, organisations, people, devices.

``make_world()`` builds two live packs and a draft one, three organisations (two
CDOPs in London, one ICB in the North West), a QI lead and a viewer in CDOP A and
a QI lead in CDOP B (whose record carries an evidence file).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from qipacks import services
from qipacks.models import EvidenceDocument, UptakeStatus
from tests.factories import (
    HomePageFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    ensure_site,
)
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
)
from website.models import Membership

PASSWORD = "correct-horse-9"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def code_for(device: TOTPDevice) -> str:
    """The code the person's app shows now."""
    code = totp(device.bin_key, step=device.step, digits=device.digits)
    return f"{code:0{device.digits}d}"


def add_app(user) -> TOTPDevice:
    return TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True
    )


def verified_client(client, user):
    """Signed in with a verified second factor, without the login pages (which
    have their own tests): the session django-otp's middleware reads."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or add_app(
        user
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def remove_new_evidence_files(before: set[Path]) -> None:
    """Delete evidence files a test stored (private storage is not per test)."""
    for path in evidence_files() - before:
        path.unlink(missing_ok=True)
        if not any(path.parent.iterdir()):
            path.parent.rmdir()


def evidence_files() -> set[Path]:
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "evidence"
    return set(folder.glob("*/*")) if folder.exists() else set()


def private_files(organisation) -> set[str]:
    """Evidence files on disk for an organisation (private storage)."""
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "evidence" / str(organisation.pk)
    return {p.name for p in folder.glob("*")} if folder.exists() else set()


def make_world(today: datetime.date | None = None) -> SimpleNamespace:
    today = today or timezone.localdate()
    home = ensure_site(HomePageFactory.build_home())
    index = QIPackIndexPageFactory(parent=home)
    sleep = QIPackPageFactory(parent=index, title="Safer sleep for infants")
    suicide = QIPackPageFactory(parent=index, title="Learning from child suicide")
    draft = QIPackPageFactory(parent=index, title="Draft pack", live=False)

    r1 = RecommendationFactory(
        pack=sleep,
        reference="R1",
        text="Give every family safer-sleep advice at each contact.",
        applies_to=["cdop", "icb"],
        response_due=today - datetime.timedelta(days=10),
    )
    r2 = RecommendationFactory(
        pack=sleep,
        reference="R2",
        text="Audit safer-sleep conversations each quarter.",
        applies_to=["cdop"],
        response_due=today + datetime.timedelta(days=5),
    )
    r3 = RecommendationFactory(
        pack=suicide,
        reference="R1",
        text="Review self-harm pathways with schools.",
        applies_to=["cdop", "school"],
        response_due=today + datetime.timedelta(days=200),
    )
    icb_only = RecommendationFactory(
        pack=suicide,
        reference="R2",
        text="Commission bereavement support.",
        applies_to=["icb"],
        response_due=today + datetime.timedelta(days=200),
    )
    hidden = RecommendationFactory(
        pack=draft, reference="R1", applies_to=["cdop"], response_due=today
    )

    org_a = OrganisationFactory(name="CDOP A", code="CDOPA", type="cdop", region="lon")
    org_b = OrganisationFactory(name="CDOP B", code="CDOPB", type="cdop", region="lon")
    org_c = OrganisationFactory(name="ICB C", code="ICBC", type="icb", region="nw")

    lead_a = UserFactory(username="lead-a", first_name="Asha", last_name="Patel")
    viewer_a = UserFactory(username="viewer-a", first_name="Vic", last_name="Jones")
    lead_b = UserFactory(username="lead-b", first_name="Ben", last_name="Okafor")
    lead_c = UserFactory(username="lead-c", first_name="Cara", last_name="Smith")
    MembershipFactory(user=lead_a, organisation=org_a)
    MembershipFactory(user=viewer_a, organisation=org_a, role=Membership.Role.VIEWER)
    MembershipFactory(user=lead_b, organisation=org_b)
    MembershipFactory(user=lead_c, organisation=org_c)

    document_b = EvidenceDocument(
        organisation=org_b,
        original_name="b-audit.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=lead_b,
    )
    document_b.file.save("b-audit.pdf", ContentFile(PDF), save=False)
    document_b.save()
    record_b = services.record_uptake(
        recommendation=r1,
        organisation=org_b,
        user=lead_b,
        status=UptakeStatus.IMPLEMENTED,
        evidence="B's audit.",
        evidence_document=document_b,
    )
    return SimpleNamespace(**locals())
