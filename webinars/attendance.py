"""Attendance from the meeting tool's export: who joined a webinar, for how long.

``import_attendance(webinar, data, filename=..., user=...)`` takes the bytes of the
attendance report that Microsoft Teams, Zoom or a similar tool exports, and
marks each registrant as attended (with their minutes) or not.

What it accepts
    - Encodings: UTF-8 with or without a byte-order mark, and UTF-16 (Teams saves
      its reports as UTF-16 with tabs between the columns).
    - Separators: commas, tabs or semicolons.
    - Reports in sections (Teams: "1. Summary", "2. Participants", ...; Zoom: the
      meeting's details, then the participants): the first table with an email
      column and a name column is read, up to the next section.
    - Columns, in any order and any letter case: an email ("Email", "User
      Email", "Participant ID (UPN)"...), a name ("Name", "Full Name", "Name
      (Original Name)"...), and the time each person spent, as a duration
      ("Duration", "Duration (Minutes)", "Attendance duration (Minutes)",
      "In-Meeting Duration", "Time in Session (minutes)") or as join and leave
      times ("Join time"/"First Join", "Leave time"/"Last Leave"). A Zoom
      "Attended" column saying "No" means that person did not attend.
    - Durations as minutes ("45", "45.5", "45 mins"), as "1h 2m 3s" or "58m 12s"
      (Teams), or as "1:02:03".

Row by row
    Several rows for one person (Zoom lists every join) are added together.
    Rows with no email address (people who dialled in, guests) are skipped and
    listed; addresses that match no registration are listed as unmatched. A row
    that is wrong (an address or duration we cannot read) rejects the file.

All or nothing
    A file with any problem changes nothing and records nothing: the problems are
    listed by row (row 1 is the first line of the file, as in a spreadsheet).
    A good file updates every registration of the webinar in one transaction
    (people not in the file did not attend) and is recorded as an
    ``AttendanceImport`` with a report of the skipped and unmatched rows. A
    later import replaces the figures of an earlier one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from dateutil import parser as date_parser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from .models import AttendanceImport, Registration, WebinarPage

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# Problems, skipped and unmatched rows kept on a record or shown on screen.
MAX_LISTED = 500
MAX_SHOWN_PROBLEMS = 100
MAX_SECONDS = 24 * 60 * 60

SAVE_AS_HINT = (
    "Download the attendance report from the meeting tool again and upload it "
    "as it is, or in Excel use File > Save As and choose 'CSV UTF-8 (Comma "
    "delimited)'."
)

# Column names as normalised by _name(): lower case, single spaces.
EMAIL_COLUMNS = {
    "email",
    "e-mail",
    "email address",
    "e-mail address",
    "user email",
    "attendee email",
    "participant email",
    "registrant email",
}
# Teams' sign-in name: usually the email address; used when "Email" is blank.
UPN_COLUMNS = {"participant id (upn)", "upn", "user principal name"}
NAME_COLUMNS = {
    "name",
    "full name",
    "display name",
    "participant",
    "participant name",
    "attendee",
    "attendee name",
    "user name",
    "name (original name)",
    "user name (original name)",
}
DURATION_COLUMNS = {
    "duration",
    "duration (minutes)",
    "duration (mins)",
    "duration in minutes",
    "attendance duration",
    "attendance duration (minutes)",
    "in-meeting duration",
    "in meeting duration",
    "time in session",
    "time in session (minutes)",
    "minutes",
    "minutes attended",
    "total duration",
}
JOIN_COLUMNS = {
    "join time",
    "first join",
    "first join time",
    "joined",
    "joined at",
    "time joined",
}
LEAVE_COLUMNS = {"leave time", "last leave", "last leave time", "left", "left at"}
ATTENDED_COLUMNS = {"attended"}

_BINARY_SIGNATURES = [
    (b"PK\x03\x04", "an Excel workbook or another zipped file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel or Word file"),
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "a picture"),
    (b"\xff\xd8\xff", "a picture"),
]
_SECTION_TITLE = re.compile(r"^\d+\.\s")
_NUMBER = re.compile(
    r"^(\d+(?:\.\d+)?)\s*(?:m|min|mins|minute|minutes)?$", re.IGNORECASE
)
_CLOCK = re.compile(r"^(\d{1,3}):(\d{2}):(\d{2})$")
_UNITS = re.compile(
    r"^(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:ute)?s?)?)?\s*"
    r"(?:(\d+)\s*s(?:ec(?:ond)?s?)?)?$",
    re.IGNORECASE,
)


@dataclass
class Problem:
    """Something wrong with the file: where, what we found, and what to do."""

    row: int | None
    column: str
    message: str
    value: str = ""


@dataclass
class Attendee:
    """One person in the file (their rows added together)."""

    email: str
    name: str
    rows: list[int]
    seconds: int | None


@dataclass
class Parsed:
    """What a file says, before anything is matched or saved."""

    source: str = "CSV"
    rows: int = 0
    attendees: dict[str, Attendee] = field(default_factory=dict)
    skipped: list[dict] = field(default_factory=list)
    did_not_attend: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    def problem(self, row, column, message, value="") -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(row, column, message, str(value)[:100]))


@dataclass
class Outcome:
    """The result of one upload: saved (with its record) or why not."""

    accepted: bool
    record: AttendanceImport | None = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0


# --- Reading the file -------------------------------------------------------------


def _decode(data: bytes, parsed: Parsed) -> str | None:
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            parsed.problem(
                None,
                "",
                f"This file is {what}, not a CSV file. {SAVE_AS_HINT}",
            )
            return None
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8", data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        encoding = "utf-16-le"  # UTF-16 without its byte-order mark
    elif len(data) >= 4 and data[0] == 0 and data[2] == 0 and data[1] != 0:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        where = ""
        if encoding == "utf-8":
            line = data[: error.start].count(b"\n") + 1
            where = f" (the first character we cannot read is on line {line})"
        parsed.problem(
            None,
            "",
            "The file is not saved as UTF-8 or UTF-16 text, so we cannot read "
            f"it{where}. " + SAVE_AS_HINT,
        )
        return None
    if "\x00" in text:
        parsed.problem(None, "", f"This is not a CSV file. {SAVE_AS_HINT}")
        return None
    if not text.strip():
        parsed.problem(
            None,
            "",
            "The file is empty. Upload the attendance report exported from the "
            "meeting tool.",
        )
        return None
    return text


def _name(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().strip('"').lower().split())


def _columns(cells: list[str]) -> dict[str, int] | None:
    """Where each column we use is, if ``cells`` is an attendance table's header."""
    names = [_name(cell) for cell in cells]
    found: dict[str, int] = {}
    for kind, aliases in (
        ("email", EMAIL_COLUMNS),
        ("upn", UPN_COLUMNS),
        ("name", NAME_COLUMNS),
        ("duration", DURATION_COLUMNS),
        ("join", JOIN_COLUMNS),
        ("leave", LEAVE_COLUMNS),
        ("attended", ATTENDED_COLUMNS),
    ):
        for index, name in enumerate(names):
            if name in aliases:
                found[kind] = index
                break
    if ("email" in found or "upn" in found) and "name" in found:
        return found
    return None


