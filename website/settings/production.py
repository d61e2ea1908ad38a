"""Production: HTTPS only, secrets and hosts required from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_bool

# Production never falls back to the embedded services or to mail written to disk.
for _name in (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "BASE_URL",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
):
    if not env.get(_name):
        raise ImproperlyConfigured(
            f"{_name} must be set in the environment for production settings; "
            "see docs/env-vars.md."
        )
if not env.get("EMAIL_URL") and not env.get("EMAIL_BACKEND"):
    raise ImproperlyConfigured(
        "EMAIL_URL (or EMAIL_BACKEND) must be set in the environment for production "
        "settings, or no email would leave the machine; see docs/env-vars.md."
    )

# Provider webhooks (/anymail/<esp>/tracking/) end subscriptions on a bounce or a
# complaint: without a secret anyone could post a fake bounce and unsubscribe a reader.
_webhook_secret = env.get("ANYMAIL_WEBHOOK_SECRET", "")
if ":" not in _webhook_secret or len(_webhook_secret.split(":", 1)[1]) < 16:
    raise ImproperlyConfigured(
        "ANYMAIL_WEBHOOK_SECRET must be set to 'user:password' with a password of at "
        "least 16 characters for production settings (your email provider's webhook "
        "sends it as HTTP basic auth); see docs/env-vars.md."
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(env.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive only allows submission to browsers' lists; it submits nothing.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Logs are always one JSON object per line here, whatever LOG_FORMAT says.
LOG_FORMAT = "json"
LOGGING["handlers"]["console"]["formatter"] = "json"  # noqa: F405
