"""The header and footer are built once and kept in the cache until a change
could alter them (website/navigation.py)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from tests.factories import StandardPageFactory
from website.models import FooterLink, HeaderLink, SiteNavigation

pytestmark = pytest.mark.django_db


@pytest.fixture
def nav_cache_on(settings):
    settings.NAVIGATION_CACHE_SECONDS = 3600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def navigation(site, django_capture_on_commit_callbacks):
    about = StandardPageFactory(parent=site, title="About", slug="about")
    with django_capture_on_commit_callbacks(execute=True):
        nav = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
        nav.footer_text = f'<p>Run by <a linktype="page" id="{about.pk}">us</a>.</p>'
        nav.save()
        HeaderLink.objects.create(setting=nav, label="About us", page=about)
        FooterLink.objects.create(setting=nav, label="Contact", url="/contact/")
    return nav, about


def _navigation_queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return [
        q["sql"]
        for q in captured.captured_queries
        if "website_sitenavigation" in q["sql"]
        or "website_headerlink" in q["sql"]
        or "website_footerlink" in q["sql"]
    ]


def test_the_second_view_reads_no_navigation_from_the_database(
    client, nav_cache_on, navigation
):
    nav, about = navigation
    assert _navigation_queries(client, "/")
    assert _navigation_queries(client, "/") == []
    html = client.get(about.url).content.decode()
    # The cached links still mark the current section per request.
    assert 'href="/about/" aria-current="page">About us</a>' in html
    assert 'href="/contact/">Contact</a>' in html
    assert 'Run by <a href="/about/">us</a>.' in html


def test_turned_off_every_view_reads_it(client, settings, navigation):
    settings.NAVIGATION_CACHE_SECONDS = 0
    assert _navigation_queries(client, "/")
    assert _navigation_queries(client, "/")


def test_saving_the_navigation_shows_at_once(
    client, nav_cache_on, navigation, django_capture_on_commit_callbacks
):
    nav, _ = navigation
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        nav.organisation_name = "Child death review programme"
        nav.save()
    assert "Child death review programme" in client.get("/").content.decode()


def test_a_new_or_removed_link_shows_at_once(
    client, nav_cache_on, navigation, django_capture_on_commit_callbacks
):
    nav, _ = navigation
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        HeaderLink.objects.create(setting=nav, label="Webinars", url="/webinars/")
    assert 'href="/webinars/">Webinars</a>' in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        FooterLink.objects.filter(setting=nav).delete()
    assert "Contact" not in client.get("/").content.decode()


def test_a_linked_page_given_a_new_slug_moves_its_link(
    client, nav_cache_on, navigation, django_capture_on_commit_callbacks
):
    _, about = navigation
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        about.slug = "about-the-programme"
        about.save_revision().publish()
    html = client.get("/").content.decode()
    assert 'href="/about-the-programme/">About us</a>' in html
    assert 'href="/about/"' not in html


def test_a_change_before_commit_is_not_cached_under_the_new_generation(
    client, nav_cache_on, navigation, django_capture_on_commit_callbacks
):
    """A view during the editor's transaction keeps the old generation; once the
    transaction commits, the next view builds afresh."""
    nav, _ = navigation
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        nav.organisation_name = "Renamed"
        nav.save()
        # Still inside the transaction: the old entry may be served.
        client.get("/")
    assert "Renamed" in client.get("/").content.decode()


def test_an_unreachable_cache_still_serves_the_header(
    client, settings, navigation, unreachable_cache
):
    settings.NAVIGATION_CACHE_SECONDS = 3600
    response = client.get("/")
    assert response.status_code == 200
    assert "About us" in response.content.decode()
