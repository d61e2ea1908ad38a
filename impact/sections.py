"""The report as sections of tables (and charts): one shape for every output.

The dashboard, the PDF, each section's CSV and the workbook's sheets all show
the ``Table`` rows built here, so a figure reads the same wherever it is quoted.
Each chart is drawn from the same figures and always sits above its table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.safestring import SafeString

from qipacks import charts
from qipacks.charts import BarRow, LineSeries, Series

from . import metrics
from .metrics import Figure, Report

BLUE = "#005eb8"
GREEN = "#007f3b"
PURPLE = "#330072"
GREY = "#425563"
PINK = "#ae2573"


@dataclass
class Table:
    """A caption, column headings and rows; the first cell of a row names it."""

    title: str
    headings: list[str]
    rows: list[list[object]] = field(default_factory=list)
    total: list[object] | None = None  # a last row that adds up the others

    @property
    def all_rows(self) -> list[list[object]]:
        return [*self.rows, *([self.total] if self.total else [])]


@dataclass
class Section:
    key: str
    title: str
    intro: str
    tables: list[Table]
    charts: list[SafeString] = field(default_factory=list)
    csv_url: str = ""  # set by the dashboard, which offers each as a CSV


SECTION_TITLES = {
    "summary": "Headline figures",
    "content": "Content published",
    "subscribers": "Subscribers",
    "emails": "Emails sent",
    "reach": "Web reach",
    "webinars": "Webinars",
    "recommendations": "Recommendations",
    "feedback": "Feedback on pages",
}


def _change_rows(rows: list[Figure]) -> list[list[object]]:
    return [[r.label, r.current, r.previous, r.change_text] for r in rows]


def _change_headings(first: str) -> list[str]:
    return [first, "This period", "Previous period", "Change"]


def _uk(moment):
    """A naive UK time for a table cell (spreadsheets have no time zones)."""
    return timezone.localtime(moment).replace(tzinfo=None, second=0, microsecond=0)


# --- Tables -------------------------------------------------------------------------


def summary(report: Report) -> Section:
    rows = [[h["label"], h["value"], h["note"]] for h in report.headlines]
    return Section(
        "summary",
        SECTION_TITLES["summary"],
        f"{report.period.label}, compared with {report.previous.label}.",
        [Table("Headline figures", ["Figure", "Value", "Compared"], rows)],
    )


def content(report: Report) -> Section:
    figures = report.content
    return Section(
        "content",
        SECTION_TITLES["content"],
        "Pages first published in the period (translations count as pages; "
        "aliases, home and listing pages do not). A page with two themes or "
        "audiences counts under each.",
        [
            Table(
                "Pages published, by type",
                _change_headings("Type of page"),
                _change_rows(figures.by_type),
                total=[
                    "All types",
                    figures.total.current,
                    figures.total.previous,
                    figures.total.change_text,
                ],
            ),
            Table(
                "Pages published, by theme",
                _change_headings("Theme"),
                _change_rows(figures.by_theme),
            ),
            Table(
                "Pages published, by audience",
                _change_headings("Audience"),
                _change_rows(figures.by_audience),
            ),
        ],
    )


def subscribers(report: Report) -> Section:
    s = report.subscribers
    facts = [
        ["Subscribers at the start", s.at_start],
        ["Subscribers at the end", s.at_end],
        ["Net change", s.net_change],
        ["New subscribers (confirmed in the period)", s.confirmed.current],
        ["New subscribers in the previous period", s.confirmed.previous],
        ["Asked to subscribe in the period", s.signed_up],
        ["… of whom confirmed", s.signed_up_confirmed],
        ["… of whom have not confirmed yet", s.signed_up_pending],
        ["Unsubscribed (people)", s.unsubscribed.current],
        ["Unsubscribed in the previous period", s.unsubscribed.previous],
        ["Removed because their address bounced", s.removed_bounced],
        ["Removed because they marked an email as spam", s.removed_complained],
        ["Addresses that bounced for good (hard bounces)", s.hard_bounces],
        ["Addresses that bounced for now (soft bounces)", s.soft_bounces],
    ]
    return Section(
        "subscribers",
        SECTION_TITLES["subscribers"],
        "A subscriber is someone who confirmed their address and has not left. "
        "Figures per list and per role are as they are today: leaving a list "
        "removes the record of being on it. Addresses deleted on request are in "
        "no figure.",
        [
            Table("Subscribers in the period", ["Figure", "Number"], facts),
            Table(
                "Subscribers at the end of each month",
                ["Month", "Subscribers"],
                [[p.label, p.value] for p in s.growth],
            ),
            Table(
                "How people unsubscribed",
                ["How", "People"],
                [[r.label, r.current] for r in s.how_left],
            ),
            Table(
                "Why people unsubscribed (if they said)",
                ["Reason", "People"],
                [[r.label, r.current] for r in s.reasons],
            ),
            Table(
                "Subscribers on each list today",
                ["List", "Subscribers today", "Joined the list in the period"],
                [[r.label, r.subscribers, r.joined] for r in s.by_list],
            ),
            Table(
                "Subscribers by role today",
                ["Role", "Subscribers today", "Confirmed in the period"],
                [[r.label, r.subscribers, r.joined] for r in s.by_audience],
            ),
        ],
    )


SEND_HEADINGS = [
    "Kind of email",
    "Sends",
    "Sent",
    "Delivered",
    "Bounced",
    "Complaints",
    "Failed",
    "Not sent (no longer subscribed)",
]


def _send_row(row: metrics.SendRow) -> list[object]:
    return [
        row.label,
        row.sends,
        row.sent,
        row.delivered,
        row.bounced,
        row.complaints,
        row.failed,
        row.not_sent,
    ]


def emails(report: Report) -> Section:
    figures = report.sends
    return Section(
        "emails",
        SECTION_TITLES["emails"],
        "Every email that started going out in the period except tests to "
        "oneself. Sent: accepted by the mail server. Delivered: sent and not "
        "reported bouncing. Bounced and complaints count addresses, once per send.",
        [
            Table(
                "Emails by kind",
                SEND_HEADINGS,
                [_send_row(row) for row in figures.by_kind],
                total=_send_row(figures.total),
            )
        ],
    )


def reach(report: Report) -> Section:
    figures = report.reach
    return Section(
        "reach",
        SECTION_TITLES["reach"],
        "Pages viewed, counted by this site as it serves them (cached or not). "
        "Robots, previews and prefetches are not counted, and nothing about "
        "readers is kept. No third-party analytics.",
        [
            Table(
                "Page views, by type of page",
                _change_headings("Type of page"),
                _change_rows(figures.by_type),
                total=[
                    "All pages",
                    figures.total.current,
                    figures.total.previous,
                    figures.total.change_text,
                ],
            ),
            Table(
                "Page views, by month",
                ["Month", "Page views"],
                [[p.label, p.value] for p in figures.by_month],
            ),
            Table(
                f"The {metrics.TOP_PAGES} most viewed pages",
                ["Page", "Type of page", "Page views"],
                [[p.label, p.type_label, p.views] for p in figures.top_pages],
            ),
        ],
    )


def webinars(report: Report) -> Section:
    figures = report.webinars

    def row(label, starts, cancelled, f) -> list[object]:
        return [
            label,
            starts,
            cancelled,
            f.registered,
            f.waitlisted,
            f.cancelled,
            f.attended if f.attendance_imported else None,
            f.attendance_rate,
            f.feedback_count,
            f.mean_rating,
        ]

    return Section(
        "webinars",
        SECTION_TITLES["webinars"],
        "Webinars that started in the period. Registered: places taken. "
        "Attendance counts once the meeting tool's report is imported. Ratings "
        "are from 1 (poor) to 5 (excellent).",
        [
            Table(
                "Registrations, attendance and feedback",
                [
                    "Webinar",
                    "Starts (UK time)",
                    "Webinar cancelled",
                    "Registered",
                    "Waiting list",
                    "Cancelled registrations",
                    "Attended",
                    "Attendance rate (%)",
                    "Feedback responses",
                    "Mean rating (1 to 5)",
                ],
                [
                    row(r.label, _uk(r.starts_at), r.cancelled, r.figures)
                    for r in figures.rows
                ],
                total=row("All webinars", "", "", figures.totals),
            ),
            Table(
                "Feedback ratings",
                ["Rating", "Responses", "Share of responses (%)"],
                [
                    [f"{d['rating']} out of 5", d["count"], d["percent"]]
                    for d in figures.ratings
                ],
            ),
        ],
    )


UPTAKE_HEADINGS = [
    "Responses expected",
    "First responses in the period",
    "Later changes in the period",
    "Responded by the end",
    "Implemented at the start",
    "Implemented at the end",
    "Share implemented at the start (%)",
    "Share implemented at the end (%)",
    "Change (percentage points)",
    "Overdue at the end",
]


def _uptake_row(row: metrics.UptakeRow) -> list[object]:
    return [
        row.label,
        row.applicable,
        row.responses,
        row.changes,
        row.responded,
        row.implemented_start,
        row.implemented_end,
        row.percent_start,
        row.percent_end,
        row.change_points,
        row.overdue,
    ]


def recommendations(report: Report) -> Section:
    figures = report.recommendations
    return Section(
        "recommendations",
        SECTION_TITLES["recommendations"],
        f"Responses to the {figures.recommendations} recommendations in live QI "
        "packs, counting each organisation once for each recommendation that "
        "applies to its type (type and region as they are today). The share "
        "implemented leaves out organisations that said a recommendation does "
        "not apply. Overdue: due before the end and no response yet, or not "
        "started. “The end” is the end of the period, or today if sooner.",
        [
            Table(
                "Responses by region",
                ["Region", *UPTAKE_HEADINGS],
                [_uptake_row(r) for r in figures.by_region],
                total=_uptake_row(figures.total),
            ),
            Table(
                "Responses by type of organisation",
                ["Type of organisation", *UPTAKE_HEADINGS],
                [_uptake_row(r) for r in figures.by_type],
                total=_uptake_row(figures.total),
            ),
        ],
    )


def feedback(report: Report) -> Section:
    figures = report.feedback

    def row(r: metrics.FeedbackRow) -> list[object]:
        return [r.label, r.useful, r.not_useful, r.percent_useful, r.comments]

    return Section(
        "feedback",
        SECTION_TITLES["feedback"],
        "Answers to “Was this page useful?” given in the period, with the "
        "comments people left (anonymous: nothing about them is kept).",
        [
            Table(
                "Was this page useful?",
                ["Type of page", "Yes", "No", "Share yes (%)", "Comments"],
                [row(r) for r in figures.by_type],
                total=row(figures.total),
            ),
            Table(
                "Comments, newest first",
                ["Page", "Useful", "Comment", "Received (UK time)"],
                [
                    [c.page_title, c.useful, c.comment, _uk(c.created_at)]
                    for c in figures.comments
                ],
            ),
        ],
    )


BUILDERS = {
    "summary": summary,
    "content": content,
    "subscribers": subscribers,
    "emails": emails,
    "reach": reach,
    "webinars": webinars,
    "recommendations": recommendations,
    "feedback": feedback,
}


def section(report: Report, key: str) -> Section:
    return BUILDERS[key](report)


def sections(report: Report, *, with_charts: bool = True) -> list[Section]:
    """Every section in order, with its charts when they will be shown."""
    result = [builder(report) for builder in BUILDERS.values()]
    if with_charts:
        for item in result:
            item.charts = CHARTS.get(item.key, lambda _: [])(report)
    return result


# --- Charts -------------------------------------------------------------------------


def _counts_chart(rows: list[Figure], title: str) -> list[SafeString]:
    """A bar for each row with something in the period (the table has them all)."""
    rows = [r for r in rows if r.current]
    if not rows:
        return []
    return [
        charts.bar_chart(
            [BarRow(r.label, r.current) for r in rows],
            title=title,
            max_value=charts.nice_max(max(r.current for r in rows)),
            unit="",
        )
    ]


def _content_charts(report: Report) -> list[SafeString]:
    return [
        *_counts_chart(
            report.content.by_type, "Pages published in the period, by type"
        ),
        *_counts_chart(
            report.content.by_theme, "Pages published in the period, by theme"
        ),
    ]


def _subscriber_charts(report: Report) -> list[SafeString]:
    s = report.subscribers
    top = charts.nice_max(max([p.value for p in s.growth] or [0]))
    return [
        charts.line_chart(
            [
                LineSeries(
                    "Subscribers",
                    BLUE,
                    [(p.label, float(p.value)) for p in s.growth],
                )
            ],
            title="Subscribers at the end of each month",
            max_value=top,
            unit="",
        ),
        charts.bar_chart(
            [BarRow(r.label, r.subscribers) for r in s.by_list],
            title="Subscribers on each list today",
            max_value=charts.nice_max(max([r.subscribers for r in s.by_list] or [0])),
            unit="",
        ),
    ]


SEND_SERIES = [
    Series("delivered", "Delivered", GREEN),
    Series("bounced", "Bounced", PURPLE),
    Series("failed", "Failed", GREY),
    Series("not_sent", "Not sent", "#ffffff", text_colour=charts.TEXT),
]


def _email_charts(report: Report) -> list[SafeString]:
    rows = [
        (
            row.label,
            {
                "delivered": row.delivered,
                "bounced": row.bounced,
                "failed": row.failed,
                "not_sent": row.not_sent,
            },
        )
        for row in report.sends.by_kind
    ]
    if not rows:
        return []
    return [
        charts.stacked_bar_chart(
            rows, SEND_SERIES, title="What happened to the emails, by kind"
        )
    ]


def _reach_charts(report: Report) -> list[SafeString]:
    months = report.reach.by_month
    top = charts.nice_max(max([p.value for p in months] or [0]))
    return [
        charts.line_chart(
            [
                LineSeries(
                    "Page views",
                    BLUE,
                    [(p.label, float(p.value)) for p in months],
                )
            ],
            title="Page views each month",
            max_value=top,
            unit="",
        ),
        *_counts_chart(report.reach.by_type, "Page views in the period, by type"),
    ]


def _webinar_charts(report: Report) -> list[SafeString]:
    ratings = report.webinars.ratings
    return [
        charts.bar_chart(
            [BarRow(f"{d['rating']} out of 5", d["count"]) for d in ratings],
            title="Feedback ratings for webinars in the period",
            max_value=charts.nice_max(max([d["count"] for d in ratings] or [0])),
            unit="",
        )
    ]


UPTAKE_SERIES = [
    Series("start", "At the start", GREY),
    Series("end", "At the end", BLUE),
]


def _recommendation_charts(report: Report) -> list[SafeString]:
    return [
        charts.grouped_bar_chart(
            [(r.label, [r.percent_start, r.percent_end]) for r in rows if r.applicable],
            UPTAKE_SERIES,
            title=title,
        )
        for rows, title in (
            (
                report.recommendations.by_region,
                "Share of recommendations implemented, by region",
            ),
            (
                report.recommendations.by_type,
                "Share of recommendations implemented, by type of organisation",
            ),
        )
        if rows
    ]


FEEDBACK_SERIES = [
    Series("useful", "Useful", GREEN),
    Series("not_useful", "Not useful", PINK),
]


def _feedback_charts(report: Report) -> list[SafeString]:
    rows = [
        (r.label, {"useful": r.useful, "not_useful": r.not_useful})
        for r in report.feedback.by_type
    ]
    if not rows:
        return []
    return [
        charts.stacked_bar_chart(
            rows, FEEDBACK_SERIES, title="Was this page useful? Answers by type"
        )
    ]


CHARTS = {
    "content": _content_charts,
    "subscribers": _subscriber_charts,
    "emails": _email_charts,
    "reach": _reach_charts,
    "webinars": _webinar_charts,
    "recommendations": _recommendation_charts,
    "feedback": _feedback_charts,
}
