"""Counting page views (see ``impact.pageviews``)."""

from . import pageviews


class PageViewMiddleware:
    """Count each page a person reads, served fresh or from the page cache.

    Placed outside the page cache middleware, so a cached page is counted as
    well; it reads only the ``X-Page-Id``/``X-Page-Type`` headers the page was
    served with, which the cache keeps with it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if pageviews.countable(request, response):
            pageviews.count(
                response[pageviews.PAGE_ID_HEADER], response[pageviews.PAGE_TYPE_HEADER]
            )
        return response
