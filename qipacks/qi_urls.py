"""The QI lead area at /qi/ (see ``qi_views``).

An organisation's pages carry its code (``/qi/<code>/...``), so a person in several
organisations can have each open at once; the code only ever picks one of their
own organisations. Short addresses for emails (``/qi/recommendations/<id>/``,
``/qi/export.csv``) lead to the person's own organisation.
"""

from django.urls import path

from . import qi_views as views

app_name = "qi"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("verify/", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("backup-codes/", views.backup_codes, name="backup_codes"),
    path("logout/", views.logout, name="logout"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path(
        "recommendations/<int:pk>/",
        views.recommendation_redirect,
        name="recommendation_redirect",
    ),
    path("export.csv", views.export_redirect, {"extension": "csv"}),
    path("export.xlsx", views.export_redirect, {"extension": "xlsx"}),
    path("<str:code>/", views.todo, name="todo"),
    path(
        "<str:code>/recommendations/<int:pk>/",
        views.recommendation,
        name="recommendation",
    ),
    path("<str:code>/progress/", views.progress_view, name="progress"),
    path(
        "<str:code>/export.csv", views.export, {"extension": "csv"}, name="export_csv"
    ),
    path(
        "<str:code>/export.xlsx",
        views.export,
        {"extension": "xlsx"},
        name="export_xlsx",
    ),
]
