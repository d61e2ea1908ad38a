"""Registration, attendance and feedback figures per webinar and per series, and
the same as spreadsheets (CSV and XLSX).

Figures for any number of webinars take three queries (registrations, feedback,
attendance imports), whatever their number. Attendance counts only once the
meeting tool's report has been imported (``webinars.attendance``); until then
the attendance rate is "not imported yet", not 0%.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as
a formula (CSV injection): such text gets a leading ``'`` in CSV and is stored
as text, never a formula, in XLSX (as ``qipacks.qi_exports`` does).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.utils import timezone

from .models import (
    UK,
    AttendanceImport,
    Feedback,
    Registration,
    WebinarPage,
    WebinarSeriesPage,
)

RATINGS = (5, 4, 3, 2, 1)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Status = Registration.Status


def defuse(value):
    """Text a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Figures:
    """Registrations, attendance and feedback for one webinar or several."""

    registered: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    attended: int = 0
    # Attendance counts only for webinars whose report was imported.
    attendance_registered: int = 0
    attendance_imported: bool = False
    imported_at: dt.datetime | None = None
    feedback_count: int = 0
    rating_total: int = 0
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))

    @property
    def attendance_rate(self) -> float | None:
        """Attended as a share of people with a place, once imported."""
        if not self.attendance_imported or not self.attendance_registered:
            return None
        return round(min(self.attended / self.attendance_registered, 1) * 100, 1)

    @property
    def mean_rating(self) -> float | None:
        if not self.feedback_count:
            return None
        return round(self.rating_total / self.feedback_count, 2)

    @property
    def distribution(self) -> list[dict]:
        """Each rating, 5 to 1, with its count and share of responses."""
        return [
            {
                "rating": rating,
                "count": self.ratings[rating],
                "percent": round(self.ratings[rating] / self.feedback_count * 100)
                if self.feedback_count
                else 0,
            }
            for rating in RATINGS
        ]

    def add(self, other: Figures) -> None:
        """Fold another webinar's figures into these (for a series' totals)."""
        self.registered += other.registered
        self.waitlisted += other.waitlisted
        self.cancelled += other.cancelled
        self.feedback_count += other.feedback_count
        self.rating_total += other.rating_total
        for rating in RATINGS:
            self.ratings[rating] += other.ratings[rating]
        if other.attendance_imported:
            self.attendance_imported = True
            self.attended += other.attended
            self.attendance_registered += other.attendance_registered


def figures_for(webinar_ids: Iterable[int]) -> dict[int, Figures]:
    """Figures for each of ``webinar_ids`` (three queries however many)."""
    ids = list(webinar_ids)
    figures = {pk: Figures() for pk in ids}
    if not ids:
        return figures
    rows = (
        Registration.objects.filter(webinar_id__in=ids)
        .order_by()
        .values_list("webinar_id", "status")
        .annotate(n=Count("pk"), attended=Count("pk", filter=Q(attended=True)))
    )
    for webinar_id, status, n, attended in rows:
        row = figures[webinar_id]
        if status == Status.REGISTERED:
            row.registered = n
        elif status == Status.WAITLISTED:
            row.waitlisted = n
        elif status == Status.CANCELLED:
            row.cancelled = n
        row.attended += attended
    for webinar_id, last in (
        AttendanceImport.objects.filter(webinar_id__in=ids)
        .order_by()
        .values_list("webinar_id")
        .annotate(last=Max("uploaded_at"))
    ):
        row = figures[webinar_id]
        row.attendance_imported = True
        row.imported_at = last
        row.attendance_registered = row.registered
    for row in figures.values():
        if not row.attendance_imported:
            row.attended = 0
    for webinar_id, rating, n in (
        Feedback.objects.filter(webinar_id__in=ids)
        .order_by()
        .values_list("webinar_id", "rating")
        .annotate(n=Count("pk"))
    ):
        row = figures[webinar_id]
        row.feedback_count += n
        row.rating_total += rating * n
        if rating in row.ratings:
            row.ratings[rating] += n
    return figures


@dataclass
class WebinarRow:
    webinar: WebinarPage
    figures: Figures


@dataclass
class SeriesReport:
    """A series, each of its webinars with its figures, and the totals."""

    series: WebinarSeriesPage
    rows: list[WebinarRow]
    totals: Figures


