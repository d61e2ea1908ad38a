"""The national figures as spreadsheets: CSV and XLSX (openpyxl).

Rows are built once (headings first) and written by either writer. Text cells
that a spreadsheet would read as a formula (starting ``= + - @``, a tab or a
carriage return) get a leading ``'``, in CSV and XLSX alike (openpyxl would
otherwise store such a string as a live formula). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from website.feedback import spreadsheet_safe

from . import reports
from .reports import STATUS_LABELS, STATUS_ORDER, Breakdown, Filters, Rec

# Organisations fetched per query when writing the matrix.
MATRIX_CHUNK = 500
DOES_NOT_APPLY = "Does not apply"

Row = Sequence[object]


def safe_cell(value: object) -> object:
    """Text can never run as a formula; numbers and dates are kept as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float | datetime.date):
        return value
    return spreadsheet_safe(value)


# --- Rows -----------------------------------------------------------------------------


def summary_rows(summaries: Iterable[Breakdown]) -> Iterator[list[object]]:
    """One row per recommendation: counts by status and the share implemented."""
    yield [
        "Pack",
        "Recommendation",
        "Text",
        "Applies to",
        "First response due",
        "Organisations it applies to",
        *(STATUS_LABELS[s] for s in STATUS_ORDER),
        "Share implemented (%)",
    ]
    for row in summaries:
        rec: Rec = row.key
        counts = row.counts
        yield [
            rec.pack_title,
            rec.reference,
            rec.text,
            "; ".join(rec.applies_to_display),
            rec.response_due,
            row.applicable,
            *(counts[s] for s in STATUS_ORDER),
            row.percent_implemented,
        ]


def matrix_rows(filters: Filters, recs: list[Rec]) -> Iterator[list[object]]:
    """Every matching organisation (not just one page) x the recommendations."""
    yield [
        "Organisation",
        "Code",
        "Type",
        "Region",
        "Named lead",
        *(rec.label for rec in recs),
        "Recommendations that apply",
        "Responded",
        "Implemented",
    ]
    orgs = list(reports.organisations(filters))
    for start in range(0, len(orgs), MATRIX_CHUNK):
        for row in reports.matrix(orgs[start : start + MATRIX_CHUNK], recs):
            org = row.organisation
            yield [
                org.name,
                org.code,
                org.get_type_display(),
                org.get_region_display(),
                org.named_lead_name,
                *(
                    DOES_NOT_APPLY if cell is None else STATUS_LABELS[cell]
                    for cell in row.cells
                ),
                row.applicable,
                row.responded,
                row.implemented,
            ]


def overdue_rows(
    filters: Filters, recs: list[Rec], today: datetime.date | None = None
) -> Iterator[list[object]]:
    """Every organisation with overdue responses, with its named lead."""
    yield [
        "Organisation",
        "Code",
        "Type",
        "Region",
        "Named lead",
        "Named lead's email",
        "Overdue responses",
        "No response yet",
        "Not started",
        "Oldest due date",
        "Recommendations overdue",
    ]
    _, rows = reports.overdue(recs, filters, today=today, limit=None)
    for org in rows:
        yield [
            org.name,
            org.code,
            org.type_label,
            org.region_label,
            org.named_lead_name,
            org.named_lead_email,
            org.overdue,
            org.no_response,
            org.not_started,
            org.oldest_due,
            "; ".join(rec.label for rec in org.recommendations),
        ]


# --- Writers --------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def _csv_text(value: object) -> str:
    value = safe_cell(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_response(rows: Iterable[Row], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([_csv_text(v) for v in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_bytes(rows: Iterable[Row], sheet_title: str) -> bytes:
    return workbook_bytes([(sheet_title, rows)])


def workbook_bytes(
    sheets: Iterable[tuple[str, Iterable[Row]]], freeze: str | None = "B2"
) -> bytes:
    """One sheet per (title, rows), in order; titles cut to Excel's 31 characters."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for sheet_title, rows in sheets:
        sheet = workbook.create_sheet(sheet_title[:31])
        if freeze:
            sheet.freeze_panes = freeze
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(rows: Iterable[Row], filename: str, sheet_title: str):
    response = HttpResponse(
        xlsx_bytes(rows, sheet_title),
        content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def filename(kind: str, filters: Filters) -> str:
    """Like ``qi-uptake-matrix-lon-2026-05-01``: what, which filters, when."""
    parts = ["qi-uptake", kind]
    if filters.pack:
        parts.append(f"pack{filters.pack}")
    parts.extend(p for p in (filters.region, filters.type) if p)
    parts.append(f"{timezone.localdate():%Y-%m-%d}")
    return "-".join(parts).replace("_", "-")
