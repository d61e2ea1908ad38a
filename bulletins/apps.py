from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "bulletins"
    verbose_name = "Bulletins"
    default_auto_field = "django.db.models.BigAutoField"
