"""Data-quality reports: the CSV import, member emails, access logging, demo data.

Plain functions taking objects or bytes, never a request.

The CSV (UTF-8, a byte-order mark is fine) has exactly these columns, in any order,
one row per organisation, period and indicator::

    organisation_code,period_start,period_end,indicator_code,value,target,national_median
    RX1,2025-04-01,2025-06-30,notification-completeness,92.5,95,90

- ``organisation_code``: an organisation's code as in the admin (any letter case).
- ``period_start``/``period_end``: dates as ``2025-06-30`` (or ``30/06/2025``); the
  end on or after the start.
- ``indicator_code``: an indicator's code (Data quality > Indicators).
- ``value``: a number; ``target`` and ``national_median`` a number or blank.
  Percentages (indicators whose unit is ``%``) are 0 to 100, a trailing ``%`` is
  allowed; other units 0 to 99,999.99. Numbers are rounded to 2 decimal places.

The file is checked whole before anything is saved: if any row is wrong nothing is
imported, and the import is recorded with the problems, row by row (row 1 is the
header, as in a spreadsheet). A file that is right is saved in one transaction.

An organisation and period that already has a report is *replaced*: its values
become exactly those in the file (indicators missing from the file are removed).
Members are emailed about new reports only; the link they already have shows the
replaced figures.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from website.models import Membership, Organisation

from .models import (
    DataQualityAccess,
    DataQualityImport,
    DataQualityIndicator,
    DataQualityReport,
    DataQualityValue,
)

logger = logging.getLogger(__name__)

COLUMNS = [
    "organisation_code",
    "period_start",
    "period_end",
    "indicator_code",
    "value",
    "target",
    "national_median",
]
OPTIONAL_VALUES = {"target", "national_median"}
# Largest file accepted: 50,000 rows is about 3 MB, so this leaves room.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
# Problems kept on the import record, and shown on screen.
MAX_STORED_PROBLEMS = 1000
MAX_SHOWN_PROBLEMS = 100
PERCENT_MAX = Decimal("100")
OTHER_MAX = Decimal("99999.99")
CENT = Decimal("0.01")
# Imports are saved one at a time (a transaction-scoped PostgreSQL advisory lock), so
# two uploads of the same period cannot both create its report.
_IMPORT_LOCK = 0x44510001

EXCEL_UTF8_HINT = (
    "In Excel use File > Save As and choose 'CSV UTF-8 (Comma delimited)'; in "
    "LibreOffice tick 'Edit filter settings' when saving and choose 'Unicode (UTF-8)'."
)


# --- Problems ------------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with the file: where (row, column), what, and what to do."""

    row: int | None
    column: str
    message: str
    value: str = ""

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value[:100],
            "message": self.message,
        }


@dataclass
class _Problems:
    """Problems found so far: the first MAX_STORED_PROBLEMS kept, all counted."""

    kept: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, row, column, message, value="") -> None:
        self.count += 1
        if len(self.kept) < MAX_STORED_PROBLEMS:
            self.kept.append(Problem(row, column, message, value))

    def __bool__(self) -> bool:
        return self.count > 0

    def stored(self) -> list[dict]:
        """What the import record keeps: the problems, then how many more if any."""
        items = [p.as_dict() for p in self.kept]
        if self.count > len(self.kept):
            items.append({"more": self.count - len(self.kept)})
        return items


def problems_of(record: DataQualityImport) -> tuple[list[dict], int]:
    """A recorded import's problems (the listed ones) and how many there were."""
    listed = [p for p in record.errors or [] if "more" not in p]
    more = sum(p.get("more", 0) for p in record.errors or [] if "more" in p)
    return listed, len(listed) + more


