"""Calendar files: every upcoming webinar, a series, one webinar (no join links).

All three are built by ``webinars.calendar.feed``, which is never given a
registration, so none of them can carry the join link or joining instructions
(only a registrant's own invitation, sent by email, does). Cancelled webinars
stay in the feeds marked ``STATUS:CANCELLED``, so a subscribed calendar shows
the cancellation instead of the entry silently vanishing.

The files are public and cached for a short while; each carries an ETag made
from its content, so a calendar that polls gets "304 Not Modified" until
something changes.

Their addresses are the page's own plus ``calendar.ics`` (what the pages' routes
``reverse_subpage`` to), but Wagtail's URL pattern lets no dot through, so
``serve_calendar`` answers them, from a URL pattern placed before Wagtail's: it
finds the page as Wagtail would, applies the same view restrictions
(``before_serve_page`` hooks), then hands over to the view for that kind of page.
"""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from website import routing

from . import calendar
from .models import WebinarIndexPage, WebinarPage, WebinarSeriesPage

# Long enough to spare the server a calendar app's polling, short enough that a
# change reaches subscribers within the hour (calendar apps poll less often).
MAX_AGE_SECONDS = 15 * 60
# A series is a handful of sessions a year; this only bounds a runaway one.
FEED_LIMIT = 200


def _calendar_response(
    request, content: str, *, filename: str, public: bool = True
) -> HttpResponse:
    # The ETag leaves out DTSTAMP (the time of writing, for entries never
    # published through Wagtail), so it changes only when an entry does.
    meaningful = "\n".join(
        line for line in content.splitlines() if not line.startswith("DTSTAMP")
    )
    etag = '"' + hashlib.sha256(meaningful.encode("utf-8")).hexdigest()[:32] + '"'
    response = HttpResponse(
        content, content_type=f"{calendar.CONTENT_TYPE}; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    if public:
        patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
    else:  # a page behind a view restriction: only this person's browser may keep it
        patch_cache_control(response, private=True, max_age=MAX_AGE_SECONDS)
    return get_conditional_response(request, etag=etag, response=response)


def _public_webinars():
    return WebinarPage.objects.live().public().order_by("starts_at", "pk")


@require_safe
def upcoming_feed(request, index) -> HttpResponse:
    """Every public webinar under the index that has not ended yet."""
    webinars = (
        _public_webinars()
        .descendant_of(index)
        .filter(ends_at__gt=timezone.now())[:FEED_LIMIT]
    )
    content = calendar.feed(webinars, name=index.title)
    return _calendar_response(request, content, filename="webinars.ics")


@require_safe
def series_feed(request, series) -> HttpResponse:
    """Every public webinar in the series, past and upcoming."""
    webinars = _public_webinars().child_of(series)[:FEED_LIMIT]
    content = calendar.feed(webinars, name=series.title)
    filename = f"{slugify(series.slug) or 'webinar-series'}.ics"
    return _calendar_response(
        request, content, filename=filename, public=_is_public(series)
    )


@require_safe
def webinar_file(request, webinar) -> HttpResponse:
    """One webinar's "add to calendar" file, as anyone can see it."""
    content = calendar.feed([webinar], name="")
    filename = f"{slugify(webinar.slug) or 'webinar'}.ics"
    return _calendar_response(
        request, content, filename=filename, public=_is_public(webinar)
    )


def _is_public(page) -> bool:
    # Wagtail has already let this request through any view restriction; a
    # restricted page's file must not be kept by shared caches.
    return not page.get_view_restrictions().exists()


@require_safe
def serve_calendar(request, path: str) -> HttpResponse:
    """``<page address>calendar.ics`` for the webinars index, a series or a webinar.

    ``path`` is the page's path (``webinars/qi-series/``), as Wagtail's ``serve``
    gets it; the same hooks run around the view as around a page's ``serve``.
    """
    result = routing.route_for_request(request, path)
    if result is None:
        raise Http404
    page, args, kwargs = result
    site = routing.find_site(request)
    # The page itself, not one of its own routes ("webinars/topics/calendar.ics").
    if (
        site is None
        or request.path != f"{page.relative_url(site, request)}calendar.ics"
    ):
        raise Http404
    view = _VIEWS.get(type(page))
    if view is None:
        raise Http404
    return routing.serve_with_hooks(
        page,
        request,
        args,
        kwargs,
        lambda page, request, args, kwargs: view(request, page),
    )


_VIEWS = {
    WebinarIndexPage: upcoming_feed,
    WebinarSeriesPage: series_feed,
    WebinarPage: webinar_file,
}
