"""The header and footer every page shows, kept in the cache between changes.

Building them costs five queries and the URL of each linked page on every page
view, cached or not by the page cache. ``for_request`` keeps what the templates
need (the organisation line, the footer text with its links expanded, and each
link's label and address) in Django's cache (``website.generations``); ``clear``
retires every site's entry once the transaction commits.
``NAVIGATION_CACHE_SECONDS`` bounds how long an entry is kept (0 builds them
afresh on every view).

Cleared by ``website.signal_handlers`` whenever a link's address or label can
change: the navigation setting or its links saved, and a page published,
unpublished, moved, renamed or deleted.
"""

from __future__ import annotations

from django.conf import settings
from wagtail.models import Site
from wagtail.rich_text import expand_db_html

from website import routing
from website.generations import Generation, remember

GENERATION = Generation("sitenav")


def for_request(request) -> dict | None:
    """The navigation of the request's site, or None when no site matches."""
    site = routing.find_site(request)
    if site is None:
        return None
    return remember(
        GENERATION, str(site.pk), settings.NAVIGATION_CACHE_SECONDS, lambda: build(site)
    )


def build(site: Site) -> dict:
    """What the header and footer show for ``site``, from the database."""
    from website.models import SiteNavigation

    nav = SiteNavigation.for_site(site)
    return {
        "organisation_name": nav.organisation_name,
        "organisation_descriptor": nav.organisation_descriptor,
        "footer_html": expand_db_html(nav.footer_text) if nav.footer_text else "",
        "header_links": _links(nav, "header_links"),
        "footer_links": _links(nav, "footer_links"),
    }


def _links(nav, relation: str) -> list[tuple[str, str]]:
    if not nav.pk:
        return []
    return [
        (link.label, link.get_href())
        for link in getattr(nav, relation).select_related("page").all()
    ]


def clear() -> None:
    """Retire every site's cached navigation once the transaction commits."""
    GENERATION.retire()
