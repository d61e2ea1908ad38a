"""The "Missing translations" report: which safety messages lack which language."""

from django.conf import settings
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import Locale

from website.i18n import language_info

from .models import SafetyMessagePage


def translation_languages() -> list[str]:
    default = Locale.get_default().language_code
    return [code for code, _ in settings.WAGTAIL_CONTENT_LANGUAGES if code != default]


def translation_status(message: SafetyMessagePage, translations: dict) -> dict:
    """For each configured language: missing, draft, awaiting a check, or checked."""
    status = {}
    for code in translation_languages():
        page = translations.get((message.translation_key, code))
        if page is None:
            status[code] = "Missing"
        elif not page.live:
            status[code] = "Draft"
        elif page.translation_checked_on:
            status[code] = f"Checked {page.translation_checked_on:%Y-%m-%d}"
        else:
            status[code] = "Published, not yet checked"
    return status


class MissingTranslationsReportView(ReportView):
    """Every English safety message with the state of each language's translation."""

    page_title = "Missing translations"
    header_icon = "globe"
    index_url_name = "learning_missing_translations"
    index_results_url_name = "learning_missing_translations_results"
    export_filename = "safety-message-translations"

    @cached_property
    def languages(self) -> list[str]:
        return translation_languages()

    @cached_property
    def columns(self):
        columns = [
            TitleColumn(
                "title", label="Safety message", url_name="wagtailadmin_pages:edit"
            )
        ]
        for code in self.languages:
            columns.append(
                Column(
                    f"lang_{code}",
                    label=language_info(code)["name"],
                    accessor=lambda page, code=code: page.translation_status[code],
                )
            )
        return columns

    @property
    def list_export(self):
        return ["title", *[f"lang_{code}" for code in self.languages]]

    @property
    def export_headings(self):
        headings = {"title": "Safety message"}
        headings.update({f"lang_{c}": language_info(c)["name"] for c in self.languages})
        return headings

    @cached_property
    def no_results_message(self):
        return "There are no English safety messages yet."

    def get_queryset(self):
        self.queryset = SafetyMessagePage.objects.filter(
            locale=Locale.get_default()
        ).order_by("title", "pk")
        return super().get_queryset()

    def decorate_paginated_queryset(self, object_list):
        pages = list(object_list)
        keys = [p.translation_key for p in pages]
        translations = {
            (t.translation_key, t.locale.language_code): t
            for t in SafetyMessagePage.objects.filter(translation_key__in=keys)
            .exclude(locale=Locale.get_default())
            .select_related("locale")
        }
        for page in pages:
            page.translation_status = translation_status(page, translations)
            for code, state in page.translation_status.items():
                setattr(page, f"lang_{code}", state)
        return pages

    def get_index_url(self):
        return reverse(self.index_url_name)
