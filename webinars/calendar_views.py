"""Calendar files: every upcoming webinar, a series, one webinar (no join links).

To be built (issue 6).
"""

from django.http import Http404


def upcoming_feed(request, index):
    raise Http404


def series_feed(request, series):
    raise Http404


def webinar_file(request, webinar):
    raise Http404
