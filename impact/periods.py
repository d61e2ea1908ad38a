"""The stretch of time a report covers: a quarter, a year or any run of days.

Quarters are calendar quarters named by their months ("January to March 2026"),
years are calendar years; both are UK dates. A period runs from the start of its
first day to the end of its last, UK time, and compares with the one before it:
the previous quarter, the previous year, or as many days just before a custom one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.dateformat import format as date_format

UK = ZoneInfo("Europe/London")
QUARTER = "quarter"
YEAR = "year"
CUSTOM = "custom"
FIRST_YEAR = 2020  # nothing on the platform is older
MAX_DAYS = 5 * 366  # a custom period longer than this is refused
QUARTERS_OFFERED = 16
# The fields each kind of period reads; the others are ignored.
FIELDS_FOR = {QUARTER: ("quarter",), YEAR: ("year",), CUSTOM: ("start", "end")}


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=UK)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end`` (both UK dates, both included)."""

    kind: str
    start: datetime.date
    end: datetime.date

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        start = datetime.date(year, 3 * (number - 1) + 1, 1)
        end = _add_months(start, 3) - datetime.timedelta(days=1)
        return cls(QUARTER, start, end)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(YEAR, datetime.date(year, 1, 1), datetime.date(year, 12, 31))

    @classmethod
    def quarter_containing(cls, day: datetime.date) -> Period:
        start = _quarter_start(day)
        return cls.quarter(start.year, (start.month - 1) // 3 + 1)

    @classmethod
    def last_full_quarter(cls, today: datetime.date | None = None) -> Period:
        """The quarter before the one ``today`` is in."""
        today = today or timezone.localdate()
        return cls.quarter_containing(_quarter_start(today) - datetime.timedelta(1))

    @property
    def key(self) -> str:
        """Short and stable: ``2026-Q1``, ``2025``, ``2026-02-01_2026-03-15``."""
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == QUARTER:
            return f"{date_format(self.start, 'F')} to {date_format(self.end, 'F Y')}"
        if self.kind == YEAR:
            return str(self.start.year)
        return f"{date_format(self.start, 'j F Y')} to {date_format(self.end, 'j F Y')}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def since(self) -> datetime.datetime:
        """The first moment of the period."""
        return _midnight(self.start)

    @property
    def until(self) -> datetime.datetime:
        """The first moment after the period."""
        return _midnight(self.end + datetime.timedelta(days=1))

    def previous(self) -> Period:
        """The period it is compared with: the one just before, as long."""
        if self.kind == QUARTER:
            return Period.quarter_containing(self.start - datetime.timedelta(1))
        if self.kind == YEAR:
            return Period.year(self.start.year - 1)
        end = self.start - datetime.timedelta(days=1)
        return Period(CUSTOM, end - datetime.timedelta(days=self.days - 1), end)

    def as_of(self, now: datetime.datetime | None = None) -> datetime.datetime:
        """When "at the end of the period" is: its end, or now if still running."""
        now = now or timezone.now()
        return min(self.until, now)

    def months(self) -> list[datetime.date]:
        """The first day of each month the period touches."""
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = _add_months(month, 1)
        return months

    def query(self) -> dict[str, str]:
        """The query-string parameters that choose this period."""
        if self.kind == QUARTER:
            return {"period": QUARTER, "quarter": self.key}
        if self.kind == YEAR:
            return {"period": YEAR, "year": self.key}
        return {
            "period": CUSTOM,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


# --- The period picker ----------------------------------------------------------------


def quarter_choices(today: datetime.date) -> list[tuple[str, str]]:
    """The current quarter and the ones before it, newest first."""
    period = Period.quarter_containing(today)
    choices = []
    for _ in range(QUARTERS_OFFERED):
        choices.append((period.key, period.label))
        period = period.previous()
    return choices


class PeriodForm(forms.Form):
    """Which period: a quarter, a year, or from one date to another (GET)."""

    period = forms.ChoiceField(
        label="Show figures for",
        choices=[(QUARTER, "A quarter"), (YEAR, "A year"), (CUSTOM, "Dates I choose")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a quarter, a year or your own dates.",
            "invalid_choice": "Choose a quarter, a year or your own dates.",
        },
    )
    quarter = forms.ChoiceField(
        label="Quarter",
        required=False,
        error_messages={"invalid_choice": "Choose a quarter from the list."},
    )
    year = forms.TypedChoiceField(
        label="Year",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choose a year from the list."},
    )
    start = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "invalid": "Enter the first date as a real date, for example 31/01/2026."
        },
    )
    end = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "invalid": "Enter the last date as a real date, for example 31/03/2026."
        },
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["quarter"].choices = quarter_choices(today)
        self.fields["year"].choices = [
            (year, str(year)) for year in range(today.year, FIRST_YEAR - 1, -1)
        ]

    def full_clean(self):
        """Validate, then point each field with an error at its message."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-error"

    def clean(self):
        data = super().clean()
        kind = data.get("period")
        if kind == QUARTER and not data.get("quarter") and "quarter" not in self.errors:
            self.add_error("quarter", "Choose a quarter from the list.")
        elif kind == YEAR and not data.get("year") and "year" not in self.errors:
            self.add_error("year", "Choose a year from the list.")
        elif kind == CUSTOM:
            self._clean_dates(data)
        return data

    def _clean_dates(self, data) -> None:
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return
        if start is None:
            self.add_error("start", "Enter the first date of the period.")
        if end is None:
            self.add_error("end", "Enter the last date of the period.")
        if start is None or end is None:
            return
        if start.year < FIRST_YEAR:
            self.add_error("start", f"Choose a first date in {FIRST_YEAR} or later.")
        elif end < start:
            self.add_error(
                "end", "The last date must be the same as or after the first."
            )
        elif end > self.today:
            self.add_error("end", "The last date cannot be after today.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", "Choose a period of five years or less.")

    def chosen(self) -> Period:
        """The chosen period (call only once the form is valid)."""
        data = self.cleaned_data
        if data["period"] == QUARTER:
            year, number = data["quarter"].split("-Q")
            return Period.quarter(int(year), int(number))
        if data["period"] == YEAR:
            return Period.year(data["year"])
        return Period(CUSTOM, data["start"], data["end"])


def parse(
    query, today: datetime.date | None = None
) -> tuple[Period | None, PeriodForm]:
    """The period a query string asks for, or None with the form's errors.

    No ``period`` parameter at all means the last full quarter.
    """
    today = today or timezone.localdate()
    if "period" not in query:
        period = Period.last_full_quarter(today)
        return period, PeriodForm(initial=period.query(), today=today)
    kind = query.get("period", "")
    wanted = {"period", *FIELDS_FOR.get(kind, ())}
    form = PeriodForm({name: query.get(name, "")[:40] for name in wanted}, today=today)
    if not form.is_valid():
        return None, form
    return form.chosen(), form
