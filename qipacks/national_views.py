"""The national uptake view for staff in the Wagtail admin (issue 5, item 5).

Four pages share one filter form (pack, region, type of organisation, as GET
parameters, so a filtered view is a shareable address):

- overview: uptake by status per pack and per recommendation, and the trend;
- one recommendation: by region and by type of organisation;
- the matrix: organisations x recommendations, a page of organisations at a time;
- overdue responses: organisations with overdue responses, with their named lead.

And CSV/XLSX exports of the matrix, the per-recommendation summary and the
overdue list. Only people with admin access and ``qipacks.view_uptakerecord``
reach any of it (others get a 403). A filter value we do not recognise is left
out with a notice, never an error.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from website.models import Organisation

from . import charts, exports, reports
from .charts import STATUS_SERIES, BarRow, LineSeries
from .reports import REGIONS, STATUS_LABELS, STATUS_ORDER, Filters

PERMISSION = "qipacks.view_uptakerecord"
ORGANISATIONS_PER_PAGE = 50
OVERDUE_PER_PAGE = 50
# Without a pack chosen, per-recommendation rows and matrix columns are shown for
# at most this many recommendations (the exports always have them all).
MAX_UNFILTERED_RECOMMENDATIONS = 40
MAX_ID = 2**31 - 1

# Short forms for the matrix cells, each explained in a key above the table.
ABBREVIATIONS = {
    "implemented": "IM",
    "in_progress": "IP",
    "planned": "PL",
    "not_started": "NS",
    "not_applicable": "NA",
    charts.NO_RESPONSE: "NR",
}


def can_view_national(user) -> bool:
    """Admin access and permission to view uptake records (superusers have both)."""
    return bool(
        user.is_active and user.has_perms(["wagtailadmin.access_admin", PERMISSION])
    )


class FilterForm(forms.Form):
    pack = forms.TypedChoiceField(
        label="Pack", coerce=int, required=False, empty_value=None
    )
    region = forms.ChoiceField(
        label="Region",
        required=False,
        choices=[("", "All regions"), *Organisation.Region.choices],
    )
    type = forms.ChoiceField(
        label="Type of organisation",
        required=False,
        choices=[("", "All types"), *Organisation.Type.choices],
    )

    def __init__(self, *args, packs: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pack"].choices = [("", "All packs"), *packs]


def parse_filters(query, packs) -> tuple[Filters, FilterForm, list[str]]:
    """The filters from a query string; a value we do not know is left out."""
    data = {name: query.get(name, "") for name in ("pack", "region", "type")}
    form = FilterForm(data, packs=packs)
    notices = []
    if not form.is_valid():
        for name in form.errors:
            label = form.fields[name].label.lower()
            notices.append(
                f"We do not recognise “{data[name][:60]}” as a {label}, so that "
                "filter was left out. Choose from the list instead."
            )
            data[name] = ""
        form = FilterForm(data, packs=packs)
        form.is_valid()
    cleaned = form.cleaned_data
    return (
        Filters(
            pack=cleaned.get("pack") or None,
            region=cleaned.get("region") or "",
            type=cleaned.get("type") or "",
        ),
        form,
        notices,
    )


def _query(filters: Filters, **extra) -> str:
    params = {
        k: v
        for k, v in (
            ("pack", filters.pack or ""),
            ("region", filters.region),
            ("type", filters.type),
            *extra.items(),
        )
        if v
    }
    return f"?{urlencode(params)}" if params else ""


def _percent(value: float | None) -> str:
    return "No figure" if value is None else f"{value:g}%"


@method_decorator(never_cache, name="dispatch")
class NationalView(WagtailAdminTemplateMixin, TemplateView):
    """What every page of the national view shares: access, filters, tabs."""

    header_icon = "table"
    page_title = "QI uptake"
    tab = ""
    tab_label = ""

    def dispatch(self, request, *args, **kwargs):
        if not can_view_national(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def packs(self) -> list[tuple[int, str]]:
        return reports.live_packs()

    @cached_property
    def parsed(self):
        return parse_filters(self.request.GET, self.packs)

    @property
    def filters(self) -> Filters:
        return self.parsed[0]

    @cached_property
    def recs(self) -> list[reports.Rec]:
        return reports.recommendations(self.filters)

    def get_page_subtitle(self):
        return self.tab_label

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items]
        if self.tab == "overview":
            return [*items, {"url": "", "label": "QI uptake"}]
        return [
            *items,
            {"url": reverse("qipacks_national") + self.query(), "label": "QI uptake"},
            {"url": "", "label": self.tab_label},
        ]

    def query(self, **extra) -> str:
        return _query(self.filters, **extra)

    def tabs(self) -> list[dict]:
        query = self.query()
        return [
            {
                "label": label,
                "url": reverse(name) + query,
                "current": self.tab == key,
            }
            for key, label, name in (
                ("overview", "Overview", "qipacks_national"),
                (
                    "matrix",
                    "Organisations and recommendations",
                    "qipacks_national_matrix",
                ),
                ("overdue", "Overdue responses", "qipacks_national_overdue"),
            )
        ]

    def export_links(self, kind: str) -> list[dict]:
        url = reverse("qipacks_national_export", args=[kind])
        return [
            {"label": label, "url": url + self.query(format=fmt), "format": fmt}
            for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (XLSX)"))
        ]

    def pack_title(self) -> str:
        return dict(self.packs).get(self.filters.pack, "")

    def get_context_data(self, **kwargs):
        _, form, notices = self.parsed
        context = super().get_context_data(**kwargs)
        context.update(
            filter_form=form,
            notices=notices,
            filters=self.filters,
            filtered=not self.filters.is_empty,
            tabs=self.tabs(),
            action_url=self.request.path,
            pack_title=self.pack_title(),
            region_label=REGIONS.get(self.filters.region, ""),
            type_label=reports.TYPES.get(self.filters.type, ""),
            statuses=[(s, STATUS_LABELS[s]) for s in STATUS_ORDER],
        )
        return context


def _status_rows(rows: list[reports.Breakdown]) -> list[tuple[str, dict]]:
    return [(row.label, row.counts) for row in rows]


class OverviewView(NationalView):
    """Uptake by status per pack and per recommendation, and the trend."""

    template_name = "qipacks/national/overview.html"
    tab = "overview"
    tab_label = "Overview"

    def get_page_subtitle(self):
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summaries = reports.recommendation_summaries(self.recs, self.filters)
        packs = reports.pack_summaries(summaries)
        for row in packs:
            row.url = reverse("qipacks_national") + _query(
                Filters(
                    pack=row.key, region=self.filters.region, type=self.filters.type
                )
            )
        detail_query = _query(
            Filters(region=self.filters.region, type=self.filters.type)
        )
        for row in summaries:
            row.url = (
                reverse("qipacks_national_recommendation", args=[row.key.pk])
                + detail_query
            )
        show_recs = bool(self.filters.pack) or (
            len(summaries) <= MAX_UNFILTERED_RECOMMENDATIONS
        )
        trend = reports.trend(self.recs, self.filters)
        region_columns = [
            (code, label, trend.regions[code])
            for code, label in REGIONS.items()
            if not self.filters.region or code == self.filters.region
        ]
        trend_rows = [
            {
                "point": point,
                "regions": [points[i].percent for _, _, points in region_columns],
            }
            for i, point in enumerate(trend.national)
        ]
        where = (
            "in England"
            if not self.filters.region
            else (f"in {REGIONS[self.filters.region]}")
        )
        context.update(
            pack_rows=packs,
            pack_chart=charts.stacked_bar_chart(
                _status_rows(packs),
                STATUS_SERIES,
                title="Uptake by status, for each pack",
                description=(
                    "Responses to each pack's recommendations, counting each "
                    "organisation once per recommendation that applies to it. "
                    "The table below gives the same figures."
                ),
            )
            if packs
            else None,
            show_recs=show_recs,
            rec_count=len(summaries),
            rec_rows=summaries if show_recs else [],
            rec_chart=charts.stacked_bar_chart(
                _status_rows(summaries),
                STATUS_SERIES,
                title="Uptake by status, for each recommendation",
                description=(
                    "How the organisations each recommendation applies to have "
                    "responded. The table below gives the same figures."
                ),
            )
            if show_recs and summaries
            else None,
            trend_rows=trend_rows,
            trend_regions=[(code, label) for code, label, _ in region_columns],
            trend_chart=charts.line_chart(
                [
                    LineSeries(
                        "Share implemented",
                        "#005eb8",
                        [(p.label, p.percent) for p in trend.national],
                    )
                ],
                title=f"Share of recommendations implemented {where}, by month",
                description=(
                    "The share at the end of each month over the last 12 months "
                    "(the current month so far). The table below gives the same "
                    "figures, and each region's."
                ),
            ),
            summary_exports=self.export_links("summary"),
            max_unfiltered=MAX_UNFILTERED_RECOMMENDATIONS,
        )
        return context


class RecommendationView(NationalView):
    """One recommendation's uptake by region and by type of organisation."""

    template_name = "qipacks/national/recommendation.html"
    tab = "recommendation"

    @cached_property
    def rec(self) -> reports.Rec:
        rec_id = self.kwargs["rec_id"]
        if 0 < rec_id <= MAX_ID:
            for rec in reports.recommendations(Filters()):
                if rec.pk == rec_id:
                    return rec
        raise Http404("No live recommendation has this id.")

    @property
    def tab_label(self):
        return self.rec.label

    def get_context_data(self, **kwargs):
        rec = self.rec
        context = super().get_context_data(**kwargs)
        filters = Filters(region=self.filters.region, type=self.filters.type)
        by_region, by_type = reports.recommendation_breakdowns(rec, filters)
        overall = reports.recommendation_summaries([rec], filters)[0]
        context.update(
            rec=rec,
            overall=overall,
            by_region=by_region,
            by_type=by_type,
            region_chart=charts.stacked_bar_chart(
                _status_rows(by_region),
                STATUS_SERIES,
                title=f"{rec.label}: uptake by status, for each region",
                description="The table below gives the same figures.",
            ),
            type_chart=charts.stacked_bar_chart(
                _status_rows(by_type),
                STATUS_SERIES,
                title=f"{rec.label}: uptake by status, for each type of organisation",
                description="The table below gives the same figures.",
            ),
            implemented_chart=charts.bar_chart(
                [BarRow(row.label, row.percent_implemented) for row in by_region],
                title=f"{rec.label}: share implemented, for each region",
                description="The table below gives the same figures.",
            ),
        )
        return context


