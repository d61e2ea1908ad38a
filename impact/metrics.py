"""The impact report's figures: one function per section, each aggregated in SQL.

Every function takes a ``Period`` and returns plain dataclasses; a figure that
compares with the period before carries both (``Figure.current``, ``.previous``).
Each runs a fixed number of queries however much data there is (the tests hold
them to it). What each figure means is said where it is worked out, and again
on the dashboard, so the annual report can quote it safely.

Things the platform cannot know are said, not guessed: subscriber counts on a
list are as they are today (leaving a list deletes the subscription), and
organisations are counted by their type and region today.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from wagtail.models import Page

from bulletins.models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    SendSummary,
    SentMark,
    Subscriber,
)
from bulletins.subscriptions import UNSUBSCRIBE_REASONS
from qipacks import reports as uptake_reports
from qipacks.models import Recommendation, UptakeChange
from webinars import reports as webinar_reports
from webinars.models import WebinarPage
from website.models import (
    Audience,
    Organisation,
    PageFeedback,
    TaggedContentPage,
    Theme,
)

from .models import PageViewDaily
from .periods import UK, Period

COMMENTS_SHOWN = 20
TOP_PAGES = 10
NO_AUDIENCE = "No role given"
# Why people said they left (optional, on the unsubscribe page).
REASONS = dict(UNSUBSCRIBE_REASONS)
NO_REASON = "No reason given"


# --- Building blocks ------------------------------------------------------------------


@dataclass
class Figure:
    """A figure for the period and for the one before, with the change."""

    label: str
    current: int = 0
    previous: int = 0

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def change_percent(self) -> float | None:
        if not self.previous:
            return None
        return round(100 * self.change / self.previous, 1)

    @property
    def change_text(self) -> str:
        """The change in words, for tables and emails."""
        if self.change == 0:
            return "No change"
        direction = "Up" if self.change > 0 else "Down"
        text = f"{direction} {abs(self.change):,}"
        if self.change_percent is None:
            return f"{text} (none before)"
        return f"{text} ({abs(self.change_percent):g}%)"


def percent(part: int, whole: int) -> float | None:
    """``part`` as a share of ``whole``, to one decimal place (None if no whole)."""
    return round(100 * part / whole, 1) if whole else None


def _in(period: Period, prefix: str) -> Q:
    return Q(**{f"{prefix}__gte": period.since, f"{prefix}__lt": period.until})


def _both(period: Period, prefix: str) -> Q:
    """From the start of the previous period to the end of this one."""
    return Q(
        **{f"{prefix}__gte": period.previous().since, f"{prefix}__lt": period.until}
    )


def _counts(period: Period, prefix: str) -> dict:
    """``current`` and ``previous`` counts as aggregate expressions."""
    return {
        "current": Count("pk", filter=_in(period, prefix), distinct=True),
        "previous": Count("pk", filter=_in(period.previous(), prefix), distinct=True),
    }


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def type_label(model) -> str:
    """What a page type is called in listings (``Safety message``)."""
    label = getattr(model, "listing_type_label", "")
    return label or model._meta.verbose_name.capitalize()


def content_models() -> list:
    """Every page type that is public content (the tagged-content mixin)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TaggedContentPage) and not model._meta.abstract
    ]


def _type_labels(content_type_ids) -> dict[int, str]:
    """Labels for content types by id (one query)."""
    labels = {}
    for pk, content_type in ContentType.objects.in_bulk(set(content_type_ids)).items():
        model = content_type.model_class()
        labels[pk] = type_label(model) if model else "Page type no longer in use"
    return labels


# --- Content published ----------------------------------------------------------------


@dataclass
class ContentFigures:
    total: Figure
    by_type: list[Figure]
    by_theme: list[Figure]
    by_audience: list[Figure]


