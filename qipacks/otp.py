"""The QI lead area's second factor (an authenticator app, or one-time backup codes)
and the page a person sees when too many sign-in attempts have failed.

Plain functions over django-otp's own devices: ``TOTPDevice`` for the app and
``StaticDevice`` (with ``StaticToken`` rows) for the backup codes, so the Wagtail
admin or any other django-otp aware view recognises the same devices.
"""

from __future__ import annotations

import re
from base64 import b32encode
from datetime import timedelta

import segno
from django.db import transaction
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import add_never_cache_headers
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

_TOTP_CODE = re.compile(r"^\d{6}$")
_BACKUP_CODE = re.compile(r"^[a-z2-7]{8}$")


def has_second_factor(user) -> bool:
    """Whether a person has finished setting up a second factor."""
    return user.is_authenticated and user_has_device(user, confirmed=True)


def is_verified(user) -> bool:
    """Whether this session has passed the second factor (set by OTPMiddleware)."""
    return bool(user.is_authenticated and getattr(user, "is_verified", bool)())


def second_factor_step(user) -> str:
    """The URL name of the step a signed-in person still needs: a code, or set-up
    (the first time). The admin sends unverified sessions here too."""
    return "qi:verify" if has_second_factor(user) else "qi:setup"


def normalise_code(code: str) -> str:
    """What people type, as the devices store it: no spaces or dashes, lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


# --- Setting up an authenticator app -----------------------------------------------


def pending_app_device(user) -> TOTPDevice:
    """The unconfirmed app device a person is setting up (made on first call)."""
    device = (
        TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    )
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=APP_DEVICE_NAME, confirmed=False
        )
    return device


def key_for_typing(device: TOTPDevice) -> str:
    """The secret in base32 (what apps ask for), in groups of four to copy by hand."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The app's set-up address as an inline SVG QR code (no script, no style)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4,
        border=4,
        dark="#212b32",
        light="#ffffff",
        title="QR code to scan with your authenticator app",
        svgclass="qi-qr-code",
        lineclass=None,
        omitsize=False,
    )
    svg = svg.replace(
        "<svg ",
        '<svg role="img" aria-label="QR code to scan with your authenticator app" ',
        1,
    )
    # segno writes only elements and numbers it makes itself, and the title above.
    return mark_safe(svg)  # noqa: S308


@transaction.atomic
def confirm_app_device(user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with a code it shows; return fresh backup codes, or None.

    Refuses if the person already has a confirmed second factor: setting one up
    is for the first sign-in only, so someone who has only the password cannot
    add their own device to another person's account.
    """
    if has_second_factor(user):
        return None
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    code = normalise_code(code)
    if not _TOTP_CODE.match(code) or not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return make_backup_codes(user)


def make_backup_codes(user) -> list[str]:
    """Ten new one-time backup codes; any earlier ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def format_backup_code(code: str) -> str:
    return f"{code[:4]} {code[4:]}"


# --- Checking a code at sign-in -----------------------------------------------------


class CodeRefused(Exception):
    """A code was not accepted; ``str(error)`` says why in plain English."""


def verify_code(user, code: str):
    """The device that accepts ``code`` (app code or backup code), or CodeRefused.

    Each kind of code is checked only against its own kind of device, so a backup
    code never counts as a wrong app code (which would slow the next try down).
    django-otp's throttling applies: after each wrong code the next try must wait
    a little longer (1, 2, 4, 8... seconds).
    """
    code = normalise_code(code)
    if _TOTP_CODE.match(code):
        model, what = TOTPDevice, "app"
    elif _BACKUP_CODE.match(code):
        model, what = StaticDevice, "backup"
    else:
        raise CodeRefused(
            "Enter the 6-digit code from your authenticator app, or one of your "
            "8-character backup codes"
        )
    with transaction.atomic():
        devices = list(
            model.objects.devices_for_user(user, confirmed=True).select_for_update()
        )
        if not devices:
            raise CodeRefused(
                "You have no backup codes left. Use the code from your app"
                if what == "backup"
                else "Enter one of your backup codes"
            )
        for device in devices:
            allowed, data = device.verify_is_allowed()
            if not allowed:
                wait = _seconds_to_wait(data)
                raise CodeRefused(
                    "Too many wrong codes. Wait "
                    + (f"{wait} seconds" if wait > 1 else "a moment")
                    + " and try again"
                )
            if device.verify_token(code):
                return device
    if what == "backup":
        raise CodeRefused(
            "That backup code is not right, or has been used already. Each code "
            "works once"
        )
    raise CodeRefused(
        "That code is not right. Check the time on your phone is correct and enter "
        "the code your app shows now"
    )


def _seconds_to_wait(data) -> int:
    from django.utils import timezone

    until = (data or {}).get("locked_until")
    if until is None:
        return 0
    return max(1, int((until - timezone.now()).total_seconds()) + 1)


def confirmed_devices(user) -> list:
    return list(devices_for_user(user, confirmed=True))


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Too many failed sign-ins (django-axes) ----------------------------------------


def _duration(delta: timedelta | None) -> str:
    if not delta:
        return "a while"
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return "an hour" if hours == 1 else f"{hours} hours"
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' lock-out, as a plain-English page that is never cached."""
    from axes.helpers import get_cool_off, get_failure_limit
    from django.conf import settings

    response = render(
        request,
        "axes/lockout.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff": _duration(get_cool_off(request)),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    add_never_cache_headers(response)
    return response
