"""Site-wide HTTP views: health check, error pages and page feedback."""

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import feedback, services


@never_cache
@require_GET
def healthz(request):
    """200 with each dependency's state, or 503 naming the part that is down."""
    healthy, report = services.check_health()
    return JsonResponse(report, status=200 if healthy else 503)


def csrf_failure(request, reason=""):
    """A plain-English 403 when a form's security token is missing or out of date."""
    return render(request, "403_csrf.html", status=403)


def server_error(request):
    """A 500 page that needs no database (it must render when the database is down)."""
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
