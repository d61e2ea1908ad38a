"""National exports: CSV parsed back, XLSX opened with openpyxl, formulas guarded."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from qipacks import exports
from tests.qipacks.test_national import national_world, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    world = national_world()
    client.force_login(staff_user())
    return world


def get_csv(client, kind, query="") -> list[list[str]]:
    url = reverse("qipacks_national_export", args=[kind]) + "?format=csv" + query
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="qi-uptake-{kind}'
    )
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def get_xlsx(client, kind, query=""):
    url = reverse("qipacks_national_export", args=[kind]) + "?format=xlsx" + query
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    return workbook.active


def test_summary_csv(client, world):
    rows = get_csv(client, "summary")
    assert rows[0] == [
        "Pack",
        "Recommendation",
        "Text",
        "Applies to",
        "First response due",
        "Organisations it applies to",
        "Implemented",
        "In progress",
        "Planned",
        "Not started",
        "Not applicable",
        "No response yet",
        "Share implemented (%)",
    ]
    by_ref = {(r[0], r[1]): r for r in rows[1:]}
    assert len(by_ref) == 3
    a1 = by_ref[("Safer sleep", "R1")]
    assert a1[3] == "Child Death Overview Panel (CDOP); Integrated care board (ICB)"
    assert a1[4] == world.a1.response_due.isoformat()
    assert a1[5:] == ["3", "1", "0", "0", "1", "0", "1", "33.3"]
    assert by_ref[("Self-harm", "R1")][5:] == [
        "3",
        "1",
        "0",
        "0",
        "0",
        "1",
        "1",
        "50.0",
    ]


def test_summary_xlsx_keeps_numbers_as_numbers(client, world):
    sheet = get_xlsx(client, "summary", "&region=lon")
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Pack" and rows[0][-1] == "Share implemented (%)"
    a1 = next(r for r in rows[1:] if r[:2] == ("Safer sleep", "R1"))
    assert a1[5:] == (2, 1, 0, 0, 0, 0, 1, 50.0)


def test_matrix_csv_and_xlsx(client, world):
    rows = get_csv(client, "matrix", f"&pack={world.packs.sleep.pk}")
    assert rows[0] == [
        "Organisation",
        "Code",
        "Type",
        "Region",
        "Named lead",
        "Safer sleep: R1",
        "Safer sleep: R2",
        "Recommendations that apply",
        "Responded",
        "Implemented",
    ]
    body = {r[0]: r[1:] for r in rows[1:]}
    assert list(body) == [
        "Alpha CDOP",
        "Beta CDOP",
        "Delta trust",
        "Epsilon school",
        "Gamma ICB",
    ]
    assert body["Alpha CDOP"] == [
        "ALPHA",
        "Child Death Overview Panel (CDOP)",
        "London",
        "Ann Lead",
        "Implemented",
        "Does not apply",
        "1",
        "1",
        "1",
    ]
    assert body["Gamma ICB"][4:] == ["No response yet", "Does not apply", "1", "0", "0"]

    sheet = get_xlsx(client, "matrix")  # every pack
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][5:8] == ("Safer sleep: R1", "Safer sleep: R2", "Self-harm: R1")
    alpha = rows[1]
    assert alpha[0] == "Alpha CDOP"
    assert alpha[5:] == ("Implemented", "Does not apply", "Not applicable", 2, 2, 1)
    epsilon = next(r for r in rows if r[0] == "Epsilon school")
    assert epsilon[5:] == ("Does not apply", "Does not apply", "Implemented", 1, 1, 1)


def test_matrix_export_covers_every_organisation_not_one_page(
    client, world, monkeypatch
):
    from qipacks import national_views

    monkeypatch.setattr(national_views, "ORGANISATIONS_PER_PAGE", 2)
    monkeypatch.setattr(exports, "MATRIX_CHUNK", 2)
    assert len(get_csv(client, "matrix")) == 1 + 5


def test_overdue_exports(client, world):
    rows = get_csv(client, "overdue")
    assert rows[0][:7] == [
        "Organisation",
        "Code",
        "Type",
        "Region",
        "Named lead",
        "Named lead's email",
        "Overdue responses",
    ]
    assert [(r[0], r[4], r[5], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("Beta CDOP", "Bob Lead", "bob@example.org", "2", "1", "1"),
        ("Gamma ICB", "", "", "1", "1", "0"),
    ]
    assert rows[1][10] == "Safer sleep: R1; Self-harm: R1"
    sheet = get_xlsx(client, "overdue")
    assert [r[6] for r in sheet.iter_rows(min_row=2, values_only=True)] == [2, 1]


@pytest.mark.parametrize("payload", ["=1+2", "+SUM(A1)", "-3+3", "@cmd", "\tx"])
def test_formula_injection_is_guarded(client, world, payload):
    world.alpha.name = payload + " Alpha"
    world.alpha.named_lead_name = payload
    world.alpha.save()
    world.packs.sleep.title = payload + " pack"
    world.packs.sleep.save()
    rows = get_csv(client, "matrix")
    header = rows[0]
    assert header[5] == "'" + payload + " pack: R1"
    alpha = next(r for r in rows if r[0].endswith(" Alpha"))
    assert alpha[0] == "'" + payload + " Alpha"
    assert alpha[4] == "'" + payload
    summary = get_csv(client, "summary")
    assert any(r[0] == "'" + payload + " pack" for r in summary[1:])

    sheet = get_xlsx(client, "matrix")
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t"))
                assert cell.data_type == "s"
    names = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'" + payload + " Alpha" in names


def test_safe_cell():
    assert exports.safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert exports.safe_cell("Plain") == "Plain"
    assert exports.safe_cell(-3) == -3
    assert exports.safe_cell(12.5) == 12.5
    assert exports.safe_cell(None) == ""