# --- Parsing ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    number: int
    organisation_id: int
    period_start: date
    period_end: date
    indicator_id: int
    value: Decimal
    target: Decimal | None
    national_median: Decimal | None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _parse_date(text: str) -> date | None:
    if match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK_DATE.match(text):
        day, month, year = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _decode(data: bytes, problems: _Problems) -> str | None:
    if len(data) > MAX_BYTES:
        problems.add(
            None,
            "",
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the largest we take is "
            f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files and upload "
            "each one.",
        )
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.add(
            line,
            "",
            "The file is not saved as UTF-8 text (the first character we cannot "
            f"read is on line {line}). Save it again as CSV UTF-8 and upload it. "
            + EXCEL_UTF8_HINT,
        )
        return None
    if not text.strip():
        problems.add(
            None,
            "",
            "The file is empty. Upload a CSV file with a header row and one row "
            "per organisation, period and indicator (download the template).",
        )
        return None
    return text


def _check_header(header: list[str], problems: _Problems) -> dict[str, int] | None:
    names = [name.strip().lower() for name in header]
    if len(names) == 1 and ";" in names[0]:
        problems.add(
            1,
            "",
            "The columns are separated by semicolons. Separate them with commas: "
            "save the file as 'CSV UTF-8 (Comma delimited)'.",
        )
        return None
    position: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in position:
            problems.add(
                1,
                name,
                f"The column {name} appears twice in the header. Remove one of them.",
            )
        position.setdefault(name, index)
    missing = [name for name in COLUMNS if name not in position]
    extra = [name or f"(column {i + 1} has no name)" for i, name in enumerate(names)]
    extra = [name for name in extra if name not in COLUMNS]
    if missing:
        problems.add(
            1,
            ", ".join(missing),
            f"The header has no {_and(missing)} column. The first row must name "
            f"these columns: {', '.join(COLUMNS)} (download the template).",
        )
    if extra:
        problems.add(
            1,
            ", ".join(extra),
            f"The header has {'a column' if len(extra) == 1 else 'columns'} we do "
            f"not use: {_and(extra)}. Remove {'it' if len(extra) == 1 else 'them'}, "
            f"or check the spelling: the columns are {', '.join(COLUMNS)}.",
        )
    return None if problems else position


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _number(
    text: str, *, column: str, percent: bool, row: int, problems: _Problems
) -> Decimal | None:
    """A cell as a number in range, rounded to 2 places; None if it is wrong."""
    raw = text
    if percent and text.endswith("%"):
        text = text[:-1].strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        problems.add(
            row,
            column,
            f"'{raw}' is not a number. Enter a number such as 87.5, with no spaces, "
            "commas or words.",
            raw,
        )
        return None
    top = PERCENT_MAX if percent else OTHER_MAX
    if number < 0 or number > top:
        what = "a percentage, which" if percent else "this indicator, which"
        problems.add(
            row,
            column,
            f"{raw} is out of range for {what} must be between 0 and "
            f"{top.normalize():,f}. Check the figure"
            + (" is a percentage, not a count or a fraction." if percent else "."),
            raw,
        )
        return None
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _parse(text: str, problems: _Problems) -> tuple[list[_Row], int]:
    """Check every row; return the good ones and how many data rows there were."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        header = []
    position = _check_header(header, problems) if header else None
    if position is None:
        return [], 0

    organisations: dict[str, int] = {}
    for pk, code in Organisation.objects.values_list("pk", "code"):
        organisations.setdefault(code.strip().upper(), pk)
    indicators = {
        code.lower(): (pk, unit.strip() == "%")
        for pk, code, unit in DataQualityIndicator.objects.values_list(
            "pk", "code", "unit"
        )
    }
    indicator_list = ", ".join(sorted(indicators)) or "(none yet)"

    at = {name: position[name] for name in COLUMNS}
    width = len(header)
    dates: dict[str, date | None] = {}
    seen: dict[tuple, int] = {}
    rows: list[_Row] = []
    count = 0
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.add(
                number,
                "",
                f"This row cannot be read as CSV ({error}). Check its quotation "
                "marks: text with commas in it must be in double quotes.",
            )
            continue
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or a row of empty cells left by a spreadsheet
        count += 1
        if count > MAX_ROWS:
            problems.add(
                number,
                "",
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller "
                "files and upload each one.",
            )
            break
        if len(cells) != width:
            problems.add(
                number,
                "",
                f"This row has {len(cells)} values but the header has {width} "
                "columns. Check for a missing or extra comma, and put any text "
                "containing a comma in double quotes.",
            )
            continue
        before = problems.count
        get = {name: cells[i].strip() for name, i in at.items()}

        code = get["organisation_code"]
        organisation_id = organisations.get(code.upper())
        if not code:
            problems.add(
                number, "organisation_code", "The organisation code is missing."
            )
        elif organisation_id is None:
            problems.add(
                number,
                "organisation_code",
                f"No organisation has the code '{code}'. Check the code, or add the "
                "organisation in the admin (Vocabularies & organisations) first.",
                code,
            )

        period = []
        for name in ("period_start", "period_end"):
            text_value = get[name]
            if text_value not in dates:
                dates[text_value] = _parse_date(text_value)
            parsed = dates[text_value]
            if parsed is None:
                problems.add(
                    number,
                    name,
                    (
                        f"'{text_value}' is not a date we can read. Write dates "
                        "as YYYY-MM-DD, for example 2025-06-30."
                        if text_value
                        else "The date is missing. Write dates as YYYY-MM-DD, "
                        "for example 2025-06-30."
                    ),
                    text_value,
                )
            period.append(parsed)
        start, end = period
        if start and end and end < start:
            problems.add(
                number,
                "period_end",
                f"The period ends ({end:%Y-%m-%d}) before it starts "
                f"({start:%Y-%m-%d}). Check the two dates are the right way round.",
                get["period_end"],
            )

        indicator_code = get["indicator_code"]
        indicator = indicators.get(indicator_code.lower())
        if indicator is None:
            problems.add(
                number,
                "indicator_code",
                (
                    f"No indicator has the code '{indicator_code}'. Use one of: "
                    f"{indicator_list}; or add it under Data quality > Indicators."
                    if indicator_code
                    else f"The indicator code is missing. Use one of: {indicator_list}."
                ),
                indicator_code,
            )
        percent = indicator[1] if indicator else True

        values = {}
        for name in ("value", "target", "national_median"):
            cell = get[name]
            if not cell:
                if name not in OPTIONAL_VALUES:
                    problems.add(
                        number,
                        name,
                        "The value is missing. Every row needs a value; leave the "
                        "row out if there is no figure.",
                    )
                values[name] = None
                continue
            values[name] = _number(
                cell, column=name, percent=percent, row=number, problems=problems
            )

        if problems.count != before:
            continue
        key = (organisation_id, start, end, indicator[0])
        if key in seen:
            problems.add(
                number,
                "",
                f"This row repeats row {seen[key]}: the same organisation, period "
                "and indicator. Remove one of them.",
            )
            continue
        seen[key] = number
        rows.append(
            _Row(
                number=number,
                organisation_id=organisation_id,
                period_start=start,
                period_end=end,
                indicator_id=indicator[0],
                value=values["value"],
                target=values["target"],
                national_median=values["national_median"],
            )
        )
    if not count and not problems:
        problems.add(
            None,
            "",
            "The file has a header but no rows. Add one row per organisation, "
            "period and indicator.",
        )
    return rows, count


# --- Importing ----------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """What an import did: its record, and the problems if it was rejected."""

    record: DataQualityImport
    problems: list[dict]
    problem_count: int
    created: int = 0
    replaced: int = 0
    emails: int = 0

    @property
    def accepted(self) -> bool:
        return self.record.accepted


def import_csv(data: bytes, *, filename: str, user=None) -> ImportOutcome:
    """Check a CSV upload whole, then save all of it or none of it (and record it)."""
    filename = (filename or "upload.csv")[:255]
    problems = _Problems()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
        text = _decode(data, problems)
        rows, count = _parse(text, problems) if text is not None else ([], 0)
        if problems:
            record = DataQualityImport.objects.create(
                filename=filename,
                uploaded_by=user,
                rows=count,
                accepted=False,
                errors=problems.stored(),
            )
            logger.info(
                "data-quality import %s rejected: %s problem(s)",
                record.pk,
                problems.count,
            )
            return ImportOutcome(
                record=record,
                problems=[p.as_dict() for p in problems.kept[:MAX_SHOWN_PROBLEMS]],
                problem_count=problems.count,
            )
        record = DataQualityImport.objects.create(
            filename=filename, uploaded_by=user, rows=count, accepted=True
        )
        created, replaced = _save(record, rows)
        record.reports_created = len(created)
        record.save(update_fields=["reports_created"])
        emails = notify_members([report.pk for report in created])
    logger.info(
        "data-quality import %s: %s rows, %s new report(s), %s replaced",
        record.pk,
        count,
        len(created),
        len(replaced),
    )
    return ImportOutcome(
        record=record,
        problems=[],
        problem_count=0,
        created=len(created),
        replaced=len(replaced),
        emails=emails,
    )


def _save(record: DataQualityImport, rows: list[_Row]):
    """Create or replace each report in ``rows``; bulk inserts, a few queries."""
    by_report: dict[tuple, list[_Row]] = defaultdict(list)
    for row in rows:
        by_report[(row.organisation_id, row.period_start, row.period_end)].append(row)
    existing = {
        (r.organisation_id, r.period_start, r.period_end): r
        for r in DataQualityReport.objects.filter(
            organisation_id__in={key[0] for key in by_report},
            period_start__in={key[1] for key in by_report},
            period_end__in={key[2] for key in by_report},
        ).select_for_update()
    }
    now = timezone.now()
    replaced = [existing[key] for key in by_report if key in existing]
    if replaced:
        replaced_ids = [r.pk for r in replaced]
        DataQualityValue.objects.filter(report__in=replaced_ids).delete()
        DataQualityReport.objects.filter(pk__in=replaced_ids).update(
            source=record, published_at=now
        )
    created = DataQualityReport.objects.bulk_create(
        [
            DataQualityReport(
                organisation_id=key[0],
                period_start=key[1],
                period_end=key[2],
                published_at=now,
                source=record,
            )
            for key in by_report
            if key not in existing
        ],
        batch_size=1000,
    )
    report_ids = {
        (r.organisation_id, r.period_start, r.period_end): r.pk
        for r in [*replaced, *created]
    }
    DataQualityValue.objects.bulk_create(
        (
            DataQualityValue(
                report_id=report_ids[key],
                indicator_id=row.indicator_id,
                value=row.value,
                target=row.target,
                national_median=row.national_median,
            )
            for key, report_rows in by_report.items()
            for row in report_rows
        ),
        batch_size=5000,
    )
    return created, replaced


def template_csv() -> str:
    """A CSV with the header and an example row per indicator, for editors to fill."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    indicators = list(DataQualityIndicator.objects.all()) or [
        DataQualityIndicator(code="notification-completeness", unit="%")
    ]
    organisation = Organisation.objects.order_by("name").first()
    code = organisation.code if organisation else "ABC"
    for indicator in indicators:
        writer.writerow(
            [code, "2025-04-01", "2025-06-30", indicator.code, "87.5", "90", "85"]
        )
    return out.getvalue()


