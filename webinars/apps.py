from django.apps import AppConfig


class WebinarsConfig(AppConfig):
    name = "webinars"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
