"""Access control in the QI lead area, tested rather than assumed.

For every URL and verb that touches an uptake record, its history, an evidence
document or an export: another organisation's object is "not found" and nothing
changes; recommendations that do not apply are "not found"; a forged organisation
id is ignored; anonymous people go to login; a password without the second factor
reaches nothing; viewers cannot change anything; hostile input is refused with a
message and writes nothing.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qipacks.models import EvidenceDocument, UptakeChange, UptakeRecord
from tests.qipacks.qi_helpers import (
    PASSWORD,
    PDF,
    add_app,
    private_files,
    verified_client,
)

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything a request here could change."""
    return (
        sorted(
            UptakeRecord.objects.values_list(
                "pk",
                "organisation_id",
                "recommendation_id",
                "status",
                "evidence",
                "not_applicable_reason",
                "next_review",
                "evidence_document_id",
                "updated_at",
            )
        ),
        UptakeChange.objects.count(),
        sorted(EvidenceDocument.objects.values_list("pk", "organisation_id")),
    )


def valid_post():
    return {
        "status": "implemented",
        "evidence": "Forged.",
        "evidence_file": SimpleUploadedFile("x.pdf", PDF),
    }


# Every organisation-scoped URL, as (method, path for the world, post data).
def b_urls(world):
    return [
        ("get", "/qi/CDOPB/", None),
        ("get", f"/qi/CDOPB/recommendations/{world.r1.pk}/", None),
        ("post", f"/qi/CDOPB/recommendations/{world.r1.pk}/", valid_post()),
        ("post", f"/qi/CDOPB/recommendations/{world.r2.pk}/", valid_post()),
        ("get", "/qi/CDOPB/progress/", None),
        ("get", "/qi/CDOPB/export.csv", None),
        ("get", "/qi/CDOPB/export.xlsx", None),
        ("get", f"/qi/evidence/{world.document_b.pk}/", None),
    ]


def all_urls(world):
    return [
        ("get", "/qi/", None),
        ("get", "/qi/CDOPA/", None),
        ("get", f"/qi/CDOPA/recommendations/{world.r1.pk}/", None),
        ("post", f"/qi/CDOPA/recommendations/{world.r1.pk}/", valid_post()),
        ("get", f"/qi/recommendations/{world.r1.pk}/", None),
        ("get", "/qi/CDOPA/progress/", None),
        ("get", "/qi/CDOPA/export.csv", None),
        ("get", "/qi/CDOPA/export.xlsx", None),
        ("get", "/qi/export.csv", None),
        ("get", f"/qi/evidence/{world.document_b.pk}/", None),
        ("get", "/qi/backup-codes/", None),
        ("post", "/qi/backup-codes/", {}),
    ] + b_urls(world)


def test_another_organisations_records_are_not_found_and_unchanged(client, world):
    verified_client(client, world.lead_a)
    before = snapshot()
    files_b, files_a = private_files(world.org_b), private_files(world.org_a)
    for method, path, data in b_urls(world):
        response = getattr(client, method)(path, data or {})
        assert response.status_code == HTTPStatus.NOT_FOUND, (method, path)
        assert "no-store" in response["Cache-Control"], path
        assert b"B's audit" not in response.content
    assert snapshot() == before
    assert private_files(world.org_b) == files_b
    assert private_files(world.org_a) == files_a


def test_a_viewer_of_another_organisation_is_refused_the_same_way(client, world):
    verified_client(client, world.viewer_a)
    before = snapshot()
    for method, path, data in b_urls(world):
        response = getattr(client, method)(path, data or {})
        assert response.status_code == HTTPStatus.NOT_FOUND, (method, path)
    assert snapshot() == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_recommendations_that_do_not_apply_are_not_found(client, world, method):
    verified_client(client, world.lead_a)
    before = snapshot()
    for rec in (world.icb_only, world.hidden):  # another type; a draft pack
        path = f"/qi/CDOPA/recommendations/{rec.pk}/"
        response = getattr(client, method)(path, valid_post())
        assert response.status_code == HTTPStatus.NOT_FOUND, path
        short = client.get(f"/qi/recommendations/{rec.pk}/")
        assert short.status_code == HTTPStatus.NOT_FOUND
    assert client.get("/qi/CDOPA/recommendations/999999/").status_code == 404
    assert snapshot() == before


