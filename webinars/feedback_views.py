"""A registrant's feedback on a webinar they registered for.

To be built (issue 6).
"""

from django.http import Http404


def feedback(request, index, token: str):
    raise Http404