def content(period: Period) -> ContentFigures:
    """Pages first published in the period, by type, theme and audience.

    Counts every language version and pages since unpublished; leaves out aliases
    (copies of a page shown in a second place) and non-content pages (home,
    listings). A page with two themes counts once under each. Four queries.
    """
    types = ContentType.objects.get_for_models(*content_models())
    content_type_ids = sorted(ct.pk for ct in types.values())
    pages = Page.objects.filter(
        _both(period, "first_published_at"),
        content_type_id__in=content_type_ids,
        alias_of__isnull=True,
    )
    labels = {ct.pk: type_label(model) for model, ct in types.items()}
    figures = {pk: Figure(labels[pk]) for pk in content_type_ids}
    for row in (
        pages.values("content_type_id")
        .annotate(**_counts(period, "first_published_at"))
        .order_by()
    ):
        figure = figures[row["content_type_id"]]
        figure.current, figure.previous = row["current"], row["previous"]
    by_type = sorted(figures.values(), key=lambda row: (-row.current, row.label))
    total = Figure(
        "Pages published",
        sum(row.current for row in by_type),
        sum(row.previous for row in by_type),
    )
    return ContentFigures(
        total=total,
        by_type=by_type,
        by_theme=_by_vocabulary(Theme, period, content_type_ids),
        by_audience=_by_vocabulary(Audience, period, content_type_ids),
    )


def _by_vocabulary(model, period: Period, content_type_ids) -> list[Figure]:
    """Pages published per term of a vocabulary, every term listed (one query)."""
    prefix = "page_items__content_object__first_published_at"
    pages = Q(
        page_items__content_object__content_type_id__in=content_type_ids,
        page_items__content_object__alias_of__isnull=True,
    )
    rows = model.objects.annotate(
        current=Count(
            "page_items__content_object",
            filter=pages & _in(period, prefix),
            distinct=True,
        ),
        previous=Count(
            "page_items__content_object",
            filter=pages & _in(period.previous(), prefix),
            distinct=True,
        ),
    ).order_by("sort_order", "name")
    return [Figure(row.name, row.current, row.previous) for row in rows]


# --- Subscribers ----------------------------------------------------------------------


@dataclass
class GrowthPoint:
    """A figure for one month (the subscribers at its end, or its page views)."""

    month: datetime.date
    value: int

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")


@dataclass
class ListRow:
    label: str
    subscribers: int  # active subscribers on the list today
    joined: int  # of whom joined the list in the period


@dataclass
class SubscriberFigures:
    at_start: int
    at_end: int
    confirmed: Figure  # new subscribers: confirmed in the period
    signed_up: int  # asked to subscribe in the period
    signed_up_confirmed: int  # of whom confirmed (by now)
    signed_up_pending: int  # of whom still waiting for confirmation
    unsubscribed: Figure  # people who left by choice
    removed_bounced: int  # subscriptions ended because the address bounced
    removed_complained: int  # ... or because they marked an email as spam
    hard_bounces: int
    soft_bounces: int
    how_left: list[Figure]
    reasons: list[Figure]
    growth: list[GrowthPoint]
    by_list: list[ListRow]
    by_audience: list[ListRow]

    @property
    def net_change(self) -> int:
        return self.at_end - self.at_start


def _subscribed_at(moment: datetime.datetime) -> Q:
    """Subscribed at ``moment``: confirmed before it and not left before it.

    Someone who left and came back counts from their first confirmation.
    Addresses erased on request are gone from every count.
    """
    return Q(confirmed_at__lt=moment) & (
        Q(status=Subscriber.Status.ACTIVE) | Q(status_changed_at__gte=moment)
    )


def _month_ends(period: Period, as_of: datetime.datetime) -> list[tuple]:
    """(month, the moment it ends or ``as_of`` if sooner) for each month that
    has begun by ``as_of``."""
    ends = []
    for month in period.months():
        if datetime.datetime.combine(month, datetime.time(), tzinfo=UK) >= as_of:
            break
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        moment = datetime.datetime.combine(following, datetime.time(), tzinfo=UK)
        ends.append((month, min(moment, as_of)))
    return ends


LEFT_BY_CHOICE = Q(action=ConsentRecord.Action.UNSUBSCRIBED) & ~Q(
    method__in=[ConsentRecord.Method.BOUNCE, ConsentRecord.Method.COMPLAINT]
)


