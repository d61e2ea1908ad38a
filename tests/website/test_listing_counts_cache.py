"""A listing's total and filter counts are kept between changes
(website/listing.py, ``counts_key``); any change they depend on shows at once."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import AudienceFactory, ThemeFactory
from tests.testapp.models import ExampleArticlePage, ExampleIndexPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def counts_on(settings):
    settings.LISTING_COUNTS_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def index(site):
    page = ExampleIndexPage(title="Learning", slug="learning", intro="All learning.")
    site.add_child(instance=page)
    return page


@pytest.fixture
def sleep():
    return ThemeFactory(name="Safe sleep", slug="safe-sleep")


def add_article(index, title, theme, audience=None):
    article = ExampleArticlePage(title=title, summary="A summary.", kind="briefing")
    index.add_child(instance=article)
    article.themes.add(theme)
    if audience is not None:
        article.audiences.add(audience)
    article.save_revision().publish()
    return article


def _counted(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    return response, counts


def _facet(response, name):
    return {o.value: o.count for o in response.context["listing"].options[name]}


def test_the_second_view_counts_nothing_again(client, counts_on, index, sleep):
    midwives = AudienceFactory(name="Midwives", slug="midwives")
    add_article(index, "A", sleep, midwives)
    add_article(index, "B", sleep)
    first, first_counts = _counted(client, f"{index.url}?theme=safe-sleep")
    second, second_counts = _counted(client, f"{index.url}?theme=safe-sleep")
    assert first_counts
    assert second_counts == []
    assert second.context["listing"].total == first.context["listing"].total == 2
    assert _facet(second, "audience") == _facet(first, "audience") == {"midwives": 1}
    assert "2 results for Safe sleep" in " ".join(second.content.decode().split())
    # Another filter is counted on its own.
    other, other_counts = _counted(client, f"{index.url}?audience=midwives")
    assert other_counts
    assert other.context["listing"].total == 1


def test_turned_off_every_view_counts(client, settings, index, sleep):
    settings.LISTING_COUNTS_CACHE_SECONDS = 0
    add_article(index, "A", sleep)
    client.get(index.url)
    _, counts = _counted(client, index.url)
    assert counts


def test_publishing_and_unpublishing_show_at_once(
    client, counts_on, index, sleep, django_capture_on_commit_callbacks
):
    add_article(index, "A", sleep)
    assert client.get(index.url).context["listing"].total == 1
    with django_capture_on_commit_callbacks(execute=True):
        second = add_article(index, "B", sleep)
    response = client.get(index.url)
    assert response.context["listing"].total == 2
    assert _facet(response, "theme") == {"safe-sleep": 2}
    with django_capture_on_commit_callbacks(execute=True):
        second.unpublish()
    assert client.get(index.url).context["listing"].total == 1


def test_a_renamed_theme_shows_at_once(
    client, counts_on, index, sleep, django_capture_on_commit_callbacks
):
    add_article(index, "A", sleep)
    assert "Safe sleep (1)" in client.get(index.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sleep.name = "Safer sleep"
        sleep.save()
    html = client.get(index.url).content.decode()
    assert "Safer sleep (1)" in html
    assert "Safe sleep (1)" not in html


def test_an_unreachable_cache_still_counts(
    client, settings, index, sleep, unreachable_cache
):
    settings.LISTING_COUNTS_CACHE_SECONDS = 3600
    add_article(index, "A", sleep)
    response = client.get(index.url)
    assert response.status_code == 200
    assert response.context["listing"].total == 1
