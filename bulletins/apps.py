from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "bulletins"
    default_auto_field = "django.db.models.BigAutoField"