def subscribers(
    period: Period, now: datetime.datetime | None = None
) -> SubscriberFigures:
    """Who subscribed, confirmed, left and bounced in the period (six queries).

    - subscribers at a moment: confirmed before it, not left before it;
    - new subscribers: confirmed in the period;
    - unsubscribed: people who left one list or all of them by choice (a link,
      one-click, the preference centre), each person once;
    - bounces: addresses reported bouncing in the period, each once.
    """
    as_of = period.as_of(now)
    months = _month_ends(period, as_of)
    snapshot = Subscriber.objects.aggregate(
        at_start=Count("pk", filter=_subscribed_at(period.since)),
        at_end=Count("pk", filter=_subscribed_at(as_of)),
        **_counts(period, "confirmed_at"),
        signed_up=Count("pk", filter=_in(period, "created_at")),
        signed_up_confirmed=Count(
            "pk", filter=_in(period, "created_at") & Q(confirmed_at__isnull=False)
        ),
        signed_up_pending=Count(
            "pk",
            filter=_in(period, "created_at") & Q(status=Subscriber.Status.PENDING),
        ),
        **{
            f"month{i}": Count("pk", filter=_subscribed_at(moment))
            for i, (_, moment) in enumerate(months)
        },
    )
    records = ConsentRecord.objects.filter(_both(period, "created_at"))
    left = records.filter(LEFT_BY_CHOICE).aggregate(
        current=Count("subscriber", filter=_in(period, "created_at"), distinct=True),
        previous=Count(
            "subscriber", filter=_in(period.previous(), "created_at"), distinct=True
        ),
    )
    methods = dict(ConsentRecord.Method.choices)
    how_left, reasons = defaultdict(int), defaultdict(int)
    removed = {ConsentRecord.Method.BOUNCE: 0, ConsentRecord.Method.COMPLAINT: 0}
    for method, reason, n in (
        records.filter(_in(period, "created_at"))
        .filter(action=ConsentRecord.Action.UNSUBSCRIBED)
        .values_list("method", "details__reason")
        .annotate(n=Count("subscriber", distinct=True))
        .order_by()
    ):
        if method in removed:
            removed[method] += n
            continue
        how_left[methods.get(method, method)] += n
        reasons[REASONS.get(reason, NO_REASON)] += n
    bounces = DeliveryEvent.objects.filter(_in(period, "received_at")).aggregate(
        hard=Count("email", filter=Q(kind="hard_bounce"), distinct=True),
        soft=Count("email", filter=Q(kind="soft_bounce"), distinct=True),
    )
    return SubscriberFigures(
        at_start=snapshot["at_start"],
        at_end=snapshot["at_end"],
        confirmed=Figure("New subscribers", snapshot["current"], snapshot["previous"]),
        signed_up=snapshot["signed_up"],
        signed_up_confirmed=snapshot["signed_up_confirmed"],
        signed_up_pending=snapshot["signed_up_pending"],
        unsubscribed=Figure("Unsubscribed", left["current"], left["previous"]),
        removed_bounced=removed[ConsentRecord.Method.BOUNCE],
        removed_complained=removed[ConsentRecord.Method.COMPLAINT],
        hard_bounces=bounces["hard"],
        soft_bounces=bounces["soft"],
        how_left=[Figure(label, n) for label, n in sorted(how_left.items())],
        reasons=[
            Figure(label, reasons[label])
            for label in [*REASONS.values(), NO_REASON]
            if reasons.get(label)
        ],
        growth=[
            GrowthPoint(month, snapshot[f"month{i}"])
            for i, (month, _) in enumerate(months)
        ],
        by_list=_by_list(period),
        by_audience=_by_audience(period),
    )


def _by_list(period: Period) -> list[ListRow]:
    """Active subscribers on each list today, and how many joined in the period."""
    active = Q(subscriptions__subscriber__status=Subscriber.Status.ACTIVE)
    rows = DistributionList.objects.annotate(
        subscribers=Count("subscriptions", filter=active),
        joined=Count(
            "subscriptions", filter=active & _in(period, "subscriptions__created_at")
        ),
    ).order_by("sort_order", "name")
    return [ListRow(row.name, row.subscribers, row.joined) for row in rows]


def _by_audience(period: Period) -> list[ListRow]:
    """Active subscribers by the role they gave; how many confirmed in the period."""
    rows = (
        Subscriber.objects.active()
        .values("audience__name", "audience__sort_order")
        .annotate(
            subscribers=Count("pk"),
            joined=Count("pk", filter=_in(period, "confirmed_at")),
        )
        .order_by("audience__sort_order", "audience__name")
    )
    result = [
        ListRow(row["audience__name"] or NO_AUDIENCE, row["subscribers"], row["joined"])
        for row in rows
    ]
    # "No role given" last, however the database sorts empty values.
    return sorted(result, key=lambda row: row.label == NO_AUDIENCE)


# --- Sends ----------------------------------------------------------------------------


