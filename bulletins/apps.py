from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "bulletins"
    verbose_name = "Bulletins"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import notify
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
        notify.connect()
