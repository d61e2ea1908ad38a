"""Moderating topic proposals in the admin ("Webinar topics" in the menu).

The list shows confirmed proposals, most supported first, filterable by status
and audience (proposals whose email is not confirmed yet only under that status
filter). Each opens a moderation page: the proposal, and the actions its status
allows (publish; decline with a reason; merge into a public topic; schedule with
a webinar). Each action is a POST to its own URL and calls
``webinars.proposals``, which checks the move and emails the proposer once.

Only users with "Can change topic proposal" (Settings > Groups) reach any of it;
others get Wagtail's permission denied (a redirect to the dashboard).
"""

from __future__ import annotations

import django_filters
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.views import View
from django.views.decorators.cache import never_cache
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, NumberColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet

from website.models import Audience

from . import proposals as services
from .models import TopicProposal
from .proposal_forms import MAX_ID, DeclineForm, MergeForm, ScheduleForm

Status = TopicProposal.Status
NAME = "webinar_topics"


def when(value) -> str:
    if not value:
        return ""
    return date_format(timezone.localtime(value), "j F Y, H:i")


def moderate_url(proposal) -> str:
    return reverse(f"{NAME}:moderate", args=[quote(proposal.pk)])


class SeeOther(HttpResponseRedirect):
    status_code = 303


# --- The list -----------------------------------------------------------------------


class ProposalFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=Status.choices,
        empty_label="Any (email confirmed)",
    )
    audience = django_filters.ModelChoiceFilter(
        label="Audience", queryset=Audience.objects.all(), empty_label="Any audience"
    )

    class Meta:
        model = TopicProposal
        fields = []


class ProposalIndexView(generic.IndexView):
    """Confirmed proposals, most supported first."""

    any_permission_required = ["change"]
    default_ordering = "-support_count"

    def get_base_queryset(self):
        queryset = TopicProposal.objects.select_related("audience", "merged_into")
        if self.request.GET.get("status") != Status.UNCONFIRMED:
            queryset = queryset.exclude(status=Status.UNCONFIRMED)
        return queryset

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "-created_at", "-pk")


class ModerateURLFinder(ModelAdminURLFinder):
    """Proposals have no edit view: "edit" links lead to the moderation page."""

    edit_url_name = f"{NAME}:moderate"


# --- Moderation ---------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class ModerateView(generic.PermissionCheckedMixin, WagtailAdminTemplateMixin, View):
    """One proposal and the actions its status allows."""

    model = TopicProposal
    permission_required = "change"
    template_name = "webinars/admin/proposal_moderate.html"
    header_icon = "comment"
    page_title = "Moderate a topic"

    @cached_property
    def proposal(self) -> TopicProposal:
        pk = self.kwargs["pk"]
        if not 0 < pk <= MAX_ID:
            raise Http404("No topic proposal has this id.")
        return get_object_or_404(
            TopicProposal.objects.select_related("audience", "merged_into", "webinar"),
            pk=pk,
        )

    def get_page_subtitle(self):
        return self.proposal.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(f"{NAME}:index"), "label": "Webinar topics"},
            {"url": "", "label": "Moderate", "sublabel": self.proposal.title},
        ]

    def get(self, request, pk):
        return self.render_page()

    def render_page(self, status=200, **forms):
        proposal = self.proposal
        status_value = proposal.status
        can = {
            "publish": status_value in (Status.PENDING, Status.DECLINED),
            "decline": status_value in (Status.PENDING, Status.PUBLISHED),
            "merge": status_value in (Status.PENDING, Status.PUBLISHED),
            "schedule": status_value
            in (Status.PENDING, Status.PUBLISHED, Status.SCHEDULED),
        }
        supports = proposal.supports.aggregate(
            confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)),
            waiting=Count("pk", filter=Q(confirmed_at__isnull=True)),
        )
        decline_form = forms.get("decline_form") or DeclineForm(prefix="decline")
        merge_form = forms.get("merge_form") or MergeForm(
            proposal=proposal, prefix="merge"
        )
        schedule_form = forms.get("schedule_form") or ScheduleForm(prefix="schedule")
        context = self.get_context_data(
            proposal=proposal,
            can=can,
            supports=supports,
            created=when(proposal.created_at),
            confirmed=when(proposal.confirmed_at),
            moderated=when(proposal.moderated_at),
            decline_form=decline_form,
            merge_form=merge_form,
            schedule_form=schedule_form,
            bound_forms=list(forms.values()),
        )
        return self.render_to_response(context, status=status)


