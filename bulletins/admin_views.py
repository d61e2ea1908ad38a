"""Admin views for email: lists, subscribers, and sending a page (issue 4, item 5).

Sending a live, public bulletin or safety message:

1. choose lists, and a future time if it should wait (``choose``);
2. check: the email as it will look, its plain-text part, how many people get it,
   a test to yourself, and the confirm button (``check``);
3. confirm: a POST carrying a one-time key, so a double click or a resubmitted
   form makes one send (``confirm`` -> ``sending.send_page``);
4. the progress view: live counts (``progress_json``, polled by
   ``bulletins/send-progress.js``; without JavaScript a refresh link) and the
   report after: totals, failures with reasons, bounces and complaints.

Only users with ``bulletins.add_send`` reach any of it (others get a 403); a page
that is not live, not public or not a type that has an email is a 404.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import django_filters
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from . import sending
from .admin_forms import (
    AddSubscriberForm,
    ChooseListsForm,
    ConfirmSendForm,
    lists_with_counts,
)
from .bounces import bounce_counts
from .email import personalise
from .models import (
    BulletinPage,
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    Subscriber,
    Subscription,
)

SEND_PERMISSION = "bulletins.add_send"
# Ids in URLs beyond what the columns hold are simply not found (never a 500).
MAX_PAGE_ID = 2**31 - 1
MAX_BIG_ID = 2**63 - 1
FAILURES_PER_PAGE = 50
RECENT_DELIVERIES = 20

# The email preview runs nothing and loads only images: it is shown in a sandboxed
# frame, and this policy holds even if it is opened on its own.
PREVIEW_CSP = (
    "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)


def can_send(user) -> bool:
    """Admin access and permission to send email (superusers have both)."""
    return bool(
        user.is_active
        and user.has_perms(["wagtailadmin.access_admin", SEND_PERMISSION])
    )


def sendable_types() -> tuple[type, ...]:
    """Page types that are an email (``compile_email``) and may be sent."""
    from learning.models import SafetyMessagePage

    return (BulletinPage, SafetyMessagePage)


def is_sendable(page) -> bool:
    """Live and of a type with an email (cheap: no query beyond the page itself)."""
    model = page.specific_class
    return bool(page.live and model is not None and issubclass(model, sendable_types()))


def sendable_page(page_id: int):
    """The live, public page to send, or a 404."""
    if not 0 < page_id <= MAX_PAGE_ID:
        raise Http404("No page has this id.")
    page = Page.objects.live().public().filter(pk=page_id).first()
    if page is None or not is_sendable(page):
        raise Http404("Only a live, public bulletin or safety message can be sent.")
    return page.specific


def get_send(pk: int) -> Send:
    if not 0 < pk <= MAX_BIG_ID:
        raise Http404("No send has this id.")
    return get_object_or_404(
        Send.objects.select_related("created_by", "page", "summary"), pk=pk
    )


def when(value) -> str:
    if not value:
        return ""
    return date_format(timezone.localtime(value), "j F Y, H:i")


class SeeOther(HttpResponseRedirect):
    """After a form post the browser fetches the next page with GET."""

    status_code = 303


# --- The send flow --------------------------------------------------------------------


class SendPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_send(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SendPageMixin(SendPermissionMixin, WagtailAdminTemplateMixin):
    """A step of sending one page."""

    header_icon = "mail"
    page_title = "Send by email"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.page_id = kwargs["page_id"]

    @cached_property
    def page(self):
        return sendable_page(self.page_id)

    def get_page_subtitle(self):
        return self.page.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("bulletins_sends:index"), "label": "Sends"},
            {"url": "", "label": "Send by email", "sublabel": self.page.title},
        ]

    def url(self, name: str, query: dict | None = None) -> str:
        url = reverse(f"bulletins_sends:{name}", args=[self.page.pk])
        return f"{url}?{urlencode(query, doseq=True)}" if query else url

    def earlier_sends(self):
        return list(
            Send.objects.filter(
                page=self.page,
                kind__in=[Send.Kind.BULLETIN, Send.Kind.SAFETY_MESSAGE],
            )
            .exclude(status=Send.Status.CANCELLED)
            .order_by("-created_at")[:3]
        )

    def render_choose(self, form, status=200):
        self.template_name = "bulletins/admin/send_choose.html"
        context = self.get_context_data(
            page=self.page,
            form=form,
            action_url=self.url("check"),
            earlier_sends=self.earlier_sends(),
        )
        return self.render_to_response(context, status=status)


@method_decorator(never_cache, name="dispatch")
class ChooseListsView(SendPageMixin, View):
    """Step 1: which lists, and when."""

    def get(self, request, page_id):
        form = ChooseListsForm(request.GET if "lists" in request.GET else None)
        return self.render_choose(form)


@method_decorator(never_cache, name="dispatch")
class CheckView(SendPageMixin, View):
    """Step 2: the email as it will look, who gets it, a test, and confirm."""

    template_name = "bulletins/admin/send_check.html"

    def get(self, request, page_id):
        form = ChooseListsForm(request.GET)
        if not form.is_valid():
            return self.render_choose(form)
        lists = form.cleaned_data["lists"]
        compiled = self.page.compile_email()
        _, text = personalise(
            compiled,
            name=request.user.get_full_name(),
            unsubscribe_url="(each person's own unsubscribe link)",
            preferences_url="(each person's own link to their preferences)",
        )
        query = form.query()
        context = self.get_context_data(
            page=self.page,
            form=form,
            lists=lists,
            compiled=compiled,
            text=text,
            recipients=sending.count_recipients(lists),
            digest_only=sending.count_digest_only(lists),
            schedule=form.describe_schedule(),
            scheduled=bool(form.scheduled_for),
            query=query,
            key=uuid.uuid4(),
            preview_url=self.url("preview"),
            test_url=self.url("test"),
            confirm_url=self.url("confirm"),
            change_url=self.url("choose", query),
            earlier_sends=self.earlier_sends(),
        )
        return self.render_to_response(context)


@method_decorator(never_cache, name="dispatch")
@method_decorator(xframe_options_sameorigin, name="dispatch")
class PreviewView(SendPageMixin, View):
    """The email's HTML part on its own, for the sandboxed preview frame."""

    def get(self, request, page_id):
        html, _ = personalise(
            self.page.compile_email(),
            name=request.user.get_full_name(),
            unsubscribe_url="#unsubscribe-link",
            preferences_url="#preferences-link",
        )
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = PREVIEW_CSP
        response["Referrer-Policy"] = "no-referrer"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class TestSendView(SendPageMixin, View):
    """Send the email to the signed-in user only, then back to the check page."""

    http_method_names = ["post"]

    def post(self, request, page_id):
        form = ChooseListsForm(request.POST)
        back = (
            self.url("check", form.query()) if form.is_valid() else self.url("choose")
        )
        address = request.user.email
        if not address:
            messages.error(
                request,
                "Your account has no email address. Add one in your account "
                "settings, then send the test again.",
            )
            return SeeOther(back)
        sending.send_test(self.page, address, user=request.user)
        messages.success(
            request,
            f"A test has been sent to {address}. It can take a minute to arrive.",
        )
        return SeeOther(back)


