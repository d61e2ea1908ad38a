"""Topic proposals on the webinars index: ``topics/`` (the list and the propose
form), ``topics/<pk>/support/`` and ``topics/confirm/<token>/``.

The views only check input and call ``webinars.proposals``. Every valid post,
and every post with the hidden box filled in, ends on the same "check your
email" page (a 303 to ``?sent=1``), so a response never says whether an address
is known. Confirmation links show what they confirm on GET and act only on POST
(mail scanners follow links); their pages are never cached or indexed, and never
sent to another site as a referrer.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from website import ratelimit
from website.models import Audience

from . import proposals as services
from .models import TopicProposal
from .proposal_forms import MAX_ID, ProposeForm, SupportForm

TEMPLATES = "webinars/"
PER_PAGE = 20


class SeeOther(HttpResponseRedirect):
    """A 303: after a form post the browser fetches the next page with GET."""

    status_code = 303


def _context(request, index, **extra) -> dict:
    return {
        **index.get_context(request),
        "index": index,
        "topics_path": index.url + index.reverse_subpage("topics"),
        "confirm_days": services.CONFIRM_DAYS,
        **extra,
    }


def _too_many(request, index, what: str) -> HttpResponse:
    minutes = services.RATE_WINDOW_SECONDS // 60
    response = render(
        request,
        TEMPLATES + "topic_rate_limited.html",
        _context(request, index, what=what, minutes=minutes),
        status=429,
    )
    response["Retry-After"] = str(services.RATE_WINDOW_SECONDS)
    return response


def _check_email(request, index, what: str, proposal=None) -> HttpResponse:
    return render(
        request,
        TEMPLATES + "topic_check_email.html",
        _context(request, index, what=what, proposal=proposal),
    )


def _private(response: HttpResponse) -> HttpResponse:
    """For pages reached by a secret link: never stored, and the link is never
    sent to another site as a referrer.

    "same-origin" rather than "no-referrer": under "no-referrer" browsers send
    ``Origin: null`` with the page's own Confirm form, which Django's CSRF check
    rightly refuses. Our own server already knows the token.
    """
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def proposals(request, index) -> HttpResponse:
    """Published and scheduled topics, and the form to propose one."""
    if request.method == "POST":
        if not services.allow_request("propose", ratelimit.client_address(request)):
            return _too_many(request, index, "propose")
        form = ProposeForm(request.POST)
        if form.is_from_robot():
            return SeeOther(request.path + "?sent=1")
        if form.is_valid():
            data = form.cleaned_data
            services.propose(
                title=data["title"],
                why=data["why"],
                audience=data["audience"],
                name=data["name"],
                email=data["email"],
                index=index,
            )
            return SeeOther(request.path + "?sent=1")
        status = 400
    else:
        if request.GET.get("sent") == "1":
            return _check_email(request, index, "propose")
        form = ProposeForm()
        status = 200
    listing = Paginator(services.public_proposals(), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = _context(
        request,
        index,
        form=form,
        listing=listing,
        audiences=list(Audience.objects.all()),
        audience=str(form["audience"].value() or ""),
    )
    return render(request, TEMPLATES + "topics.html", context, status=status)


def _supportable(pk: int) -> TopicProposal:
    if not 0 < pk <= MAX_ID:
        raise Http404("No topic has this id.")
    proposal = (
        TopicProposal.objects.filter(pk=pk, status__in=services.SUPPORTABLE)
        .select_related("audience", "webinar")
        .first()
    )
    if proposal is None:
        raise Http404("This topic is not open for support.")
    return proposal


@never_cache
@require_http_methods(["GET", "POST"])
def support(request, index, pk: int) -> HttpResponse:
    """One published topic and the form to support it."""
    proposal = _supportable(pk)
    if request.method == "POST":
        if not services.allow_request("support", ratelimit.client_address(request)):
            return _too_many(request, index, "support")
        form = SupportForm(request.POST)
        if form.is_from_robot():
            return SeeOther(request.path + "?sent=1")
        if form.is_valid():
            services.support(proposal, form.cleaned_data["email"], index=index)
            return SeeOther(request.path + "?sent=1")
        status = 400
    else:
        if request.GET.get("sent") == "1":
            return _check_email(request, index, "support", proposal)
        form = SupportForm()
        status = 200
    return render(
        request,
        TEMPLATES + "topic_support.html",
        _context(request, index, form=form, proposal=proposal),
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, index, token: str) -> HttpResponse:
    """GET shows what the link confirms (changing nothing); POST confirms it."""
    link = services.find_link(token)
    if link is None:
        return _private(
            render(
                request,
                TEMPLATES + "topic_link_not_valid.html",
                _context(request, index),
                status=404,
            )
        )
    if request.method == "POST":
        if link.is_open:
            services.confirm(token)
        return _private(SeeOther(request.path))
    if link.confirmed:
        template = "topic_confirmed.html"
    elif link.is_open:
        template = "topic_confirm.html"
    else:
        template = "topic_closed.html"
    return _private(
        render(request, TEMPLATES + template, _context(request, index, link=link))
    )