class MatrixView(NationalView):
    """Organisations x recommendations, a page of organisations at a time."""

    template_name = "qipacks/national/matrix.html"
    tab = "matrix"
    tab_label = "Organisations and recommendations"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recs = self.recs
        limited = False
        if not self.filters.pack and len(recs) > MAX_UNFILTERED_RECOMMENDATIONS:
            first_pack = recs[0].pack_id
            recs = [r for r in recs if r.pack_id == first_pack]
            limited = True
        paginator = Paginator(
            reports.organisations(self.filters), ORGANISATIONS_PER_PAGE
        )
        page = paginator.get_page(self.request.GET.get("p"))
        rows = reports.matrix(list(page.object_list), recs)
        context.update(
            recs=recs,
            limited=limited,
            limited_pack=recs[0].pack_title if limited and recs else "",
            rows=[
                {
                    "row": row,
                    "cells": [
                        None
                        if cell is None
                        else (ABBREVIATIONS[cell], STATUS_LABELS[cell], cell)
                        for cell in row.cells
                    ],
                }
                for row in rows
            ],
            key=[(ABBREVIATIONS[s], STATUS_LABELS[s]) for s in STATUS_ORDER],
            page_obj=page,
            paginator=paginator,
            previous_url=self.query(p=page.previous_page_number())
            if page.has_previous()
            else "",
            next_url=self.query(p=page.next_page_number()) if page.has_next() else "",
            matrix_exports=self.export_links("matrix"),
        )
        return context


