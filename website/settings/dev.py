"""Local development: debug on, a fixed insecure key, mail written to var/mail/."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.get("DJANGO_DEBUG", "true").lower() == "true"
SECRET_KEY = (
    env.get("DJANGO_SECRET_KEY") or "dev-only-insecure-key-never-use-in-production"
)
ALLOWED_HOSTS = ["*"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
