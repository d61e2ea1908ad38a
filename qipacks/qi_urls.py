"""The QI lead area at /qi/ (helper A fills this in)."""

from django.urls import path  # noqa: F401

app_name = "qi"
urlpatterns: list = []
