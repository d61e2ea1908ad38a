"""An organisation's own uptake records as CSV or XLSX: one row per recommendation
that applies to it, answered or not.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (CSV injection), so text cells that do are written with a leading ``'``
in CSV, and as plain text (never a formula) in XLSX.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from website.models import Organisation

from .progress import todo

HEADERS = [
    "Pack",
    "Reference",
    "Recommendation",
    "Priority",
    "First response due",
    "Status",
    "Why it does not apply",
    "Evidence",
    "Evidence file",
    "Next review",
    "Last changed by",
    "Last changed at",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """Text a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rows(organisation: Organisation) -> Iterator[list]:
    """The export's rows (dates as dates, text as text), in to-do order."""
    for group in todo(organisation):
        for item in group.items:
            recommendation, record = item.recommendation, item.record
            changed_by = ""
            if record and record.updated_by:
                changed_by = (
                    record.updated_by.get_full_name()
                    or record.updated_by.get_username()
                )
            yield [
                group.pack.title,
                recommendation.reference,
                recommendation.text,
                recommendation.get_priority_display(),
                recommendation.response_due,
                item.status_label,
                record.not_applicable_reason if record else "",
                record.evidence if record else "",
                str(record.evidence_document)
                if record and record.evidence_document
                else "",
                record.next_review if record else None,
                changed_by,
                timezone.localtime(record.updated_at).replace(tzinfo=None)
                if record
                else None,
            ]


def filename(organisation: Organisation, extension: str) -> str:
    code = "".join(c for c in organisation.code if c.isalnum() or c in "-_") or "org"
    return f"qi-uptake-{code}-{timezone.localdate():%Y-%m-%d}.{extension}"


def as_csv(organisation: Organisation) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads the accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows(organisation):
        writer.writerow([_csv_value(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _csv_value(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        return value.strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return defuse(value)


def as_xlsx(organisation: Organisation) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Uptake")
    widths = [30, 10, 60, 10, 16, 16, 40, 60, 24, 14, 24, 18]
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows(organisation):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even if it starts with "="
                cell.alignment = wrap
            elif hasattr(value, "hour"):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif value is not None:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
