"""The test suite: real PostgreSQL and Redis, fast hashing, plain static files."""

from pathlib import Path

import dj_database_url
import dj_email_url

from website import embedded

from .base import *  # noqa: F403
from .base import BASE_DIR, env

# The suite runs its own embedded services under var/test/, apart from make run's.
VAR_DIR = Path(env.get("CDR_TEST_VAR_DIR", BASE_DIR / "var" / "test")).resolve()

SECRET_KEY = "test-only-insecure-key"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
BASE_URL = "http://testserver"
WAGTAILADMIN_BASE_URL = BASE_URL

if env.get("TEST_DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(env["TEST_DATABASE_URL"])}
elif not env.get("DATABASE_URL"):
    DATABASES = {"default": embedded.postgres_database_settings(VAR_DIR)}

CELERY_BROKER_URL = (
    env.get("TEST_CELERY_BROKER_URL")
    or env.get("CELERY_BROKER_URL")
    or embedded.celery_broker_url(0, VAR_DIR)
)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests change pages and read them back as anonymous readers; the page-cache tests
# (tests/website/test_page_cache.py) turn it on.
PAGE_CACHE_ENABLED = False
# Likewise the header and footer; tests/website/test_navigation_cache.py turns it on.
NAVIGATION_CACHE_SECONDS = 0
# And search results (tests/search/test_results_cache.py turns it on).
SEARCH_RESULTS_CACHE_SECONDS = 0
# And page routes (tests/website/test_routing.py turns them on).
ROUTE_CACHE_SECONDS = 0
# And listing counts (tests/website/test_listing_counts_cache.py turns them on).
LISTING_COUNTS_CACHE_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# In-process tests read django.core.mail.outbox; a Celery worker process started by
# the suite is given TEST_EMAIL_URL, a real SMTP sink (aiosmtpd) it delivers to.
if env.get("TEST_EMAIL_URL"):
    _email = dj_email_url.parse(env["TEST_EMAIL_URL"])
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_USE_TLS = EMAIL_USE_SSL = False
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Most admin tests sign in with force_login (a password-only session); the admin's
# second factor is tested with it on (tests/website/test_admin_second_factor.py).
ADMIN_SECOND_FACTOR_REQUIRED = False

# A test-only app with real page models that exercise the shared listing helper.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405

# Publishing a page queues a search-index task; the suite publishes thousands of
# pages, and tests that share the session's Celery worker would wait behind
# them. Search tests turn it on (tests/search).
SEARCH_INDEX_ON_CHANGE = False