class ActionView(ModerateView):
    """A moderation step: POST only; back to the moderation page after."""

    http_method_names = ["post"]

    def done(self, message: str):
        messages.success(self.request, message)
        return SeeOther(moderate_url(self.proposal))

    def refused(self, error: services.ModerationError):
        messages.error(self.request, str(error))
        return SeeOther(moderate_url(self.proposal))


class PublishView(ActionView):
    def post(self, request, pk):
        try:
            services.publish(self.proposal)
        except services.ModerationError as error:
            return self.refused(error)
        return self.done(
            "Published: it is on the topics page and the proposer has been told."
        )


class DeclineView(ActionView):
    def post(self, request, pk):
        form = DeclineForm(request.POST, prefix="decline")
        if not form.is_valid():
            return self.render_page(status=400, decline_form=form)
        try:
            services.decline(self.proposal, form.cleaned_data["reason"])
        except services.ModerationError as error:
            return self.refused(error)
        return self.done("Declined. The proposer has been emailed the reason.")


class MergeView(ActionView):
    def post(self, request, pk):
        form = MergeForm(request.POST, proposal=self.proposal, prefix="merge")
        if not form.is_valid():
            return self.render_page(status=400, merge_form=form)
        into = form.cleaned_data["into"]
        try:
            services.merge(self.proposal, into)
        except services.ModerationError as error:
            return self.refused(error)
        return self.done(
            f"Merged into “{into.title}”: its supporters now count there, and the "
            "proposer has been told."
        )


class ScheduleView(ActionView):
    def post(self, request, pk):
        form = ScheduleForm(request.POST, prefix="schedule")
        if not form.is_valid():
            return self.render_page(status=400, schedule_form=form)
        webinar = form.cleaned_data["webinar"]
        try:
            sent = services.schedule(self.proposal, webinar)
        except services.ModerationError as error:
            return self.refused(error)
        people = "1 person" if sent == 1 else f"{sent} people"
        return self.done(
            f"Scheduled for “{webinar.title}”. {people} emailed: the proposer and "
            "its confirmed supporters."
        )


# --- Registration -------------------------------------------------------------------


class TopicProposalViewSet(ModelViewSet):
    model = TopicProposal
    name = NAME
    url_prefix = "webinars/topics"
    icon = "comment"
    menu_label = "Webinar topics"
    menu_order = 240
    add_to_admin_menu = True
    index_view_class = ProposalIndexView
    filterset_class = ProposalFilterSet
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False
    url_finder_class = ModerateURLFinder
    search_fields = ["title", "why"]
    list_per_page = 50
    list_display = [
        TitleColumn("title", label="Topic", get_url=moderate_url, sort_key="title"),
        Column("status", label="Status", accessor="get_status_display"),
        NumberColumn("support_count", label="Supports", sort_key="support_count"),
        Column("audience", label="Audience"),
        Column(
            "created_at",
            label="Suggested",
            accessor=lambda proposal: when(proposal.created_at),
            sort_key="created_at",
        ),
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{
                "add_url_name": None,
                "edit_url_name": None,
                "delete_url_name": None,
                "history_url_name": None,
                "usage_url_name": None,
                **kwargs,
            }
        )

    def get_permissions_to_register(self):
        """Only "can change": it is the permission to moderate."""
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(TopicProposal),
            codename="change_topicproposal",
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/", ModerateView.as_view(), name="moderate"),
            path("<int:pk>/publish/", PublishView.as_view(), name="publish"),
            path("<int:pk>/decline/", DeclineView.as_view(), name="decline"),
            path("<int:pk>/merge/", MergeView.as_view(), name="merge"),
            path("<int:pk>/schedule/", ScheduleView.as_view(), name="schedule"),
        ]


@hooks.register("register_admin_viewset")
def register_topic_proposal_viewset():
    return TopicProposalViewSet()
