"""Admin views for data quality: the CSV import, past imports, the access log.

Importing needs ``qipacks.add_dataqualityimport``; reading past imports needs that
or ``qipacks.view_dataqualityimport``; the access log needs
``qipacks.view_dataqualityaccess``. Administrators grant them to groups in
Settings > Groups (superusers have them all).
"""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies import ModelPermissionPolicy

from website.models import Organisation

from . import data_quality as dq
from .dq_forms import ImportForm
from .models import DataQualityAccess, DataQualityImport

IMPORT_POLICY = ModelPermissionPolicy(DataQualityImport)
ACCESS_POLICY = ModelPermissionPolicy(DataQualityAccess)
RECENT_IMPORTS = 10


def can_import(user) -> bool:
    return IMPORT_POLICY.user_has_permission(user, "add")


def can_read_imports(user) -> bool:
    return IMPORT_POLICY.user_has_any_permission(user, ["add", "view"])


def can_read_access_log(user) -> bool:
    return ACCESS_POLICY.user_has_permission(user, "view")


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y H:i")


def _who(record) -> str:
    user = record.uploaded_by
    if user is None:
        return "Unknown"
    return user.get_full_name() or user.get_username()


class _Breadcrumbs:
    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("data_quality_import"), "label": "Data-quality imports"},
            *self.extra_breadcrumbs(),
        ]

    def extra_breadcrumbs(self):
        return []


@method_decorator(never_cache, name="dispatch")
class ImportView(
    _Breadcrumbs, generic.PermissionCheckedMixin, WagtailAdminTemplateMixin, View
):
    """Upload a CSV of data-quality figures; see what was wrong, row by row."""

    permission_policy = IMPORT_POLICY
    permission_required = "add"
    template_name = "qipacks/data_quality/admin_import.html"
    header_icon = "upload"
    page_title = "Import data-quality reports"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get(self, request):
        return self.render(ImportForm())

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form)
        upload = form.cleaned_data["file"]
        outcome = dq.import_csv(upload.read(), filename=upload.name, user=request.user)
        if outcome.accepted:
            messages.success(request, _accepted_message(outcome))
            return _see_other(
                reverse("data_quality_import_detail", args=[outcome.record.pk])
            )
        return self.render(ImportForm(), outcome=outcome)

    def render(self, form, outcome=None):
        return self.render_to_response(
            self.get_context_data(
                form=form,
                outcome=outcome,
                columns=dq.COLUMNS,
                max_rows=dq.MAX_ROWS,
                max_mb=dq.MAX_BYTES // 1024 // 1024,
                shown=dq.MAX_SHOWN_PROBLEMS,
                recent=DataQualityImport.objects.select_related("uploaded_by")[
                    :RECENT_IMPORTS
                ],
                when=_when,
            )
        )


def _see_other(url):
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def _accepted_message(outcome) -> str:
    parts = [f"Imported {outcome.record.rows:,} rows."]
    if outcome.created:
        parts.append(
            f"{outcome.created:,} new report{'s' if outcome.created != 1 else ''}; "
            f"{outcome.emails:,} email{'s' if outcome.emails != 1 else ''} to "
            "members saying so."
        )
    if outcome.replaced:
        parts.append(
            f"{outcome.replaced:,} existing report"
            f"{'s were' if outcome.replaced != 1 else ' was'} replaced with the "
            "figures in this file (members are not emailed again)."
        )
    return " ".join(parts)


@method_decorator(never_cache, name="dispatch")
class TemplateCSVView(generic.PermissionCheckedMixin, View):
    """The CSV template: the header and an example row for each indicator."""

    permission_policy = IMPORT_POLICY
    permission_required = "add"

    def get(self, request):
        response = HttpResponse(
            "\ufeff" + dq.template_csv(), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            'attachment; filename="data-quality-template.csv"'
        )
        return response


