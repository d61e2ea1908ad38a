from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from website.home import register_home_section

        from .home import latest_safety_messages

        register_home_section(latest_safety_messages)
