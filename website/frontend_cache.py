"""Purging the page cache and any shared cache in front of the site.

Wagtail's frontend cache app purges a page's own URL when it is published or
unpublished, through the backends in ``WAGTAILFRONTENDCACHE``; here are those
backends, and ``purge_pages_showing``, which ``website.signal_handlers`` calls to
purge the pages that list or link to it as well (its index, the home page's latest
items, related pages, bulletins).

Every purge waits for the publishing transaction to commit: purged earlier, a
reader arriving in between would be sent the old page and put it straight back.
A purge that fails then (Redis or the CDN out of reach) is logged, not raised:
the publish has happened, and the editor should not see an error for it.
"""

from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import NoReverseMatch
from wagtail.contrib.frontend_cache.backends import base, cloudflare, http
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.models import Page, ReferenceIndex

from . import page_cache

# A page linked from more pages than this is a hub; the rest wait for expiry.
MAX_LINKING_PAGES = 200


class AfterCommitMixin:
    """Purge once the current transaction commits (at once outside one).

    Wagtail's purge task calls ``purge_batch`` only, so that is what waits.
    """

    def purge_batch(self, urls) -> None:
        urls = list(urls)
        transaction.on_commit(lambda: self.purge_now(urls), robust=True)

    def purge_now(self, urls: list[str]) -> None:
        super().purge_batch(urls)


class DjangoCacheBackend(AfterCommitMixin, base.BaseBackend):
    """The page cache: everything at or under each purged page's path goes (its
    query strings, print view and sub-pages, and its children's breadcrumbs)."""

    def purge_now(self, urls: list[str]) -> None:
        page_cache.purge_trees(_paths(urls))


class HTTPBackend(AfterCommitMixin, http.HTTPBackend):
    """A PURGE request per URL to Varnish (or any cache that takes them)."""


class CloudflareBackend(AfterCommitMixin, cloudflare.CloudflareBackend):
    """Cloudflare's purge API, in batches."""


def purge_pages_showing(page: Page) -> None:
    """Purge what shows ``page`` besides its own URL, once the transaction commits.

    That is its ancestors below the root (index pages list their newest children,
    the home page its latest items) and the live pages that link to it, each with
    its feeds; for shared caches, the page's own feeds and print view as well.
    The page cache forgets only those paths (every query string), not what is under
    them: an index's other children are unchanged.
    """
    showing = [
        *page.get_ancestors().filter(depth__gt=1).specific(defer=True),
        *_pages_linking_to(page),
    ]
    site_roots = SimpleNamespace()  # Wagtail keeps the sites' root paths on it
    listing_urls = [url for other in showing for url in page_urls(other, site_roots)]
    transaction.on_commit(
        lambda: page_cache.purge_paths(_paths(listing_urls)), robust=True
    )
    purge_shared_caches([*page_urls(page, site_roots), *listing_urls])


def purge_page_and_pages_showing(page: Page) -> None:
    """Purge ``page`` itself (every query string, and its sub-pages that need no
    argument) and what shows it, once the transaction commits: for a change to
    what a page shows that is not a publish, such as a webinar's places."""
    own = page_urls(page, SimpleNamespace())
    transaction.on_commit(lambda: page_cache.purge_paths(_paths(own)), robust=True)
    purge_pages_showing(page)


def purge_everything() -> None:
    """Forget every page in the page cache once the transaction commits (links
    moved, or navigation or vocabularies changed; shared caches wait for expiry)."""
    transaction.on_commit(page_cache.purge_all, robust=True)


def purge_shared_caches(urls) -> None:
    """Purge ``urls`` from the configured caches in front of the site only."""
    names = [
        name
        for name, config in settings.WAGTAILFRONTENDCACHE.items()
        if config["BACKEND"] != f"{__name__}.DjangoCacheBackend"
    ]
    if names:
        PurgeBatch(urls).purge(backends=names)


def page_urls(page: Page, cache_object=None) -> list[str]:
    """The page's full URL and its sub-pages' that need no argument (feeds, print
    view, calendar file)."""
    url = page.get_full_url(cache_object)
    if url is None:
        return []
    specific = page.specific_deferred
    subpaths = {""}
    if isinstance(specific, RoutablePageMixin):
        for pattern in specific.get_subpage_urls():
            try:
                subpaths.add(specific.reverse_subpage(pattern.name))
            except NoReverseMatch:  # needs an argument (a token, a reference)
                continue
    return sorted(url + subpath for subpath in subpaths)


def _pages_linking_to(page: Page) -> list[Page]:
    ids = (
        ReferenceIndex.get_references_to(page)
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
        .distinct()[:MAX_LINKING_PAGES]
    )
    return list(
        Page.objects.filter(pk__in=[int(pk) for pk in ids])
        .exclude(pk=page.pk)
        .live()
        .specific(defer=True)
    )


def _paths(urls) -> set[str]:
    return {urlsplit(url).path for url in urls}
