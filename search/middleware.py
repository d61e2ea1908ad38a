"""Counting searches (see ``search.analytics``)."""

from . import analytics
from .engines.base import clean_query

HITS_HEADER = "X-Search-Hits"


class SearchCountMiddleware:
    """Count each search answered, rendered or from the page cache.

    Placed above the page cache middleware, so a cached search is counted too.
    The search view marks a first page of results with ``X-Search-Hits`` (the
    number of results), which the cache keeps with the page; it is read and
    taken off here, so it never leaves the server.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HITS_HEADER in response:
            hits = response[HITS_HEADER]
            del response[HITS_HEADER]
            if request.method == "GET" and response.status_code == 200:
                # The query as the view cleaned it (the form let it through).
                analytics.record(clean_query(request.GET.get("q")), int(hits))
        return response
