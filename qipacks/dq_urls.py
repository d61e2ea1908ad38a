"""The data-quality area at /data-quality/ (helper C fills this in)."""

from django.urls import path  # noqa: F401

app_name = "data_quality"
urlpatterns: list = []
