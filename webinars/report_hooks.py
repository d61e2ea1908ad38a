"""Admin hooks for the webinar reports: their URLs, a "Webinars" item in the
Reports menu (shown to those who may see it) and the permissions they need."""

from django.contrib.auth.models import Permission
from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from website.admin_reports import report_menu_item

from . import report_views as views


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return views.can_view(request.user)


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path("reports/webinars/", views.IndexView.as_view(), name="webinars_report"),
        path(
            "reports/webinars/export.<str:fmt>",
            views.ExportView.as_view(),
            name="webinars_report_export",
        ),
        path(
            "reports/webinars/series/<int:pk>/",
            views.SeriesView.as_view(),
            name="webinars_report_series",
        ),
        path(
            "reports/webinars/series/<int:pk>/<slug:kind>.<str:fmt>",
            views.ExportView.as_view(scope="series"),
            name="webinars_report_series_export",
        ),
        path(
            "reports/webinars/<int:pk>/",
            views.WebinarView.as_view(),
            name="webinars_report_webinar",
        ),
        path(
            "reports/webinars/<int:pk>/<slug:kind>.<str:fmt>",
            views.ExportView.as_view(scope="webinar"),
            name="webinars_report_webinar_export",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return report_menu_item(
        "Webinars",
        "webinars_report",
        icon="date",
        order=1320,
        item_class=ReportMenuItem,
    )


@hooks.register("register_permissions")
def register_report_permissions():
    """Let administrators grant reading the reports and importing attendance."""
    return Permission.objects.filter(
        content_type__app_label="webinars",
        codename__in=["view_registration", "add_attendanceimport"],
    )
