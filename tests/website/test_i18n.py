"""English lives at the root; further content languages get a prefix, no URL moves."""

from http import HTTPStatus

import pytest
from django.test import override_settings
from django.urls import clear_url_caches
from wagtail.models import Locale

from tests.factories import StandardPageFactory

pytestmark = pytest.mark.django_db

LANGS = [("en-gb", "English"), ("cy", "Cymraeg")]


@pytest.fixture
def welsh(settings):
    settings.LANGUAGES = LANGS
    settings.WAGTAIL_CONTENT_LANGUAGES = LANGS
    clear_url_caches()
    yield Locale.objects.create(language_code="cy")
    clear_url_caches()


def test_english_pages_have_no_prefix(client, site):
    page = StandardPageFactory(parent=site, title="About", slug="about")
    assert page.url == "/about/"
    assert client.get("/about/").status_code == HTTPStatus.OK


def test_a_translation_is_served_under_its_language_prefix(client, site, welsh):
    page = StandardPageFactory(parent=site, title="About", slug="about")
    with override_settings(LANGUAGES=LANGS, WAGTAIL_CONTENT_LANGUAGES=LANGS):
        welsh_home = site.copy_for_translation(welsh)
        welsh_home.save_revision().publish()
        welsh_page = page.copy_for_translation(welsh)
        welsh_page.title = "Amdanom ni"
        welsh_page.save_revision().publish()

        assert welsh_page.url == "/cy/about/"
        response = client.get("/cy/about/")
        assert response.status_code == HTTPStatus.OK
        assert "Amdanom ni" in response.content.decode()
        assert '<html lang="cy"' in response.content.decode()
        # The English page has not moved.
        assert client.get("/about/").status_code == HTTPStatus.OK
