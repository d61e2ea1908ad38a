"""The "Due for review" admin report: live pages whose check date has passed."""

from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page

from . import reviews

SOON_DAYS = 30


class DueForReviewReportView(ReportView):
    """Pages due a review now or within 30 days, the most overdue first."""

    page_title = "Due for review"
    header_icon = "date"
    index_url_name = "website_due_for_review"
    index_results_url_name = "website_due_for_review_results"
    results_template_name = "wagtailadmin/reports/base_report_results.html"
    export_filename = "due-for-review"
    list_export = ["title", "due_on", "days_overdue", "owner_name", "last_reviewed"]
    export_headings = {
        "title": "Page",
        "due_on": "Review due",
        "days_overdue": "Days overdue",
        "owner_name": "Owner",
        "last_reviewed": "Last reviewed",
    }
    columns = [
        TitleColumn("title", label="Page", url_name="wagtailadmin_pages:edit"),
        Column(
            "due_on",
            label="Review due",
            accessor=lambda page: date_format(page.due_on, "j F Y"),
        ),
        Column(
            "days_overdue",
            label="Overdue by",
            accessor=lambda page: (
                f"{page.days_overdue} days" if page.days_overdue > 0 else "Not yet due"
            ),
        ),
        Column("owner_name", label="Owner"),
    ]

    @cached_property
    def no_results_message(self):
        return "No page is due for review in the next 30 days."

    @cached_property
    def due(self) -> dict:
        return {
            item.page.pk: item
            for item in reviews.pages_due_for_review(within_days=SOON_DAYS)
        }

    def get_queryset(self):
        self.queryset = Page.objects.filter(pk__in=list(self.due)).select_related(
            "owner"
        )
        return super().get_queryset()

    def order_queryset(self, queryset):
        """Most overdue first, across every page type, before pagination."""
        order = sorted(self.due.values(), key=lambda item: (item.due_on, item.page.pk))
        rank = Case(
            *[When(pk=item.page.pk, then=Value(i)) for i, item in enumerate(order)],
            output_field=IntegerField(),
        )
        return queryset.order_by(rank) if order else queryset

    def decorate_paginated_queryset(self, object_list):
        today = timezone.localdate()
        pages = list(object_list)
        for page in pages:
            item = self.due[page.pk]
            page.due_on = item.due_on
            page.days_overdue = (today - item.due_on).days
            page.last_reviewed = getattr(item.page, "last_reviewed", None)
            page.owner_name = (
                page.owner.get_full_name() or page.owner.get_username()
                if page.owner
                else "No owner (the editorial team is reminded)"
            )
        return pages

    def get_index_url(self):
        return reverse(self.index_url_name)
