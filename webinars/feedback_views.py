"""A registrant's feedback on a webinar they had a place at.

Reached from the link in the "recording available" email
(``registration/<token>/feedback/`` under the webinars index): the secret token
is the only key, so there is no honeypot, and the page is ``no-store``,
``noindex`` and sends no referrer to other sites. The form opens when the
webinar starts.

One response per registration: sending the form again replaces the earlier
answers (the form shows them), so someone can correct what they wrote without a
second response being counted.

A token that matches nothing, a registration elsewhere, one without a place
(waiting list, cancelled) or an unpublished webinar all get the same "this link
does not work" page (404), and nothing is written.
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .feedback_forms import RATINGS, FeedbackForm
from .models import Feedback, Registration

TEMPLATE = "webinars/feedback.html"
THANKS_TEMPLATE = "webinars/feedback_thanks.html"
TOKEN_MAX_LENGTH = 64


class SeeOther(HttpResponseRedirect):
    """A 303: after the form is sent the browser fetches the page with GET."""

    status_code = 303


def _private(response: HttpResponse, *, posts_a_form: bool = False) -> HttpResponse:
    """No referrer leaves a page whose address is a secret. The form page is
    "same-origin" instead: under "no-referrer" browsers send ``Origin: null``
    with the form, and Django's CSRF check rightly refuses it. Other sites still
    get nothing."""
    response["Referrer-Policy"] = "same-origin" if posts_a_form else "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _registration(index, token: str) -> Registration | None:
    if not token or len(token) > TOKEN_MAX_LENGTH or not token.isascii():
        return None
    registration = (
        Registration.objects.select_related("webinar")
        .filter(token=token, status=Registration.Status.REGISTERED)
        .first()
    )
    if registration is None:
        return None
    webinar = registration.webinar
    if not webinar.live or not webinar.path.startswith(index.path):
        return None
    return registration


@never_cache
@require_http_methods(["GET", "POST"])
def feedback(request, index, token: str) -> HttpResponse:
    """The form (GET), saving it (POST), and the thanks page after (GET ?sent=1)."""
    registration = _registration(index, token)
    if registration is None:
        return _private(
            render(
                request, TEMPLATE, {"state": "not_valid", "index": index}, status=404
            )
        )
    webinar = registration.webinar
    context = {
        "index": index,
        "webinar": webinar,
        "when": webinar.when_label,
        "page_url": webinar.url,
    }
    if webinar.is_cancelled:
        return _private(render(request, TEMPLATE, {**context, "state": "cancelled"}))
    if timezone.now() < webinar.starts_at:
        return _private(render(request, TEMPLATE, {**context, "state": "not_started"}))

    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            _save(registration, form.cleaned_data)
            return _private(SeeOther(f"{request.path}?sent=1"))
        existing = Feedback.objects.filter(registration=registration).first()
        return _private(
            _form_page(request, context, form, existing, status=400),
            posts_a_form=True,
        )

    existing = Feedback.objects.filter(registration=registration).first()
    if request.GET.get("sent") == "1" and existing is not None:
        topics_url = index.url + index.reverse_subpage("topics")
        return _private(
            render(
                request,
                THANKS_TEMPLATE,
                {**context, "feedback": existing, "topics_url": topics_url},
            )
        )
    initial = (
        {
            "rating": existing.rating,
            "useful": existing.useful,
            "next_topics": existing.next_topics,
        }
        if existing
        else {}
    )
    return _private(
        _form_page(request, context, FeedbackForm(initial=initial), existing),
        posts_a_form=True,
    )


def _form_page(request, context, form, existing, status=200) -> HttpResponse:
    rating = form["rating"].value()
    return render(
        request,
        TEMPLATE,
        {
            **context,
            "state": "form",
            "form": form,
            "ratings": RATINGS,
            "rating": str(rating) if rating not in (None, "") else "",
            "existing": existing,
        },
        status=status,
    )


def _save(registration: Registration, data: dict) -> Feedback:
    """One response per registration: a second one replaces the first."""
    # update_or_create locks the row it finds, and if two first responses race,
    # the loser of the unique registration fetches the winner's row and updates it.
    feedback, _created = Feedback.objects.update_or_create(
        registration=registration,
        defaults={
            "webinar_id": registration.webinar_id,
            "rating": data["rating"],
            "useful": data["useful"],
            "next_topics": data["next_topics"],
        },
    )
    return feedback
