"""Signing in to the QI lead area: password (limited by django-axes), then a second
factor (an authenticator app or a one-time backup code), set up on first sign-in.

Everything goes through the real views, the real django-otp devices and the real
django-axes backend and middleware.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.qipacks.qi_helpers import (
    PASSWORD,
    add_app,
    code_for,
)

pytestmark = pytest.mark.django_db


LOGIN = "/qi/login/"


def sign_in_with_password(client, username, password=PASSWORD, next_=""):
    data = {"username": username, "password": password}
    if next_:
        data["next"] = next_
    return client.post(LOGIN, data, REMOTE_ADDR="10.0.0.1")


def test_the_login_page_is_plain_english_and_never_cached(client, world):
    response = client.get(LOGIN)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Sign in to the QI lead area" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'autocomplete="current-password"' in html
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_wrong_password_says_so_and_signs_nobody_in(client, world):
    response = sign_in_with_password(client, "lead-a", "wrong-password-1")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "There is a problem" in html
    assert "The username or password is not right" in html
    assert 'href="#field-username"' in html
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="lead-a").failures_since_start == 1


def test_empty_form_asks_for_both_fields(client, world):
    response = client.post(LOGIN, {}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter your username" in response.content.decode()
    assert "Enter your password" in response.content.decode()


def test_first_sign_in_sets_up_the_app_then_shows_backup_codes_once(client, world):
    response = sign_in_with_password(client, "lead-a", next_="/qi/CDOPA/progress/")
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"].startswith(reverse("qi:setup"))

    # Signed in with a password only: every page but set-up sends them back to it.
    for path in ["/qi/", "/qi/CDOPA/", "/qi/CDOPA/progress/", "/qi/backup-codes/"]:
        blocked = client.get(path)
        assert blocked.status_code == HTTPStatus.FOUND, path
        assert blocked["Location"].startswith(reverse("qi:setup")), path

    page = client.get(response["Location"])
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert '<svg role="img" aria-label="QR code' in html
    key = re.search(
        r'<p class="qi-key" id="setup-key">.*?<code>([A-Z2-7 ]+)</code>', html
    )
    assert key and len(key.group(1).replace(" ", "")) == 32
    device = TOTPDevice.objects.get(user=world.lead_a)
    assert not device.confirmed
    # The key shown is the device's (typed by hand, it sets up the same codes).
    import base64

    assert base64.b32decode(key.group(1).replace(" ", "")) == device.bin_key

    wrong = client.post(reverse("qi:setup"), {"code": "000000", "next": "/qi/"})
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0  # the next try would have to wait a second
    device.throttling_failure_timestamp = None
    device.save()

    done = client.post(
        reverse("qi:setup"),
        {"code": code_for(device), "next": "/qi/CDOPA/progress/"},
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    assert done["Location"].startswith(reverse("qi:backup_codes"))
    device.refresh_from_db()
    assert device.confirmed

    codes_page = client.get(done["Location"])
    codes = re.findall(
        r"<li><code>([a-z2-7]{4} [a-z2-7]{4})</code></li>", codes_page.content.decode()
    )
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=world.lead_a).count() == 10
    assert 'href="/qi/CDOPA/progress/"' in codes_page.content.decode()
    # Shown once only.
    again = client.get(reverse("qi:backup_codes"))
    assert "<code>" not in again.content.decode()
    assert "You have 10 backup codes left" in again.content.decode()

    assert client.get("/qi/CDOPA/progress/").status_code == HTTPStatus.OK


def test_someone_with_only_the_password_cannot_add_their_own_app(client, world):
    add_app(world.lead_a)
    sign_in_with_password(client, "lead-a")
    response = client.get(reverse("qi:setup"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("qi:verify"))
    posted = client.post(reverse("qi:setup"), {"code": "123456"})
    assert posted.status_code == HTTPStatus.FOUND
    assert TOTPDevice.objects.filter(user=world.lead_a).count() == 1


def test_password_then_app_code_signs_in_and_follows_next(client, world):
    device = add_app(world.lead_a)
    response = sign_in_with_password(client, "lead-a", next_="/qi/CDOPA/progress/")
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == "/qi/verify/?next=%2Fqi%2FCDOPA%2Fprogress%2F"
    assert client.get("/qi/CDOPA/").status_code == HTTPStatus.FOUND

    verify = client.get(response["Location"])
    assert "Enter your security code" in verify.content.decode()
    assert 'autocomplete="one-time-code"' in verify.content.decode()
    session_before = client.session.session_key
    done = client.post(
        reverse("qi:verify"),
        {"code": code_for(device), "next": "/qi/CDOPA/progress/"},
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    assert done["Location"] == "/qi/CDOPA/progress/"
    assert client.session.session_key != session_before  # a fresh session id
    assert client.get("/qi/CDOPA/progress/").status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "next_",
    [
        "https://evil.example/qi/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_to_another_site_is_ignored(client, world, next_):
    device = add_app(world.lead_a)
    response = sign_in_with_password(client, "lead-a", next_=next_)
    assert "evil" not in response["Location"]
    done = client.post(reverse("qi:verify"), {"code": code_for(device), "next": next_})
    assert done["Location"] == "/qi/"


def test_a_wrong_code_is_refused_and_the_next_try_must_wait(client, world):
    device = add_app(world.lead_a)
    sign_in_with_password(client, "lead-a")
    wrong = client.post(reverse("qi:verify"), {"code": "999999"})
    if code_for(device) == "999999":  # pragma: no cover - one chance in a million
        pytest.skip("the right code happened to be 999999")
    assert wrong.status_code == HTTPStatus.BAD_REQUEST
    assert "That code is not right" in wrong.content.decode()
    # Straight away, even the right code is refused: django-otp's throttle.
    right_too_soon = client.post(reverse("qi:verify"), {"code": code_for(device)})
    assert right_too_soon.status_code == HTTPStatus.BAD_REQUEST
    assert "Too many wrong codes" in right_too_soon.content.decode()
    assert client.get("/qi/CDOPA/").status_code == HTTPStatus.FOUND


@pytest.mark.parametrize(
    "code", ["", "12345", "abc", "1234567", "x" * 30, "12\r\n3456"]
)
def test_malformed_codes_get_a_message(client, world, code):
    add_app(world.lead_a)
    sign_in_with_password(client, "lead-a")
    response = client.post(reverse("qi:verify"), {"code": code})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "nhsuk-error-summary" in response.content.decode()


def test_a_backup_code_works_once(client, world, django_user_model):
    from qipacks import otp

    add_app(world.lead_a)
    codes = otp.make_backup_codes(world.lead_a)
    sign_in_with_password(client, "lead-a")
    used = client.post(
        reverse("qi:verify"), {"code": otp.format_backup_code(codes[0]).upper()}
    )
    assert used.status_code == HTTPStatus.SEE_OTHER
    page = client.get("/qi/CDOPA/")
    assert page.status_code == HTTPStatus.OK
    assert "You used a backup code. You have 9 left" in page.content.decode()

    client.post(reverse("qi:logout"))
    sign_in_with_password(client, "lead-a")
    again = client.post(reverse("qi:verify"), {"code": codes[0]})
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "has been used already" in again.content.decode()


def test_backup_codes_can_be_renewed_and_old_ones_stop_working(client, world):
    from qipacks import otp

    device = add_app(world.lead_a)
    old = otp.make_backup_codes(world.lead_a)
    sign_in_with_password(client, "lead-a")
    client.post(reverse("qi:verify"), {"code": code_for(device)})
    renewed = client.post(reverse("qi:backup_codes"))
    assert renewed.status_code == HTTPStatus.SEE_OTHER
    page = client.get(renewed["Location"]).content.decode()
    new = [c.replace(" ", "") for c in re.findall(r"<code>([a-z2-7 ]{9})</code>", page)]
    assert len(new) == 10
    tokens = set(StaticToken.objects.values_list("token", flat=True))
    assert tokens == set(new)
    assert not tokens & set(old)


def test_anonymous_people_are_sent_to_login_with_next(client, world):
    for path in [
        "/qi/",
        "/qi/CDOPA/",
        "/qi/backup-codes/",
        "/qi/verify/",
        "/qi/setup/",
    ]:
        response = client.get(path)
        assert response.status_code == HTTPStatus.FOUND, path
        assert response["Location"].startswith(f"{LOGIN}?next="), path
        assert "no-store" in response["Cache-Control"]


def test_sign_out_needs_a_post(client, world):
    device = add_app(world.lead_a)
    sign_in_with_password(client, "lead-a")
    client.post(reverse("qi:verify"), {"code": code_for(device)})
    page = client.get(reverse("qi:logout"))
    assert page.status_code == HTTPStatus.OK
    assert client.get("/qi/CDOPA/").status_code == HTTPStatus.OK  # still signed in
    out = client.post(reverse("qi:logout"))
    assert out.status_code == HTTPStatus.SEE_OTHER
    assert out["Location"] == LOGIN
    assert "You have signed out" in client.get(LOGIN).content.decode()
    assert client.get("/qi/CDOPA/").status_code == HTTPStatus.FOUND


def test_too_many_wrong_passwords_lock_the_username_out(client, world, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = sign_in_with_password(client, "lead-a", "wrong-password-1")
        assert response.status_code == HTTPStatus.BAD_REQUEST
    locked = sign_in_with_password(client, "lead-a", "wrong-password-1")
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    html = locked.content.decode()
    assert "Too many attempts to sign in" in html
    assert "paused for an hour" in html
    assert "no-store" in locked["Cache-Control"]

    # Now even the right password is refused, and nobody is signed in.
    right = sign_in_with_password(client, "lead-a")
    assert right.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "_auth_user_id" not in client.session
    # Another person from the same address is not locked out.
    other = sign_in_with_password(client, "lead-b")
    assert other.status_code == HTTPStatus.SEE_OTHER