class ConfirmView(SendPageMixin, View):
    """Step 3: send (or schedule) once per key, then show its progress."""

    http_method_names = ["post"]

    def post(self, request, page_id):
        form = ConfirmSendForm(request.POST)
        if not form.is_valid():
            return self.render_choose(form)
        send = sending.send_page(
            self.page,
            list(form.cleaned_data["lists"]),
            user=request.user,
            scheduled_for=form.scheduled_for,
            key=f"admin:{form.cleaned_data['key']}",
        )
        if send.status == Send.Status.SCHEDULED:
            messages.success(
                request,
                f"'{send.subject}' is scheduled for {form.describe_schedule()}.",
            )
        return SeeOther(reverse("bulletins_sends:progress", args=[send.pk]))


# --- Progress and the report ----------------------------------------------------------


def progress_for(send: Send) -> dict:
    """``sending.progress`` plus what the page shows in words."""
    counts = sending.progress(send)
    counts["status_label"] = Send.Status(counts["status"]).label
    counts["live"] = counts["status"] in (Send.Status.QUEUED, Send.Status.SENDING)
    return counts


@method_decorator(never_cache, name="dispatch")
class SendProgressView(SendPermissionMixin, WagtailAdminTemplateMixin, View):
    """A send's live counts while it runs, and its report afterwards."""

    template_name = "bulletins/admin/send_progress.html"
    header_icon = "mail"
    page_title = "Send"

    def get(self, request, pk):
        self.send = send = get_send(pk)
        progress = progress_for(send)
        paginator = Paginator(sending.delivery_report(send), FAILURES_PER_PAGE)
        failures = paginator.get_page(request.GET.get("p"))
        context = self.get_context_data(
            send=send,
            progress=progress,
            bounces=bounce_counts(send),
            lists=list(send.lists.order_by("sort_order", "name")),
            failures=failures,
            elided_page_range=paginator.get_elided_page_range(failures.number),
            started=when(send.started_at),
            finished=when(send.finished_at),
            scheduled_for=when(send.scheduled_for),
            created=when(send.created_at),
            sender=_user_name(send.created_by),
            json_url=reverse("bulletins_sends:progress_json", args=[send.pk]),
            cancel_url=reverse("bulletins_sends:cancel", args=[send.pk]),
            refresh_url=reverse("bulletins_sends:progress", args=[send.pk]),
        )
        return self.render_to_response(context)

    def get_page_subtitle(self):
        return self.send.subject

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("bulletins_sends:index"), "label": "Sends"},
            {"url": "", "label": self.send.subject},
        ]


