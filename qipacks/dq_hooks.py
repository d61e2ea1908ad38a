"""Admin for data quality, under one "Data quality" menu: import reports from CSV,
past imports, indicators, and the access log.

Permissions (Settings > Groups): "Can add data quality import" to import,
"Can view data quality access" to read the access log; indicators use their own
add/change/delete permissions.
"""

from django.contrib.auth.models import Permission
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from website.admin_reports import report_urls

from . import dq_admin_views as views
from .models import DataQualityIndicator


class IndicatorViewSet(ModelViewSet):
    model = DataQualityIndicator
    name = "data_quality_indicators"
    url_prefix = "data-quality/indicators"
    icon = "list-ol"
    menu_label = "Indicators"
    add_to_admin_menu = False
    copy_view_enabled = False
    inspect_view_enabled = False
    form_fields = ["code", "name", "description", "unit", "higher_is_better"]
    list_display = ["name", "code", "unit", "higher_is_better", "sort_order"]
    search_fields = ["name", "code", "description"]
    ordering = ["sort_order", "name"]
    sort_order_field = "sort_order"


indicator_viewset = IndicatorViewSet()


@hooks.register("register_admin_viewset")
def register_indicator_viewset():
    return indicator_viewset


@hooks.register("register_admin_urls")
def register_data_quality_admin_urls():
    return [
        path(
            "data-quality/import/",
            views.ImportView.as_view(),
            name="data_quality_import",
        ),
        path(
            "data-quality/import/template.csv",
            views.TemplateCSVView.as_view(),
            name="data_quality_import_template",
        ),
        path(
            "data-quality/imports/<int:pk>/",
            views.ImportDetailView.as_view(),
            name="data_quality_import_detail",
        ),
        *report_urls(
            "data-quality-access", views.AccessLogView, "data_quality_access_log"
        ),
    ]


class _ShownIf(MenuItem):
    def __init__(self, *args, shown, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = shown

    def is_shown(self, request):
        return self.shown(request.user)


_INDICATOR_POLICY = ModelPermissionPolicy(DataQualityIndicator)


@hooks.register("register_admin_menu_item")
def register_data_quality_menu():
    items = [
        _ShownIf(
            "Import reports",
            reverse("data_quality_import"),
            name="data-quality-import",
            icon_name="upload",
            order=1,
            shown=views.can_import,
        ),
        _ShownIf(
            "Indicators",
            reverse("data_quality_indicators:index"),
            name="data-quality-indicators",
            icon_name="list-ol",
            order=2,
            shown=lambda user: _INDICATOR_POLICY.user_has_any_permission(
                user, ["add", "change", "delete", "view"]
            ),
        ),
        _ShownIf(
            "Access log",
            reverse("data_quality_access_log"),
            name="data-quality-access-log",
            icon_name="view",
            order=3,
            shown=views.can_read_access_log,
        ),
    ]
    return SubmenuMenuItem(
        "Data quality",
        Menu(items=items),
        name="data-quality",
        icon_name="table",
        order=320,
    )


@hooks.register("register_permissions")
def register_data_quality_permissions():
    """Let administrators grant importing and reading the access log to groups."""
    return Permission.objects.filter(
        content_type__app_label="qipacks",
        codename__in=[
            "add_dataqualityimport",
            "view_dataqualityimport",
            "view_dataqualityaccess",
        ],
    )