def _rows(text: str, delimiter: str) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        return None


def _table(text: str) -> tuple[list[list[str]], int, dict[str, int]] | None:
    """The rows of the file, the header's index and its columns (or None)."""
    delimiters = ["\t", ",", ";"] if "\t" in text else [",", ";"]
    for delimiter in delimiters:
        rows = _rows(text, delimiter)
        if rows is None:
            continue
        for index, cells in enumerate(rows[:200]):
            columns = _columns(cells)
            if columns is not None:
                return rows, index, columns
    return None


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _ends_table(rows: list[list[str]], index: int) -> bool:
    """A blank row ends the table if what follows is another section."""
    for cells in rows[index + 1 :]:
        if _is_blank(cells):
            continue
        filled = [cell for cell in cells if cell.strip()]
        return (len(filled) == 1 and bool(_SECTION_TITLE.match(filled[0].strip()))) or (
            _columns(cells) is not None
        )
    return True


def parse_duration(text: str) -> int | None:
    """Seconds from "45", "45.5 mins", "1h 2m 3s", "58m 12s" or "1:02:03"."""
    text = text.strip()
    if not text:
        return None
    if match := _NUMBER.match(text):
        try:
            return round(Decimal(match[1]) * 60)
        except InvalidOperation:
            return None
    if match := _CLOCK.match(text):
        hours, minutes, seconds = (int(g) for g in match.groups())
        if minutes < 60 and seconds < 60:
            return hours * 3600 + minutes * 60 + seconds
        return None
    match = _UNITS.match(text)
    if match and any(match.groups()):
        hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    return None


