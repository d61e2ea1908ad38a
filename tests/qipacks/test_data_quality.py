"""Data-quality CSV import: good files saved exactly, bad files rejected whole with a
per-row report and the database unchanged; replacing a period; the template.

The helpers at the top are shared with the other ``test_data_quality_*`` modules.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from qipacks import data_quality as dq
from qipacks.models import (
    DataQualityImport,
    DataQualityIndicator,
    DataQualityReport,
    DataQualityValue,
)
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

HEADER = ",".join(dq.COLUMNS)


# --- Shared helpers ------------------------------------------------------------------


def make_indicators():
    """Three indicators: two percentages (one lower-is-better) and a count of days."""
    return {
        "completeness": DataQualityIndicator.objects.create(
            code="completeness", name="Notifications complete", sort_order=1
        ),
        "timeliness": DataQualityIndicator.objects.create(
            code="timeliness", name="Notified within 2 working days", sort_order=2
        ),
        "missing-ethnicity": DataQualityIndicator.objects.create(
            code="missing-ethnicity",
            name="Records with ethnicity missing",
            higher_is_better=False,
            sort_order=3,
        ),
    }


def csv_bytes(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def make_report(organisation, indicators, *, start=date(2025, 4, 1), values=None):
    """A report for ``organisation`` with a value for each indicator."""
    report = DataQualityReport.objects.create(
        organisation=organisation,
        period_start=start,
        period_end=date(start.year, start.month + 2, 30),
    )
    values = values or {
        "completeness": ("91.37", "95", "88.25"),
        "timeliness": ("76.41", "70", "81.5"),
        "missing-ethnicity": ("3.19", "5", "6.75"),
    }
    for code, (value, target, median) in values.items():
        DataQualityValue.objects.create(
            report=report,
            indicator=indicators[code],
            value=Decimal(value),
            target=Decimal(target),
            national_median=Decimal(median),
        )
    return report


def counts() -> tuple[int, int, int]:
    return (
        DataQualityReport.objects.count(),
        DataQualityValue.objects.count(),
        DataQualityImport.objects.filter(accepted=True).count(),
    )


# --- Good files -------------------------------------------------------------------


@pytest.fixture
def indicators():
    return make_indicators()


@pytest.fixture
def organisations():
    return [
        OrganisationFactory(code="RX1", name="North Panel"),
        OrganisationFactory(code="RX2", name="South Panel"),
    ]


def test_a_good_file_is_imported_exactly(indicators, organisations):
    data = csv_bytes(
        "RX1,2025-04-01,2025-06-30,completeness,92.5,95,90",
        "RX1,2025-04-01,2025-06-30,timeliness,70,,",
        "rx2,01/04/2025,30/06/2025,missing-ethnicity,4.126,5,6.2",
        " RX2 , 2025-04-01 , 2025-06-30 , Completeness , 88.2% , 95 , 90 ",
        ",,,,,,",  # a spreadsheet's empty row
        bom=True,
    )
    outcome = dq.import_csv(data, filename="q1.csv", user=None)

    assert outcome.accepted, outcome.problems
    record = outcome.record
    assert (record.rows, record.reports_created, record.errors) == (4, 2, [])
    north = DataQualityReport.objects.get(organisation=organisations[0])
    assert (north.period_start, north.period_end) == (
        date(2025, 4, 1),
        date(2025, 6, 30),
    )
    assert north.source == record
    got = {
        (v.report.organisation.code, v.indicator.code): (
            v.value,
            v.target,
            v.national_median,
        )
        for v in DataQualityValue.objects.select_related(
            "report__organisation", "indicator"
        )
    }
    assert got == {
        ("RX1", "completeness"): (Decimal("92.50"), Decimal("95.00"), Decimal("90.00")),
        ("RX1", "timeliness"): (Decimal("70.00"), None, None),
        ("RX2", "missing-ethnicity"): (
            Decimal("4.13"),
            Decimal("5.00"),
            Decimal("6.20"),
        ),
        ("RX2", "completeness"): (Decimal("88.20"), Decimal("95.00"), Decimal("90.00")),
    }


def test_reimporting_a_period_replaces_that_report(indicators, organisations):
    first = dq.import_csv(
        csv_bytes(
            "RX1,2025-04-01,2025-06-30,completeness,50,95,90",
            "RX1,2025-04-01,2025-06-30,timeliness,60,70,80",
            "RX2,2025-04-01,2025-06-30,completeness,40,95,90",
        ),
        filename="first.csv",
    )
    report = DataQualityReport.objects.get(organisation=organisations[0])
    second = dq.import_csv(
        csv_bytes("RX1,2025-04-01,2025-06-30,completeness,99,95,90"),
        filename="second.csv",
    )
    assert second.accepted and (second.created, second.replaced) == (0, 1)
    report.refresh_from_db()
    assert report.source == second.record
    # Exactly the file's values: the indicator left out is gone.
    assert list(report.values.values_list("indicator__code", "value")) == [
        ("completeness", Decimal("99.00"))
    ]
    # The other organisation's report is untouched.
    south = DataQualityReport.objects.get(organisation=organisations[1])
    assert south.source == first.record
    assert south.values.get().value == Decimal("40.00")


def test_the_template_has_the_header_and_imports_as_it_stands(
    indicators, organisations
):
    text = dq.template_csv()
    assert text.splitlines()[0] == HEADER
    assert dq.import_csv(text.encode(), filename="template.csv").accepted


# --- Bad files: nothing saved, a report row by row --------------------------------


def _rejected(data: bytes, filename="bad.csv"):
    before = counts()
    outcome = dq.import_csv(data, filename=filename)
    assert not outcome.accepted
    assert counts() == before, "a rejected file must leave the reports unchanged"
    record = DataQualityImport.objects.get(pk=outcome.record.pk)
    assert (record.accepted, record.filename) == (False, filename)
    assert record.errors, "the problems are kept on the import record"
    return outcome


def test_an_unknown_organisation_code_is_reported_with_its_row(
    indicators, organisations
):
    make_report(organisations[0], indicators)
    outcome = _rejected(
        csv_bytes(
            "RX1,2025-07-01,2025-09-30,completeness,92.5,95,90",
            "ZZ9,2025-07-01,2025-09-30,completeness,92.5,95,90",
        )
    )
    assert outcome.problem_count == 1
    problem = outcome.problems[0]
    assert (problem["row"], problem["column"], problem["value"]) == (
        3,
        "organisation_code",
        "ZZ9",
    )
    assert "No organisation has the code 'ZZ9'" in problem["message"]


def test_values_out_of_range_and_not_numbers(indicators, organisations):
    outcome = _rejected(
        csv_bytes(
            "RX1,2025-04-01,2025-06-30,completeness,104,95,90",
            "RX1,2025-04-01,2025-06-30,timeliness,-1,95,90",
            "RX2,2025-04-01,2025-06-30,completeness,lots,95,NaN",
            "RX2,2025-04-01,2025-06-30,timeliness,,95,90",
        )
    )
    found = {(p["row"], p["column"]) for p in outcome.problems}
    assert found == {
        (2, "value"),
        (3, "value"),
        (4, "value"),
        (4, "national_median"),
        (5, "value"),
    }
    messages = {(p["row"], p["column"]): p["message"] for p in outcome.problems}
    assert "between 0 and 100" in messages[(2, "value")]
    assert "'lots' is not a number" in messages[(4, "value")]
    assert "missing" in messages[(5, "value")]


def test_dates_and_indicators(indicators, organisations):
    outcome = _rejected(
        csv_bytes(
            "RX1,2025-13-01,2025-06-30,completeness,92,95,90",
            "RX1,2025-07-01,2025-06-30,completeness,92,95,90",
            "RX1,2025-04-01,June,completeness,92,95,90",
            "RX1,2025-04-01,2025-06-30,speed,92,95,90",
        )
    )
    found = [(p["row"], p["column"]) for p in outcome.problems]
    assert found == [
        (2, "period_start"),
        (3, "period_end"),
        (4, "period_end"),
        (5, "indicator_code"),
    ]
    assert "before it starts" in outcome.problems[1]["message"]
    assert "completeness" in outcome.problems[3]["message"]  # lists the known codes


def test_latin1_bytes_are_refused_as_not_utf8(indicators, organisations):
    data = csv_bytes("RX1,2025-04-01,2025-06-30,completeness,92,95,90") + (
        "RX2,2025-04-01,2025-06-30,completeness,92,95,90 \u00a3\r\n".encode("latin-1")
    )
    outcome = _rejected(data)
    assert outcome.problem_count == 1
    assert outcome.problems[0]["row"] == 3
    assert "not saved as UTF-8" in outcome.problems[0]["message"]
    assert "CSV UTF-8" in outcome.problems[0]["message"]


def test_extra_and_missing_columns(indicators, organisations):
    extra = _rejected(
        csv_bytes(
            "RX1,2025-04-01,2025-06-30,completeness,92,95,90,oops",
            header=HEADER + ",notes",
        )
    )
    assert extra.problems[0]["row"] == 1
    assert extra.problems[0]["column"] == "notes"
    assert "we do not use: notes" in extra.problems[0]["message"]

    missing = _rejected(
        csv_bytes(
            "RX1,2025-04-01,2025-06-30,completeness,95,90",
            header=HEADER.replace("value,", ""),
        )
    )
    assert missing.problems[0]["column"] == "value"
    assert "has no value column" in missing.problems[0]["message"]

    cells = _rejected(csv_bytes("RX1,2025-04-01,2025-06-30,completeness,92,95,90,1"))
    assert cells.problems[0]["row"] == 2
    assert "8 values but the header has 7" in cells.problems[0]["message"]


def test_duplicated_rows_are_reported_with_the_first(indicators, organisations):
    row = "RX1,2025-04-01,2025-06-30,completeness,92,95,90"
    outcome = _rejected(
        csv_bytes(row, "RX1,2025-04-01,2025-06-30,timeliness,92,95,90", row)
    )
    assert outcome.problems[0]["row"] == 4
    assert "repeats row 2" in outcome.problems[0]["message"]


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "The file is empty"),
        (b"\xef\xbb\xbf  \r\n", "The file is empty"),
        (csv_bytes(), "a header but no rows"),
    ],
)
def test_empty_files(indicators, data, expected):
    outcome = _rejected(data, filename="empty.csv")
    assert expected in outcome.problems[0]["message"]


def test_too_large(indicators, settings, monkeypatch):
    monkeypatch.setattr(dq, "MAX_BYTES", 100)
    outcome = _rejected(
        csv_bytes(*["RX1,2025-04-01,2025-06-30,completeness,1,2,3"] * 5)
    )
    assert "the largest we take" in outcome.problems[0]["message"]


def _many_rows(organisations, indicators, n):
    rows = []
    codes = list(indicators)
    quarter = 0
    while len(rows) < n:
        start = date(2000 + quarter // 4, 1 + (quarter % 4) * 3, 1)
        end = date(start.year, start.month + 2, 28)
        for organisation in organisations:
            for code in codes:
                rows.append(
                    f"{organisation.code},{start},{end},{code},"
                    f"{(len(rows) * 7) % 100}.5,90,85"
                )
        quarter += 1
    return rows[:n]


@pytest.fixture
def many_organisations():
    return [OrganisationFactory(code=f"BIG{i:03d}") for i in range(100)]


def test_fifty_thousand_rows_with_one_bad_row_at_the_end(
    indicators, many_organisations
):
    rows = _many_rows(many_organisations, indicators, 49_999)
    rows.append("BIG001,2030-01-01,2030-03-31,completeness,101,90,85")
    outcome = _rejected(csv_bytes(*rows))
    assert outcome.problem_count == 1
    assert (outcome.problems[0]["row"], outcome.problems[0]["column"]) == (
        50_001,
        "value",
    )
    assert outcome.record.rows == 50_000


def test_many_bad_rows_are_counted_and_the_first_listed(indicators, organisations):
    rows = [
        f"NOPE,2025-04-01,2025-06-30,completeness,{i % 100},90,85" for i in range(3000)
    ]
    outcome = _rejected(csv_bytes(*rows))
    assert outcome.problem_count == 3000
    assert len(outcome.problems) == dq.MAX_SHOWN_PROBLEMS
    listed, total = dq.problems_of(outcome.record)
    assert (len(listed), total) == (dq.MAX_STORED_PROBLEMS, 3000)


def test_fifty_thousand_good_rows_import_in_bulk(
    indicators, many_organisations, django_assert_max_num_queries
):
    rows = _many_rows(many_organisations, indicators, 50_000)
    started = time.monotonic()
    with django_assert_max_num_queries(100):
        outcome = dq.import_csv(csv_bytes(*rows), filename="big.csv")
    elapsed = time.monotonic() - started
    assert outcome.accepted, outcome.problems[:3]
    assert DataQualityValue.objects.count() == 50_000
    assert outcome.record.reports_created == DataQualityReport.objects.count()
    print(f"50,000 rows imported in {elapsed:.1f}s")  # noqa: T201 - for -s runs

    # Importing it again replaces every report, still in bulk.
    with django_assert_max_num_queries(200):
        again = dq.import_csv(csv_bytes(*rows), filename="big-again.csv")
    assert (again.created, again.replaced) == (0, outcome.created)
    assert DataQualityValue.objects.count() == 50_000


def test_the_demo_seed_is_idempotent(organisations):
    made = dq.seed_data_quality_demo(today=date(2026, 2, 10))
    assert made == 4  # two organisations, two quarters
    assert dq.seed_data_quality_demo(today=date(2026, 2, 10)) == 0
    assert DataQualityReport.objects.count() == 4
    periods = set(DataQualityReport.objects.values_list("period_start", "period_end"))
    assert periods == {
        (date(2025, 10, 1), date(2025, 12, 31)),
        (date(2025, 7, 1), date(2025, 9, 30)),
    }
    assert DataQualityValue.objects.count() == 4 * len(dq.DEMO_INDICATORS)