def _user_name(user) -> str:
    if user is None:
        return "The system (automatic)"
    return user.get_full_name() or user.get_username()


class ProgressJsonView(View):
    """The counts as JSON, for the progress view's poller."""

    http_method_names = ["get"]

    def get(self, request, pk):
        if not can_send(request.user):
            # A plain 403 for a script (the admin turns PermissionDenied into a
            # redirect to its dashboard, which a poller cannot read).
            return JsonResponse({"error": "You cannot see this send."}, status=403)
        response = JsonResponse(progress_for(get_send(pk)))
        response["Cache-Control"] = "no-store"
        return response


class CancelSendView(SendPermissionMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        send = get_send(pk)
        if sending.cancel(send):
            messages.success(request, "The send was cancelled. Nobody will get it.")
        else:
            messages.error(
                request,
                "This send could not be cancelled: only a scheduled send that has "
                "not started can be.",
            )
        return SeeOther(reverse("bulletins_sends:progress", args=[send.pk]))


# --- Listings -------------------------------------------------------------------------


def _count(queryset) -> Subquery:
    """A correlated COUNT(*) for one send, for a listing annotation."""
    return Subquery(
        queryset.order_by().values("send_id").annotate(n=Count("pk")).values("n")[:1],
        output_field=IntegerField(),
    )


class SendIndexView(generic.IndexView):
    """Every send but one-off transactional mail, newest first, with its counts."""

    any_permission_required = ["add"]
    default_ordering = "-created_at"

    def get_base_queryset(self):
        deliveries = Delivery.objects.filter(send=OuterRef("pk"))
        events = DeliveryEvent.objects.filter(send=OuterRef("pk"))
        return (
            Send.objects.exclude(kind=Send.Kind.TRANSACTIONAL)
            .select_related("summary", "created_by")
            .prefetch_related(
                Prefetch("lists", DistributionList.objects.order_by("sort_order"))
            )
            .annotate(
                sent_count=_count(deliveries.filter(status=Delivery.Status.SENT)),
                failed_count=_count(deliveries.filter(status=Delivery.Status.FAILED)),
                # Addresses, as in the report (``bounces.bounce_counts``).
                bounced_count=Subquery(
                    events.filter(
                        kind__in=[
                            DeliveryEvent.Kind.HARD_BOUNCE,
                            DeliveryEvent.Kind.SOFT_BOUNCE,
                        ]
                    )
                    .order_by()
                    .values("send_id")
                    .annotate(n=Count("email", distinct=True))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
            )
        )

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "-pk")


def send_count(name: str):
    """A count for the sends listing; a pruned send's come from its summary."""

    def accessor(send):
        value = getattr(send, f"{name}_count")
        summary = getattr(send, "summary", None)
        if value is None and summary is not None and name != "bounced":
            value = summary.counts.get(name)
        return f"{value or 0:,}"

    return accessor


def send_lists(send) -> str:
    names = [item.name for item in send.lists.all()]
    if send.kind == Send.Kind.TEST:
        return "Test to one address"
    return ", ".join(names) or "-"


def send_when(send) -> str:
    if send.status == Send.Status.SCHEDULED and send.scheduled_for:
        return f"Scheduled for {when(send.scheduled_for)}"
    return when(send.started_at or send.created_at)


class DistributionListIndexView(generic.IndexView):
    """The lists with their subscriber counts, counted in the same query."""

    def get_base_queryset(self):
        return lists_with_counts().annotate(subscription_count=Count("subscriptions"))


def list_subscribers_link(distribution_list):
    url = (
        reverse("bulletins_subscribers:index")
        + "?"
        + urlencode({"distribution_list": distribution_list.pk})
    )
    return format_html(
        '<a href="{}">{}<span class="w-sr-only"> active subscribers on {}</span></a>',
        url,
        f"{distribution_list.active_count:,}",
        distribution_list.name,
    )


class SubscriberFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="Status", choices=Subscriber.Status.choices, empty_label="Any status"
    )
    distribution_list = django_filters.ModelChoiceFilter(
        label="List",
        field_name="subscriptions__distribution_list",
        queryset=DistributionList.objects.order_by("sort_order", "name"),
        empty_label="Any list",
        distinct=True,
    )

    class Meta:
        model = Subscriber
        fields = []


