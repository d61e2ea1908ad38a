"""One way to add an admin report: its listing and results URLs, and a menu item."""

from django.urls import path, reverse
from wagtail.admin.menu import MenuItem


def report_urls(route: str, view, name: str) -> list:
    """``reports/<route>/`` and its ``results/`` fragment, named ``name``(_results)."""
    return [
        path(f"reports/{route}/", view.as_view(), name=name),
        path(
            f"reports/{route}/results/",
            view.as_view(results_only=True),
            name=f"{name}_results",
        ),
    ]


def report_menu_item(
    label: str, url_name: str, *, icon: str, order: int, item_class=MenuItem
) -> MenuItem:
    return item_class(
        label,
        reverse(url_name),
        name=url_name.replace("_", "-"),
        icon_name=icon,
        order=order,
    )
