"""Safety messages in community languages: switcher, lang/dir, status, report."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.test import override_settings
from django.urls import clear_url_caches
from wagtail.models import Locale

from tests.factories import UserFactory
from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)

pytestmark = pytest.mark.django_db

LANGS = [("en-gb", "English"), ("pl", "Polski"), ("ur", "اردو")]


@pytest.fixture
def languages(settings):
    settings.LANGUAGES = LANGS
    settings.WAGTAIL_CONTENT_LANGUAGES = LANGS
    clear_url_caches()
    yield {
        code: Locale.objects.get_or_create(language_code=code)[0]
        for code in ("pl", "ur")
    }
    clear_url_caches()


@pytest.fixture
def message(site, languages):
    index = SafetyMessageIndexPageFactory(parent=site)
    page = SafetyMessagePageFactory(parent=index, title="Safe sleep", slug="safe-sleep")
    with override_settings(LANGUAGES=LANGS, WAGTAIL_CONTENT_LANGUAGES=LANGS):
        for code in ("pl", "ur"):
            site.copy_for_translation(languages[code]).save_revision().publish()
            index.copy_for_translation(languages[code]).save_revision().publish()
        polish = page.copy_for_translation(languages["pl"])
        polish.title = "Bezpieczny sen"
        polish.key_message = "Kładź niemowlę do snu na plecach."
        polish.translation_note = "Tłumaczenie demonstracyjne."
        polish.translation_checked_on = dt.date(2026, 11, 1)
        polish.save_revision().publish()
    return page


def test_reader_sees_and_switches_languages(client, message):
    html = client.get(message.url).content.decode()
    assert '<a href="/pl/safety-messages/safe-sleep/" lang="pl" hreflang="pl"' in html
    assert ">polski</a>" in html.lower()
    assert '<link rel="alternate" hreflang="pl"' in html
    assert "site-translation-status" not in html  # the English is the original

    response = client.get("/pl/safety-messages/safe-sleep/")
    assert response.status_code == HTTPStatus.OK
    polish = response.content.decode()
    assert '<html lang="pl" dir="ltr">' in polish
    assert "Kładź niemowlę do snu na plecach." in polish
    assert "Checked against the English on" in polish and "2026-11-01" in polish
    assert "Tłumaczenie demonstracyjne." in polish
    # The site's own English words are marked as English on a translated page.
    assert '<h2 lang="en-GB" dir="ltr">What to do</h2>' in polish
    assert 'data-module="nhsuk-header" lang="en-GB" dir="ltr"' in polish
    assert 'lang="en-gb" hreflang="en-gb"' in polish  # back to English


def test_right_to_left_languages_set_dir(client, message, languages):
    with override_settings(LANGUAGES=LANGS, WAGTAIL_CONTENT_LANGUAGES=LANGS):
        urdu = message.copy_for_translation(languages["ur"])
        urdu.title = "محفوظ نیند"
        urdu.save_revision().publish()
    html = client.get("/ur/safety-messages/safe-sleep/").content.decode()
    assert '<html lang="ur" dir="rtl">' in html
    assert "Not yet checked against the English." in html
    english = client.get(message.url).content.decode()
    assert 'lang="ur" hreflang="ur" dir="rtl">اردو</a>' in english


def test_missing_translations_report(client, message, site):
    SafetyMessagePageFactory(parent=message.get_parent(), title="Button batteries")
    admin = UserFactory(username="ed", is_superuser=True)
    client.force_login(admin)
    with override_settings(LANGUAGES=LANGS, WAGTAIL_CONTENT_LANGUAGES=LANGS):
        response = client.get("/admin/reports/missing-translations/")
        assert response.status_code == HTTPStatus.OK
        rows = {
            page.title: page.translation_status
            for page in response.context["object_list"]
        }
        assert rows == {
            "Button batteries": {"pl": "Missing", "ur": "Missing"},
            "Safe sleep": {"pl": "Checked 2026-11-01", "ur": "Missing"},
        }
        csv = client.get("/admin/reports/missing-translations/?export=csv")
        text = b"".join(csv.streaming_content).decode()
        assert "Safe sleep,Checked 2026-11-01,Missing" in text


def test_report_needs_admin_access(client, message):
    client.force_login(UserFactory(username="nobody"))
    response = client.get("/admin/reports/missing-translations/")
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)


def test_theme_pages_list_only_the_readers_language(client, message):
    from tests.factories import ThemeFactory

    sleep = ThemeFactory(name="Safe sleep", slug="safe-sleep")
    message.themes.add(sleep)
    message.save_revision().publish()
    polish = message.get_translation(Locale.objects.get(language_code="pl"))
    polish.themes.add(sleep)
    polish.save_revision().publish()

    english = client.get("/themes/safe-sleep/").context["listing"].items
    assert [p.title for p in english] == ["Safe sleep"]
    polish_items = client.get("/pl/themes/safe-sleep/").context["listing"].items
    assert [p.title for p in polish_items] == ["Bezpieczny sen"]


def test_translated_message_query_count_is_bounded(
    client, message, django_assert_max_num_queries
):
    url = "/pl/safety-messages/safe-sleep/"
    client.get(url)
    with django_assert_max_num_queries(21):
        assert client.get(url).status_code == HTTPStatus.OK


def test_with_routes_remembered_a_new_translation_shows_at_once(
    client, message, languages, settings, django_capture_on_commit_callbacks
):
    """Routes, language lists and tags kept in the cache (website/routing.py):
    each language's address still gets its own page, and a translation
    published later is offered at once."""
    from django.core.cache import cache

    settings.ROUTE_CACHE_SECONDS = 3600
    cache.clear()
    for _ in range(2):
        english = client.get(message.url).content.decode()
        polish = client.get("/pl/safety-messages/safe-sleep/").content.decode()
        assert "Bezpieczny sen" in polish
        assert "Bezpieczny sen" not in english
        assert 'hreflang="pl"' in english
        assert 'hreflang="ur"' not in english
    with (
        override_settings(LANGUAGES=LANGS, WAGTAIL_CONTENT_LANGUAGES=LANGS),
        django_capture_on_commit_callbacks(execute=True),
    ):
        urdu = message.copy_for_translation(languages["ur"])
        urdu.title = "محفوظ نیند"
        urdu.save_revision().publish()
    assert 'hreflang="ur"' in client.get(message.url).content.decode()
    assert (
        "محفوظ نیند" in client.get("/ur/safety-messages/safe-sleep/").content.decode()
    )
    cache.clear()