class SubscriberIndexView(generic.IndexView):
    """Subscribers, newest first; search by address or name, filter by status, list."""

    def get_base_queryset(self):
        return Subscriber.objects.prefetch_related(
            Prefetch(
                "subscriptions",
                Subscription.objects.select_related("distribution_list").order_by(
                    "distribution_list__sort_order", "distribution_list__name"
                ),
            )
        )

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "-pk")


def subscriber_lists(subscriber) -> str:
    return ", ".join(s.distribution_list.name for s in subscriber.subscriptions.all())


class SubscriberInspectView(generic.InspectView):
    """One subscriber: details, lists, consent records and their recent email."""

    template_name = "bulletins/admin/subscriber_inspect.html"
    fields = [
        "email",
        "name",
        "status",
        "audience",
        "organisation",
        "created_at",
        "confirmed_at",
        "status_changed_at",
        "soft_bounce_count",
    ]

    def get_object(self, queryset=None):
        pk = str(self.pk)
        if not pk.isdigit() or not 0 < int(pk) <= MAX_BIG_ID:
            raise Http404("No subscriber has this id.")
        return get_object_or_404(
            Subscriber.objects.select_related("audience", "organisation"), pk=int(pk)
        )

    def get_page_title(self):
        return "Subscriber"

    def get_created_at_display_value(self):
        return when(self.object.created_at)

    def get_confirmed_at_display_value(self):
        return when(self.object.confirmed_at) or "Not confirmed"

    def get_status_changed_at_display_value(self):
        return when(self.object.status_changed_at)

    def get_audience_display_value(self):
        return self.object.audience or "Not given"

    def get_organisation_display_value(self):
        return self.object.organisation or "Not given"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscriber = self.object
        context["subscriptions"] = subscriber.subscriptions.select_related(
            "distribution_list"
        ).order_by("distribution_list__sort_order", "distribution_list__name")
        context["consent_records"] = ConsentRecord.objects.filter(
            subscriber=subscriber
        ).order_by("-created_at", "-pk")
        context["deliveries"] = (
            Delivery.objects.filter(subscriber=subscriber)
            .select_related("send")
            .order_by("-pk")[:RECENT_DELIVERIES]
        )
        context["events"] = DeliveryEvent.objects.filter(
            Q(subscriber=subscriber) | Q(email=subscriber.email)
        ).order_by("-received_at")[:RECENT_DELIVERIES]
        context["pending_lists"] = list(
            DistributionList.objects.filter(
                pk__in=_int_list((subscriber.pending_choices or {}).get("lists"))
            )
        )
        context["when"] = when
        return context


def _int_list(values) -> list[int]:
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, int) and 0 < v <= MAX_BIG_ID]


@method_decorator(never_cache, name="dispatch")
class AddSubscriberView(
    generic.PermissionCheckedMixin, WagtailAdminTemplateMixin, View
):
    """Add a person by hand (see ``AddSubscriberForm`` for what that means)."""

    model = Subscriber
    permission_required = "add"
    template_name = "bulletins/admin/subscriber_add.html"
    header_icon = "user"
    page_title = "Add a subscriber"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("bulletins_subscribers:index"), "label": "Subscribers"},
            {"url": "", "label": "Add a subscriber"},
        ]

    def get(self, request):
        return self.render(AddSubscriberForm())

    def post(self, request):
        form = AddSubscriberForm(request.POST)
        if form.is_valid():
            try:
                result = form.save(user=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _added_message(result))
                return SeeOther(
                    reverse(
                        "bulletins_subscribers:inspect",
                        args=[quote(result.subscriber.pk)],
                    )
                )
        return self.render(form)

    def render(self, form):
        return self.render_to_response(
            self.get_context_data(
                form=form, action_url=reverse("bulletins_subscribers:add")
            )
        )


def _names(lists) -> str:
    return ", ".join(item.name for item in lists)


def _added_message(result) -> str:
    email = result.subscriber.email
    parts = []
    if result.added:
        parts.append(f"{email} was added to {_names(result.added)}.")
    if result.already_on:
        parts.append(f"They were already on {_names(result.already_on)}.")
    if result.awaiting_confirmation:
        parts.append(
            f"They have been sent an email to confirm they want "
            f"{_names(result.awaiting_confirmation)}; they join when they confirm."
        )
    return " ".join(parts)
