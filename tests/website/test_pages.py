from http import HTTPStatus

import pytest

from tests.factories import (
    AudienceFactory,
    StandardPageFactory,
    ThemeFactory,
)
from website.models import HomePageFeaturedItem

pytestmark = pytest.mark.django_db


def test_home_page_renders_intro_featured_and_subscribe(client, site):
    about = StandardPageFactory(parent=site, title="About us", summary="Who we are.")
    HomePageFeaturedItem.objects.create(home=site, page=about, sort_order=0)

    response = client.get("/")

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert site.intro in html
    assert "About us" in html and "Who we are." in html
    assert "Get updates by email" in html
    assert 'class="nhsuk-skip-link" href="#maincontent"' in html


def test_home_page_query_count_is_bounded(client, site, django_assert_max_num_queries):
    for n in range(6):
        page = StandardPageFactory(parent=site, title=f"Featured {n}")
        HomePageFeaturedItem.objects.create(home=site, page=page, sort_order=n)
    client.get("/")  # warm Wagtail's per-process site cache
    with django_assert_max_num_queries(15):
        response = client.get("/")
    assert response.status_code == HTTPStatus.OK
    assert response.content.decode().count("nhsuk-card__link") == 6


def test_unpublished_featured_page_is_not_shown(client, site):
    draft = StandardPageFactory(parent=site, title="Secret draft", live=False)
    HomePageFeaturedItem.objects.create(home=site, page=draft, sort_order=0)
    assert "Secret draft" not in client.get("/").content.decode()


def test_standard_page_shows_body_tags_and_review_date(client, site):
    theme = ThemeFactory(name="Water safety", slug="water-safety")
    audience = AudienceFactory(name="Police", slug="police")
    page = StandardPageFactory(
        parent=site,
        title="Accessibility statement",
        summary="How accessible this site is.",
        last_reviewed="2026-01-15",
        body=[
            ("heading", "Reporting problems"),
            ("paragraph", "<p>Email the programme team.</p>"),
        ],
    )
    page.themes.add(theme)
    page.audiences.add(audience)
    page.save_revision().publish()

    response = client.get(page.url)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<h2>Reporting problems</h2>" in html
    assert "Email the programme team." in html
    assert "Water safety" in html and "Police" in html
    assert "15 January 2026" in html


def test_404_page_uses_site_design(client, site):
    response = client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    html = response.content.decode()
    assert "Page not found" in html
    assert "nhsuk-header" in html


def test_500_page_renders_without_database(rf):
    from website.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_reading_the_site_sets_no_cookies(client, site):
    """Cookie-free by default: no consent banner is needed to read anything."""
    about = StandardPageFactory(parent=site, title="About")
    for url in ("/", about.url, "/no-such-page/", "/healthz"):
        response = client.get(url)
        assert response.cookies == {}, url
        assert "Set-Cookie" not in response.headers, url


def test_header_marks_the_current_section(client, site):
    from website.models import HeaderLink, SiteNavigation

    about = StandardPageFactory(parent=site, title="About", slug="about")
    navigation = SiteNavigation.for_site(site.get_site())
    HeaderLink.objects.create(setting=navigation, label="About us", page=about)
    html = client.get("/about/").content.decode()
    assert 'href="/about/" aria-current="page">About us</a>' in html
    assert 'aria-current="page"' not in client.get("/").content.decode()


def test_unknown_host_with_no_default_site_is_a_plain_404(client, site):
    from wagtail.models import Site

    Site.objects.update(is_default_site=False, hostname="learning.example.org")
    response = client.get("/anything/", HTTP_HOST="other.example.org")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "Page not found" in response.content.decode()


def test_vendored_nhs_stylesheet_matches_the_installed_package():
    """The committed copy is exactly the package's CSS minus its web fonts."""
    from website import nhsuk_css

    derived = nhsuk_css.derive(nhsuk_css.SOURCE.read_text())
    assert nhsuk_css.TARGET.read_text() == derived, (
        "Run `manage.py vendor_nhsuk_css` after upgrading wagtail-nhsuk-frontend."
    )
    assert "@font-face" not in derived and "assets.nhs.uk" not in derived