def _moment(text: str):
    try:
        return date_parser.parse(text, dayfirst=True)
    except (ValueError, OverflowError):
        return None


def _source(columns: dict[str, int], header: list[str]) -> str:
    names = {_name(cell) for cell in header}
    if names & {"in-meeting duration", "participant id (upn)", "first join"}:
        return "Microsoft Teams"
    if names & {"name (original name)", "user name (original name)", "user email"}:
        return "Zoom"
    return "CSV"


def parse(data: bytes) -> Parsed:
    """Read an attendance export; every problem is listed, nothing is saved."""
    parsed = Parsed()
    if len(data) > MAX_BYTES:
        parsed.problem(
            None,
            "",
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the largest we take is "
            f"{MAX_BYTES // 1024 // 1024} MB. An attendance report is much smaller: "
            "check this is the right file.",
        )
        return parsed
    text = _decode(data, parsed)
    if text is None:
        return parsed
    table = _table(text)
    if table is None:
        parsed.problem(
            None,
            "",
            "We could not find the list of attendees. It needs a header row with "
            "an email column (for example 'Email' or 'User Email') and a name "
            "column ('Name'), and a 'Duration' column or 'Join time' and 'Leave "
            "time' columns. " + SAVE_AS_HINT,
        )
        return parsed
    rows, header_index, columns = table
    parsed.source = _source(columns, rows[header_index])
    timed = "duration" in columns or ("join" in columns and "leave" in columns)

    def cell(cells: list[str], kind: str) -> str:
        at = columns.get(kind)
        return cells[at].strip() if at is not None and at < len(cells) else ""

    for index in range(header_index + 1, len(rows)):
        cells, number = rows[index], index + 1
        if _is_blank(cells):
            if _ends_table(rows, index):
                break
            continue
        parsed.rows += 1
        if parsed.rows > MAX_ROWS:
            parsed.problem(
                None,
                "",
                f"The file has more than {MAX_ROWS:,} rows of attendees. Check "
                "this is the attendance report for one webinar.",
            )
            return parsed
        name = cell(cells, "name")[:120]
        if cell(cells, "attended").lower() in ("no", "n", "false"):
            parsed.did_not_attend += 1
            continue
        email = cell(cells, "email") or cell(cells, "upn")
        if "@" not in email:
            parsed.skipped.append(
                {
                    "row": number,
                    "name": name,
                    "reason": "No email address (for example someone who dialled "
                    "in, or a guest)",
                }
            )
            continue
        try:
            validate_email(email)
        except ValidationError:
            parsed.problem(
                number,
                "Email",
                f"“{email[:100]}” is not an email address. Correct it, or clear "
                "the cell if the person had none.",
                email,
            )
            continue
        seconds = None
        if timed:
            seconds = _seconds(cells, cell, number, parsed)
            if seconds is False:
                continue
        key = email.lower()
        person = parsed.attendees.get(key)
        if person is None:
            parsed.attendees[key] = Attendee(key, name, [number], seconds)
        else:
            person.rows.append(number)
            if seconds is not None:
                person.seconds = min((person.seconds or 0) + seconds, MAX_SECONDS)
    if not parsed.rows and not parsed.problem_count:
        parsed.problem(
            None,
            "",
            "The list of attendees is empty: the file has a header row but no "
            "one in it. Check this is the report for the right meeting.",
        )
    return parsed


