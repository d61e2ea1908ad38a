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
    home = HomePage.objects.get(locale__language_code="en-gb")
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


def test_seed_demo_includes_learning_and_translations(client):
    from learning.models import LearningResourcePage, SafetyMessagePage

    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert SafetyMessagePage.objects.filter(locale__language_code="en-gb").count() >= 6
    assert LearningResourcePage.objects.count() >= 5
    polish = SafetyMessagePage.objects.get(locale__language_code="pl")
    urdu = SafetyMessagePage.objects.get(locale__language_code="ur")
    for page in (polish, urdu):
        assert page.live and page.translation_note
        assert page.translation_checked_on is None  # awaiting a qualified check
    html = client.get(polish.url).content.decode()
    assert '<html lang="pl" dir="ltr">' in html
    assert "Tłumaczenie demonstracyjne" in html
    assert '<html lang="ur" dir="rtl">' in client.get(urdu.url).content.decode()
    home = client.get("/").content.decode()
    assert "Latest safety messages" in home
    assert 'href="/safety-messages/"' in home and 'href="/learning/"' in home
