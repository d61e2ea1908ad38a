"""Admin: vocabularies, organisations and memberships under one "Site" menu;
the page feedback report."""

import csv

import django_filters
from django.contrib.auth.models import Permission
from django.http import Http404
from django.template.defaultfilters import linebreaksbr
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import (
    Column,
    DateColumn,
    LocaleColumn,
    NumberColumn,
    TitleColumn,
)
from wagtail.admin.views.mixins import Echo
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import feedback
from .admin_reports import report_menu_item, report_urls
from .models import Audience, Organisation, PageFeedback, Theme


class VocabularyViewSet(SnippetViewSet):
    list_display = ["name", "slug", "sort_order"]
    search_fields = ["name", "description"]
    ordering = ["sort_order", "name"]


class ThemeViewSet(VocabularyViewSet):
    model = Theme
    icon = "tag"
    menu_label = "Themes"


class AudienceViewSet(VocabularyViewSet):
    model = Audience
    icon = "group"
    menu_label = "Audiences"


class OrganisationViewSet(SnippetViewSet):
    model = Organisation
    icon = "home"
    menu_label = "Organisations"
    list_display = ["name", "type", "region", "code"]
    list_filter = ["type", "region"]
    search_fields = ["name", "code"]
    ordering = ["name"]


class SiteRecordsGroup(SnippetViewSetGroup):
    items = (ThemeViewSet, AudienceViewSet, OrganisationViewSet)
    menu_icon = "folder-open-inverse"
    menu_label = "Vocabularies & organisations"
    menu_name = "site-records"


register_snippet(SiteRecordsGroup)


# --- Page feedback report -------------------------------------------------------

FEEDBACK_PERMISSION = "website.view_pagefeedback"


def can_view_feedback(user) -> bool:
    """Admin access plus permission to view page feedback (superusers have both)."""
    return user.has_perms(["wagtailadmin.access_admin", FEEDBACK_PERMISSION])


class FeedbackReportFilterSet(WagtailFilterSet):
    received = django_filters.DateFromToRangeFilter(
        label="Feedback received",
        widget=DateRangePickerWidget,
        method="filter_received",
    )

    class Meta:
        model = Page
        fields = []

    def filter_received(self, queryset, name, value):
        # Applied inside feedback_summary(), so the counts cover the same dates.
        return queryset


class FeedbackReportMixin:
    permission_policy = ModelPermissionPolicy(PageFeedback)
    permission_required = "view"
    header_icon = "comment"
    csv_columns = feedback.SUMMARY_COLUMNS

    @property
    def list_export(self):
        return [name for name, _ in self.csv_columns]

    @property
    def export_headings(self):
        return dict(self.csv_columns)

    def stream_csv(self, queryset):
        # The service writes the cells, so free text never reaches a spreadsheet
        # as a formula (Wagtail guards its XLSX export but not its CSV).
        writer = csv.writer(Echo())
        for row in feedback.feedback_csv_rows(queryset, self.csv_columns):
            yield writer.writerow(row)


def _comments_link(page):
    if not page.comment_count:
        return "No comments"
    return format_html(
        '<a href="{}">Read comments<span class="w-sr-only"> on {}</span></a>',
        reverse("website_feedback_detail", args=[page.pk]),
        page.title,
    )


class PageFeedbackReportView(FeedbackReportMixin, ReportView):
    """Pages with feedback: yes, no, % useful, comments, latest; CSV and XLSX."""

    page_title = "Page feedback"
    index_url_name = "website_feedback_report"
    index_results_url_name = "website_feedback_report_results"
    filterset_class = FeedbackReportFilterSet
    default_ordering = "-latest_feedback"
    export_filename = "page-feedback"
    columns = [
        TitleColumn(
            "title", label="Page", url_name="wagtailadmin_pages:edit", sort_key="title"
        ),
        LocaleColumn(label="Language", sort_key=None),
        NumberColumn("yes_count", label="Yes", sort_key="yes_count"),
        NumberColumn("no_count", label="No", sort_key="no_count"),
        Column(
            "percent_useful",
            label="% useful",
            accessor=lambda page: f"{page.percent_useful}%",
            sort_key="percent_useful",
        ),
        NumberColumn("comment_count", label="Comments", sort_key="comment_count"),
        DateColumn(
            "latest_feedback", label="Latest feedback", sort_key="latest_feedback"
        ),
        Column(
            "details",
            label="Details",
            accessor=_comments_link,
        ),
    ]

    def get_filename(self):
        return f"page-feedback-{timezone.localdate():%Y-%m-%d}"

    def get_queryset(self):
        since = until = None
        if self.filters is not None and self.filters.is_valid():
            received = self.filters.form.cleaned_data.get("received")
            if received:
                since, until = received.start, received.stop
        self.queryset = feedback.feedback_summary(since=since, until=until)
        return super().get_queryset()

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        # A stable order, so pagination never repeats or skips a page.
        return queryset.order_by(*queryset.query.order_by, "pk")


