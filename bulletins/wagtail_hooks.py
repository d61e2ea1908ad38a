"""Admin for email, under one "Email" menu: distribution lists, subscribers, sends.

The "Send by email" button on a live bulletin or safety message (page header and
page listing) starts the send flow in ``bulletins/admin_views.py``. Sending needs
the ``bulletins.add_send`` permission ("Can add send"), which administrators grant
to groups in Settings > Groups.
"""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.ui.tables import Column, NumberColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button

from . import admin_views as views
from .models import DistributionList, Send, Subscriber

# Views these viewsets do not offer (subscribers are changed through their own
# preference centre or erased at their request; sends are never edited).
NO_EDITING = {
    "edit_url_name": None,
    "delete_url_name": None,
    "history_url_name": None,
    "usage_url_name": None,
}


class DistributionListViewSet(ModelViewSet):
    model = DistributionList
    name = "bulletins_lists"
    url_prefix = "email/lists"
    icon = "list-ul"
    menu_label = "Distribution lists"
    index_view_class = views.DistributionListIndexView
    copy_view_enabled = False
    search_fields = ["name", "description"]
    ordering = ["sort_order", "name"]
    list_display = [
        "name",
        "visibility",
        Column(
            "active_count",
            label="Active subscribers",
            accessor=views.list_subscribers_link,
            sort_key="active_count",
        ),
        NumberColumn(
            "immediate_count", label="Get each email", sort_key="immediate_count"
        ),
        NumberColumn(
            "subscription_count",
            label="All subscriptions",
            sort_key="subscription_count",
        ),
    ]


class InspectURLFinder(ModelAdminURLFinder):
    """Subscribers have no edit view: "edit" links lead to their details."""

    edit_url_name = "bulletins_subscribers:inspect"


class SubscriberViewSet(ModelViewSet):
    model = Subscriber
    name = "bulletins_subscribers"
    url_prefix = "email/subscribers"
    icon = "user"
    menu_label = "Subscribers"
    index_view_class = views.SubscriberIndexView
    inspect_view_class = views.SubscriberInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    filterset_class = views.SubscriberFilterSet
    search_fields = ["email", "name"]
    ordering = "-created_at"
    list_per_page = 50
    url_finder_class = InspectURLFinder
    list_display = [
        "email",
        "name",
        "status",
        Column("lists", label="Lists", accessor=views.subscriber_lists),
        Column(
            "created_at",
            label="Added",
            accessor=lambda subscriber: views.when(subscriber.created_at),
            sort_key="created_at",
        ),
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(**{**NO_EDITING, **kwargs})

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", views.AddSubscriberView.as_view(), name="add"),
            path("<int:pk>/", self.inspect_view, name="inspect"),
        ]


class ProgressURLFinder(ModelAdminURLFinder):
    edit_url_name = "bulletins_sends:progress"


class SendViewSet(ModelViewSet):
    model = Send
    name = "bulletins_sends"
    url_prefix = "email/sends"
    icon = "mail"
    menu_label = "Sends"
    index_view_class = views.SendIndexView
    copy_view_enabled = False
    add_to_reference_index = False
    url_finder_class = ProgressURLFinder
    list_filter = ["kind", "status"]
    ordering = "-created_at"
    list_display = [
        TitleColumn(
            "subject",
            label="What",
            get_url=lambda send: reverse("bulletins_sends:progress", args=[send.pk]),
        ),
        Column("kind", label="Kind", accessor="get_kind_display"),
        Column("status", label="Status", accessor="get_status_display"),
        Column("lists", label="Lists", accessor=views.send_lists),
        NumberColumn("recipient_count", label="Recipients"),
        Column("sent", label="Sent", accessor=views.send_count("sent")),
        Column("failed", label="Failed", accessor=views.send_count("failed")),
        Column("bounced", label="Bounced", accessor=views.send_count("bounced")),
        Column("when", label="When", accessor=views.send_when),
    ]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{**NO_EDITING, "add_url_name": None, **kwargs}
        )

    def get_permissions_to_register(self):
        """Only "can add send": it is the permission to send email."""
        return Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(Send), codename="add_send"
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("<int:pk>/", views.SendProgressView.as_view(), name="progress"),
            path(
                "<int:pk>/progress.json",
                views.ProgressJsonView.as_view(),
                name="progress_json",
            ),
            path("<int:pk>/cancel/", views.CancelSendView.as_view(), name="cancel"),
            path("page/<int:page_id>/", views.ChooseListsView.as_view(), name="choose"),
            path("page/<int:page_id>/check/", views.CheckView.as_view(), name="check"),
            path(
                "page/<int:page_id>/preview/",
                views.PreviewView.as_view(),
                name="preview",
            ),
            path("page/<int:page_id>/test/", views.TestSendView.as_view(), name="test"),
            path(
                "page/<int:page_id>/confirm/",
                views.ConfirmView.as_view(),
                name="confirm",
            ),
        ]


class EmailGroup(ModelViewSetGroup):
    items = (SendViewSet, DistributionListViewSet, SubscriberViewSet)
    menu_icon = "mail"
    menu_label = "Email"
    menu_name = "email"
    menu_order = 250


@hooks.register("register_admin_viewset")
def register_email_viewsets():
    return EmailGroup()


# --- "Send by email" buttons ------------------------------------------------------


def _send_button(page, user, priority: int):
    if views.can_send(user) and views.is_sendable(page):
        yield Button(
            "Send by email",
            reverse("bulletins_sends:choose", args=[page.pk]),
            icon_name="mail",
            priority=priority,
        )


@hooks.register("register_page_header_buttons")
def page_header_send_button(page, user, view_name, next_url=None):
    yield from _send_button(page, user, priority=62)


@hooks.register("register_page_listing_more_buttons")
def page_listing_send_button(page, user, next_url=None):
    yield from _send_button(page, user, priority=42)
