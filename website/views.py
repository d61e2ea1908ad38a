"""Site-wide HTTP views: health check, error pages, page feedback, security.txt."""

import sys
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from . import feedback, observability, services


@never_cache
@require_GET
def healthz(request):
    """200 with each dependency's state, or 503 naming the part that is down."""
    healthy, report = services.check_health()
    return JsonResponse(report, status=200 if healthy else 503)


def sandboxed(view):
    """Add ``sandbox`` to the policy a file download sets for itself (Wagtail's
    documents: "default-src 'none'"), so that a browser which did render one would
    run it as an origin of its own, with no access to this site's cookies or pages.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if "Content-Security-Policy" in response:
            response["Content-Security-Policy"] += "; sandbox"
        return response

    return wrapped


@require_safe
def security_txt(request):
    """RFC 9116: whom to tell about a vulnerability. It must say when it goes out
    of date, no more than a year ahead, so the date moves on by itself."""
    expires = timezone.now().date() + timedelta(days=364)
    contact = (
        settings.SECURITY_CONTACT
        or f"mailto:security@{urlsplit(settings.BASE_URL).hostname}"
    )
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires.isoformat()}T00:00:00Z",
        "Preferred-Languages: en",
        f"Canonical: {settings.BASE_URL}/.well-known/security.txt",
    ]
    return _plain("\n".join(lines) + "\n", status=200)


def csrf_failure(request, reason=""):
    """A plain-English 403 when a form's security token is missing or out of date."""
    return render(request, "403_csrf.html", status=403)


DATABASE_RETRY_AFTER_SECONDS = 120


def server_error(request):
    """A 500 page that needs no database (it must render when the database is down).

    When the error was losing the database, a 503 that says to come back shortly
    instead. Django logs the error as it returns the page, with the request id
    the page gives the reader to quote.
    """
    if services.is_database_outage(sys.exc_info()[1]):
        response = render(
            request,
            "503.html",
            {"request_id": observability.current_request_id()},
            status=503,
        )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        add_never_cache_headers(response)  # no cache in front may keep the outage
        return response
    return render(request, "500.html", status=500)


class SeeOther(HttpResponseRedirect):
    """A 303: after a form post the browser fetches the page again with GET."""

    status_code = 303


def _plain(message: str, status: int, **headers) -> HttpResponse:
    return HttpResponse(
        message,
        status=status,
        content_type="text/plain; charset=utf-8",
        headers=headers,
    )


# Not Django's CSRF token: a token in every content page would set a cookie for
# every reader and make pages uncacheable. Cross-site posts are refused below
# from the headers browsers send with every form post (Sec-Fetch-Site, Origin).
@csrf_exempt
@never_cache
@require_POST
def page_feedback(request, page_id: int):
    """Take "was this page useful?" for a live public page; works without JavaScript."""
    if feedback.is_cross_site(request.headers, request.scheme, request.get_host()):
        return _plain(
            "Feedback can only be sent from a page on this website. Go back to the "
            "page and use the form at the bottom of it.",
            status=403,
        )
    if not feedback.allow_submission(request.META.get("REMOTE_ADDR", "")):
        return _plain(
            "You have sent a lot of feedback in the last minute. Wait a minute, "
            "then go back to the page and try again.",
            status=429,
            **{"Retry-After": str(feedback.RATE_WINDOW_SECONDS)},
        )
    page = feedback.feedback_page(page_id)
    page_url = page.get_url(request) if page is not None else None
    if not page_url:
        raise Http404("No published page has this id.")

    form = feedback.FeedbackForm(request.POST)
    thanks_url = f"{page_url}?feedback=thanks#feedback"
    if form.is_from_robot():
        return SeeOther(thanks_url)  # tell a robot nothing; store nothing
    if not form.is_valid():
        return render(
            request,
            "website/feedback_error.html",
            {"page": page, "page_url": page_url, "form": form},
            status=400,
        )
    feedback.record_feedback(
        page.pk, form.cleaned_data["useful"], form.cleaned_data["comment"]
    )
    return SeeOther(thanks_url)
