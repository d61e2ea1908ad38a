"""Admin for the learning app: the missing-translations report."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .translation_report import MissingTranslationsReportView


@hooks.register("register_admin_urls")
def register_translation_report_urls():
    return [
        path(
            "reports/missing-translations/",
            MissingTranslationsReportView.as_view(),
            name="learning_missing_translations",
        ),
        path(
            "reports/missing-translations/results/",
            MissingTranslationsReportView.as_view(results_only=True),
            name="learning_missing_translations_results",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_translation_report_menu_item():
    return MenuItem(
        "Missing translations",
        reverse("learning_missing_translations"),
        name="missing-translations",
        icon_name="globe",
        order=1310,
    )
