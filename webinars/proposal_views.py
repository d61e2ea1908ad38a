"""Topic proposals: propose, support, confirm by email.

To be built (issue 6).
"""

from django.http import Http404


def proposals(request, index):
    raise Http404


def support(request, index, pk: int):
    raise Http404


def confirm(request, index, token: str):
    raise Http404