class OverdueView(NationalView):
    """Organisations with overdue responses, most overdue first, named leads."""

    template_name = "qipacks/national/overdue.html"
    tab = "overdue"
    tab_label = "Overdue responses"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            number = max(1, int(self.request.GET.get("p", "1")))
        except ValueError:
            number = 1
        number = min(number, 10_000)
        total, rows = reports.overdue(
            self.recs,
            self.filters,
            limit=OVERDUE_PER_PAGE,
            offset=(number - 1) * OVERDUE_PER_PAGE,
        )
        pages = max(1, -(-total // OVERDUE_PER_PAGE))
        if number > pages:
            number = pages
            total, rows = reports.overdue(
                self.recs,
                self.filters,
                limit=OVERDUE_PER_PAGE,
                offset=(number - 1) * OVERDUE_PER_PAGE,
            )
        context.update(
            total=total,
            rows=rows,
            number=number,
            pages=pages,
            previous_url=self.query(p=number - 1) if number > 1 else "",
            next_url=self.query(p=number + 1) if number < pages else "",
            overdue_exports=self.export_links("overdue"),
        )
        return context


@method_decorator(never_cache, name="dispatch")
class ExportView(View):
    """``export/<kind>/?format=csv|xlsx`` with the same filters as the pages."""

    kinds = {
        "matrix": "Matrix",
        "summary": "Recommendations",
        "overdue": "Overdue responses",
    }

    def get(self, request, kind):
        if not can_view_national(request.user):
            raise PermissionDenied
        if kind not in self.kinds:
            raise Http404("No such export.")
        fmt = request.GET.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            fmt = "csv"
        filters, _, _ = parse_filters(request.GET, reports.live_packs())
        recs = reports.recommendations(filters)
        if kind == "matrix":
            rows = exports.matrix_rows(filters, recs)
        elif kind == "summary":
            rows = exports.summary_rows(reports.recommendation_summaries(recs, filters))
        else:
            rows = exports.overdue_rows(filters, recs)
        name = exports.filename(kind, filters)
        if fmt == "xlsx":
            return exports.xlsx_response(rows, name, self.kinds[kind])
        return exports.csv_response(rows, name)
