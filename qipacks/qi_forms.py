"""Forms for the QI lead area: sign in, the second factor, and updating one response.

No form here has an organisation field: the organisation always comes from the
person's membership on the server, never from what the browser sends.
"""

from __future__ import annotations

import datetime
import zipfile
from dataclasses import dataclass

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from .models import UptakeStatus

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_CHARS = 10_000
REASON_MAX_CHARS = 2_000


class LoginForm(AuthenticationForm):
    """Username and password (django-axes counts each failure through ``request``)."""

    error_messages = {
        "invalid_login": (
            "The username or password is not right. Check them and try again: "
            "both are case-sensitive."
        ),
        "inactive": (
            "This account has been switched off. Ask the programme team if you "
            "still need it."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["username"].max_length = 150


class CodeForm(forms.Form):
    """A code from an authenticator app, or a one-time backup code."""

    code = forms.CharField(
        max_length=20,
        error_messages={
            "required": "Enter the code from your authenticator app",
            "max_length": "Enter the 6-digit code from your authenticator app",
        },
    )


# --- Evidence files ------------------------------------------------------------------


@dataclass(frozen=True)
class FileKind:
    content_type: str
    label: str


def _zip_has(upload, member: str) -> bool:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and member in names


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _is_text(upload) -> bool:
    """UTF-8 (or Windows-1252) text with no binary control characters."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if b"\x00" in data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return not any(ord(c) < 32 and c not in "\t\r\n\f" for c in text)


KINDS = {
    "pdf": FileKind("application/pdf", "PDF"),
    "doc": FileKind("application/msword", "Word"),
    "docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word",
    ),
    "xls": FileKind("application/vnd.ms-excel", "Excel"),
    "xlsx": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"
    ),
    "csv": FileKind("text/csv", "CSV"),
    "txt": FileKind("text/plain", "text"),
    "png": FileKind("image/png", "PNG"),
    "jpg": FileKind("image/jpeg", "JPEG"),
    "jpeg": FileKind("image/jpeg", "JPEG"),
}
ALLOWED_EXTENSIONS = sorted(KINDS)


def _content_matches(extension: str, upload) -> bool:
    """Whether the file's first bytes (its "magic number") match its extension."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension in ("doc", "xls"):
        return head.startswith(OLE)
    if extension == "docx":
        return head.startswith(b"PK\x03\x04") and _zip_has(upload, "word/document.xml")
    if extension == "xlsx":
        return head.startswith(b"PK\x03\x04") and _zip_has(upload, "xl/workbook.xml")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension in ("csv", "txt"):
        return _is_text(upload)
    return False


def clean_original_name(name: str) -> str:
    """The name given back on download: no folders, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if ord(c) >= 32 and c != "\x7f").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 200 - len(extension) - 1] + dot + extension) if dot else name
    return name or "evidence"


# --- One response ---------------------------------------------------------------


def _one_line_breaks(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n")


class UptakeForm(forms.Form):
    """Where an organisation stands on one recommendation, with its evidence."""

    status = forms.ChoiceField(
        choices=UptakeStatus.choices,
        error_messages={
            "required": "Select where your organisation is with this recommendation",
            "invalid_choice": "Select one of the statuses listed",
        },
    )
    not_applicable_reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_CHARS,
        error_messages={
            "max_length": (
                f"Why it does not apply must be {REASON_MAX_CHARS:,} characters "
                "or fewer"
            )
        },
    )
    evidence = forms.CharField(
        required=False,
        max_length=EVIDENCE_MAX_CHARS,
        error_messages={
            "max_length": (
                f"Evidence must be {EVIDENCE_MAX_CHARS:,} characters or fewer. "
                "Attach a file for anything longer"
            )
        },
    )
    next_review_day = forms.CharField(required=False, max_length=2, strip=True)
    next_review_month = forms.CharField(required=False, max_length=2, strip=True)
    next_review_year = forms.CharField(required=False, max_length=4, strip=True)
    evidence_file = forms.FileField(
        required=False,
        error_messages={
            "invalid": "The selected file could not be read. Try again",
            "empty": "The selected file is empty",
            "max_length": "The file's name must be 200 characters or fewer",
        },
    )
    remove_file = forms.BooleanField(required=False)

    DATE_PARTS = ("next_review_day", "next_review_month", "next_review_year")

    def __init__(self, *args, current_review: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_review = current_review
        self.file_kind: FileKind | None = None
        for name in self.DATE_PARTS:
            self.fields[name].error_messages["max_length"] = (
                "Next review date must be a real date"
            )

    def clean_not_applicable_reason(self):
        return _one_line_breaks(self.cleaned_data["not_applicable_reason"])

    def clean_evidence(self):
        return _one_line_breaks(self.cleaned_data["evidence"])

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if not upload:
            return None
        if upload.size > EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(
                f"The selected file must be smaller than "
                f"{EVIDENCE_MAX_BYTES // (1024 * 1024)} MB"
            )
        name = clean_original_name(upload.name or "")
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if extension not in KINDS:
            raise forms.ValidationError(
                "The selected file must be a PDF, Word document, Excel spreadsheet, "
                "CSV, plain text file, PNG or JPEG"
            )
        if not _content_matches(extension, upload):
            raise forms.ValidationError(
                f"The selected file is not a real {KINDS[extension].label} file. "
                "Check it opens on your computer, then try again"
            )
        self.file_kind = KINDS[extension]
        upload.name = name
        return upload

    def clean(self):
        cleaned = super().clean()
        cleaned["next_review"] = self._review_date()
        status = cleaned.get("status")
        if (
            status == UptakeStatus.NOT_APPLICABLE
            and not cleaned.get("not_applicable_reason", "x").strip()
        ):
            self.add_error(
                "not_applicable_reason",
                "Say why this recommendation does not apply to your organisation",
            )
        return cleaned

    def _review_date(self) -> datetime.date | None:
        parts = [self.cleaned_data.get(name) for name in self.DATE_PARTS]
        if any(name in self.errors for name in self.DATE_PARTS):
            return None
        if not any(parts):
            return None
        missing = [
            label
            for label, value in zip(("day", "month", "year"), parts, strict=True)
            if not value
        ]
        if missing:
            self.add_error(
                "next_review_day", f"Next review date must include a {missing[0]}"
            )
            return None
        try:
            day, month, year = (int(p) for p in parts)
            if not (1000 <= year <= 9999):
                raise ValueError
            date = datetime.date(year, month, day)
        except ValueError:
            self.add_error("next_review_day", "Next review date must be a real date")
            return None
        today = timezone.localdate()
        if date < today and date != self.current_review:
            self.add_error(
                "next_review_day", "Next review date must be today or in the future"
            )
            return None
        if date > today.replace(year=today.year + 10, day=min(today.day, 28)):
            self.add_error(
                "next_review_day", "Next review date must be within the next 10 years"
            )
            return None
        return date
