"""Attendance imported from the meeting tool's export: Teams (UTF-16, tabs, in
sections), Zoom (several rows a person), plain CSV; bad rows reject the whole
file; hostile uploads get a plain message and change nothing."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from webinars import attendance
from webinars.attendance import import_attendance, parse_duration
from webinars.models import AttendanceImport, Registration

pytestmark = pytest.mark.django_db


@pytest.fixture
def past(site):
    _, series = webinar_tree(site)
    starts = (timezone.now() - dt.timedelta(days=2)).replace(second=0, microsecond=0)
    return WebinarPageFactory(
        parent=series, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )


@pytest.fixture
def people(past):
    """Ann and Bob have places, Cat is waiting, Dan cancelled."""
    make = RegistrationFactory
    return {
        "ann": make(webinar=past, name="Ann Lee", email="Ann.Lee@example.org"),
        "bob": make(webinar=past, name="Bob Day", email="bob@example.org"),
        "cat": make(
            webinar=past, name="Cat", email="cat@example.org", status="waitlisted"
        ),
        "dan": make(
            webinar=past, name="Dan", email="dan@example.org", status="cancelled"
        ),
    }


def state(people) -> dict:
    for registration in people.values():
        registration.refresh_from_db()
    return {key: (r.attended, r.minutes_attended) for key, r in sorted(people.items())}


UNTOUCHED = {
    "ann": (None, None),
    "bob": (None, None),
    "cat": (None, None),
    "dan": (None, None),
}

TEAMS = (
    "1. Summary\r\n"
    "Meeting title\tQI webinar\r\n"
    "Attended participants\t4\r\n"
    "Start time\t3/14/26, 9:58:12 AM\r\n"
    "\r\n"
    "2. Participants\r\n"
    "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\t"
    "Participant ID (UPN)\tRole\r\n"
    "Ann Lee\t3/14/26, 10:00:01 AM\t3/14/26, 10:59:00 AM\t58m 59s\t"
    "ann.lee@example.org\tann.lee@example.org\tAttendee\r\n"
    "Host Person\t3/14/26, 9:58:12 AM\t3/14/26, 11:01:00 AM\t1h 2m 48s\t"
    "host@example.net\thost@example.net\tOrganizer\r\n"
    "Caller 1\t3/14/26, 10:05:00 AM\t3/14/26, 10:30:00 AM\t25m\t\t\tAttendee\r\n"
    "Cat\t3/14/26, 10:10:00 AM\t3/14/26, 10:40:00 AM\t30m 0s\t\tcat@example.org\t"
    "Attendee\r\n"
    "\r\n"
    "3. In-Meeting Activities\r\n"
    "Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\r\n"
    "Ann Lee\t3/14/26, 10:00:01 AM\t3/14/26, 10:59:00 AM\t58m 59s\t"
    "not-an-email\tAttendee\r\n"
)


def test_teams_report_in_utf16_with_sections(past, people):
    outcome = import_attendance(
        past, TEAMS.encode("utf-16"), filename="teams.csv", user=None
    )
    assert outcome.accepted, outcome.problems
    assert state(people) == {
        "ann": (True, 59),
        "bob": (False, None),
        "cat": (True, 30),  # by the sign-in name when the email cell is blank
        "dan": (False, None),
    }
    record = AttendanceImport.objects.get()
    assert record.matched == 2 and record.rows == 4
    assert record.report["source"] == "Microsoft Teams"
    assert record.report["unmatched"] == [
        {"row": 9, "name": "Host Person", "email": "host@example.net", "minutes": 63}
    ]
    assert record.report["skipped"][0]["row"] == 10
    assert record.report["skipped"][0]["name"] == "Caller 1"
    assert record.report["registered_absent"] == 1


def test_teams_report_in_utf16_big_endian_and_without_a_byte_order_mark(past, people):
    assert import_attendance(past, TEAMS.encode("utf-16-be"), filename="a").accepted
    assert state(people)["ann"] == (True, 59)
    assert import_attendance(past, TEAMS.encode("utf-16-le"), filename="b").accepted


ZOOM = (
    "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),"
    "Participants\n"
    "812 3456 7890,QI webinar,03/14/2026 09:58:12 AM,03/14/2026 11:01:00 AM,"
    "host@example.net,63,5\n"
    "\n"
    "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),"
    "Guest,Recording Consent\n"
    "Ann Lee,ANN.LEE@EXAMPLE.ORG,03/14/2026 10:00:01 AM,03/14/2026 10:20:00 AM,20,"
    "No,Y\n"
    "Bob,bob@example.org,03/14/2026 10:00:00 AM,03/14/2026 10:45:00 AM,45,No,Y\n"
    "Ann Lee,ann.lee@example.org,03/14/2026 10:25:00 AM,03/14/2026 10:55:00 AM,30,"
    "No,Y\n"
    "Guest,,03/14/2026 10:25:00 AM,03/14/2026 10:55:00 AM,30,Yes,Y\n"
)


def test_zoom_report_with_a_bom_adds_up_each_persons_rows(past, people):
    data = ZOOM.encode("utf-8-sig")
    outcome = import_attendance(past, data, filename="zoom.csv")
    assert outcome.accepted, outcome.problems
    assert state(people)["ann"] == (True, 50)
    assert state(people)["bob"] == (True, 45)
    record = outcome.record
    assert record.report["source"] == "Zoom"
    assert record.report["skipped_count"] == 1


@pytest.mark.parametrize(
    ("body", "delimiter"),
    [
        ("Name,Email,Attendance duration (Minutes)\n", ","),
        ("Full Name;E-mail;Duration\n", ";"),
        ("name\temail address\tminutes attended\n", "\t"),
    ],
)
def test_plain_csv_variants(past, people, body, delimiter):
    rows = [("Ann Lee", "ann.lee@example.org", "42"), ("Bob", "bob@example.org", "7.6")]
    for row in rows:
        body += delimiter.join(row) + "\n"
    outcome = import_attendance(past, body.encode(), filename="plain.csv")
    assert outcome.accepted, outcome.problems
    assert state(people)["ann"] == (True, 42)
    assert state(people)["bob"] == (True, 8)


def test_join_and_leave_times_when_there_is_no_duration(past, people):
    data = (
        b"Name,Email,Join time,Leave time\n"
        b"Ann Lee,ann.lee@example.org,14/03/2026 10:00:00,14/03/2026 10:45:30\n"
    )
    assert import_attendance(past, data, filename="times.csv").accepted
    assert state(people)["ann"] == (True, 46)


def test_zoom_webinar_attended_column_no_means_did_not_attend(past, people):
    data = (
        b"Attended,User Name (Original Name),Email,Time in Session (minutes)\n"
        b"Yes,Ann Lee,ann.lee@example.org,55\n"
        b"No,Bob,bob@example.org,\n"
    )
    outcome = import_attendance(past, data, filename="webinar.csv")
    assert outcome.accepted, outcome.problems
    assert state(people)["ann"] == (True, 55)
    assert state(people)["bob"] == (False, None)
    assert outcome.record.report["did_not_attend_rows"] == 1


def test_a_later_import_replaces_the_earlier_one(past, people):
    import_attendance(
        past, b"Name,Email,Duration\nA,ann.lee@example.org,10\n", filename="1"
    )
    import_attendance(
        past, b"Name,Email,Duration\nB,bob@example.org,20\n", filename="2"
    )
    assert state(people)["ann"] == (False, None)
    assert state(people)["bob"] == (True, 20)
    assert AttendanceImport.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45", 2700), ("45.5", 2730), ("45 mins", 2700), ("1h 2m 3s", 3723),
     ("58m 12s", 3492), ("1h", 3600), ("30s", 30), ("1:02:03", 3723),
     ("", None), ("soon", None), ("1:75:00", None), ("-5", None), ("m", None)],
)  # fmt: skip
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


# --- Wrong rows: nothing is imported ------------------------------------------------


def test_bad_rows_reject_the_whole_file_and_say_where(past, people):
    data = (
        b"Name,Email,Duration\n"
        b"Ann Lee,ann.lee@example.org,40\n"  # fine, but must not be saved
        b"Bob,bob@,12\n"
        b"Cat,cat@example.org,soon\n"
        b"Dan,dan@example.org,30:00:00\n"
    )
    outcome = import_attendance(past, data, filename="bad.csv")
    assert not outcome.accepted
    assert [(p.row, p.column) for p in outcome.problems] == [
        (3, "Email"),
        (4, "Duration"),
        (5, "Duration"),
    ]
    assert "is not an email address" in outcome.problems[0].message
    assert "cannot read “soon” as a length of time" in outcome.problems[1].message
    assert "longer than a day" in outcome.problems[2].message
    assert state(people) == UNTOUCHED
    assert not AttendanceImport.objects.exists()


def test_leave_before_join_is_a_problem(past, people):
    data = (
        b"Name,Email,Join time,Leave time\n"
        b"Ann,ann.lee@example.org,14/03/2026 11:00,14/03/2026 10:00\n"
    )
    outcome = import_attendance(past, data, filename="x.csv")
    assert "before the join time" in outcome.problems[0].message
    assert state(people) == UNTOUCHED


def test_nothing_is_saved_if_saving_fails_half_way(past, people, monkeypatch):
    """All or nothing: the registrations are not left half updated."""

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(AttendanceImport.objects, "create", fail)
    data = b"Name,Email,Duration\nAnn,ann.lee@example.org,40\n"
    with pytest.raises(RuntimeError):
        import_attendance(past, data, filename="x.csv")
    assert state(people) == UNTOUCHED


def test_an_upcoming_webinar_has_no_attendance_yet(past, people):
    later = WebinarPageFactory(parent=past.get_parent())
    outcome = import_attendance(later, b"Name,Email,Duration\n", filename="x.csv")
    assert not outcome.accepted
    assert "has not started yet" in outcome.problems[0].message


HOSTILE = [
    (b"PK\x03\x04" + b"\x00" * 200, "an Excel workbook or another zipped file"),
    (b"%PDF-1.4\n%%EOF", "a PDF"),
    ("Name,Email,Duration\nRené,rene@example.org,5\n".encode("cp1252"),
     "not saved as UTF-8 or UTF-16 text"),
    (b"", "The file is empty"),
    (b"   \n\n", "The file is empty"),
    (b"Name,Phone,Duration\nAnn,0123,5\n", "could not find the list of attendees"),
    (b"Name,Email,Duration\n", "the file has a header row but no one in it"),
    (b"\x00\x01\x02\x03binary\x00junk", "This is not a CSV file"),
    (b'Name,Email,Duration\n"Ann,ann.lee@example.org,5\n' + b"x" * 200_000,
     "could not find the list of attendees"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), HOSTILE)
def test_hostile_files_get_a_clear_message_and_change_nothing(
    past, people, data, message
):
    outcome = import_attendance(past, data, filename="x.csv")
    assert not outcome.accepted
    assert message in " ".join(p.message for p in outcome.problems)
    assert state(people) == UNTOUCHED
    assert not AttendanceImport.objects.exists()


def test_too_many_rows_is_refused(past, people, monkeypatch):
    monkeypatch.setattr(attendance, "MAX_ROWS", 3)
    rows = "".join(f"P{n},p{n}@example.org,5\n" for n in range(5))
    outcome = import_attendance(
        past, ("Name,Email,Duration\n" + rows).encode(), filename="x"
    )
    assert "more than 3 rows" in outcome.problems[0].message
    assert not AttendanceImport.objects.exists()


# --- Through the admin ---------------------------------------------------------------


def staff(permissions=("view_registration", "add_attendanceimport")):
    user = UserFactory()
    group = Group.objects.create(name=f"group-{user.username}")
    group.permissions.set(
        Permission.objects.filter(codename__in=["access_admin", *permissions])
    )
    user.groups.add(group)
    return user


def upload(client, webinar, data: bytes, name="report.csv"):
    return client.post(
        reverse("webinars_report_webinar", args=[webinar.pk]),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_upload_through_the_admin_imports_and_reports(client, past, people):
    client.force_login(staff())
    response = upload(client, past, TEAMS.encode("utf-16"), name="Teams report.csv")
    assert response.status_code == HTTPStatus.SEE_OTHER
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Attendance imported from Teams report.csv: 2 registrants attended" in html
    assert "Host Person, host@example.net: no registration with this email" in html
    assert "Caller 1: No email address" in html
    record = AttendanceImport.objects.get()
    assert record.uploaded_by.pk == page.wsgi_request.user.pk


@pytest.mark.parametrize(("data", "message"), HOSTILE[:4])
def test_hostile_uploads_through_the_admin(client, past, people, data, message):
    client.force_login(staff())
    response = upload(client, past, data)
    assert response.status_code == HTTPStatus.OK
    html = " ".join(response.content.decode().split())
    assert "The attendance report was not imported" in html
    assert "Nothing has been changed" in html
    assert message in html
    assert state(people) == UNTOUCHED
    assert not AttendanceImport.objects.exists()


def test_missing_or_huge_upload_is_a_form_error(client, past, people, monkeypatch):
    client.force_login(staff())
    url = reverse("webinars_report_webinar", args=[past.pk])
    response = client.post(url, {})
    assert "Choose the attendance report to upload." in response.content.decode()
    monkeypatch.setattr(attendance, "MAX_BYTES", 10)
    response = upload(client, past, b"Name,Email,Duration\n")
    assert "the largest we take is" in response.content.decode()
    assert not AttendanceImport.objects.exists()


def test_importing_needs_its_own_permission(client, past, people):
    client.force_login(staff(permissions=("view_registration",)))
    page = client.get(reverse("webinars_report_webinar", args=[past.pk]))
    assert page.status_code == HTTPStatus.OK
    assert "Check and import" not in page.content.decode()
    response = upload(client, past, b"Name,Email,Duration\nA,ann.lee@example.org,5\n")
    assert response.status_code == HTTPStatus.FOUND  # the admin's "no permission"
    assert state(people) == UNTOUCHED


def test_anonymous_and_non_staff_cannot_upload(client, past, people):
    response = upload(client, past, b"Name,Email,Duration\nA,ann.lee@example.org,5\n")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")
    client.force_login(UserFactory())
    response = upload(client, past, b"Name,Email,Duration\nA,ann.lee@example.org,5\n")
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    assert state(people) == UNTOUCHED


def test_upload_needs_the_csrf_token(past, people):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff())
    response = upload(client, past, b"Name,Email,Duration\nA,ann.lee@example.org,5\n")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state(people) == UNTOUCHED


def test_registration_statuses_are_unchanged_by_an_import(past, people):
    import_attendance(past, TEAMS.encode("utf-16"), filename="t")
    statuses = dict(Registration.objects.values_list("email", "status"))
    assert statuses["cat@example.org"] == "waitlisted"
    assert statuses["dan@example.org"] == "cancelled"