def _seconds(cells, cell, number: int, parsed: Parsed):
    """Seconds attended from the duration or join and leave times; False if the
    row is wrong (the problem is recorded)."""
    duration = cell(cells, "duration")
    if duration:
        seconds = parse_duration(duration)
        if seconds is None:
            parsed.problem(
                number,
                "Duration",
                f"We cannot read “{duration[:40]}” as a length of time. Use "
                "minutes (45), hours, minutes and seconds (1h 2m 3s) or 1:02:03.",
                duration,
            )
            return False
    else:
        joined, left = cell(cells, "join"), cell(cells, "leave")
        if not joined and not left:
            parsed.problem(
                number,
                "Duration",
                "This row has no duration and no join or leave time. Add how "
                "long the person attended, or remove the row.",
            )
            return False
        start, end = _moment(joined), _moment(left)
        if (
            start is None
            or end is None
            or (start.tzinfo is None) != (end.tzinfo is None)
        ):
            parsed.problem(
                number,
                "Join time" if start is None else "Leave time",
                "We cannot read the join or leave time. Use a date and time such "
                "as 14/03/2026 10:02:11.",
                joined if start is None else left,
            )
            return False
        seconds = int((end - start).total_seconds())
        if seconds < 0:
            parsed.problem(
                number,
                "Leave time",
                "The leave time is before the join time. Check the two times.",
                left,
            )
            return False
    if seconds > MAX_SECONDS:
        parsed.problem(
            number,
            "Duration",
            "This is longer than a day. Check the figure is the time this person "
            "attended.",
            duration,
        )
        return False
    return seconds


# --- Saving -----------------------------------------------------------------------


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else (seconds + 30) // 60


def import_attendance(
    webinar: WebinarPage, data: bytes, *, filename: str, user=None, now=None
) -> Outcome:
    """Mark who attended ``webinar`` from its attendance export, all or nothing."""
    now = now or timezone.now()
    if webinar.starts_at > now:
        problem = Problem(
            None,
            "",
            "This webinar has not started yet, so there is no attendance to "
            "import. Upload the report after the webinar.",
        )
        return Outcome(accepted=False, problems=[problem], problem_count=1)
    parsed = parse(data)
    if parsed.problem_count:
        return Outcome(
            accepted=False,
            problems=parsed.problems,
            problem_count=parsed.problem_count,
        )
    with transaction.atomic():
        # Locked so that two uploads for one webinar are applied one after the other.
        registrations = list(
            Registration.objects.select_for_update()
            .filter(webinar=webinar)
            .order_by("created_at", "pk")
        )
        preference = {
            Registration.Status.REGISTERED: 0,
            Registration.Status.WAITLISTED: 1,
            Registration.Status.CANCELLED: 2,
        }
        by_email: dict[str, Registration] = {}
        for registration in sorted(
            registrations,
            key=lambda r: (preference[r.status], -r.created_at.timestamp()),
        ):
            by_email.setdefault(registration.email.strip().lower(), registration)
        matched: dict[int, Attendee] = {}
        unmatched = []
        for email, person in parsed.attendees.items():
            registration = by_email.get(email)
            if registration is None:
                unmatched.append(
                    {
                        "row": person.rows[0],
                        "name": person.name,
                        "email": email,
                        "minutes": _minutes(person.seconds),
                    }
                )
            else:
                matched[registration.pk] = person
        for registration in registrations:
            person = matched.get(registration.pk)
            registration.attended = person is not None
            registration.minutes_attended = (
                _minutes(person.seconds) if person is not None else None
            )
        Registration.objects.bulk_update(
            registrations, ["attended", "minutes_attended"], batch_size=500
        )
        record = AttendanceImport.objects.create(
            webinar=webinar,
            uploaded_by=user if user is not None and user.is_authenticated else None,
            uploaded_at=now,
            filename=(filename or "attendance.csv")[:255],
            rows=parsed.rows,
            matched=len(matched),
            report={
                "source": parsed.source,
                "people": len(parsed.attendees),
                "attended": len(matched),
                "registered_absent": sum(
                    1
                    for r in registrations
                    if r.status == Registration.Status.REGISTERED and not r.attended
                ),
                "did_not_attend_rows": parsed.did_not_attend,
                "unmatched_count": len(unmatched),
                "unmatched": unmatched[:MAX_LISTED],
                "skipped_count": len(parsed.skipped),
                "skipped": parsed.skipped[:MAX_LISTED],
            },
        )
    return Outcome(accepted=True, record=record)
