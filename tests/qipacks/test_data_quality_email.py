"""Members hear of a new data-quality report by email: a link, never the figures.

One email per member (QI leads and viewers, active, with an address) per new
report, through the real pipeline (``send_transactional``), queued when the import
commits, and never twice for the same report however often it runs.
"""

from __future__ import annotations

import pytest
from django.core import mail

from bulletins.models import Send
from qipacks import data_quality as dq
from qipacks.models import DataQualityReport
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.qipacks.test_data_quality import csv_bytes, make_indicators
from website.models import Membership

pytestmark = pytest.mark.django_db

FIGURES = ["97.13", "81.29", "2.47", "93.61", "84.77"]


@pytest.fixture
def members():
    make_indicators()
    a = OrganisationFactory(name="Avon Panel", code="AAA")
    b = OrganisationFactory(name="Bexley Panel", code="BBB")
    lead = MembershipFactory(organisation=a, user=UserFactory(email="lead@a.example"))
    viewer = MembershipFactory(
        organisation=a,
        role=Membership.Role.VIEWER,
        user=UserFactory(email="viewer@a.example"),
    )
    MembershipFactory(organisation=a, user=UserFactory(email="", username="noemail"))
    MembershipFactory(
        organisation=a, user=UserFactory(email="gone@a.example", is_active=False)
    )
    other = MembershipFactory(organisation=b, user=UserFactory(email="b@b.example"))
    return a, b, lead.user, viewer.user, other.user


def _import(rows, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return dq.import_csv(csv_bytes(*rows), filename="q.csv")


ROWS = [
    "AAA,2025-04-01,2025-06-30,completeness,97.13,95,81.29",
    "AAA,2025-04-01,2025-06-30,missing-ethnicity,2.47,5,",
    "AAA,2025-07-01,2025-09-30,completeness,93.61,95,84.77",
]


def test_each_member_gets_one_email_per_new_report_with_a_link_only(
    members, celery_eager, django_capture_on_commit_callbacks
):
    a, b, lead, viewer, other = members
    mail.outbox.clear()
    outcome = _import(ROWS, django_capture_on_commit_callbacks)
    assert outcome.accepted and outcome.emails == 4

    reports = DataQualityReport.objects.filter(organisation=a).order_by("period_start")
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert sent == sorted(
        [
            ("lead@a.example", "A new data-quality report for Avon Panel"),
            ("viewer@a.example", "A new data-quality report for Avon Panel"),
        ]
        * 2
    )
    for message in mail.outbox:
        body = message.body + "".join(
            str(content) for content, _ in getattr(message, "alternatives", [])
        )
        for figure in FIGURES:
            assert figure not in body, f"{figure} must not be in an email"
        links = [line for line in body.splitlines() if "/data-quality/" in line]
        assert any(
            line.strip() == f"http://testserver/data-quality/{r.pk}/"
            for r in reports
            for line in links
        )
        assert "Notifications complete" not in body  # not even indicator names

    # Running it again (the same report, the same people) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert dq.notify_members([r.pk for r in reports]) == 4
    assert len(mail.outbox) == 4
    assert Send.objects.filter(key__startswith="data-quality-report-").count() == 4


def test_a_replaced_report_is_not_announced_again(
    members, celery_eager, django_capture_on_commit_callbacks
):
    _import(ROWS[:1], django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    again = _import(ROWS[:2], django_capture_on_commit_callbacks)
    assert (again.created, again.replaced, again.emails) == (0, 1, 0)
    assert len(mail.outbox) == 2


def test_a_rejected_import_sends_nothing(
    members, celery_eager, django_capture_on_commit_callbacks
):
    outcome = _import(
        [*ROWS, "ZZZ,2025-04-01,2025-06-30,completeness,1,2,3"],
        django_capture_on_commit_callbacks,
    )
    assert not outcome.accepted
    assert mail.outbox == []
    assert not Send.objects.exists()
