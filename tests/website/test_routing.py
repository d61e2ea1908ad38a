"""Which page answers an address is remembered (website/routing.py), with each
page's breadcrumb trail; anything that could change either shows at once."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction, Site

from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(site):
    index = SafetyMessageIndexPageFactory(parent=site)
    return SafetyMessagePageFactory(
        parent=index, title="Car seats", slug="car-seats", live=True
    )


def _queries(client, url) -> tuple[int, list[str], str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    sql = [q["sql"] for q in captured.captured_queries]
    body = response.content.decode() if response.status_code == 200 else ""
    return response.status_code, sql, body


def test_the_second_view_finds_the_page_in_one_query(client, routes_on, message):
    status, first, first_body = _queries(client, message.url)
    assert status == 200
    status, second, second_body = _queries(client, message.url)
    assert status == 200
    assert second_body == first_body
    # No site, locale, ancestor, restriction or breadcrumb lookups the second time.
    for table in ("wagtailcore_site", "wagtailcore_pageviewrestriction"):
        assert any(table in q for q in first)
        assert not any(table in q for q in second), table
    page_queries = [q for q in second if 'FROM "wagtailcore_page"' in q]
    assert len(page_queries) < len([q for q in first if "wagtailcore_page" in q])
    assert len(second) <= len(first) - 6


def test_turned_off_every_view_routes_afresh(client, settings, message):
    settings.ROUTE_CACHE_SECONDS = 0
    client.get(message.url)
    _, second, _ = _queries(client, message.url)
    assert any("wagtailcore_site" in q for q in second)


def test_a_page_s_own_routes_are_followed_from_memory(client, routes_on, message):
    url = f"{message.url}print/"
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert client.get(f"{message.url}no-such-view/").status_code == 404


def test_a_renamed_page_is_not_served_at_its_old_address(client, routes_on, message):
    """Even before the rename's commit retires the routes: the remembered page is
    no longer where it was, so the address is routed afresh."""
    old_url = message.url
    assert client.get(old_url).status_code == 200
    message.slug = "car-seats-for-babies"
    message.save_revision().publish()
    assert client.get(old_url).status_code == 404
    assert client.get("/safety-messages/car-seats-for-babies/").status_code == 200


def test_an_unpublished_or_deleted_page_is_gone_at_once(client, routes_on, site):
    index = SafetyMessageIndexPageFactory(parent=site)
    first = SafetyMessagePageFactory(parent=index, slug="one", live=True)
    second = SafetyMessagePageFactory(parent=index, slug="two", live=True)
    assert client.get(first.url).status_code == 200
    assert client.get(second.url).status_code == 200
    first.unpublish()
    second.delete()
    assert client.get("/safety-messages/one/").status_code == 404
    assert client.get("/safety-messages/two/").status_code == 404


def test_a_new_restriction_applies_at_once(
    client, routes_on, message, django_capture_on_commit_callbacks
):
    assert client.get(message.url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=message.get_parent(), restriction_type=PageViewRestriction.LOGIN
        )
    response = client.get(message.url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_an_unknown_address_is_never_remembered(
    client, routes_on, site, django_capture_on_commit_callbacks
):
    index = SafetyMessageIndexPageFactory(parent=site)
    assert client.get("/safety-messages/new-advice/").status_code == 404
    assert client.get("/safety-messages/new-advice/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        SafetyMessagePageFactory(parent=index, slug="new-advice", live=True)
    assert client.get("/safety-messages/new-advice/").status_code == 200


def test_the_breadcrumb_trail_follows_a_renamed_section(
    client, routes_on, message, django_capture_on_commit_callbacks
):
    html = client.get(message.url).content.decode()
    assert 'href="/">Home</a>' in html
    assert 'href="/safety-messages/">Safety messages</a>' in html
    _, second, _ = _queries(client, message.url)
    assert not any("wagtailcore_page" in q and '"depth" > 1' in q for q in second)
    index = message.get_parent().specific
    with django_capture_on_commit_callbacks(execute=True):
        index.title = "Newborn and infant safety messages"
        index.save_revision().publish()
    html = client.get(message.url).content.decode()
    assert 'href="/safety-messages/">Newborn and infant safety messages</a>' in html
    assert "Back to &nbsp;</span>Newborn and infant safety messages" in html


def test_the_home_page_has_no_trail(client, routes_on, site):
    assert 'class="nhsuk-breadcrumb"' not in client.get("/").content.decode()


def test_an_unreachable_cache_still_routes(
    client, settings, message, unreachable_cache
):
    settings.ROUTE_CACHE_SECONDS = 3600
    response = client.get(message.url)
    assert response.status_code == 200
    assert "Car seats" in response.content.decode()
    assert client.get("/safety-messages/nothing-here/").status_code == 404


def test_other_views_find_the_site_once(
    client, routes_on, site, django_capture_on_commit_callbacks
):
    """The search page is not a Wagtail page, but its header needs the site."""
    _, first, _ = _queries(client, "/search/")
    _, second, _ = _queries(client, "/search/")
    assert any("wagtailcore_site" in q for q in first)
    assert not any("wagtailcore_site" in q for q in second)
    with django_capture_on_commit_callbacks(execute=True):
        Site.objects.update(site_name="Renamed")  # no signal: nothing retired
        Site.objects.get(is_default_site=True).save()
    _, third, _ = _queries(client, "/search/")
    assert any("wagtailcore_site" in q for q in third)


def test_a_page_s_tags_follow_a_new_revision_and_a_renamed_theme(
    client, routes_on, message, django_capture_on_commit_callbacks
):
    from tests.factories import ThemeFactory

    sleep = ThemeFactory(name="Safe sleep", slug="safe-sleep")
    water = ThemeFactory(name="Water safety", slug="water-safety")
    message.themes.add(sleep)
    with django_capture_on_commit_callbacks(execute=True):
        message.save_revision().publish()
    assert "Safe sleep" in client.get(message.url).content.decode()
    message.themes.set([water])
    message.save_revision().publish()  # a new revision: a new entry, no retiring
    html = client.get(message.url).content.decode()
    assert "Water safety" in html
    assert ">Safe sleep<" not in html
    with django_capture_on_commit_callbacks(execute=True):
        water.name = "Water and bath safety"
        water.save()
    assert "Water and bath safety" in client.get(message.url).content.decode()


def test_the_page_itself_is_remembered_between_revisions(client, routes_on, message):
    """The second view reads the page's address and live revision in one small
    query, and the page as its own type (with its locale) from memory."""
    message.save_revision().publish()
    client.get(message.url)  # routed by Wagtail; the route remembered
    status, first, first_body = _queries(client, message.url)  # the page kept
    assert status == 200
    status, second, second_body = _queries(client, message.url)
    assert status == 200
    assert second_body == first_body
    assert any("learning_safetymessagepage" in q for q in first)
    assert not any("learning_safetymessagepage" in q for q in second)
    assert not any("wagtailcore_locale" in q for q in second)


def test_a_new_revision_is_served_at_once_even_before_its_commit(
    client, routes_on, message
):
    message.save_revision().publish()
    client.get(message.url)  # the route remembered
    assert "Car seats" in client.get(message.url).content.decode()  # the page kept
    message.title = "Car seats and sleep"
    message.save_revision().publish()  # no commit here: nothing retired
    html = client.get(message.url).content.decode()
    assert "Car seats and sleep" in html


def test_a_page_not_live_is_never_taken_from_memory(client, routes_on, message):
    message.save_revision().publish()
    client.get(message.url)  # the route remembered
    assert client.get(message.url).status_code == 200  # the page kept
    message.unpublish()  # no commit here: nothing retired
    assert client.get(message.url).status_code == 404


def test_a_foreign_entry_where_the_page_was_kept_is_ignored(client, routes_on, message):
    """Whatever else is found under a page's key (a value of another shape) is
    passed over and the page loaded afresh, never served or turned into a 500."""
    from website import routing

    message.save_revision().publish()
    message.refresh_from_db()
    client.get(message.url)  # the route remembered
    body = client.get(message.url).content  # the page kept
    key = (
        f"{routing.GENERATION.name}:{routing.GENERATION.current()}:page:"
        f"{routing._schema()}:{message._meta.label}:{message.pk}:"
        f"{message.live_revision_id}"
    )
    assert cache.get(key) is not None
    cache.set(key, 5)
    response = client.get(message.url)
    assert response.status_code == 200
    assert response.content == body


# --- Pages drawn from the tree, kept with the routes ------------------------------


def test_home_page_featured_and_latest_are_kept_until_a_publish(
    client, routes_on, site, message, django_capture_on_commit_callbacks
):
    from website.models import HomePageFeaturedItem

    HomePageFeaturedItem.objects.create(home=site, page=message, sort_order=0)
    client.get("/")
    status, second, html = _queries(client, "/")
    assert status == 200
    assert html.count("Car seats") == 2  # featured, and the latest messages
    assert not any("website_homepagefeatureditem" in q for q in second)
    assert not any("learning_safetymessagepage" in q for q in second)
    index = message.get_parent()
    with django_capture_on_commit_callbacks(execute=True):
        SafetyMessagePageFactory(parent=index, title="Blind cords", live=True)
        message.unpublish()
    html = client.get("/").content.decode()
    assert "Blind cords" in html
    assert "Car seats" not in html


def test_a_bulletin_s_linked_pages_are_kept_until_a_publish(
    client, routes_on, site, message, django_capture_on_commit_callbacks
):
    from tests.factories.bulletins import (
        BulletinIndexPageFactory,
        BulletinPageFactory,
    )

    item = {"page": message, "summary": ""}
    bulletin = BulletinPageFactory(
        parent=BulletinIndexPageFactory(parent=site),
        sections=[
            ("section", {"heading": "New this month", "items": [("page_item", item)]})
        ],
    )
    client.get(bulletin.url)
    status, second, html = _queries(client, bulletin.url)
    assert status == 200
    assert "Read: Car seats" in html
    assert not any("learning_safetymessagepage" in q for q in second)
    with django_capture_on_commit_callbacks(execute=True):
        message.unpublish()
    assert "Car seats" not in client.get(bulletin.url).content.decode()


def test_a_preview_is_never_kept_for_readers(rf, routes_on, message):
    """A preview renders a draft (the home page's featured items, a bulletin's
    sections): it is built afresh and never stored where a reader would find it."""
    from website.routing import remember_for_page

    preview = rf.get(message.url)
    preview.is_preview = True
    assert remember_for_page(preview, message, "featured", lambda: "draft") == "draft"
    reader = rf.get(message.url)
    assert remember_for_page(reader, message, "featured", lambda: "live") == "live"
    assert remember_for_page(preview, message, "featured", lambda: "draft") == "draft"
