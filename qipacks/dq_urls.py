"""The data-quality area at /data-quality/: members of an organisation only."""

from django.urls import path

from . import dq_views

app_name = "data_quality"
urlpatterns = [
    path("", dq_views.report_list, name="list"),
    path("<int:pk>/", dq_views.report_detail, name="report"),
    path("<int:pk>/download/", dq_views.report_download, name="download"),
]
