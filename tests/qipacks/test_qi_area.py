"""The QI lead area once signed in: the to-do list, updating a response with
evidence, the evidence download, progress against region and nation, exports."""

from __future__ import annotations

import csv
import datetime
import io
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from qipacks import services
from qipacks.models import EvidenceDocument, UptakeChange, UptakeRecord, UptakeStatus
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.factories.qipacks import RecommendationFactory
from tests.qipacks.qi_helpers import (
    PDF,
    private_files,
    verified_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(client, world):
    return verified_client(client, world.lead_a)


def url(world, rec, org="a"):
    return reverse(
        "qi:recommendation", args=[getattr(world, f"org_{org}").code, rec.pk]
    )


# --- The to-do list ---------------------------------------------------------------


def test_home_goes_straight_to_the_one_organisation(lead, world):
    response = lead.get("/qi/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/qi/CDOPA/"


def test_people_in_several_organisations_choose_one(client, world):
    MembershipFactory(user=world.lead_a, organisation=world.org_c)
    verified_client(client, world.lead_a)
    page = client.get("/qi/").content.decode()
    assert "Choose an organisation" in page
    assert 'href="/qi/CDOPA/"' in page and 'href="/qi/ICBC/"' in page
    assert client.get("/qi/ICBC/").status_code == HTTPStatus.OK


def test_someone_with_no_organisation_is_told_what_to_do(client, world):
    verified_client(client, UserFactory(username="nobody"))
    response = client.get("/qi/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Ask the programme team" in response.content.decode()


def test_todo_lists_each_applicable_live_recommendation_by_pack(lead, world):
    response = lead.get("/qi/CDOPA/")
    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    groups = response.context["groups"]
    assert [g.pack.title for g in groups] == [
        "Learning from child suicide",
        "Safer sleep for infants",
    ]
    seen = {item.recommendation.pk for g in groups for item in g.items}
    # Not the ICB one, not the draft.
    assert seen == {world.r1.pk, world.r2.pk, world.r3.pk}
    html = response.content.decode()
    assert "Commission bereavement support" not in html
    assert "Draft pack" not in html
    assert html.count("No response yet") >= 3


def test_todo_marks_overdue_and_due_soon(lead, world):
    response = lead.get("/qi/CDOPA/")
    items = {
        item.recommendation.pk: item
        for g in response.context["groups"]
        for item in g.items
    }
    assert items[world.r1.pk].overdue  # due 10 days ago, no response
    assert not items[world.r1.pk].due_soon
    assert items[world.r2.pk].due_soon  # due in 5 days
    assert not items[world.r2.pk].overdue
    assert not items[world.r3.pk].overdue and not items[world.r3.pk].due_soon
    html = response.content.decode()
    assert "Overdue" in html and "Due soon" in html

    # A first response ends "overdue"; "not started" does not count as one.
    services.record_uptake(
        recommendation=world.r1,
        organisation=world.org_a,
        user=world.lead_a,
        status=UptakeStatus.NOT_STARTED,
    )
    items = {
        i.recommendation.pk: i
        for g in lead.get("/qi/CDOPA/").context["groups"]
        for i in g.items
    }
    assert items[world.r1.pk].overdue
    services.record_uptake(
        recommendation=world.r1,
        organisation=world.org_a,
        user=world.lead_a,
        status=UptakeStatus.PLANNED,
        next_review=timezone.localdate() - datetime.timedelta(days=1),
    )
    items = {
        i.recommendation.pk: i
        for g in lead.get("/qi/CDOPA/").context["groups"]
        for i in g.items
    }
    assert not items[world.r1.pk].overdue
    assert items[world.r1.pk].review_passed
    assert items[world.r1.pk].status_label == "Planned"


def test_todo_query_count_does_not_grow_with_recommendations(
    lead, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as few:
        lead.get("/qi/CDOPA/")
    for n in range(40):
        rec = RecommendationFactory(
            pack=world.sleep, reference=f"X{n}", applies_to=["cdop"]
        )
        if n % 2:
            services.record_uptake(
                recommendation=rec,
                organisation=world.org_a,
                user=world.lead_a,
                status=UptakeStatus.IN_PROGRESS,
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = lead.get("/qi/CDOPA/")
    assert sum(len(g.items) for g in response.context["groups"]) == 43


# --- Updating one response ------------------------------------------------------------


def test_the_update_page_shows_the_record_history_and_a_form(lead, world):
    response = lead.get(url(world, world.r1))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Recommendation R1" in html
    assert "Give every family safer-sleep advice" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "No response has been recorded yet" in html
    assert "no-store" in response["Cache-Control"]


def test_a_qi_lead_updates_a_response_with_evidence_and_a_file(lead, world):
    before = private_files(world.org_a)
    upload = SimpleUploadedFile("Audit Q1 ü.pdf", PDF, content_type="text/html")
    response = lead.post(
        url(world, world.r1),
        {
            "status": "implemented",
            "evidence": "Audit of 40 cases:\r\nall families given advice.",
            "next_review_day": "31",
            "next_review_month": "3",
            "next_review_year": str(timezone.localdate().year + 1),
            "evidence_file": upload,
        },
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == url(world, world.r1)

    record = UptakeRecord.objects.get(organisation=world.org_a, recommendation=world.r1)
    assert record.status == UptakeStatus.IMPLEMENTED
    assert record.evidence == "Audit of 40 cases:\nall families given advice."
    assert record.next_review == datetime.date(timezone.localdate().year + 1, 3, 31)
    assert record.updated_by == world.lead_a
    document = record.evidence_document
    assert document.organisation == world.org_a
    assert document.original_name == "Audit Q1 ü.pdf"
    # The type comes from the content, never from what the browser claimed.
    assert document.content_type == "application/pdf"
    assert document.uploaded_by == world.lead_a
    # Stored privately under a random name, nowhere under MEDIA_ROOT.
    stored = Path(document.file.path)
    assert stored.read_bytes() == PDF
    assert Path(settings.PRIVATE_MEDIA_ROOT) in stored.parents
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    assert "Audit" not in stored.name and len(stored.name) == 32
    assert private_files(world.org_a) - before == {stored.name}
    [change] = UptakeChange.objects.filter(record=record)
    assert (change.old_status, change.new_status) == ("", "implemented")
    assert change.changed_by_name == "Asha Patel"

    page = lead.get(response["Location"]).content.decode()
    assert "Your response to R1 is saved: Implemented." in page
    assert "First response: <strong>Implemented</strong>" in page
    assert "Asha Patel" in page
    assert f'href="/qi/evidence/{document.pk}/"' in page

    # Saving again with a new status adds to the history; the file stays.
    lead.post(
        url(world, world.r1),
        {"status": "in_progress", "evidence": "Re-audit under way."},
    )
    record.refresh_from_db()
    assert record.evidence_document == document
    assert list(
        UptakeChange.objects.filter(record=record).values_list(
            "old_status", "new_status"
        )
    ) == [("implemented", "in_progress"), ("", "implemented")]
    page = lead.get(url(world, world.r1)).content.decode()
    assert "Implemented to <strong>In progress</strong>" in page


def test_saving_the_same_again_changes_nothing(lead, world):
    data = {"status": "planned", "evidence": "Plan agreed."}
    lead.post(url(world, world.r2), data)
    response = lead.post(url(world, world.r2), data, follow=True)
    assert "Nothing had changed" in response.content.decode()
    assert UptakeChange.objects.filter(organisation=world.org_a).count() == 1


def test_the_current_file_can_be_removed(lead, world):
    lead.post(
        url(world, world.r2),
        {
            "status": "planned",
            "evidence_file": SimpleUploadedFile("plan.txt", b"Our plan.\n"),
        },
    )
    record = UptakeRecord.objects.get(organisation=world.org_a, recommendation=world.r2)
    assert record.evidence_document.content_type == "text/plain"
    lead.post(url(world, world.r2), {"status": "planned", "remove_file": "on"})
    record.refresh_from_db()
    assert record.evidence_document is None


def test_not_applicable_needs_a_reason(lead, world):
    response = lead.post(url(world, world.r2), {"status": "not_applicable"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "Say why this recommendation does not apply" in html
    assert 'href="#field-not_applicable_reason"' in html
    assert not UptakeRecord.objects.filter(organisation=world.org_a).exists()
    ok = lead.post(
        url(world, world.r2),
        {"status": "not_applicable", "not_applicable_reason": "No maternity unit."},
    )
    assert ok.status_code == HTTPStatus.SEE_OTHER


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.docx", None, "docx"),
        ("a.xlsx", None, "xlsx"),
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "image/png"),
        ("a.JPG", b"\xff\xd8\xff\xe0" + b"\0" * 20, "image/jpeg"),
        ("a.csv", "name,value\r\nÉcole,1\r\n".encode(), "text/csv"),
        (
            "a.doc",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 20,
            "application/msword",
        ),
    ],
)
def test_each_allowed_file_type_is_accepted(lead, world, name, content, kind):
    if content is None:
        content = office_file(kind)
        kind = {
            "docx": "application/vnd.openxmlformats-officedocument."
            "wordprocessingml.document",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[kind]
    response = lead.post(
        url(world, world.r3),
        {"status": "planned", "evidence_file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER, response.content.decode()[
        :3000
    ]
    assert EvidenceDocument.objects.get(organisation=world.org_a).content_type == kind


def office_file(kind: str) -> bytes:
    if kind == "xlsx":
        from openpyxl import Workbook

        out = io.BytesIO()
        Workbook().save(out)
        return out.getvalue()
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


# --- Evidence download ----------------------------------------------------------------


def test_members_download_evidence_as_an_attachment_that_cannot_run(client, world):
    verified_client(client, world.lead_b)
    response = client.get(reverse("qi:evidence", args=[world.document_b.pk]))
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="b-audit.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_original_names_are_made_safe_for_download_headers(lead, world):
    from qipacks.qi_forms import clean_original_name

    assert clean_original_name('C:\\Users\\me\\..\\x"\r\nSet-Cookie: a=b;.txt') == (
        'x"Set-Cookie: a=b;.txt'
    )
    assert clean_original_name("\x00\x1f") == "evidence"
    assert len(clean_original_name("a" * 400 + ".pdf")) == 200
    assert clean_original_name("a" * 400 + ".pdf").endswith(".pdf")

    lead.post(
        url(world, world.r3),
        {
            "status": "planned",
            "evidence_file": SimpleUploadedFile("plan; final é.txt", b"Hi\n"),
        },
    )
    document = EvidenceDocument.objects.get(organisation=world.org_a)
    response = lead.get(reverse("qi:evidence", args=[document.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''plan%3B%20final%20%C3%A9.txt"
    )
    assert response["Content-Type"] == "text/plain"


def test_staff_who_may_see_all_uptake_can_download_evidence(client, world):
    from django.contrib.auth.models import Permission

    staff = UserFactory(username="programme", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_uptakerecord"))
    verified_client(client, staff)
    response = client.get(reverse("qi:evidence", args=[world.document_b.pk]))
    assert response.status_code == HTTPStatus.OK


# --- Progress -------------------------------------------------------------------------


def test_progress_against_region_and_nation(lead, world, settings):
    settings.UPTAKE_MIN_RESPONSES = 2
    # Another London CDOP and a North West one, so the figures differ.
    org_d = OrganisationFactory(name="CDOP D", code="CDOPD", type="cdop", region="lon")
    org_e = OrganisationFactory(name="CDOP E", code="CDOPE", type="cdop", region="nw")
    for org, rec, status in [
        (world.org_a, world.r1, "implemented"),
        (world.org_a, world.r2, "in_progress"),
        (org_d, world.r1, "planned"),
        (org_e, world.r1, "implemented"),
        (org_e, world.r2, "implemented"),
        (world.org_c, world.r1, "implemented"),
    ]:
        services.record_uptake(
            recommendation=rec, organisation=org, user=world.lead_a, status=status
        )
    response = lead.get("/qi/CDOPA/progress/")
    assert response.status_code == HTTPStatus.OK
    sleep = next(p for p in response.context["packs"] if p.pack == world.sleep)
    # CDOP A: 1 of its 2 implemented.
    assert sleep.own.percent_implemented == 50
    # London (CDOPs A, B, D; no London ICB): R1 x3 + R2 x3 = 6; A, B implemented R1.
    assert sleep.region.applicable == 6
    assert sleep.region.implemented == 2
    assert round(sleep.region.percent_implemented) == 33
    # England: R1 applies to 4 CDOPs + 1 ICB, R2 to 4 CDOPs = 9; implemented A, B,
    # E (twice) and C.
    assert sleep.national.applicable == 9
    assert sleep.national.implemented == 5
    html = response.content.decode()
    assert '<svg class="qi-chart" role="img"' in html
    assert 'data-share="own">50%' in html
    assert 'data-share="region">33%' in html
    assert 'data-share="national">56%' in html


def test_few_responses_are_not_shown_as_a_regional_figure(lead, world, settings):
    settings.UPTAKE_MIN_RESPONSES = 5
    html = lead.get("/qi/CDOPA/progress/").content.decode()
    assert 'data-share="region">Not enough responses yet' in html


def test_progress_query_count_is_bounded(lead, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as few:
        lead.get("/qi/CDOPA/progress/")
    for n in range(20):
        org = OrganisationFactory(type="cdop")
        rec = RecommendationFactory(
            pack=world.sleep, reference=f"Y{n}", applies_to=["cdop"]
        )
        services.record_uptake(
            recommendation=rec, organisation=org, user=world.lead_a, status="planned"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        lead.get("/qi/CDOPA/progress/")


# --- Exports --------------------------------------------------------------------------


def test_csv_export_has_a_row_per_recommendation_and_defuses_formulas(lead, world):
    services.record_uptake(
        recommendation=world.r1,
        organisation=world.org_a,
        user=world.lead_a,
        status="implemented",
        evidence='=HYPERLINK("http://evil.example","click")',
    )
    services.record_uptake(
        recommendation=world.r2,
        organisation=world.org_a,
        user=world.lead_a,
        status="planned",
        evidence="-2+3",
    )
    response = lead.get("/qi/CDOPA/export.csv")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="qi-uptake-CDOPA-'
    )
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Pack", "Reference", "Recommendation"]
    body = {(r[0], r[1]): r for r in rows[1:]}
    assert len(body) == 3
    r1 = body[("Safer sleep for infants", "R1")]
    assert r1[5] == "Implemented"
    assert r1[7] == '\'=HYPERLINK("http://evil.example","click")'
    assert r1[10] == "Asha Patel"
    assert body[("Safer sleep for infants", "R2")][7] == "'-2+3"
    assert body[("Learning from child suicide", "R1")][5] == "No response yet"


def test_xlsx_export_opens_and_keeps_formulas_as_text(lead, world):
    services.record_uptake(
        recommendation=world.r1,
        organisation=world.org_a,
        user=world.lead_a,
        status="implemented",
        evidence="=1+1",
    )
    response = lead.get("/qi/CDOPA/export.xlsx")
    assert response.status_code == HTTPStatus.OK
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Pack"
    assert len(rows) == 4
    r1 = next(r for r in rows if r[0] == "Safer sleep for infants" and r[1] == "R1")
    assert r1[5] == "Implemented"
    assert r1[7] == "=1+1"
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=1+1")
    assert cell.data_type == "s"  # text, not a formula


def test_short_export_address_leads_to_the_persons_organisation(lead, world):
    response = lead.get("/qi/export.csv")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/qi/CDOPA/export.csv"
