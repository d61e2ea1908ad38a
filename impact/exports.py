"""The impact report as files: a CSV per section, a workbook, a PDF.

CSV and XLSX are written by ``qipacks.exports`` (text that a spreadsheet would
run as a formula is made plain text). A section's tables sit one under another,
each headed by its title and followed by a blank row. The PDF is the dashboard's
own template without the admin around it, drawn by WeasyPrint with the same SVG
charts, on A4.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from qipacks import exports as sheets

from . import sections as report_sections
from .metrics import Report
from .sections import Section

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_STYLESHEET = "impact/impact.css"


def filename(report: Report, what: str = "") -> str:
    """Like ``impact-report-2026-Q1`` or ``impact-report-2026-Q1-subscribers``."""
    return "-".join(p for p in ("impact-report", report.period.key, what) if p)


def rows(section: Section) -> Iterator[list[object]]:
    """A section's tables one under another: title, headings, rows, a blank row."""
    for table in section.tables:
        yield [table.title]
        yield table.headings
        yield from table.all_rows
        yield []


def csv_response(report: Report, key: str):
    section = report_sections.section(report, key)
    return sheets.csv_response(rows(section), filename(report, key))


def workbook(report: Report) -> bytes:
    """One sheet per section, the headline figures first."""
    return sheets.workbook_bytes(
        [
            (section.title, rows(section))
            for section in report_sections.sections(report, with_charts=False)
        ],
        freeze=None,
    )


def xlsx_response(report: Report) -> HttpResponse:
    response = HttpResponse(workbook(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename(report)}.xlsx"'
    return response


def pdf(report: Report) -> bytes:
    """The report on A4, charts and all (WeasyPrint; no network, no script)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(
        "impact/report_pdf.html",
        {
            "report": report,
            "sections": report_sections.sections(report),
            "generated_at": timezone.localtime(),
            "site_name": settings.WAGTAIL_SITE_NAME,
        },
    )
    stylesheet = CSS(filename=finders.find(PDF_STYLESHEET))
    # Everything the PDF shows is inline: it may fetch nothing at all.
    no_fetching = URLFetcher(allowed_protocols=())
    return HTML(string=html, url_fetcher=no_fetching).write_pdf(
        stylesheets=[stylesheet]
    )


def pdf_response(report: Report) -> HttpResponse:
    response = HttpResponse(pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(report)}.pdf"'
    return response