@dataclass
class SendRow:
    label: str
    sends: int = 0
    sent: int = 0  # accepted by the mail server
    failed: int = 0  # refused, or given up on after retries
    not_sent: int = 0  # skipped: no longer subscribed when their turn came
    bounced: int = 0  # addresses reported bouncing (hard or soft)
    complaints: int = 0  # addresses that marked it as spam

    @property
    def delivered(self) -> int:
        """Accepted and not reported bouncing."""
        return max(0, self.sent - self.bounced)

    def add(self, other: SendRow) -> None:
        for name in ("sends", "sent", "failed", "not_sent", "bounced", "complaints"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SendFigures:
    by_kind: list[SendRow]
    total: SendRow
    delivered: Figure


_SEND_STATUS_FIELDS = {
    Delivery.Status.SENT: "sent",
    Delivery.Status.FAILED: "failed",
    Delivery.Status.SKIPPED: "not_sent",
}


def sends(period: Period) -> SendFigures:
    """Emails sent in the period by kind: sent, failed, bounced, complaints.

    A send belongs to the period it started in; tests to oneself are left out.
    Counts come from the delivery rows, or the summary kept once old rows are
    pruned, and messages the mail server took whose rows do not say so yet.
    Bounced (hard or soft) and complaints are distinct addresses per send.
    Five queries.
    """
    rows = list(
        Send.objects.filter(_both(period, "started_at"))
        .exclude(kind=Send.Kind.TEST)
        .values_list("pk", "kind", "started_at")
    )
    ids = [pk for pk, _, _ in rows]
    figures = {pk: SendRow("", sends=1) for pk in ids}
    for send_id, status, n in (
        Delivery.objects.filter(send_id__in=ids)
        .values_list("send_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if status in _SEND_STATUS_FIELDS:
            row = figures[send_id]
            name = _SEND_STATUS_FIELDS[status]
            setattr(row, name, getattr(row, name) + n)
    for send_id, n in (
        SentMark.objects.filter(send_id__in=ids)
        .values_list("send_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        figures[send_id].sent += n
    for send_id, counts in SendSummary.objects.filter(send_id__in=ids).values_list(
        "send_id", "counts"
    ):
        row = figures[send_id]
        for status, name in _SEND_STATUS_FIELDS.items():
            setattr(row, name, getattr(row, name) + int(counts.get(status, 0)))
    for send_id, complaint, n in _fetch(
        f"""SELECT send_id, kind = %s, count(DISTINCT email)
            FROM {DeliveryEvent._meta.db_table}
            WHERE send_id = ANY(%s) GROUP BY 1, 2""",  # noqa: S608 - a model's table
        [DeliveryEvent.Kind.COMPLAINT, ids],
    ):
        row = figures[send_id]
        if complaint:
            row.complaints += n
        else:
            row.bounced += n
    by_kind = {
        kind: SendRow(label)
        for kind, label in Send.Kind.choices
        if kind != Send.Kind.TEST
    }
    total, before = SendRow("All emails"), SendRow("")
    for pk, kind, started_at in rows:
        if started_at >= period.since:
            by_kind[kind].add(figures[pk])
            total.add(figures[pk])
        else:
            before.add(figures[pk])
    return SendFigures(
        by_kind=[row for row in by_kind.values() if row.sends],
        total=total,
        delivered=Figure("Emails delivered", total.delivered, before.delivered),
    )


# --- Web reach ------------------------------------------------------------------------


@dataclass
class PageRow:
    label: str
    page_id: int | None
    views: int
    type_label: str = ""


@dataclass
class ReachFigures:
    total: Figure
    by_type: list[Figure]
    by_month: list[GrowthPoint]
    top_pages: list[PageRow]


def reach(period: Period) -> ReachFigures:
    """Page views counted by the site itself, by type, month and page (4 queries).

    Counted as pages are served (cached or not), leaving out robots, previews,
    prefetches and anything but a plain successful GET; no cookies, addresses or
    anything else about the reader. Views reach these tables within minutes.
    """
    rows = list(
        PageViewDaily.objects.filter(
            day__gte=period.previous().start, day__lte=period.end
        )
        .values("content_type_id")
        .annotate(
            current=Sum("views", filter=Q(day__gte=period.start), default=0),
            previous=Sum("views", filter=Q(day__lt=period.start), default=0),
        )
        .order_by()
    )
    in_period = PageViewDaily.objects.filter(day__gte=period.start, day__lte=period.end)
    top = list(
        in_period.values("page_id", "page__title", "content_type_id")
        .annotate(n=Sum("views"))
        .order_by("-n", "page__title", "page_id")[:TOP_PAGES]
    )
    labels = _type_labels(row["content_type_id"] for row in [*rows, *top])
    merged: dict[str, Figure] = {}
    for row in rows:
        label = labels[row["content_type_id"]]
        count = merged.setdefault(label, Figure(label))
        count.current += row["current"]
        count.previous += row["previous"]
    by_type = sorted(
        (c for c in merged.values() if c.current or c.previous),
        key=lambda c: (-c.current, c.label),
    )
    monthly = dict(
        in_period.annotate(month=TruncMonth("day"))
        .values_list("month")
        .annotate(n=Sum("views"))
        .order_by()
    )
    return ReachFigures(
        total=Figure(
            "Page views",
            sum(c.current for c in by_type),
            sum(c.previous for c in by_type),
        ),
        by_type=by_type,
        by_month=[GrowthPoint(m, monthly.get(m, 0)) for m in period.months()],
        top_pages=[
            PageRow(
                row["page__title"] or "A page since deleted",
                row["page_id"],
                row["n"],
                labels[row["content_type_id"]],
            )
            for row in top
        ],
    )


# --- Webinars -------------------------------------------------------------------------


@dataclass
class WebinarRow:
    label: str
    starts_at: datetime.datetime
    cancelled: bool
    figures: webinar_reports.Figures


@dataclass
class WebinarFigures:
    rows: list[WebinarRow]
    totals: webinar_reports.Figures
    registrations: Figure

    @property
    def ratings(self) -> list[dict]:
        return self.totals.distribution


def webinars(period: Period) -> WebinarFigures:
    """Webinars that started in the period: registrations, attendance, feedback.

    Registrations are places taken (not the waiting list or cancellations);
    attendance counts once the meeting tool's report is imported; scores are the
    1 to 5 ratings from feedback. Four queries (``webinars.reports``).
    """
    pages = list(
        WebinarPage.objects.filter(_both(period, "starts_at"))
        .order_by("starts_at", "pk")
        .values_list("pk", "title", "starts_at", "is_cancelled")
    )
    figures = webinar_reports.figures_for(pk for pk, *_ in pages)
    rows, totals = [], webinar_reports.Figures()
    previous = 0
    for pk, title, starts_at, cancelled in pages:
        if starts_at < period.since:
            previous += figures[pk].registered
            continue
        rows.append(WebinarRow(title, starts_at, cancelled, figures[pk]))
        totals.add(figures[pk])
    return WebinarFigures(
        rows=rows,
        totals=totals,
        registrations=Figure("Webinar registrations", totals.registered, previous),
    )


# --- Recommendations ------------------------------------------------------------------


@dataclass
class UptakeRow:
    """Responses to live recommendations for one group of organisations."""

    label: str
    applicable: int = 0  # organisation x recommendation pairs expected to respond
    responses: int = 0  # first responses received in the period
    changes: int = 0  # later changes of status recorded in the period
    responded: int = 0  # pairs with a response by the end
    implemented_start: int = 0
    implemented_end: int = 0
    not_applicable_start: int = 0
    not_applicable_end: int = 0
    overdue: int = 0  # at the end

    @property
    def percent_start(self) -> float | None:
        return percent(
            self.implemented_start, self.applicable - self.not_applicable_start
        )

    @property
    def percent_end(self) -> float | None:
        return percent(self.implemented_end, self.applicable - self.not_applicable_end)

    @property
    def change_points(self) -> float | None:
        """Percentage points gained in the share implemented."""
        if self.percent_start is None or self.percent_end is None:
            return None
        return round(self.percent_end - self.percent_start, 1)

    def add(self, other: UptakeRow) -> None:
        for name in _UPTAKE_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_UPTAKE_FIELDS = (
    "applicable",
    "responses",
    "changes",
    "responded",
    "implemented_start",
    "implemented_end",
    "not_applicable_start",
    "not_applicable_end",
    "overdue",
)


@dataclass
class UptakeFigures:
    total: UptakeRow
    by_region: list[UptakeRow]
    by_type: list[UptakeRow]
    recommendations: int
    as_of: datetime.datetime


REC = Recommendation._meta.db_table
ORG = Organisation._meta.db_table
CHANGE = UptakeChange._meta.db_table
_UPTAKE_SQL = f"""
WITH pairs AS (
    SELECT r.id AS rec_id, o.id AS org_id, o.region, o.type, r.response_due
    FROM {REC} r JOIN {ORG} o ON o.type = ANY(r.applies_to)
    WHERE r.id = ANY(%(recs)s)
),
history AS (
    SELECT c.recommendation_id AS rec_id, c.organisation_id AS org_id,
        c.changed_at, c.old_status, c.new_status, c.id
    FROM {CHANGE} c WHERE c.recommendation_id = ANY(%(recs)s)
),
at_start AS (
    SELECT DISTINCT ON (rec_id, org_id) rec_id, org_id, new_status AS status
    FROM history WHERE changed_at < %(since)s
    ORDER BY rec_id, org_id, changed_at DESC, id DESC
),
at_end AS (
    SELECT DISTINCT ON (rec_id, org_id) rec_id, org_id, new_status AS status
    FROM history WHERE changed_at < %(as_of)s
    ORDER BY rec_id, org_id, changed_at DESC, id DESC
),
during AS (
    SELECT rec_id, org_id,
        count(*) FILTER (WHERE old_status = '') AS firsts,
        count(*) FILTER (WHERE old_status NOT IN ('', new_status)) AS changes
    FROM history WHERE changed_at >= %(since)s AND changed_at < %(as_of)s
    GROUP BY rec_id, org_id
)
SELECT p.region, p.type,
    count(*),
    coalesce(sum(d.firsts), 0),
    coalesce(sum(d.changes), 0),
    count(e.status),
    count(*) FILTER (WHERE s.status = 'implemented'),
    count(*) FILTER (WHERE e.status = 'implemented'),
    count(*) FILTER (WHERE s.status = 'not_applicable'),
    count(*) FILTER (WHERE e.status = 'not_applicable'),
    count(*) FILTER (WHERE p.response_due < %(due_before)s
        AND (e.status IS NULL OR e.status = 'not_started'))
FROM pairs p
LEFT JOIN at_start s ON s.rec_id = p.rec_id AND s.org_id = p.org_id
LEFT JOIN at_end e ON e.rec_id = p.rec_id AND e.org_id = p.org_id
LEFT JOIN during d ON d.rec_id = p.rec_id AND d.org_id = p.org_id
GROUP BY p.region, p.type
"""  # noqa: S608 - table names from the models; values are parameters


def recommendations(
    period: Period, now: datetime.datetime | None = None
) -> UptakeFigures:
    """Responses to live recommendations, from the history (two queries).

    For each organisation a recommendation applies to (by its type today):
    first responses and status changes in the period; the share implemented
    at the start and at the end (leaving out "not applicable", as the uptake
    dashboards do); overdue at the end: due before that day and no response yet
    or "not started" then. "The end" is the period's end, or now if sooner.
    """
    as_of = period.as_of(now)
    recs = uptake_reports.recommendations()
    by_region = {code: UptakeRow(label) for code, label in Organisation.Region.choices}
    by_type = {code: UptakeRow(label) for code, label in Organisation.Type.choices}
    total = UptakeRow("All organisations")
    if recs:
        rows = _fetch(
            _UPTAKE_SQL,
            {
                "recs": [rec.pk for rec in recs],
                "since": period.since,
                "as_of": as_of,
                "due_before": as_of.astimezone(UK).date(),
            },
        )
        for region, org_type, *values in rows:
            row = UptakeRow("", *(int(v) for v in values))
            for group in (by_region[region], by_type[org_type], total):
                group.add(row)
    return UptakeFigures(
        total=total,
        by_region=list(by_region.values()),
        by_type=[row for row in by_type.values() if row.applicable],
        recommendations=len(recs),
        as_of=as_of,
    )


# --- Page feedback --------------------------------------------------------------------


@dataclass
class FeedbackRow:
    label: str
    useful: int = 0
    not_useful: int = 0
    comments: int = 0

    @property
    def answers(self) -> int:
        return self.useful + self.not_useful

    @property
    def percent_useful(self) -> float | None:
        return percent(self.useful, self.answers)


@dataclass
class Comment:
    page_title: str
    page_id: int
    useful: bool
    comment: str
    created_at: datetime.datetime


@dataclass
class FeedbackFigures:
    total: FeedbackRow
    answers: Figure
    by_type: list[FeedbackRow]
    comments: list[Comment]


def feedback(period: Period, limit: int | None = COMMENTS_SHOWN) -> FeedbackFigures:
    """ "Was this page useful?" answers in the period, by page type, with the
    comments left (newest first; ``limit`` of them, or all). Three queries."""
    answers = PageFeedback.objects.filter(_both(period, "created_at"))
    counts = answers.aggregate(**_counts(period, "created_at"))
    current = PageFeedback.objects.filter(_in(period, "created_at"))
    rows = list(
        current.values("page__content_type_id")
        .annotate(
            yes=Count("pk", filter=Q(useful=True)),
            no=Count("pk", filter=Q(useful=False)),
            with_comment=Count("pk", filter=~Q(comment="")),
        )
        .order_by()
    )
    labels = _type_labels(row["page__content_type_id"] for row in rows)
    merged: dict[str, FeedbackRow] = {}
    total = FeedbackRow("All pages")
    for row in rows:
        label = labels[row["page__content_type_id"]]
        item = merged.setdefault(label, FeedbackRow(label))
        for group in (item, total):
            group.useful += row["yes"]
            group.not_useful += row["no"]
            group.comments += row["with_comment"]
    comments = (
        current.exclude(comment="")
        .order_by("-created_at", "-pk")
        .values_list("page__title", "page_id", "useful", "comment", "created_at")
    )
    if limit:
        comments = comments[:limit]
    return FeedbackFigures(
        total=total,
        answers=Figure("Answers", counts["current"], counts["previous"]),
        by_type=sorted(merged.values(), key=lambda r: (-r.answers, r.label)),
        comments=[Comment(*row) for row in comments],
    )


# --- The whole report -----------------------------------------------------------------


@dataclass
class Report:
    period: Period
    previous: Period
    content: ContentFigures
    subscribers: SubscriberFigures
    sends: SendFigures
    reach: ReachFigures
    webinars: WebinarFigures
    recommendations: UptakeFigures
    feedback: FeedbackFigures

    @property
    def headlines(self) -> list[dict]:
        """The figures at the top of the dashboard, the email and the PDF."""
        uptake = self.recommendations.total
        feedback = self.feedback.total
        webinar = self.webinars.totals
        return [
            _headline(self.content.total),
            _headline(self.reach.total),
            _headline(self.subscribers.confirmed),
            {
                "label": "Subscribers at the end",
                "value": f"{self.subscribers.at_end:,}",
                "note": _signed(self.subscribers.net_change, "over the period"),
            },
            _headline(self.sends.delivered),
            _headline(self.webinars.registrations),
            {
                "label": "Webinar rating",
                "value": "No ratings"
                if webinar.mean_rating is None
                else f"{webinar.mean_rating:g} out of 5",
                "note": f"from {webinar.feedback_count:,} responses",
            },
            {
                "label": "Recommendation responses received",
                "value": f"{uptake.responses:,}",
                "note": f"{uptake.overdue:,} overdue at the end",
            },
            {
                "label": "Recommendations implemented",
                "value": "No figure"
                if uptake.percent_end is None
                else f"{uptake.percent_end:g}%",
                "note": "No figure"
                if uptake.change_points is None
                else _signed(uptake.change_points, "points over the period"),
            },
            {
                "label": "Pages found useful",
                "value": "No answers"
                if feedback.percent_useful is None
                else f"{feedback.percent_useful:g}%",
                "note": f"of {feedback.answers:,} answers",
            },
        ]


def _headline(count: Figure) -> dict:
    return {
        "label": count.label,
        "value": f"{count.current:,}",
        "note": f"{count.change_text} on the previous period",
    }


def _signed(value: float, what: str) -> str:
    if value == 0:
        return f"No change {what}"
    return f"{'Up' if value > 0 else 'Down'} {abs(value):,g} {what}"


def report(
    period: Period,
    *,
    now: datetime.datetime | None = None,
    comments: int | None = COMMENTS_SHOWN,
) -> Report:
    """Every section for ``period`` (a few dozen queries, whatever the data)."""
    return Report(
        period=period,
        previous=period.previous(),
        content=content(period),
        subscribers=subscribers(period, now),
        sends=sends(period),
        reach=reach(period),
        webinars=webinars(period),
        recommendations=recommendations(period, now),
        feedback=feedback(period, comments),
    )
