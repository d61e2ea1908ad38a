"""Admin hooks for the national uptake view: its URLs, a "QI uptake" item in the
Reports menu (shown to those who may see it) and the permission it needs."""

from django.contrib.auth.models import Permission
from django.urls import path
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from website.admin_reports import report_menu_item

from . import national_views as views


class NationalMenuItem(MenuItem):
    def is_shown(self, request):
        return views.can_view_national(request.user)


@hooks.register("register_admin_urls")
def register_national_urls():
    return [
        path(
            "reports/qi-uptake/", views.OverviewView.as_view(), name="qipacks_national"
        ),
        path(
            "reports/qi-uptake/recommendations/<int:rec_id>/",
            views.RecommendationView.as_view(),
            name="qipacks_national_recommendation",
        ),
        path(
            "reports/qi-uptake/matrix/",
            views.MatrixView.as_view(),
            name="qipacks_national_matrix",
        ),
        path(
            "reports/qi-uptake/overdue/",
            views.OverdueView.as_view(),
            name="qipacks_national_overdue",
        ),
        path(
            "reports/qi-uptake/export/<slug:kind>/",
            views.ExportView.as_view(),
            name="qipacks_national_export",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_national_menu_item():
    return report_menu_item(
        "QI uptake",
        "qipacks_national",
        icon="table",
        order=1310,
        item_class=NationalMenuItem,
    )


@hooks.register("register_permissions")
def register_national_permissions():
    """Let administrators grant "view uptake record" (the national view) to groups."""
    return Permission.objects.filter(
        content_type__app_label="qipacks", codename="view_uptakerecord"
    )
