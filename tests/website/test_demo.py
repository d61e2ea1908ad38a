"""seed_demo loads realistic content and can run any number of times."""

from http import HTTPStatus

import pytest
from django.core.management import call_command
from wagtail.models import Page, Site

from website.models import (
    Audience,
    FooterLink,
    HeaderLink,
    HomePage,
    Membership,
    Organisation,
    StandardPage,
    Theme,
)

pytestmark = pytest.mark.django_db


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Theme,
            Audience,
            Organisation,
            Membership,
            HomePage,
            StandardPage,
            HeaderLink,
            FooterLink,
            Page,
        )
    }


def test_seed_demo_is_idempotent_and_serves_the_site(client):
    call_command("seed_demo", verbosity=0)
    first = counts()
    call_command("seed_demo", verbosity=0)
    assert counts() == first

    assert first["Theme"] >= 7 and first["Audience"] >= 10
    assert first["Organisation"] >= 10
    assert Theme.objects.filter(slug="safe-sleep").exists()
    assert Audience.objects.filter(slug="health-visitors").exists()
    assert set(Organisation.objects.values_list("type", flat=True)) >= {
        "cdop",
        "icb",
        "nhs_trust",
        "local_authority",
        "police",
        "school",
    }
    home = HomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    for slug in ("about", "accessibility-statement", "privacy"):
        page = StandardPage.objects.get(slug=slug)
        assert page.live
        assert client.get(page.url).status_code == HTTPStatus.OK

    html = client.get("/").content.decode()
    assert home.title in html
    assert 'href="/about/"' in html  # header navigation from the site setting
    assert "Privacy notice" in html  # footer link


def test_ensure_admin_user_creates_once():
    from website.services import ensure_admin_user

    user, password = ensure_admin_user("admin", "admin@localhost")
    assert user.is_superuser and password
    again, second = ensure_admin_user("admin", "admin@localhost")
    assert again.pk == user.pk and second is None
    assert user.check_password(password)