def series_reports(series_ids: Iterable[int] | None = None) -> list[SeriesReport]:
    """Every series (or those in ``series_ids``), in site order, with figures.

    Drafts are included: staff may want figures for a webinar taken offline.
    """
    series_qs = WebinarSeriesPage.objects.order_by("path")
    if series_ids is not None:
        series_qs = series_qs.filter(pk__in=list(series_ids))
    series_list = list(series_qs)
    webinars: list[WebinarPage] = []
    if series_list:
        condition = Q()
        for series in series_list:
            condition |= Q(path__startswith=series.path, depth=series.depth + 1)
        webinars = list(
            WebinarPage.objects.filter(condition).order_by("starts_at", "pk")
        )
    figures = figures_for(w.pk for w in webinars)
    reports = []
    for series in series_list:
        rows = [
            WebinarRow(w, figures[w.pk])
            for w in webinars
            if w.path.startswith(series.path) and w.depth == series.depth + 1
        ]
        totals = Figures()
        for row in rows:
            totals.add(row.figures)
        reports.append(SeriesReport(series=series, rows=rows, totals=totals))
    return reports


def comments(webinar_ids: Iterable[int], limit: int | None = None) -> list[Feedback]:
    """Feedback with something written in it, newest first."""
    qs = (
        Feedback.objects.filter(webinar_id__in=list(webinar_ids))
        .exclude(useful="", next_topics="")
        .select_related("webinar")
        .order_by("-created_at", "-pk")
    )
    return list(qs[:limit] if limit else qs)


# --- Spreadsheets -----------------------------------------------------------------


def _uk(moment: dt.datetime | None) -> dt.datetime | None:
    """A naive UK time for a spreadsheet cell (spreadsheets have no zones)."""
    if moment is None:
        return None
    return timezone.localtime(moment, UK).replace(tzinfo=None)


SUMMARY_HEADINGS = [
    "Series",
    "Webinar",
    "Starts (UK time)",
    "Cancelled webinar",
    "Registered",
    "Waiting list",
    "Cancelled registrations",
    "Attended",
    "Attendance rate (%)",
    "Feedback responses",
    "Mean rating (1 to 5)",
    *(f"Rated {r}" for r in RATINGS),
]


def summary_rows(reports: list[SeriesReport]) -> Iterator[list]:
    """One row per webinar, then one per series with its totals."""
    yield SUMMARY_HEADINGS
    for report in reports:
        for row in report.rows:
            yield _summary_row(
                report.series.title,
                row.webinar.title,
                _uk(row.webinar.starts_at),
                row.webinar.is_cancelled,
                row.figures,
            )
        yield _summary_row(
            report.series.title, "All webinars in the series", None, None, report.totals
        )


def _summary_row(series, title, starts, cancelled, f: Figures) -> list:
    return [
        series,
        title,
        starts,
        "" if cancelled is None else ("Yes" if cancelled else "No"),
        f.registered,
        f.waitlisted,
        f.cancelled,
        f.attended if f.attendance_imported else None,
        f.attendance_rate,
        f.feedback_count,
        f.mean_rating,
        *(f.ratings[r] for r in RATINGS),
    ]


REGISTRATION_HEADINGS = [
    "Name",
    "Email",
    "Organisation",
    "Role",
    "Status",
    "Registered at (UK time)",
    "Attended",
    "Minutes attended",
]


def registration_rows(webinar: WebinarPage) -> Iterator[list]:
    """Everyone who registered for ``webinar``, in the order they did."""
    yield REGISTRATION_HEADINGS
    for r in webinar.registrations.order_by("created_at", "pk").iterator():
        yield [
            r.name,
            r.email,
            r.organisation,
            r.role,
            r.get_status_display(),
            _uk(r.created_at),
            {True: "Yes", False: "No"}.get(r.attended, "Not known"),
            r.minutes_attended,
        ]


FEEDBACK_HEADINGS = [
    "Webinar",
    "Received (UK time)",
    "Rating (1 to 5)",
    "What was useful",
    "What next",
]


def feedback_rows(webinar_ids: Iterable[int]) -> Iterator[list]:
    """Every feedback response (no names), newest first."""
    yield FEEDBACK_HEADINGS
    for item in (
        Feedback.objects.filter(webinar_id__in=list(webinar_ids))
        .select_related("webinar")
        .order_by("-created_at", "-pk")
        .iterator()
    ):
        yield [
            item.webinar.title,
            _uk(item.created_at),
            item.rating,
            item.useful,
            item.next_topics,
        ]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(defuse(value))


def as_csv(rows: Iterable[list]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads the accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: Iterable[list], sheet_title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for number, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, even if it starts with "="
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            if number == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