class PageFeedbackDetailView(FeedbackReportMixin, ReportView):
    """The comments left on one page, newest first."""

    csv_columns = feedback.COMMENT_COLUMNS
    columns = [
        Column(
            "created_at",
            label="Received",
            accessor=lambda item: date_format(
                timezone.localtime(item.created_at), "j F Y H:i"
            ),
        ),
        Column("useful_label", label="Useful"),
        # Escaped, then line breaks kept: comments are plain text from the public.
        Column(
            "comment",
            label="What was missing",
            accessor=lambda item: linebreaksbr(item.comment, autoescape=True),
        ),
    ]

    @cached_property
    def feedback_page(self):
        page_id = self.kwargs["page_id"]
        page = None
        if 0 < page_id <= feedback.MAX_PAGE_ID:
            page = Page.objects.filter(pk=page_id).first()
        if page is None:
            raise Http404("No page has this id.")
        return page

    def get_page_title(self):
        return "Page feedback"

    def get_page_subtitle(self):
        return self.feedback_page.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("website_feedback_report"), "label": "Page feedback"},
            {"url": "", "label": self.feedback_page.title},
        ]

    def get_index_url(self):
        return reverse("website_feedback_detail", args=[self.feedback_page.pk])

    def get_index_results_url(self):
        return reverse("website_feedback_detail_results", args=[self.feedback_page.pk])

    def get_filename(self):
        return f"page-{self.feedback_page.pk}-feedback-{timezone.localdate():%Y-%m-%d}"

    @cached_property
    def no_results_message(self):
        return "Nobody has left a comment on this page yet."

    def get_queryset(self):
        self.queryset = feedback.page_comments(self.feedback_page.pk)
        return super().get_queryset()


class FeedbackReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_feedback(request.user)


@hooks.register("register_admin_urls")
def register_feedback_report_urls():
    return [
        *report_urls(
            "page-feedback", PageFeedbackReportView, "website_feedback_report"
        ),
        path(
            "reports/page-feedback/<int:page_id>/",
            PageFeedbackDetailView.as_view(),
            name="website_feedback_detail",
        ),
        path(
            "reports/page-feedback/<int:page_id>/results/",
            PageFeedbackDetailView.as_view(results_only=True),
            name="website_feedback_detail_results",
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_feedback_report_menu_item():
    return report_menu_item(
        "Page feedback",
        "website_feedback_report",
        icon="comment",
        order=1300,
        item_class=FeedbackReportMenuItem,
    )


@hooks.register("register_permissions")
def register_feedback_permissions():
    """Let administrators grant "view page feedback" to groups in the admin."""
    return Permission.objects.filter(
        content_type__app_label="website", codename="view_pagefeedback"
    )


# --- Due for review report ------------------------------------------------------


@hooks.register("register_admin_urls")
def register_review_report_urls():
    from .review_report import DueForReviewReportView

    return report_urls(
        "due-for-review", DueForReviewReportView, "website_due_for_review"
    )


@hooks.register("register_reports_menu_item")
def register_review_report_menu_item():
    return report_menu_item(
        "Due for review", "website_due_for_review", icon="date", order=1290
    )


# --- Page cache -------------------------------------------------------------------


@hooks.register("before_serve_page")
def note_page_for_page_cache(page, request, serve_args, serve_kwargs):
    """Only responses Wagtail serves as pages are stored (website/page_cache.py)."""
    from . import page_cache

    page_cache.note_page(request, page)
