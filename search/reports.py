"""Admin reports for editors: what people search for, and what finds nothing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min, Sum
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from .models import SearchQuery

DAYS = 30
PERMISSION = "search.view_searchquery"


def can_view(user) -> bool:
    return user.is_active and user.has_perm(PERMISSION)


class SearchTermsReportView(ReportView):
    """The most searched-for terms in the last 30 days, with their latest hits."""

    page_title = "Search terms"
    header_icon = "search"
    index_url_name = "search_terms_report"
    index_results_url_name = "search_terms_report_results"
    results_template_name = "wagtailadmin/reports/base_report_results.html"
    export_filename = "search-terms"
    list_export = ["query", "searches", "hits", "first_day", "last_day"]
    export_headings = {
        "query": "Search",
        "searches": "Searches",
        "hits": "Results (latest)",
        "first_day": "First searched",
        "last_day": "Last searched",
    }
    columns = [
        Column("query", label="Search"),
        Column("searches", label="Searches"),
        Column("hits", label="Results (latest)"),
        Column("last_day", label="Last searched"),
    ]
    no_results_only = False

    def dispatch(self, request, *args, **kwargs):
        if not can_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def no_results_message(self):
        return f"Nobody has searched in the last {DAYS} days."

    def get_queryset(self):
        since = timezone.localdate() - dt.timedelta(days=DAYS)
        rows = SearchQuery.objects.filter(day__gt=since)
        if self.no_results_only:
            rows = rows.filter(hits=0)
        self.queryset = (
            rows.values("query")
            .annotate(
                searches=Sum("count"),
                hits=Min("hits") if self.no_results_only else Max("hits"),
                first_day=Min("day"),
                last_day=Max("day"),
            )
            .order_by("-searches", "query")
        )
        return super().get_queryset()


class NoResultsReportView(SearchTermsReportView):
    """Searches that found nothing in the last 30 days: content people miss."""

    page_title = "Searches with no results"
    index_url_name = "search_no_results_report"
    index_results_url_name = "search_no_results_report_results"
    export_filename = "searches-with-no-results"
    no_results_only = True

    @cached_property
    def no_results_message(self):
        return f"Every search in the last {DAYS} days found something."