# --- Emails -------------------------------------------------------------------------


def report_url(report: DataQualityReport | int) -> str:
    pk = report if isinstance(report, int) else report.pk
    return settings.BASE_URL + reverse("data_quality:report", args=[pk])


def period_label(start: date, end: date) -> str:
    return f"{date_format(start, 'j F Y')} to {date_format(end, 'j F Y')}"


def notify_members(report_ids: Iterable[int]) -> int:
    """Email each member (QI lead or viewer) of each report's organisation a link.

    A link only, never figures. Once per report per person (the send's key), so
    running it again sends nothing new. The sends go out when the transaction
    commits. Returns how many emails were asked for.
    """
    report_ids = list(report_ids)
    if not report_ids:
        return 0
    organisation_ids = DataQualityReport.objects.filter(pk__in=report_ids).values(
        "organisation_id"
    )
    members: dict[int, list] = defaultdict(list)
    for membership in (
        Membership.objects.filter(
            organisation__in=organisation_ids, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    ):
        members[membership.organisation_id].append(membership.user)
    if not members:
        return 0
    reports = DataQualityReport.objects.filter(
        pk__in=report_ids, organisation__in=list(members)
    ).select_related("organisation")
    from bulletins.sending import send_transactional

    sent = 0
    for report in reports:
        for user in members[report.organisation_id]:
            text = render_to_string(
                "emails/data_quality_report.txt",
                {
                    "name": user.get_full_name() or user.get_username(),
                    "organisation": report.organisation.name,
                    "period": period_label(report.period_start, report.period_end),
                    "url": report_url(report),
                    "list_url": settings.BASE_URL + reverse("data_quality:list"),
                    "contact_line": settings.CONTACT_LINE,
                },
            )
            send_transactional(
                to=user.email,
                subject=f"A new data-quality report for {report.organisation.name}",
                text=text,
                key=f"data-quality-report-{report.pk}-user-{user.pk}",
            )
            sent += 1
    return sent


# --- Access log -----------------------------------------------------------------------


def log_access(
    *,
    user,
    action: str,
    path: str,
    report: DataQualityReport | None = None,
    organisation: Organisation | None = None,
) -> DataQualityAccess:
    """Record that a person listed, viewed or downloaded data-quality reports."""
    return DataQualityAccess.objects.create(
        user=user,
        username=user.get_username(),
        organisation=report.organisation if report else organisation,
        report=report,
        action=action,
        path=path[:500],
    )


# --- Reading a report ---------------------------------------------------------------


def _figure(value: Decimal | None, unit: str) -> str:
    if value is None:
        return "None"
    text = f"{value.normalize():f}"
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}".strip()


