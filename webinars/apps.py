from django.apps import AppConfig


class WebinarsConfig(AppConfig):
    name = "webinars"
    default_auto_field = "django.db.models.BigAutoField"
