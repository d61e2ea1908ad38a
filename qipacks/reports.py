"""National uptake figures for staff, aggregated in SQL.

Every function here runs a fixed number of queries however many organisations,
recommendations or history rows there are: counts come back grouped from
PostgreSQL, never row by row.

Definitions (the same as ``services.Uptake``, which the pack pages use):

- an organisation is *applicable* to a recommendation when its type is one the
  recommendation applies to; only live, public packs count;
- *no response yet*: applicable, and no uptake record;
- *share implemented*: implemented / (applicable - not applicable);
- *overdue*: applicable, the recommendation's first-response date is before
  today, and either there is no record or the record says "not started".

A record left over for an organisation whose type the recommendation no longer
applies to is not counted anywhere (so "no response yet" is never negative).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from website.models import Organisation

from . import services
from .charts import NO_RESPONSE
from .models import (
    QIPackPage,
    Recommendation,
    UptakeChange,
    UptakeMonthly,
    UptakeRecord,
    UptakeTally,
)
from .models import UptakeStatus as S

ORG = Organisation._meta.db_table
REC = Recommendation._meta.db_table
RECORD = UptakeRecord._meta.db_table
CHANGE = UptakeChange._meta.db_table
TALLY = UptakeTally._meta.db_table
MONTHLY = UptakeMonthly._meta.db_table
STATUSES = [s.value for s in S]

REGIONS = dict(Organisation.Region.choices)
TYPES = dict(Organisation.Type.choices)
STATUS_LABELS = {**dict(S.choices), NO_RESPONSE: "No response yet"}
# Column order for tables and exports: done first, nothing yet last.
STATUS_ORDER = [
    S.IMPLEMENTED,
    S.IN_PROGRESS,
    S.PLANNED,
    S.NOT_STARTED,
    S.NOT_APPLICABLE,
    NO_RESPONSE,
]


@dataclass(frozen=True)
class Filters:
    """What the person narrowed the figures to (empty means everything)."""

    pack: int | None = None
    region: str = ""
    type: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.pack or self.region or self.type)

    def org_sql(self, alias: str = "o", type_column: str = "type") -> tuple[str, list]:
        """SQL conditions (with a leading AND) on the organisation, and params."""
        sql, params = "", []
        if self.region:
            sql += f" AND {alias}.region = %s"
            params.append(self.region)
        if self.type:
            sql += f" AND {alias}.{type_column} = %s"
            params.append(self.type)
        return sql, params


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Rec:
    """A recommendation as the reports need it (no page content loaded)."""

    pk: int
    reference: str
    text: str
    applies_to: tuple[str, ...]
    response_due: datetime.date
    priority: str
    pack_id: int
    pack_title: str

    @property
    def label(self) -> str:
        return f"{self.pack_title}: {self.reference}"

    @property
    def applies_to_display(self) -> list[str]:
        return [TYPES.get(t, t) for t in self.applies_to]


@dataclass
class Breakdown(services.Uptake):
    """Uptake figures for one row of a table (a recommendation, pack, region...)."""

    label: str = ""
    key: object = None
    url: str = ""  # where a table links the label, set by the view

    @property
    def no_response(self) -> int:
        return max(0, self.applicable - self.responses)

    @property
    def counts(self) -> dict[str, int]:
        """Every status, and "no response yet", in table order."""
        counts = {s: self.by_status.get(s, 0) for s in STATUS_ORDER}
        counts[NO_RESPONSE] = self.no_response
        return counts

    @property
    def ordered_counts(self) -> list[int]:
        """The counts in ``STATUS_ORDER`` (for tables)."""
        counts = self.counts
        return [counts[s] for s in STATUS_ORDER]

    def add(self, other: Breakdown) -> None:
        self.applicable += other.applicable
        self.responses += other.responses
        for status, n in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + n


def _breakdown(label, key=None) -> Breakdown:
    return Breakdown(applicable=0, responses=0, by_status={}, label=label, key=key)


def _fetch(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- What is in scope -----------------------------------------------------------------


def live_packs() -> list[tuple[int, str]]:
    """(id, title) of the live, public packs, by title."""
    return list(
        QIPackPage.objects.live()
        .public()
        .order_by("title", "pk")
        .values_list("pk", "title")
    )


def recommendations(filters: Filters = NO_FILTERS) -> list[Rec]:
    """Live recommendations in pack then editor order, narrowed by the filters."""
    queryset = services.live_recommendations()
    if filters.pack:
        queryset = queryset.filter(pack_id=filters.pack)
    if filters.type:
        queryset = queryset.filter(applies_to__contains=[filters.type])
    return [
        Rec(
            pk=row["pk"],
            reference=row["reference"],
            text=row["text"],
            applies_to=tuple(row["applies_to"]),
            response_due=row["response_due"],
            priority=row["priority"],
            pack_id=row["pack_id"],
            pack_title=row["pack__title"],
        )
        for row in queryset.values(
            "pk",
            "reference",
            "text",
            "applies_to",
            "response_due",
            "priority",
            "pack_id",
            "pack__title",
        )
    ]


def organisation_counts(filters: Filters = NO_FILTERS) -> dict[tuple[str, str], int]:
    """How many organisations of each (type, region) match the filters."""
    queryset = Organisation.objects.all()
    if filters.region:
        queryset = queryset.filter(region=filters.region)
    if filters.type:
        queryset = queryset.filter(type=filters.type)
    rows = queryset.values_list("type", "region").annotate(n=Count("pk")).order_by()
    return {(t, r): n for t, r, n in rows}


def applicable(
    rec: Rec, counts: dict[tuple[str, str], int], *, region: str | None = None
) -> int:
    """Organisations a recommendation applies to (in one region if given)."""
    return sum(
        n
        for (org_type, org_region), n in counts.items()
        if org_type in rec.applies_to and (region is None or org_region == region)
    )


def _record_counts(
    rec_ids: list[int], filters: Filters, group_by: str = ""
) -> list[tuple]:
    """(recommendation id, [group columns,] status, n) for applicable records.

    Read from the tally (``UptakeTally``: one row per recommendation, region and
    type, a column per status), not the records: a few thousand rows, not
    hundreds of thousands. ``group_by`` names tally columns (``t.region``...).
    Statuses nobody has are left out, as a ``GROUP BY`` over records would.
    """
    if not rec_ids:
        return []
    org_sql, org_params = filters.org_sql("t", "organisation_type")
    extra = f", {group_by}" if group_by else ""
    sums = ", ".join(f"sum(t.{s})" for s in STATUSES)
    sql = (
        f"SELECT t.recommendation_id{extra}, {sums} "  # noqa: S608
        f"FROM {TALLY} t "
        f"JOIN unnest(%s::bigint[]) AS wanted (id) ON wanted.id = t.recommendation_id "
        f"JOIN {REC} r ON r.id = t.recommendation_id "
        f"WHERE t.organisation_type = ANY(r.applies_to)"
        f"{org_sql} GROUP BY t.recommendation_id{extra}"
    )
    width = len(STATUSES)
    rows = []
    for row in _fetch(sql, [rec_ids, *org_params]):
        keys, counts = row[:-width], row[-width:]
        rows.extend(
            (*keys, status, int(n))
            for status, n in zip(STATUSES, counts, strict=True)
            if n
        )
    return rows


# --- Summaries ------------------------------------------------------------------------


def recommendation_summaries(
    recs: list[Rec], filters: Filters = NO_FILTERS
) -> list[Breakdown]:
    """Uptake by status for each recommendation (two queries)."""
    counts = organisation_counts(filters)
    by_rec: dict[int, Breakdown] = {}
    for rec in recs:
        row = _breakdown(rec.label, rec)
        row.applicable = applicable(rec, counts)
        by_rec[rec.pk] = row
    for rec_id, status, n in _record_counts(list(by_rec), filters):
        row = by_rec[rec_id]
        row.by_status[status] = n
        row.responses += n
    return list(by_rec.values())


def pack_summaries(summaries: Iterable[Breakdown]) -> list[Breakdown]:
    """Recommendation figures added up per pack (organisation x recommendation
    pairs), in the order the packs first appear."""
    packs: dict[int, Breakdown] = {}
    for row in summaries:
        rec: Rec = row.key
        if rec.pack_id not in packs:
            packs[rec.pack_id] = _breakdown(rec.pack_title, rec.pack_id)
        packs[rec.pack_id].add(row)
    return list(packs.values())


def recommendation_breakdowns(
    rec: Rec, filters: Filters = NO_FILTERS
) -> tuple[list[Breakdown], list[Breakdown]]:
    """One recommendation's uptake by region and by organisation type (two queries).

    Every region, and every type it applies to, gets a row, even with nobody in it.
    """
    counts = organisation_counts(filters)
    regions = {
        code: _breakdown(label, code)
        for code, label in REGIONS.items()
        if not filters.region or code == filters.region
    }
    types = {
        code: _breakdown(label, code)
        for code, label in TYPES.items()
        if code in rec.applies_to and (not filters.type or code == filters.type)
    }
    for (org_type, org_region), n in counts.items():
        if org_type in types:
            regions[org_region].applicable += n
            types[org_type].applicable += n
    rows = _record_counts([rec.pk], filters, group_by="t.region, t.organisation_type")
    for _, org_region, org_type, status, n in rows:
        for row in (regions[org_region], types[org_type]):
            row.by_status[status] = row.by_status.get(status, 0) + n
            row.responses += n
    return list(regions.values()), list(types.values())


# --- The matrix -----------------------------------------------------------------------


def organisations(filters: Filters = NO_FILTERS):
    """Organisations matching the filters, by name (a queryset, to paginate)."""
    queryset = Organisation.objects.order_by("name", "pk")
    if filters.region:
        queryset = queryset.filter(region=filters.region)
    if filters.type:
        queryset = queryset.filter(type=filters.type)
    return queryset


@dataclass
class MatrixRow:
    organisation: Organisation
    cells: list[str | None] = field(default_factory=list)  # None: does not apply

    @property
    def applicable(self) -> int:
        return sum(1 for c in self.cells if c is not None)

    @property
    def responded(self) -> int:
        return sum(1 for c in self.cells if c not in (None, NO_RESPONSE))

    @property
    def implemented(self) -> int:
        return sum(1 for c in self.cells if c == S.IMPLEMENTED)


def matrix(orgs: Sequence[Organisation], recs: list[Rec]) -> list[MatrixRow]:
    """Each organisation's status for each recommendation (one query).

    A cell is a status, ``NO_RESPONSE`` when it applies and there is no record,
    or ``None`` when the recommendation does not apply to that type.
    """
    statuses: dict[tuple[int, int], str] = {}
    if orgs and recs:
        statuses = {
            (org_id, rec_id): status
            for org_id, rec_id, status in UptakeRecord.objects.filter(
                organisation_id__in=[o.pk for o in orgs],
                recommendation_id__in=[r.pk for r in recs],
            ).values_list("organisation_id", "recommendation_id", "status")
        }
    return [
        MatrixRow(
            org,
            [
                statuses.get((org.pk, rec.pk), NO_RESPONSE)
                if org.type in rec.applies_to
                else None
                for rec in recs
            ],
        )
        for org in orgs
    ]


# --- Trend ----------------------------------------------------------------------------


@dataclass
class TrendPoint:
    month: datetime.date  # the first day of the month; the figure is at its end
    implemented: int
    denominator: int

    @property
    def percent(self) -> float | None:
        if self.denominator <= 0:
            return None
        return round(100 * self.implemented / self.denominator, 1)

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")


@dataclass
class Trend:
    national: list[TrendPoint]
    regions: dict[str, list[TrendPoint]]  # region code -> points, every region


def _month_starts(today: datetime.date, months: int) -> list[datetime.date]:
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _whole_packs(recs: list[Rec], filters: Filters) -> bool:
    """Whether ``recs`` is every recommendation of their packs (that applies to
    the type filtered to): then per-pack roll-ups give exactly their figures."""
    packs = {r.pack_id for r in recs}
    everything = Recommendation.objects.filter(pack_id__in=packs)
    if filters.type:
        everything = everything.filter(applies_to__contains=[filters.type])
    return set(everything.values_list("pk", flat=True)) == {r.pk for r in recs}


def trend(
    recs: list[Rec],
    filters: Filters = NO_FILTERS,
    *,
    months: int = 12,
    today: datetime.date | None = None,
) -> Trend:
    """Share implemented at the end of each of the last ``months`` months (the
    current month: so far), nationally and per region, from the history.

    Each history row carries its old and new status, so a change *into*
    "implemented" adds one and a change *out of* it takes one away; the count at
    a month's end is the running total (a window ``SUM``) of those changes up to
    then. "Not applicable" is counted the same way for the denominator.
    Organisations are counted as they are now (type and region).

    Two small queries when ``recs`` is every live recommendation of their packs
    (for the type filtered to), as the views pass: the changes come summed per
    pack, region, type and month from ``UptakeMonthly``. Otherwise (a hand-picked
    list) one query over the history itself, with the same result.
    """
    today = today or timezone.localdate()
    starts = _month_starts(today, months)
    counts = organisation_counts(filters)
    empty = Trend(
        national=[TrendPoint(m, 0, 0) for m in starts],
        regions={code: [TrendPoint(m, 0, 0) for m in starts] for code in REGIONS},
    )
    if not recs:
        return empty
    first = starts[0]
    after = (starts[-1] + datetime.timedelta(days=32)).replace(day=1)
    if _whole_packs(recs, filters):
        org_sql, org_params = filters.org_sql("m", "organisation_type")
        deltas = f"""
            SELECT GREATEST(m.month, %s::date) AS month, m.region,
                sum(m.implemented) AS implemented,
                sum(m.not_applicable) AS not_applicable
            FROM {MONTHLY} m
            WHERE m.pack_id = ANY(%s) AND m.month < %s::date{org_sql}
            GROUP BY 1, 2
        """  # noqa: S608 - table names from models; values are parameters
        params = [first, sorted({r.pack_id for r in recs}), after, *org_params]
    else:
        org_sql, org_params = filters.org_sql()
        tz = settings.TIME_ZONE
        deltas = f"""
            SELECT
                GREATEST(
                    date_trunc('month', c.changed_at AT TIME ZONE %s)::date, %s::date
                ) AS month,
                o.region,
                sum((c.new_status = 'implemented')::int
                    - (c.old_status = 'implemented')::int) AS implemented,
                sum((c.new_status = 'not_applicable')::int
                    - (c.old_status = 'not_applicable')::int) AS not_applicable
            FROM {CHANGE} c
            JOIN {ORG} o ON o.id = c.organisation_id
            JOIN {REC} r ON r.id = c.recommendation_id
            WHERE c.recommendation_id = ANY(%s)
              AND c.changed_at < (%s::date)::timestamp AT TIME ZONE %s
              AND c.new_status <> c.old_status
              AND (c.new_status IN ('implemented', 'not_applicable')
                   OR c.old_status IN ('implemented', 'not_applicable'))
              AND o.type = ANY(r.applies_to){org_sql}
            GROUP BY 1, 2
        """  # noqa: S608 - table names from models; values are parameters
        params = [tz, first, [r.pk for r in recs], after, tz, *org_params]
    sql = f"""
        WITH deltas AS ({deltas}),
        months AS (
            SELECT generate_series(%s::date, %s::date, interval '1 month')::date
                AS month
        ),
        regions AS (SELECT DISTINCT region FROM deltas)
        SELECT m.month, g.region,
            sum(coalesce(d.implemented, 0)) OVER w,
            sum(coalesce(d.not_applicable, 0)) OVER w
        FROM months m
        CROSS JOIN regions g
        LEFT JOIN deltas d ON d.month = m.month AND d.region = g.region
        WINDOW w AS (PARTITION BY g.region ORDER BY m.month)
    """  # noqa: S608 - the parts above
    rows = _fetch(sql, [*params, first, starts[-1]])
    cumulative = {(month, region): (i, na) for month, region, i, na in rows}
    applicable_by_region = {
        code: sum(applicable(rec, counts, region=code) for rec in recs)
        for code in REGIONS
    }
    result = empty
    for index, month in enumerate(starts):
        national = result.national[index]
        for code in REGIONS:
            implemented, not_applicable = cumulative.get((month, code), (0, 0))
            point = result.regions[code][index]
            point.implemented = int(implemented)
            point.denominator = applicable_by_region[code] - int(not_applicable)
            national.implemented += point.implemented
            national.denominator += point.denominator
    return result


# --- Overdue --------------------------------------------------------------------------


@dataclass
class OverdueOrganisation:
    organisation_id: int
    name: str
    code: str
    type: str
    region: str
    named_lead_name: str
    named_lead_email: str
    overdue: int
    no_response: int
    not_started: int
    oldest_due: datetime.date
    recommendations: list[Rec]

    @property
    def type_label(self) -> str:
        return TYPES.get(self.type, self.type)

    @property
    def region_label(self) -> str:
        return REGIONS.get(self.region, self.region)


def overdue(
    recs: list[Rec],
    filters: Filters = NO_FILTERS,
    *,
    today: datetime.date | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[int, list[OverdueOrganisation]]:
    """Organisations with overdue responses, most overdue first (one query).

    Returns the total number of such organisations and the requested slice.
    """
    today = today or timezone.localdate()
    due = [r for r in recs if r.response_due < today]
    if not due:
        return 0, []
    by_pk = {r.pk: r for r in due}
    org_sql, org_params = filters.org_sql()
    sql = f"""
        SELECT o.id, o.name, o.code, o.type, o.region,
            o.named_lead_name, o.named_lead_email,
            count(*) AS overdue,
            count(*) FILTER (WHERE u.id IS NULL) AS no_response,
            count(*) FILTER (WHERE u.status = 'not_started') AS not_started,
            min(r.response_due) AS oldest_due,
            array_agg(r.id ORDER BY r.response_due, r.id) AS recs,
            count(*) OVER () AS total
        FROM {ORG} o
        JOIN {REC} r ON o.type = ANY(r.applies_to)
        LEFT JOIN {RECORD} u
            ON u.recommendation_id = r.id AND u.organisation_id = o.id
        WHERE r.id = ANY(%s) AND (u.id IS NULL OR u.status = 'not_started'){org_sql}
        GROUP BY o.id
        ORDER BY count(*) DESC, min(r.response_due), o.name, o.id
        LIMIT %s OFFSET %s
    """  # noqa: S608 - table names from models; values are parameters
    rows = _fetch(sql, [list(by_pk), *org_params, limit, offset])
    total = rows[0][-1] if rows else 0
    if not rows and offset:
        total = overdue(recs, filters, today=today, limit=1)[0]
    return total, [
        OverdueOrganisation(*row[:11], recommendations=[by_pk[pk] for pk in row[11]])
        for row in rows
    ]
