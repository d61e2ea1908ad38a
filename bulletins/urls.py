"""Public subscription pages: subscribe, confirm, preferences, unsubscribe, export."""

from django.urls import path

from . import views

app_name = "bulletins"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/check-your-email/", views.check_email, name="check_email"),
    path("subscriptions/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscriptions/manage/<str:token>/", views.preferences, name="preferences"),
    path(
        "subscriptions/manage/<str:token>/export/",
        views.request_export,
        name="request_export",
    ),
    path(
        "subscriptions/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"
    ),
    path("subscriptions/export/<str:token>/", views.export, name="export"),
    path("subscriptions/delete/<str:token>/", views.erase, name="erase"),
    path("subscriptions/deleted/", views.erased, name="erased"),
]
