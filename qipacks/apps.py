from django.apps import AppConfig


class QIPacksConfig(AppConfig):
    name = "qipacks"
    default_auto_field = "django.db.models.BigAutoField"
