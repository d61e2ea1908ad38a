from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "impact"
    verbose_name = "Impact report"
    default_auto_field = "django.db.models.BigAutoField"