def test_a_forged_organisation_id_is_ignored(client, world):
    verified_client(client, world.lead_a)
    response = client.post(
        f"/qi/CDOPA/recommendations/{world.r2.pk}/",
        {
            "status": "planned",
            "evidence": "Ours.",
            "organisation": world.org_b.pk,
            "organisation_id": world.org_b.pk,
            "recommendation": world.icb_only.pk,
            "evidence_document": world.document_b.pk,
        },
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    record = UptakeRecord.objects.get(recommendation=world.r2)
    assert record.organisation == world.org_a
    assert record.evidence_document is None  # B's document was not attached
    assert not UptakeRecord.objects.filter(
        organisation=world.org_b, recommendation=world.r2
    ).exists()
    assert not UptakeRecord.objects.filter(recommendation=world.icb_only).exists()


def test_short_recommendation_address_leads_to_own_organisation(client, world):
    verified_client(client, world.lead_a)
    response = client.get(f"/qi/recommendations/{world.r1.pk}/")
    assert response["Location"] == f"/qi/CDOPA/recommendations/{world.r1.pk}/"


def test_anonymous_people_are_sent_to_login(client, world):
    before = snapshot()
    for method, path, data in all_urls(world):
        response = getattr(client, method)(path, data or {})
        assert response.status_code == HTTPStatus.FOUND, (method, path)
        assert response["Location"].startswith("/qi/login/?next="), path
    assert snapshot() == before


def test_a_password_without_the_second_factor_reaches_nothing(client, world):
    add_app(world.lead_a)
    client.post(
        "/qi/login/",
        {"username": "lead-a", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
    )
    assert "_auth_user_id" in client.session
    before = snapshot()
    for method, path, data in all_urls(world):
        response = getattr(client, method)(path, data or {})
        assert response.status_code == HTTPStatus.FOUND, (method, path)
        assert response["Location"].startswith("/qi/verify/?next="), path
    assert snapshot() == before
    # The pages that finish signing in (or out) are open.
    assert client.get("/qi/verify/").status_code == HTTPStatus.OK
    assert client.get("/qi/logout/").status_code == HTTPStatus.OK


def test_without_any_second_factor_only_setup_is_open(client, world):
    client.post(
        "/qi/login/",
        {"username": "lead-a", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.3",
    )
    for method, path, data in all_urls(world):
        response = getattr(client, method)(path, data or {})
        assert response.status_code == HTTPStatus.FOUND, (method, path)
        assert response["Location"].startswith("/qi/setup/?next="), path
    assert client.get("/qi/setup/").status_code == HTTPStatus.OK


def test_a_viewer_reads_but_cannot_change(client, world):
    verified_client(client, world.viewer_a)
    page = client.get(f"/qi/CDOPA/recommendations/{world.r1.pk}/")
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert "Only its QI leads can change it" in html
    assert (
        'name="status"' not in html
        and '<form method="post" action="/qi/CDOPA' not in html
    )
    before = snapshot()
    files = private_files(world.org_a)
    response = client.post(f"/qi/CDOPA/recommendations/{world.r1.pk}/", valid_post())
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "only its QI leads can change them" in response.content.decode()
    assert snapshot() == before
    assert private_files(world.org_a) == files


def test_the_update_form_needs_its_csrf_token(world):
    from django.test import Client

    client = verified_client(Client(enforce_csrf_checks=True), world.lead_a)
    before, files = snapshot(), private_files(world.org_a)
    response = client.post(f"/qi/CDOPA/recommendations/{world.r1.pk}/", valid_post())
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert snapshot() == before
    assert private_files(world.org_a) == files


# --- Hostile input --------------------------------------------------------------------


DOCX_LOOKALIKE = b"PK\x03\x04" + b"\0" * 40  # a zip header and nothing of Word's


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select where your organisation is with this recommendation"),
        ({"status": "done"}, "Select one of the statuses listed"),
        (
            {"status": "implemented\r\nX-Injected: 1"},
            "Select one of the statuses listed",
        ),
        ({"status": "IMPLEMENTED"}, "Select one of the statuses listed"),
        (
            {"status": "implemented", "evidence": "x" * 100_000},
            "Evidence must be 10,000 characters or fewer",
        ),
        (
            {"status": "not_applicable", "not_applicable_reason": "y\r\n" * 40_000},
            "Why it does not apply must be 2,000 characters or fewer",
        ),
        ({"status": "implemented", "evidence": "nul\x00byte"}, "Null characters"),
        (
            {
                "status": "planned",
                "next_review_day": "31",
                "next_review_month": "2",
                "next_review_year": "2030",
            },
            "Next review date must be a real date",
        ),
        (
            {
                "status": "planned",
                "next_review_day": "aa",
                "next_review_month": "3",
                "next_review_year": "2030",
            },
            "Next review date must be a real date",
        ),
        (
            {
                "status": "planned",
                "next_review_day": "1",
                "next_review_month": "3",
                "next_review_year": "20301",
            },
            "Next review date must be a real date",
        ),
        (
            {"status": "planned", "next_review_day": "1", "next_review_month": "3"},
            "Next review date must include a year",
        ),
        (
            {
                "status": "planned",
                "next_review_day": "1",
                "next_review_month": "1",
                "next_review_year": "2001",
            },
            "Next review date must be today or in the future",
        ),
        (
            {
                "status": "planned",
                "next_review_day": "1",
                "next_review_month": "1",
                "next_review_year": "9999",
            },
            "Next review date must be within the next 10 years",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("run.exe", b"MZ\x90\x00"),
            },
            "must be a PDF, Word document",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("page.html", b"<script>x</script>"),
            },
            "must be a PDF, Word document",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("noextension", PDF),
            },
            "must be a PDF, Word document",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("report.pdf", b"MZ\x90\x00 an exe"),
            },
            "is not a real PDF file",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile(
                    "photo.png", b"<svg onload=alert(1)>"
                ),
            },
            "is not a real PNG file",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("notes.txt", b"\x00\x01\x02binary"),
            },
            "is not a real text file",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("a.docx", DOCX_LOOKALIKE),
            },
            "is not a real Word file",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("sheet.xlsx", PDF),
            },
            "is not a real Excel file",
        ),
        (
            {
                "status": "planned",
                "evidence_file": SimpleUploadedFile("empty.pdf", b""),
            },
            "The selected file is empty",
        ),
    ],
)
def test_hostile_input_is_refused_with_a_message_and_writes_nothing(
    client, world, data, message
):
    verified_client(client, world.lead_a)
    before, files = snapshot(), private_files(world.org_a)
    response = client.post(f"/qi/CDOPA/recommendations/{world.r1.pk}/", data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert snapshot() == before
    assert private_files(world.org_a) == files


def test_an_oversized_file_is_refused_and_not_kept(client, world):
    verified_client(client, world.lead_a)
    before, files = snapshot(), private_files(world.org_a)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    response = client.post(
        f"/qi/CDOPA/recommendations/{world.r1.pk}/",
        {"status": "implemented", "evidence": "With a big file.", "evidence_file": big},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The selected file must be smaller than 10 MB" in response.content.decode()
    assert 'href="#field-evidence_file"' in response.content.decode()
    assert snapshot() == before
    assert private_files(world.org_a) == files


def test_a_good_post_after_hostile_ones_still_works(client, world):
    verified_client(client, world.lead_a)
    client.post(f"/qi/CDOPA/recommendations/{world.r1.pk}/", {"status": "bogus"})
    response = client.post(f"/qi/CDOPA/recommendations/{world.r1.pk}/", valid_post())
    assert response.status_code == HTTPStatus.SEE_OTHER
    record = UptakeRecord.objects.get(organisation=world.org_a, recommendation=world.r1)
    assert record.evidence_document.organisation == world.org_a
