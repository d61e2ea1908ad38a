"""Each settings module loads in a fresh interpreter; production is deploy-clean."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 60 + "-a-long-random-production-secret",
    "DJANGO_ALLOWED_HOSTS": "learning.example.org",
    "BASE_URL": "https://learning.example.org",
    "DATABASE_URL": "postgres://cdr:secret@db.internal:5432/cdr",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "REDIS_URL": "redis://redis.internal:6379/1",
    "EMAIL_URL": "smtp://mailer:secret@smtp.internal:587/?tls=True",
    "ANYMAIL_WEBHOOK_SECRET": "provider:a-long-random-webhook-password",
}


def run_python(code: str, settings: str, extra_env=None) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and not k.startswith("DJANGO_")
    }
    env.update({"DJANGO_SETTINGS_MODULE": settings, **(extra_env or {})})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], "
    "s.CELERY_BROKER_URL.split(':')[0], s.EMAIL_BACKEND)"
)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (
            "website.settings.dev",
            "True django.db.backends.postgresql redis+socket "
            "website.mail.EmlFileBackend",
        ),
        (
            "website.settings.test",
            "False django.db.backends.postgresql redis+socket "
            "django.core.mail.backends.locmem.EmailBackend",
        ),
    ],
)
def test_settings_modules_load(module, expected):
    result = run_python(SHOW, module)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_production_settings_use_the_environment():
    result = run_python(SHOW, "website.settings.production", PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False django.db.backends.postgresql redis "
        "django.core.mail.backends.smtp.EmailBackend"
    )


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "BASE_URL",
    ],
)
def test_production_refuses_to_start_without_required_variables(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python(SHOW, "website.settings.production", env)
    assert result.returncode != 0
    assert f"{missing} must be set in the environment" in result.stderr


def test_base_settings_are_safe_for_production():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.X_FRAME_OPTIONS, "
        "s.WAGTAIL_PRIVATE_PAGE_OPTIONS['SHARED_PASSWORD'], "
        "s.WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS['SHARED_PASSWORD'])"
    )
    # No default secret key: without one Django refuses to use it...
    result = run_python(code + "; s.SECRET_KEY", "website.settings.base")
    assert "The SECRET_KEY setting must not be empty" in result.stderr
    # ...and with one, debug is off and pages are never framed or password-shared.
    result = run_python(code, "website.settings.base", {"DJANGO_SECRET_KEY": "k" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False DENY False False"


def test_check_deploy_is_clean_with_production_variables():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV)
    env["DJANGO_SETTINGS_MODULE"] = "website.settings.production"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_production_refuses_to_start_without_a_way_to_send_email():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    result = run_python(SHOW, "website.settings.production", env)
    assert result.returncode != 0
    assert "EMAIL_URL (or EMAIL_BACKEND) must be set" in result.stderr


@pytest.mark.parametrize("secret", [None, "", "no-colon-here", "user:short"])
def test_production_refuses_to_start_without_a_strong_webhook_secret(secret):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "ANYMAIL_WEBHOOK_SECRET"}
    if secret is not None:
        env["ANYMAIL_WEBHOOK_SECRET"] = secret
    result = run_python(SHOW, "website.settings.production", env)
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET must be set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("EMAIL_URL", "carrier-pigeon://loft", "EMAIL_URL has a scheme we cannot use"),
        ("CONTENT_LANGUAGES", "cy", "CONTENT_LANGUAGES entry 'cy' must look like"),
    ],
)
def test_bad_configuration_gets_a_plain_message(variable, value, message):
    result = run_python(SHOW, "website.settings.dev", {variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_content_languages_come_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.WAGTAIL_CONTENT_LANGUAGES)"
    )
    result = run_python(
        code, "website.settings.dev", {"CONTENT_LANGUAGES": "cy:Cymraeg, ur:Urdu"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "[('en-gb', 'English'), ('cy', 'Cymraeg'), ('ur', 'Urdu')]"
    )
