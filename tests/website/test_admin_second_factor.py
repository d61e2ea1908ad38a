"""The Wagtail admin needs a session past the second factor, like the QI area.

Wagtail's own sign-in at /admin/login/ checks the password only; every admin page
then sends a session that has not passed the second factor to the QI area's step
(``qipacks/otp.py``): the code, or setting the app up the first time. Everything
goes through the real views, django-otp devices and django-axes.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory
from tests.qipacks.qi_helpers import PASSWORD, add_app, code_for, verified_client

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _second_factor_on(settings):
    """As in production (the test settings leave it off for force_login tests)."""
    settings.ADMIN_SECOND_FACTOR_REQUIRED = True


@pytest.fixture
def editor(site):
    return UserFactory(username="editor", is_staff=True, is_superuser=True)


def sign_in_to_admin(client, username="editor", password=PASSWORD):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR="10.0.0.2",
    )


def step_url(name: str, next_: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_})}"


def test_password_only_admin_session_is_sent_to_the_code_step(client, editor):
    add_app(editor)
    signed_in = sign_in_to_admin(client)
    assert signed_in.status_code == HTTPStatus.FOUND, signed_in.content.decode()
    assert "_auth_user_id" in client.session

    for path in ["/admin/", "/admin/pages/", "/admin/documents/"]:
        response = client.get(path)
        assert response.status_code == HTTPStatus.FOUND, path
        assert response["Location"] == step_url("qi:verify", path)


def test_code_step_brings_the_editor_back_to_the_dashboard(client, editor):
    device = add_app(editor)
    sign_in_to_admin(client)
    step = client.get("/admin/pages/")["Location"]

    page = client.get(step)
    assert page.status_code == HTTPStatus.OK
    assert "Enter your security code" in page.content.decode()

    done = client.post(
        reverse("qi:verify"), {"code": code_for(device), "next": "/admin/pages/"}
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    assert done["Location"] == "/admin/pages/"
    dashboard = client.get("/admin/")
    assert dashboard.status_code == HTTPStatus.OK
    assert "Dashboard" in dashboard.content.decode()


def test_editor_without_an_app_sets_one_up_first(client, editor):
    sign_in_to_admin(client)
    response = client.get("/admin/")
    assert response["Location"] == step_url("qi:setup", "/admin/")

    client.get(response["Location"])  # makes the device the QR code shows
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    done = client.post(
        reverse("qi:setup"), {"code": code_for(device), "next": "/admin/"}
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    codes_page = client.get(done["Location"])
    html = codes_page.content.decode()
    assert len(re.findall(r"<li><code>[a-z2-7]{4} [a-z2-7]{4}</code></li>", html))
    assert 'href="/admin/"' in html
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_verified_session_reaches_the_dashboard(client, editor):
    verified_client(client, editor)
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.OK
    assert "Dashboard" in response.content.decode()


def test_half_finished_qi_sign_in_does_not_open_the_admin(client, editor):
    add_app(editor)
    response = client.post(
        "/qi/login/",
        {"username": "editor", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
    )
    assert response["Location"].startswith(reverse("qi:verify"))
    blocked = client.get("/admin/")
    assert blocked.status_code == HTTPStatus.FOUND
    assert blocked["Location"] == step_url("qi:verify", "/admin/")


def test_signing_in_and_out_stay_open_without_the_second_factor(client, editor):
    add_app(editor)
    assert client.get(ADMIN_LOGIN).status_code == HTTPStatus.OK
    sign_in_to_admin(client)
    signed_out = client.post("/admin/logout/")
    assert signed_out.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" not in client.session
    # Signed out, the admin asks for the password again (Wagtail's own login).
    response = client.get("/admin/")
    assert response["Location"].startswith(ADMIN_LOGIN)


def test_too_many_wrong_admin_passwords_lock_the_username_out(client, editor, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        failed = sign_in_to_admin(client, password="wrong-password-1")
        assert failed.status_code == HTTPStatus.OK  # Wagtail's form, with its error
    last = sign_in_to_admin(client, password="wrong-password-1")
    assert last.status_code == HTTPStatus.TOO_MANY_REQUESTS

    locked = sign_in_to_admin(client)  # even the right password, now
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    html = locked.content.decode()
    assert "Too many attempts to sign in" in html
    assert "signing in is paused for an hour" in html
    assert "no-store" in locked["Cache-Control"]
    assert "_auth_user_id" not in client.session
