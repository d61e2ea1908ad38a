"""Admin for the learning app: the missing-translations report."""

from wagtail import hooks

from website.admin_reports import report_menu_item, report_urls

from .translation_report import MissingTranslationsReportView


@hooks.register("register_admin_urls")
def register_translation_report_urls():
    return report_urls(
        "missing-translations",
        MissingTranslationsReportView,
        "learning_missing_translations",
    )


@hooks.register("register_reports_menu_item")
def register_translation_report_menu_item():
    return report_menu_item(
        "Missing translations",
        "learning_missing_translations",
        icon="globe",
        order=1310,
    )
