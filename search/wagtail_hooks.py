"""Search reports in the admin (Reports menu); editors' picks come from
``wagtail.contrib.search_promotions`` (its own "Promoted search results" menu)."""

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from website.admin_reports import report_menu_item, report_urls

from .reports import NoResultsReportView, SearchTermsReportView, can_view


class SearchReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view(request.user)


@hooks.register("register_admin_urls")
def register_search_report_urls():
    return [
        *report_urls("search-terms", SearchTermsReportView, "search_terms_report"),
        *report_urls(
            "search-no-results", NoResultsReportView, "search_no_results_report"
        ),
    ]


@hooks.register("register_reports_menu_item")
def register_search_terms_menu_item():
    return report_menu_item(
        "Search terms",
        "search_terms_report",
        icon="search",
        order=1400,
        item_class=SearchReportMenuItem,
    )


@hooks.register("register_reports_menu_item")
def register_no_results_menu_item():
    return report_menu_item(
        "Searches with no results",
        "search_no_results_report",
        icon="warning",
        order=1410,
        item_class=SearchReportMenuItem,
    )
