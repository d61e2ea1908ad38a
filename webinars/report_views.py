"""Webinar reports for staff in the Wagtail admin (Reports > Webinars).

- every series with each webinar's registrations, attendance and feedback;
- one series: its totals, rating distribution and comments;
- one webinar: its figures, comments, registrations, and the attendance import
  (the meeting tool's CSV export, ``webinars.attendance``);
- each of these as CSV or XLSX.

Reading needs admin access and ``webinars.view_registration``; importing
attendance needs ``webinars.add_attendanceimport`` as well. Others get the
admin's "no permission" answer (anonymous people are sent to sign in).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import attendance, reports
from .models import AttendanceImport, WebinarPage, WebinarSeriesPage

PERMISSION = "webinars.view_registration"
IMPORT_PERMISSION = "webinars.add_attendanceimport"
REGISTRATIONS_PER_PAGE = 100
COMMENTS_SHOWN = 200
MAX_ID = 2**31 - 1
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def can_view(user) -> bool:
    """Admin access and permission to view registrations (superusers have both)."""
    return bool(
        user.is_active and user.has_perms(["wagtailadmin.access_admin", PERMISSION])
    )


def can_import(user) -> bool:
    return can_view(user) and user.has_perm(IMPORT_PERMISSION)


def _object(model, pk: int):
    if not 0 < pk <= MAX_ID:
        raise Http404("No such page.")
    return get_object_or_404(model, pk=pk)


class AttendanceForm(forms.Form):
    """The meeting tool's attendance export."""

    file = forms.FileField(
        label="Attendance report",
        help_text=(
            "The attendance report exported from Microsoft Teams, Zoom or a "
            "similar tool, as CSV (UTF-8 or UTF-16, as the tool saves it). Up to "
            f"{attendance.MAX_BYTES // 1024 // 1024} MB."
        ),
        allow_empty_file=True,  # the import says what is wrong with an empty file
        error_messages={
            "required": "Choose the attendance report to upload.",
            "invalid": "Choose the attendance report to upload.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > attendance.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the largest we "
                f"take is {attendance.MAX_BYTES // 1024 // 1024} MB. An attendance "
                "report is much smaller: check this is the right file."
            )
        return upload


@method_decorator(never_cache, name="dispatch")
class ReportView(WagtailAdminTemplateMixin, TemplateView):
    """What the report pages share: access and breadcrumbs."""

    header_icon = "date"
    page_title = "Webinar reports"

    def dispatch(self, request, *args, **kwargs):
        if not can_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def trail(self) -> list[dict]:
        return []

    def get_breadcrumbs_items(self):
        trail = self.trail()
        items = [*self.breadcrumbs_items]
        if not trail:
            return [*items, {"url": "", "label": self.page_title}]
        return [
            *items,
            {"url": reverse("webinars_report"), "label": self.page_title},
            *trail,
        ]


def _export_links(name: str, *args) -> list[dict]:
    return [
        {"label": label, "url": reverse(name, args=[*args, fmt])}
        for fmt, label in (("csv", "CSV"), ("xlsx", "Excel (XLSX)"))
    ]


class IndexView(ReportView):
    """Every series and webinar: registrations, attendance, feedback."""

    template_name = "webinars/admin/report_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            series_reports=reports.series_reports(),
            exports=_export_links("webinars_report_export"),
        )
        return context


