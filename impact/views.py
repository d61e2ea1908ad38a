"""The impact report for staff in the Wagtail admin (Reports → Impact report).

One page with the headline figures and every section (a chart above an
accessible table), a period picker (GET, so a chosen period is a shareable
address), and downloads: the whole report as XLSX or PDF, and a CSV per section.
Only people with admin access and ``impact.view_report`` reach any of it (others
get a 403). A period we cannot read is a 400 with the form saying what to fix.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import exports, metrics, periods
from . import sections as report_sections

PERMISSION = "impact.view_report"


def can_view(user) -> bool:
    """Admin access and permission to view the impact report."""
    return bool(
        user.is_active and user.has_perms(["wagtailadmin.access_admin", PERMISSION])
    )


class ReportAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def parsed(self) -> tuple[periods.Period | None, periods.PeriodForm]:
        return periods.parse(self.request.GET)


@method_decorator(never_cache, name="dispatch")
class DashboardView(ReportAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "impact/dashboard.html"
    page_title = "Impact report"
    header_icon = "doc-full"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        status = 200 if self.parsed[0] is not None else 400
        return self.render_to_response(context, status=status)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": "Impact report"}]

    def get_page_subtitle(self):
        period = self.parsed[0]
        return period.label if period else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period, form = self.parsed
        context.update(form=form, period=period, action_url=self.request.path)
        if period is None:
            return context
        report = metrics.report(period)
        query = "?" + urlencode(period.query())
        sections = report_sections.sections(report)
        for section in sections:
            section.csv_url = reverse("impact_report_csv", args=[section.key]) + query
        context.update(
            report=report,
            sections=sections,
            xlsx_url=reverse("impact_report_xlsx") + query,
            pdf_url=reverse("impact_report_pdf") + query,
        )
        return context


@method_decorator(never_cache, name="dispatch")
class DownloadView(ReportAccessMixin, View):
    """``impact-report.xlsx``, ``impact-report.pdf`` or ``<section>.csv``."""

    kind = ""

    def get(self, request, section: str = ""):
        if self.kind == "csv" and section not in report_sections.BUILDERS:
            raise Http404("There is no such section of the impact report.")
        period, _ = self.parsed
        if period is None:
            return DashboardView.as_view()(request)
        comments = None if self.kind in ("csv", "xlsx") else metrics.COMMENTS_SHOWN
        report = metrics.report(period, comments=comments)
        if self.kind == "xlsx":
            return exports.xlsx_response(report)
        if self.kind == "pdf":
            return exports.pdf_response(report)
        return exports.csv_response(report, section)
