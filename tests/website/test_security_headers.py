"""Security headers on each kind of response: a public page, a private QI page, the
admin, documents and file downloads; HTTPS-only behaviour with production's values;
/.well-known/security.txt.

Public and QI pages carry the strict Content-Security-Policy (no inline script or
style); the admin its own, looser one; documents their own sandboxed one. Every
response carries the Referrer-Policy, Permissions-Policy, nosniff and framing rules.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction

from tests.factories import UserFactory
from tests.qipacks.qi_helpers import PASSWORD, make_world, verified_client
from tests.website.test_settings import PRODUCTION_ENV, run_python

pytestmark = pytest.mark.django_db

Document = get_document_model()

PUBLIC_POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
PERMISSIONS = {"camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"}


def policy(response) -> dict[str, set[str]]:
    """The Content-Security-Policy header as {directive: {sources}}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def assert_common_headers(response, frame_options: str = "DENY") -> None:
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert set(response["Permissions-Policy"].split(", ")) == PERMISSIONS
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == frame_options
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def assert_public_policy(response) -> None:
    assert policy(response) == PUBLIC_POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


# --- Pages -------------------------------------------------------------------------


def test_public_page_has_the_strict_policy(client, site):
    response = client.get("/")
    assert response.status_code == HTTPStatus.OK
    assert_public_policy(response)
    assert_common_headers(response)


def test_not_found_page_has_the_strict_policy_too(client, site):
    response = client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert_public_policy(response)
    assert_common_headers(response)


def test_private_qi_pages_have_the_strict_policy_and_are_never_stored(client):
    world = make_world()
    login = client.get("/qi/login/")
    assert_public_policy(login)
    assert_common_headers(login)

    verified_client(client, world.lead_a)
    response = client.get("/qi/CDOPA/")
    assert response.status_code == HTTPStatus.OK
    assert_public_policy(response)
    assert_common_headers(response)
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_admin_has_its_own_policy(client, site, settings):
    settings.ADMIN_SECOND_FACTOR_REQUIRED = True
    verified_client(client, UserFactory(username="headers-admin", is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.OK
    admin = policy(response)
    # Wagtail's widgets need inline script and style (see settings); nothing else
    # is loaded from anywhere but this site.
    assert admin["default-src"] == {"'self'"}
    assert admin["script-src"] == {"'self'", "'unsafe-inline'"}
    assert admin["style-src"] == {"'self'", "'unsafe-inline'"}
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert admin["object-src"] == {"'none'"}
    assert admin["frame-ancestors"] == {"'self'"}
    assert admin["base-uri"] == {"'self'"}
    assert admin["form-action"] == {"'self'"}
    assert_common_headers(response)

    # The admin's sign-in page is the admin's too.
    client.logout()
    login = client.get("/admin/login/")
    assert policy(login) == admin
    assert_common_headers(login)


# --- Documents ---------------------------------------------------------------------


@pytest.fixture
def documents(site):
    root = Collection.get_first_root_node()
    panel_papers = root.add_child(name="Panel papers")
    restriction = CollectionViewRestriction.objects.create(
        collection=panel_papers,
        restriction_type=CollectionViewRestriction.GROUPS,
    )
    panel = Group.objects.create(name="Panel members")
    restriction.groups.add(panel)
    public = Document.objects.create(
        title="Safer sleep leaflet",
        file=SimpleUploadedFile("safer-sleep.txt", b"Back to sleep.\n"),
        collection=root,
    )
    restricted = Document.objects.create(
        title="Panel minutes",
        file=SimpleUploadedFile("minutes.txt", b"Minutes of the panel.\n"),
        collection=panel_papers,
    )
    return public, restricted, panel


def assert_document_headers(response, document) -> None:
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith("attachment")
    assert document.filename in response["Content-Disposition"]
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert set(response["Permissions-Policy"].split(", ")) == PERMISSIONS
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_public_document_is_a_sandboxed_download(client, documents):
    public, _, _ = documents
    response = client.get(public.url)
    assert_document_headers(response, public)
    assert b"".join(response.streaming_content) == b"Back to sleep.\n"


def test_restricted_document_only_for_its_group(client, documents):
    _, restricted, panel = documents

    anonymous = client.get(restricted.url)
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith("/_util/login/?next=")
    assert_public_policy(anonymous)

    outsider = UserFactory(username="not-on-the-panel")
    client.force_login(outsider)
    refused = client.get(restricted.url)
    assert refused.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    assert not hasattr(refused, "streaming_content")

    member = UserFactory(username="panel-member")
    member.groups.add(panel)
    client.force_login(member)
    response = client.get(restricted.url)
    assert_document_headers(response, restricted)
    assert b"".join(response.streaming_content) == b"Minutes of the panel.\n"


def test_evidence_files_keep_their_own_sandbox_policy(client):
    world = make_world()
    verified_client(client, world.lead_b)
    response = client.get(f"/qi/evidence/{world.document_b.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- HTTPS only, with production's values --------------------------------------------

PRODUCTION_SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
]


@pytest.fixture(scope="module")
def production_values():
    """The security settings as website.settings.production sets them."""
    names = PRODUCTION_SECURITY_SETTINGS
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names}}}))"
    )
    result = run_python(code, "website.settings.production", PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


@pytest.fixture
def production_security(settings, production_values):
    for name, value in production_values.items():
        setattr(settings, name, value)
    return production_values


def test_production_sends_plain_http_to_https(client, site, production_security):
    response = client.get("/about/?x=1")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == "https://testserver/about/?x=1"


def test_production_sets_hsts_and_secure_cookies(client, production_security):
    assert production_security["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    make_world()
    # Behind the load balancer, which says the visitor came over HTTPS.
    https = {"HTTP_X_FORWARDED_PROTO": "https"}

    login = client.get("/qi/login/", **https)
    assert login.status_code == HTTPStatus.OK
    assert login["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert_public_policy(login)
    assert_common_headers(login)
    csrf = login.cookies["csrftoken"]
    assert csrf["secure"] is True

    signed_in = client.post(
        "/qi/login/",
        {"username": "lead-a", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.3",
        **https,
    )
    assert signed_in.status_code == HTTPStatus.SEE_OTHER
    session = signed_in.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


# --- security.txt --------------------------------------------------------------------


def test_security_txt_says_whom_to_tell(client):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(
        line.split(": ", 1) for line in response.content.decode().splitlines()
    )
    # SECURITY_CONTACT unset: security@ the domain of BASE_URL.
    assert fields["Contact"] == "mailto:security@testserver"
    assert fields["Preferred-Languages"] == "en"
    assert fields["Canonical"] == "http://testserver/.well-known/security.txt"
    expires = datetime.fromisoformat(fields["Expires"])
    assert timezone.now() + timedelta(days=300) < expires
    assert expires <= timezone.now() + timedelta(days=365)
    assert_public_policy(response)


def test_security_txt_answers_head_but_not_post(client):
    assert client.head("/.well-known/security.txt").status_code == HTTPStatus.OK
    refused = client.post("/.well-known/security.txt")
    assert refused.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_security_contact_comes_from_the_environment():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURITY_CONTACT)"
    )
    chosen = {**PRODUCTION_ENV, "SECURITY_CONTACT": "https://example.org/report"}
    result = run_python(code, "website.settings.production", chosen)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://example.org/report"

    bare = {**PRODUCTION_ENV, "SECURITY_CONTACT": "security@example.org"}
    result = run_python(code, "website.settings.production", bare)
    assert result.returncode != 0
    assert "SECURITY_CONTACT must be a mailto:, https:// or tel: address" in (
        result.stderr
    )