class SeriesView(ReportView):
    """One series: totals, each webinar, ratings and comments."""

    template_name = "webinars/admin/report_series.html"

    @cached_property
    def series(self) -> WebinarSeriesPage:
        return _object(WebinarSeriesPage, self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.series.title

    def trail(self):
        return [{"url": "", "label": self.series.title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = reports.series_reports([self.series.pk])[0]
        ids = [row.webinar.pk for row in report.rows]
        context.update(
            report=report,
            figures=report.totals,
            comments=reports.comments(ids, limit=COMMENTS_SHOWN),
            comments_shown=COMMENTS_SHOWN,
            summary_exports=_export_links(
                "webinars_report_series_export", self.series.pk, "summary"
            ),
            feedback_exports=_export_links(
                "webinars_report_series_export", self.series.pk, "feedback"
            ),
        )
        return context


class WebinarView(ReportView):
    """One webinar: figures, ratings, comments, registrations, attendance."""

    template_name = "webinars/admin/report_webinar.html"

    @cached_property
    def webinar(self) -> WebinarPage:
        return _object(WebinarPage, self.kwargs["pk"])

    def get_page_subtitle(self):
        return self.webinar.title

    def trail(self):
        series = self.webinar.get_parent()
        return [
            {
                "url": reverse("webinars_report_series", args=[series.pk]),
                "label": series.title,
            },
            {"url": "", "label": self.webinar.title},
        ]

    def get_context_data(self, form=None, outcome=None, **kwargs):
        context = super().get_context_data(**kwargs)
        webinar = self.webinar
        paginator = Paginator(
            webinar.registrations.order_by("created_at", "pk"), REGISTRATIONS_PER_PAGE
        )
        registrations = paginator.get_page(self.request.GET.get("p"))
        allowed = can_import(self.request.user)
        context.update(
            webinar=webinar,
            figures=reports.figures_for([webinar.pk])[webinar.pk],
            comments=reports.comments([webinar.pk], limit=COMMENTS_SHOWN),
            comments_shown=COMMENTS_SHOWN,
            registrations=registrations,
            imports=list(
                AttendanceImport.objects.filter(webinar=webinar).select_related(
                    "uploaded_by"
                )[:10]
            ),
            can_import=allowed,
            started=webinar.starts_at <= timezone.now(),
            form=(form or AttendanceForm()) if allowed else None,
            outcome=outcome,
            shown=attendance.MAX_SHOWN_PROBLEMS,
            registration_exports=_export_links(
                "webinars_report_webinar_export", webinar.pk, "registrations"
            ),
            feedback_exports=_export_links(
                "webinars_report_webinar_export", webinar.pk, "feedback"
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        """Import the attendance report: all of it, or nothing and why."""
        if not can_import(request.user):
            raise PermissionDenied
        form = AttendanceForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        outcome = attendance.import_attendance(
            self.webinar,
            upload.read(attendance.MAX_BYTES + 1),
            filename=upload.name,
            user=request.user,
        )
        if not outcome.accepted:
            return self.render_to_response(self.get_context_data(outcome=outcome))
        report = outcome.record.report
        messages.success(
            request,
            f"Attendance imported from {outcome.record.filename}: "
            f"{report['attended']} registrant{'s' if report['attended'] != 1 else ''} "
            f"attended; {report['unmatched_count']} "
            f"{'people' if report['unmatched_count'] != 1 else 'person'} in the file "
            "did not match a registration.",
        )
        response = HttpResponse(status=303)
        response["Location"] = reverse(
            "webinars_report_webinar", args=[self.webinar.pk]
        )
        return response


@method_decorator(never_cache, name="dispatch")
class ExportView(View):
    """The figures, registrations or feedback as ``.csv`` or ``.xlsx``."""

    scope = "all"  # or "series" or "webinar"

    def get(self, request, fmt, pk=None, kind="summary"):
        scope = self.scope
        if not can_view(request.user):
            raise PermissionDenied
        if fmt not in FORMATS:
            raise Http404("No such format.")
        today = timezone.localdate()
        if scope == "all":
            rows, name = reports.summary_rows(reports.series_reports()), "webinars"
            sheet = "Webinars"
        elif scope == "series":
            series = _object(WebinarSeriesPage, pk)
            report = reports.series_reports([series.pk])[0]
            name = f"webinar-series-{series.slug}-{kind}"
            if kind == "summary":
                rows, sheet = reports.summary_rows([report]), "Webinars"
            elif kind == "feedback":
                ids = [row.webinar.pk for row in report.rows]
                rows, sheet = reports.feedback_rows(ids), "Feedback"
            else:
                raise Http404("No such export.")
        else:
            webinar = _object(WebinarPage, pk)
            name = f"webinar-{webinar.slug}-{kind}"
            if kind == "registrations":
                rows, sheet = reports.registration_rows(webinar), "Registrations"
            elif kind == "feedback":
                rows, sheet = reports.feedback_rows([webinar.pk]), "Feedback"
            else:
                raise Http404("No such export.")
        body = reports.as_xlsx(rows, sheet) if fmt == "xlsx" else reports.as_csv(rows)
        response = HttpResponse(body, content_type=FORMATS[fmt])
        name = "".join(
            c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in name
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{name}-{today:%Y-%m-%d}.{fmt}"'
        )
        return response