def _difference(a: Decimal, b: Decimal, unit: str) -> str:
    text = f"{abs(a - b).normalize():f}"
    if unit == "%":
        return f"{text} percentage point{'' if abs(a - b) == 1 else 's'}"
    return f"{text} {unit}".strip()


def against_target(value: DataQualityValue) -> tuple[bool | None, str]:
    """Whether a value meets its target (None if there is none), in plain English."""
    indicator = value.indicator
    unit = indicator.unit
    if value.target is None:
        return None, "No target is set for this indicator."
    target = _figure(value.target, unit)
    if indicator.higher_is_better:
        if value.value >= value.target:
            return True, f"Meets the target of {target} or more."
        gap = _difference(value.value, value.target, unit)
        return False, f"Below the target of {target} or more, by {gap}."
    if value.value <= value.target:
        return True, f"Meets the target of {target} or less (lower is better)."
    gap = _difference(value.value, value.target, unit)
    return False, f"Above the target of {target} or less, by {gap} (lower is better)."


def against_median(value: DataQualityValue) -> str:
    median = value.national_median
    if median is None:
        return ""
    if value.value == median:
        return "The same as the national median."
    better = (value.value > median) == value.indicator.higher_is_better
    return (
        "Better than the national median."
        if better
        else "Worse than the national median."
    )