@method_decorator(never_cache, name="dispatch")
class ImportDetailView(
    _Breadcrumbs, generic.PermissionCheckedMixin, WagtailAdminTemplateMixin, View
):
    """One past import: what it held, what it made, or why it was rejected."""

    permission_policy = IMPORT_POLICY
    any_permission_required = ["add", "view"]
    template_name = "qipacks/data_quality/admin_import_detail.html"
    header_icon = "upload"
    page_title = "Data-quality import"

    def get_page_subtitle(self):
        return self.record.filename

    def extra_breadcrumbs(self):
        return [{"url": "", "label": self.record.filename}]

    def get(self, request, pk):
        self.record = get_object_or_404(
            DataQualityImport.objects.select_related("uploaded_by"), pk=pk
        )
        problems, count = dq.problems_of(self.record)
        reports = self.record.reports.select_related("organisation").order_by(
            "organisation__name", "-period_end"
        )
        return self.render_to_response(
            self.get_context_data(
                record=self.record,
                problems=problems[: dq.MAX_SHOWN_PROBLEMS],
                problem_count=count,
                shown=dq.MAX_SHOWN_PROBLEMS,
                reports=reports[:200],
                report_count=reports.count(),
                uploaded_by=_who(self.record),
                uploaded_at=_when(self.record.uploaded_at),
                can_import=can_import(request.user),
            )
        )


# --- Access log -------------------------------------------------------------------


class AccessLogFilterSet(WagtailFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        label="Organisation", queryset=Organisation.objects.order_by("name")
    )
    user = django_filters.ModelChoiceFilter(
        label="Person",
        queryset=lambda request: (
            get_user_model()
            .objects.filter(pk__in=DataQualityAccess.objects.values("user_id"))
            .order_by("username")
        ),
    )
    action = django_filters.ChoiceFilter(
        label="What they did", choices=DataQualityAccess.Action.choices
    )
    at = django_filters.DateFromToRangeFilter(
        label="When", widget=DateRangePickerWidget
    )

    class Meta:
        model = DataQualityAccess
        fields = ["organisation", "user", "action", "at"]


def _report_label(access) -> str:
    report = access.report
    if report is None:
        return "All their reports" if access.action == "list" else "Deleted report"
    return format_html(
        "{}<br>{}",
        report.organisation.name,
        dq.period_label(report.period_start, report.period_end),
    )


class AccessLogView(ReportView):
    """Who listed, viewed or downloaded data-quality reports, and when."""

    permission_policy = ACCESS_POLICY
    permission_required = "view"
    page_title = "Data-quality access log"
    header_icon = "view"
    index_url_name = "data_quality_access_log"
    index_results_url_name = "data_quality_access_log_results"
    filterset_class = AccessLogFilterSet
    export_filename = "data-quality-access-log"
    list_export = ["at", "username", "organisation", "action", "report", "path"]
    export_headings = {
        "at": "When",
        "username": "Username",
        "organisation": "Organisation",
        "action": "What",
        "report": "Report",
        "path": "Address",
    }
    columns = [
        Column("at", label="When", accessor=lambda a: _when(a.at)),
        Column("username", label="Who"),
        Column(
            "organisation",
            label="Organisation",
            accessor=lambda a: a.organisation.name if a.organisation else "",
        ),
        Column("action", label="What", accessor="get_action_display"),
        Column("report", label="Report", accessor=_report_label),
        Column("path", label="Address"),
    ]

    @cached_property
    def no_results_message(self):
        return "Nobody has looked at a data-quality report in this selection."

    def get_queryset(self):
        self.queryset = DataQualityAccess.objects.select_related(
            "organisation", "report__organisation"
        ).order_by("-at", "-pk")
        return super().get_queryset()

    def get_filename(self):
        return f"data-quality-access-log-{timezone.localdate():%Y-%m-%d}"

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        row["organisation"] = item.organisation.name if item.organisation else ""
        row["action"] = item.get_action_display()
        row["report"] = str(item.report) if item.report else ""
        row["at"] = timezone.localtime(item.at).replace(tzinfo=None)
        for key in ("username", "organisation", "report", "path"):
            row[key] = dq.csv_safe(str(row[key]))
        return row
