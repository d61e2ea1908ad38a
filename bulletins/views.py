"""Public subscription pages: subscribe, confirm, manage, unsubscribe, export, erase.

No passwords: every page after the subscribe form is reached by a signed link from
an email (``bulletins/tokens.py``); a forged, altered or expired link gets a
friendly "link not valid" page and changes nothing. The work is done by
``bulletins/subscriptions.py``; these views only check input and call it.

CSRF protects every form except the one-click unsubscribe POST (RFC 8058), which
mail programs send with no cookies: its signed token is its authentication.
"""

from __future__ import annotations

import json
from collections import Counter

from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from website import ratelimit
from website.models import Audience, Organisation, Theme

from . import subscriptions, tokens
from .forms import PreferencesForm, SubscribeForm, UnsubscribeListForm
from .models import ConsentRecord, DistributionList, Subscriber, Subscription
from .tasks import handle_subscription_request_task

TEMPLATES = "bulletins/subscriptions/"
EXPORT_FILENAME = "my-email-updates-data.json"


class SeeOther(HttpResponseRedirect):
    """A 303: after a form post the browser fetches the page again with GET."""

    status_code = 303


def _too_many(request, what: str) -> HttpResponse:
    response = render(
        request,
        TEMPLATES + "rate_limited.html",
        {"what": what, "minutes": subscriptions.RATE_WINDOW_SECONDS // 60},
        status=429,
    )
    response["Retry-After"] = str(subscriptions.RATE_WINDOW_SECONDS)
    return response


def _link_not_valid(request, purpose: str) -> HttpResponse:
    return render(
        request, TEMPLATES + "link_not_valid.html", {"purpose": purpose}, status=404
    )


def _subscriber_or_none(token: str, purpose: str) -> Subscriber | None:
    return tokens.subscriber_for(token, purpose)


def _url(name: str, subscriber: Subscriber, purpose: str, query: str = "") -> str:
    path = reverse(
        f"bulletins:{name}",
        kwargs={"token": tokens.make_token(subscriber, purpose)},
    )
    return f"{path}?{query}" if query else path


def _selected(form, name: str) -> set[str]:
    """The values ticked for ``name``, as strings, to tick them again after errors."""
    if not form.is_bound:
        value = form.initial.get(name, form.fields[name].initial)
    else:
        value = form.data.getlist(name) if hasattr(form.data, "getlist") else []
    if value is None:
        return set()
    if isinstance(value, str | int):
        value = [value]
    return {str(getattr(item, "pk", item)) for item in value}


def _value(form, name: str) -> str:
    value = form[name].value()
    return "" if value is None else str(value)


# --- Subscribing ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request):
    """The subscribe form; a valid post only queues the request (double opt-in)."""
    if request.method == "POST":
        if not subscriptions.allow_request(
            "subscribe", ratelimit.client_address(request)
        ):
            return _too_many(request, "subscribe")
        form = SubscribeForm(request.POST)
        if form.is_from_robot():
            return SeeOther(reverse("bulletins:check_email"))
        if form.is_valid():
            email = form.cleaned_data["email"]
            choices = form.choices()
            wording = form.cleaned_data["wording"]
            # The same for any address: no lookup here, so neither the response nor
            # its timing says whether we know it.
            transaction.on_commit(
                lambda: handle_subscription_request_task.delay(email, choices, wording)
            )
            return SeeOther(reverse("bulletins:check_email"))
        status = 400
    else:
        form = SubscribeForm()
        status = 200
    context = {
        "form": form,
        "lists": list(subscriptions.public_lists()),
        "themes": list(Theme.objects.all()),
        "audiences": list(Audience.objects.all()),
        "organisations": list(Organisation.objects.only("pk", "name")),
        "frequencies": Subscription.Frequency.choices,
        "selected_lists": _selected(form, "lists"),
        "selected_themes": _selected(form, "themes"),
        "audience": _value(form, "audience"),
        "organisation": _value(form, "organisation"),
        "frequency": _value(form, "frequency"),
        "wording_version": subscriptions.CURRENT_WORDING,
        "wording": subscriptions.CONSENT_WORDING[subscriptions.CURRENT_WORDING],
    }
    return render(request, TEMPLATES + "subscribe.html", context, status=status)


@require_GET
def check_email(request):
    """Where every subscribe post ends, whatever the address: "check your email"."""
    return render(request, TEMPLATES + "check_email.html")


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows what confirming applies (and changes nothing); POST confirms."""
    subscriber = _subscriber_or_none(token, tokens.CONFIRM)
    if subscriber is None:
        return _link_not_valid(request, tokens.CONFIRM)
    if request.method == "POST":
        applied = subscriptions.confirm(subscriber)
        subscriber.refresh_from_db(fields=["status"])
        query = "done=confirmed" if applied or subscriber.is_active else ""
        return SeeOther(_url("preferences", subscriber, tokens.PREFERENCES, query))
    return render(
        request,
        TEMPLATES + "confirm.html",
        {
            "subscriber": subscriber,
            "pending": subscriptions.pending_summary(subscriber),
            "preferences_url": _url("preferences", subscriber, tokens.PREFERENCES),
        },
    )


# --- The preference centre ------------------------------------------------------------


BANNERS = {
    "confirmed": "You're subscribed. You can change what you get here at any time.",
    "saved": "Your choices have been saved.",
    "export": "We've emailed you a link to download your data. "
    "The link works for 24 hours.",
}


def _subscriptions_of(subscriber: Subscriber) -> list[Subscription]:
    return list(
        Subscription.objects.filter(subscriber=subscriber)
        .select_related("distribution_list")
        .order_by("distribution_list__sort_order", "distribution_list__name")
    )


def _preferences_page(
    request, subscriber, form, subscribed, *, status=200, list_error=""
):
    banner = BANNERS.get(request.GET.get("done", ""))
    left = request.GET.get("left", "")
    if left.isascii() and left.isdigit() and 0 < int(left) < 2**31:
        left_list = DistributionList.objects.filter(pk=int(left)).first()
        if left_list is not None:
            banner = f"You've unsubscribed from {left_list.name}."
    context = {
        "subscriber": subscriber,
        "form": form,
        "subscribed": subscribed,
        "lists": list(form.fields["lists"].queryset),
        "audiences": list(Audience.objects.all()),
        "organisations": list(Organisation.objects.only("pk", "name")),
        "frequencies": Subscription.Frequency.choices,
        "selected_lists": _selected(form, "lists"),
        "audience": _value(form, "audience"),
        "organisation": _value(form, "organisation"),
        "frequency": _value(form, "frequency"),
        "banner": banner if status == 200 else "",
        "list_error": list_error,
        "token": request.resolver_match.kwargs["token"],
        "unsubscribe_url": _url("unsubscribe", subscriber, tokens.UNSUBSCRIBE),
        "erase_url": _url("erase", subscriber, tokens.PREFERENCES),
        "export_url": _url("request_export", subscriber, tokens.PREFERENCES),
    }
    return render(request, TEMPLATES + "preferences.html", context, status=status)


def _preferences_form(subscriber, subscribed, data=None):
    lists = subscriptions.lists_for_preferences(subscriber).order_by(
        "sort_order", "name"
    )
    if data is not None:
        return PreferencesForm(data, lists=lists)
    frequencies = Counter(item.frequency for item in subscribed)
    return PreferencesForm(
        lists=lists,
        initial={
            "lists": [item.distribution_list_id for item in subscribed],
            "frequency": frequencies.most_common(1)[0][0]
            if frequencies
            else Subscription.Frequency.IMMEDIATE,
            "name": subscriber.name,
            "audience": subscriber.audience_id,
            "organisation": subscriber.organisation_id,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    """Change lists, frequency and details; leave one list or all of them."""
    subscriber = _subscriber_or_none(token, tokens.PREFERENCES)
    if subscriber is None:
        return _link_not_valid(request, tokens.PREFERENCES)
    subscribed = _subscriptions_of(subscriber)
    if request.method == "GET":
        form = _preferences_form(subscriber, subscribed)
        return _preferences_page(request, subscriber, form, subscribed)

    if "unsubscribe_all" in request.POST:
        subscriptions.unsubscribe(
            subscriber, None, method=ConsentRecord.Method.PREFERENCE_CENTRE
        )
        return SeeOther(_url("unsubscribe", subscriber, tokens.UNSUBSCRIBE))

    if "unsubscribe_list" in request.POST:
        one = UnsubscribeListForm(request.POST)
        mine = None
        if one.is_valid():
            wanted = one.cleaned_data["unsubscribe_list"]
            mine = next(
                (
                    item.distribution_list
                    for item in subscribed
                    if item.distribution_list_id == wanted
                ),
                None,
            )
        if mine is None:
            return _preferences_page(
                request,
                subscriber,
                _preferences_form(subscriber, subscribed),
                subscribed,
                status=400,
                list_error="Choose a list you are subscribed to",
            )
        subscriptions.unsubscribe(
            subscriber, [mine], method=ConsentRecord.Method.PREFERENCE_CENTRE
        )
        subscriber.refresh_from_db(fields=["status"])
        if not subscriber.is_active:
            return SeeOther(_url("unsubscribe", subscriber, tokens.UNSUBSCRIBE))
        return SeeOther(
            _url("preferences", subscriber, tokens.PREFERENCES, f"left={mine.pk}")
        )

    form = _preferences_form(subscriber, subscribed, request.POST)
    if not form.is_valid():
        return _preferences_page(request, subscriber, form, subscribed, status=400)
    data = form.cleaned_data
    subscriptions.update_preferences(
        subscriber,
        lists=data["lists"],
        frequency=data["frequency"],
        name=data["name"],
        audience=data["audience"],
        organisation=data["organisation"],
    )
    return SeeOther(_url("preferences", subscriber, tokens.PREFERENCES, "done=saved"))


# --- Unsubscribing (and RFC 8058 one-click) -------------------------------------------


ONE_CLICK = ("List-Unsubscribe", "One-Click")


@csrf_exempt  # mail programs post with no cookies; the signed token authenticates
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks (and changes nothing); POST unsubscribes from everything.

    The POST comes from a mail program's one-click button (body
    ``List-Unsubscribe=One-Click``, RFC 8058) or from this page's own button.
    """
    subscriber = _subscriber_or_none(token, tokens.UNSUBSCRIBE)
    if subscriber is None:
        return _link_not_valid(request, tokens.UNSUBSCRIBE)
    if request.method == "POST":
        one_click = request.POST.get(ONE_CLICK[0]) == ONE_CLICK[1]
        if not one_click and request.POST.get("confirm") != "yes":
            return render(
                request,
                TEMPLATES + "unsubscribe.html",
                _unsubscribe_context(subscriber, error=True),
                status=400,
            )
        subscriptions.unsubscribe(
            subscriber,
            None,
            method=ConsentRecord.Method.ONE_CLICK
            if one_click
            else ConsentRecord.Method.EMAIL_LINK,
            reason=request.POST.get("reason", ""),
        )
        if one_click:
            subscriber.refresh_from_db()
            return render(
                request,
                TEMPLATES + "unsubscribe.html",
                _unsubscribe_context(subscriber),
            )
        return SeeOther(request.path)
    return render(
        request, TEMPLATES + "unsubscribe.html", _unsubscribe_context(subscriber)
    )


def _unsubscribe_context(subscriber: Subscriber, *, error: bool = False) -> dict:
    subscribed = list(
        DistributionList.objects.filter(subscriptions__subscriber=subscriber)
    )
    return {
        "subscriber": subscriber,
        "subscribed": subscribed,
        "done": not subscribed and not subscriber.pending_choices,
        "error": error,
        "preferences_url": _url("preferences", subscriber, tokens.PREFERENCES),
        "reasons": subscriptions.UNSUBSCRIBE_REASONS,
    }


# --- Data export and erasure ----------------------------------------------------------


@never_cache
@require_POST
def request_export(request, token: str):
    """Email a link to download the subscriber's data (rate-limited per address)."""
    subscriber = _subscriber_or_none(token, tokens.PREFERENCES)
    if subscriber is None:
        return _link_not_valid(request, tokens.PREFERENCES)
    if not subscriptions.allow_request("export", ratelimit.client_address(request)):
        return _too_many(request, "export")
    subscriptions.email_data_export(subscriber)
    return SeeOther(_url("preferences", subscriber, tokens.PREFERENCES, "done=export"))


@never_cache
@require_GET
def export(request, token: str):
    """The subscriber's data as a JSON download (the link expires after a day)."""
    subscriber = _subscriber_or_none(token, tokens.EXPORT)
    if subscriber is None:
        return _link_not_valid(request, tokens.EXPORT)
    body = json.dumps(subscriptions.export_data(subscriber), indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def erase(request, token: str):
    """Delete everything about a subscriber: GET asks, POST deletes, then done."""
    subscriber = _subscriber_or_none(token, tokens.PREFERENCES)
    if subscriber is None:
        return _link_not_valid(request, tokens.PREFERENCES)
    if request.method == "POST":
        subscriptions.erase(subscriber)
        return SeeOther(reverse("bulletins:erased"))
    return render(
        request,
        TEMPLATES + "erase.html",
        {
            "subscriber": subscriber,
            "preferences_url": _url("preferences", subscriber, tokens.PREFERENCES),
        },
    )


@require_GET
def erased(request):
    """After erasure: nothing is left, so this page takes no link."""
    return render(request, TEMPLATES + "erased.html")