def figure(value: Decimal | None, unit: str) -> str:
    """A figure as people read it: 92.5%, 3 days; "Not set" when missing."""
    return "Not set" if value is None else _figure(value, unit)


def csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: DataQualityReport) -> str:
    """One report as CSV: a row per indicator with its value, target and median."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "organisation_code",
            "organisation",
            "period_start",
            "period_end",
            "indicator_code",
            "indicator",
            "unit",
            "value",
            "target",
            "national_median",
            "meets_target",
        ]
    )
    for value in report.values.select_related("indicator"):
        meets, _ = against_target(value)
        writer.writerow(
            [
                csv_safe(report.organisation.code),
                csv_safe(report.organisation.name),
                report.period_start.isoformat(),
                report.period_end.isoformat(),
                csv_safe(value.indicator.code),
                csv_safe(value.indicator.name),
                csv_safe(value.indicator.unit),
                value.value,
                "" if value.target is None else value.target,
                "" if value.national_median is None else value.national_median,
                {True: "yes", False: "no", None: ""}[meets],
            ]
        )
    return out.getvalue()


# --- Demo ---------------------------------------------------------------------------

DEMO_INDICATORS = [
    (
        "notification-completeness",
        "Notifications with all core fields complete",
        "Share of child death notifications with every core field filled in.",
        "%",
        True,
    ),
    (
        "notification-timeliness",
        "Notifications made within 2 working days",
        "Share of deaths notified to the panel within 2 working days.",
        "%",
        True,
    ),
    (
        "reporting-form-return",
        "Reporting forms returned within 15 working days",
        "Share of agency reporting forms returned on time.",
        "%",
        True,
    ),
    (
        "analysis-form-completeness",
        "Analysis forms completed after the panel meeting",
        "Share of reviews with a completed analysis form.",
        "%",
        True,
    ),
    (
        "missing-ethnicity",
        "Records with ethnicity missing",
        "Share of records without the child's ethnicity (lower is better).",
        "%",
        False,
    ),
]


def seed_data_quality_demo(*, quarters: int = 2, today: date | None = None) -> int:
    """Demo indicators, and reports for every organisation for the last quarters.

    Idempotent: running it again changes nothing. Figures are fixed per
    organisation (from its primary key), so every run gives the same picture.
    Returns how many reports it made.
    """
    for order, (code, name, description, unit, higher) in enumerate(DEMO_INDICATORS):
        DataQualityIndicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "unit": unit,
                "higher_is_better": higher,
                "sort_order": order,
            },
        )
    indicators = list(DataQualityIndicator.objects.filter(code__in=_demo_codes()))
    periods = _last_quarters(today or timezone.localdate(), quarters)
    made = 0
    with transaction.atomic():
        record = None
        for organisation in Organisation.objects.order_by("pk"):
            for start, end in periods:
                report, created = DataQualityReport.objects.get_or_create(
                    organisation=organisation, period_start=start, period_end=end
                )
                if not created:
                    continue
                made += 1
                if record is None:
                    record = DataQualityImport.objects.create(
                        filename="demo-data.csv", accepted=True
                    )
                report.source = record
                report.save(update_fields=["source"])
                seed = organisation.pk * 7 + start.month
                DataQualityValue.objects.bulk_create(
                    _demo_value(report, indicator, seed + n)
                    for n, indicator in enumerate(indicators)
                )
        if record is not None:
            record.reports_created = made
            record.rows = made * len(indicators)
            record.save(update_fields=["reports_created", "rows"])
    return made


def _demo_codes() -> list[str]:
    return [code for code, *_ in DEMO_INDICATORS]


def _demo_value(report, indicator, seed: int) -> DataQualityValue:
    if indicator.higher_is_better:
        value = Decimal(70 + (seed * 37) % 30) + Decimal((seed * 13) % 10) / 10
        target, median = Decimal(90), Decimal("86.5")
    else:
        value = Decimal((seed * 17) % 15) + Decimal((seed * 3) % 10) / 10
        target, median = Decimal(5), Decimal("6.2")
    return DataQualityValue(
        report=report,
        indicator=indicator,
        value=value,
        target=target,
        national_median=median,
    )


def _last_quarters(today: date, count: int) -> list[tuple[date, date]]:
    """The last ``count`` complete calendar quarters, newest first."""
    first_month = (today.month - 1) // 3 * 3 + 1
    start = date(today.year, first_month, 1)
    periods = []
    for _ in range(count):
        end = start - timedelta(days=1)
        start = date(end.year, (end.month - 1) // 3 * 3 + 1, 1)
        periods.append((start, end))
    return periods
