"""Registering for a webinar (no password) and a registrant's own page.

To be built (issue 6): ``register`` (GET form, POST) and ``manage`` (view the
join link, cancel).
"""

from django.http import Http404


def register(request, webinar):
    raise Http404


def manage(request, index, token: str):
    raise Http404
