"""Wagtail hooks: label served pages for counting; the report's URLs, menu item
and permission."""

from django.contrib.auth.models import Permission
from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from website.admin_reports import report_menu_item

from . import pageviews, views


@hooks.register("on_serve_page")
def mark_page_response(next_serve_page):
    """Label an HTML page response with its page and type (``impact.pageviews``).

    Done as the page is served, so the label is stored with the response by the
    page cache and a cached copy is counted as well. Previews never pass here.
    """

    def serve(page, request, args, kwargs):
        response = next_serve_page(page, request, args, kwargs)
        if not getattr(request, "is_preview", False) and response.get(
            "Content-Type", ""
        ).startswith("text/html"):
            response[pageviews.PAGE_ID_HEADER] = str(page.pk)
            # The served page is the specific one: its model names its type.
            response[pageviews.PAGE_TYPE_HEADER] = page._meta.label_lower
        return response

    return serve


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return views.can_view(request.user)


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path("reports/impact/", views.DashboardView.as_view(), name="impact_report"),
        path(
            "reports/impact/impact-report.xlsx",
            views.DownloadView.as_view(kind="xlsx"),
            name="impact_report_xlsx",
        ),
        path(
            "reports/impact/impact-report.pdf",
            views.DownloadView.as_view(kind="pdf"),
            name="impact_report_pdf",
        ),
        path(
            "reports/impact/<slug:section>.csv",
            views.DownloadView.as_view(kind="csv"),
            name="impact_report_csv",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_report_menu_item():
    return report_menu_item(
        "Impact report",
        "impact_report",
        icon="doc-full",
        order=1300,
        item_class=ReportMenuItem,
    )


@hooks.register("register_permissions")
def register_report_permission():
    """Let administrators grant "view the impact report" to groups."""
    return Permission.objects.filter(
        content_type__app_label="impact", codename="view_report"
    )
