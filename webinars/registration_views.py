"""Registering for a webinar (no password) and a registrant's own page.

``register`` is the webinar's ``register/`` route: the form, and after a post the
same "check your email" page whatever the address (``?sent=1``). ``manage`` is
the index's ``registration/<token>/`` route, reached only from the registrant's
emails: the join link (while they have a place), their place on the waiting
list, and cancelling with a confirm step. The token in its address is the only
key, so the page is never cached or indexed and sends no referrer.

The work is done by ``webinars.registration``; these views check input and call it.
"""

from __future__ import annotations

import re

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from website import ratelimit

from . import registration as service
from .models import Registration
from .registration_forms import CancelForm, RegistrationForm

TEMPLATES = "webinars/"
# Tokens are ``secrets.token_urlsafe(32)``: anything else is not looked up.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class SeeOther(HttpResponseRedirect):
    """A 303: after a form post the browser fetches the page again with GET."""

    status_code = 303


def _private(response: HttpResponse, *, posts_a_form: bool = False) -> HttpResponse:
    """Headers for a page whose address is a secret: no referrer leaves it.

    A page with a form is "same-origin" instead: under "no-referrer" browsers
    send ``Origin: null`` with the form's POST, which Django's CSRF check
    refuses. "same-origin" still sends nothing to any other site, and the
    confirm page links nowhere else.
    """
    response["Referrer-Policy"] = "same-origin" if posts_a_form else "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Registering --------------------------------------------------------------------


def _register_page(request, webinar, form, *, status: int = 200) -> HttpResponse:
    context = {
        "page": webinar,
        "self": webinar,
        "form": form,
        "state": webinar.registration_state(),
        "places": webinar.places(),
        "opens_at": service.opens_at(webinar),
    }
    return render(request, TEMPLATES + "register.html", context, status=status)


def _too_many(request, webinar) -> HttpResponse:
    response = render(
        request,
        TEMPLATES + "registration_rate_limited.html",
        {"webinar": webinar, "minutes": service.RATE_WINDOW_SECONDS // 60},
        status=429,
    )
    response["Retry-After"] = str(service.RATE_WINDOW_SECONDS)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def register(request, webinar):
    """The form; a valid post registers (or waitlists) and emails the person."""
    done_url = request.path + "?sent=1"
    if request.method == "GET":
        if "sent" in request.GET:
            return render(
                request,
                TEMPLATES + "registration_done.html",
                {"page": webinar, "self": webinar},
            )
        return _register_page(request, webinar, RegistrationForm())

    if webinar.registration_state() != "open":
        return _register_page(request, webinar, RegistrationForm(), status=409)
    if not service.allow_request(ratelimit.client_address(request)):
        return _too_many(request, webinar)
    form = RegistrationForm(request.POST)
    if form.is_from_robot():
        return SeeOther(done_url)
    if not form.is_valid():
        return _register_page(request, webinar, form, status=400)
    try:
        service.register(webinar, **form.registration_details())
    except service.RegistrationNotOpen:
        return _register_page(request, webinar, RegistrationForm(), status=409)
    return SeeOther(done_url)


# --- A registrant's own page --------------------------------------------------------


def _registration_for(index, token: str) -> Registration | None:
    if not _TOKEN.fullmatch(token):
        return None
    registration = (
        Registration.objects.select_related("webinar").filter(token=token).first()
    )
    if registration is None:
        return None
    webinar = registration.webinar
    if not webinar.live or not webinar.path.startswith(index.path):
        return None
    return registration


BANNERS = {
    "cancelled": "Your place has been cancelled. We've emailed you to confirm it.",
    "left": "You've left the waiting list. We've emailed you to confirm it.",
}


def _manage_page(
    request, registration: Registration, *, template: str, status: int = 200, **extra
) -> HttpResponse:
    webinar = registration.webinar
    context = {
        "registration": registration,
        "webinar": webinar,
        "webinar_url": webinar.get_url(request),
        "position": service.waitlist_position(registration),
        "can_cancel": service.can_cancel(registration),
        "shows_join_link": service.shows_join_link(registration),
        "registration_open": webinar.registration_state() == "open",
        **extra,
    }
    return _private(
        render(request, TEMPLATES + template, context, status=status),
        posts_a_form=template == "registration_cancel.html",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request, index, token: str):
    """See your place (and the join link) or your place on the waiting list;
    cancel, after a confirm step."""
    registration = _registration_for(index, token)
    if registration is None:
        return _private(
            render(request, TEMPLATES + "registration_not_found.html", status=404)
        )

    if request.method == "POST":
        if not service.can_cancel(registration):
            return _manage_page(
                request, registration, template="registration.html", status=409
            )
        if not CancelForm(request.POST).is_valid():
            return _manage_page(
                request,
                registration,
                template="registration_cancel.html",
                status=400,
                error=True,
            )
        had_place = registration.status == Registration.Status.REGISTERED
        service.cancel(registration)
        done = "cancelled" if had_place else "left"
        return SeeOther(f"{request.path}?done={done}")

    if "cancel" in request.GET and service.can_cancel(registration):
        return _manage_page(request, registration, template="registration_cancel.html")
    banner = BANNERS.get(request.GET.get("done", ""))
    if registration.status != Registration.Status.CANCELLED:
        banner = None
    return _manage_page(
        request, registration, template="registration.html", banner=banner
    )
