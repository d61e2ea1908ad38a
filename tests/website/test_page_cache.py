"""The page cache: anonymous page views from Django's cache, purged on publish."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from wagtail import hooks
from wagtail.models import PageViewRestriction, Site

from tests.factories import (
    AudienceFactory,
    StandardPageFactory,
    ThemeFactory,
    UserFactory,
)
from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)
from tests.factories.webinars import WebinarPageFactory, webinar_tree
from website import embedded, page_cache
from website.models import Audience, SiteNavigation, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def messages(site):
    index = SafetyMessageIndexPageFactory(parent=site)
    theme = ThemeFactory(name="Safe sleep", slug="safe-sleep")
    audience = AudienceFactory(name="Midwives", slug="midwives")
    first = SafetyMessagePageFactory(parent=index, title="Room-share for six months")
    first.themes.add(theme)
    first.audiences.add(audience)
    first.save_revision().publish()
    return index


def _publish(page, django_capture_on_commit_callbacks):
    """Publish as the editor's request would: the purge runs once it commits."""
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()


def _new_message(index, title, django_capture_on_commit_callbacks):
    page = SafetyMessagePageFactory.build(title=title, live=False)
    index.add_child(instance=page)
    page.themes.add(Theme.objects.get(slug="safe-sleep"))
    page.audiences.add(Audience.objects.get(slug="midwives"))
    _publish(page, django_capture_on_commit_callbacks)
    return page


def test_second_anonymous_view_is_a_hit_with_no_queries(
    client, site, page_cache_on, django_assert_num_queries
):
    page = StandardPageFactory(parent=site, title="About the programme")

    first = client.get(page.url)
    with django_assert_num_queries(0):
        second = client.get(page.url)

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    assert "About the programme" in second.content.decode()
    for response in (first, second):
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert directives == {"public", "max-age=300", "s-maxage=600"}
    assert second["Content-Type"] == first["Content-Type"]


def test_a_hit_carries_every_header_of_the_page_as_rendered(
    client, site, page_cache_on
):
    page = StandardPageFactory(parent=site)

    first = client.get(page.url)
    second = client.get(page.url)

    assert second["X-Cache"] == "hit"
    rendered = {k: v for k, v in first.items() if k != "X-Cache"}
    served = {k: v for k, v in second.items() if k != "X-Cache"}
    # The request id is each request's own; everything else is kept as it was.
    assert rendered.pop("X-Request-ID") != served.pop("X-Request-ID")
    assert served == rendered
    assert list(served) == list(rendered)  # names keep their case and order


def test_an_entry_of_another_layout_is_a_miss_not_an_error(client, site, page_cache_on):
    """An entry written by a release that kept pages differently (or anything
    else found under the key) is rendered afresh and replaced."""
    page = StandardPageFactory(parent=site, title="Safer sleep")
    client.get(page.url)
    (key,) = [k for k in cache._cache if k.startswith(":1:pagecache:page2:")]
    tokens = cache.get(key.removeprefix(":1:"))[0]
    for foreign in [
        (tokens, 200, [("Content-Type", "text/html")], b"old layout"),
        (tokens, 200),
        "not an entry",
    ]:
        cache.set(key.removeprefix(":1:"), foreign)

        response = client.get(page.url)

        assert response.status_code == HTTPStatus.OK
        assert response["X-Cache"] == "miss"
        assert "Safer sleep" in response.content.decode()
        assert client.get(page.url)["X-Cache"] == "hit"


def test_head_is_answered_from_the_cache(client, site, page_cache_on):
    page = StandardPageFactory(parent=site)
    client.get(page.url)
    assert client.head(page.url)["X-Cache"] == "hit"


def test_a_head_request_does_not_fill_the_cache(client, site, page_cache_on):
    page = StandardPageFactory(parent=site)
    assert client.head(page.url)["X-Cache"] == "miss"
    assert client.get(page.url)["X-Cache"] == "miss"


def test_query_strings_are_separate_entries_in_any_order(
    client, messages, page_cache_on
):
    assert client.get("/safety-messages/?theme=safe-sleep")["X-Cache"] == "miss"
    assert client.get("/safety-messages/?audience=midwives")["X-Cache"] == "miss"
    both = "/safety-messages/?theme=safe-sleep&audience=midwives"
    assert client.get(both)["X-Cache"] == "miss"
    reordered = client.get("/safety-messages/?audience=midwives&theme=safe-sleep")
    assert reordered["X-Cache"] == "hit"


def test_a_signed_in_reader_neither_gets_nor_fills_the_cache(
    client, site, page_cache_on
):
    page = StandardPageFactory(parent=site)
    editor = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(editor)

    own = client.get(page.url)
    again = client.get(page.url)

    assert own.status_code == HTTPStatus.OK
    assert "X-Cache" not in own and "X-Cache" not in again
    assert {"private", "no-store"} <= {
        d.strip() for d in own["Cache-Control"].split(",")
    }
    client.logout()
    client.cookies.clear()
    assert client.get(page.url)["X-Cache"] == "miss"  # nothing was stored for them


def test_a_signed_in_reader_is_not_given_the_anonymous_copy(
    client, site, page_cache_on
):
    page = StandardPageFactory(parent=site)
    assert client.get(page.url)["X-Cache"] == "miss"
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    response = client.get(page.url)

    assert "X-Cache" not in response
    assert "private" in response["Cache-Control"]


def test_a_page_that_issues_a_form_token_is_never_cached(client, site, page_cache_on):
    page = StandardPageFactory(parent=site)

    def form_on_page(served, request, serve_args, serve_kwargs):
        get_token(request)  # what {% csrf_token %} in its template does

    with hooks.register_temporarily("before_serve_page", form_on_page):
        first = client.get(page.url)
        client.cookies.clear()
        second = client.get(page.url)

    assert second["X-Cache"] == "miss"
    assert "csrftoken" in first.cookies
    assert {"private", "no-store"} <= {
        d.strip() for d in first["Cache-Control"].split(",")
    }


def test_the_webinar_registration_form_is_never_cached(client, site, page_cache_on):
    _, series = webinar_tree(site)
    webinar = WebinarPageFactory(parent=series)
    url = webinar.url + "register/"

    client.get(url)
    client.cookies.clear()
    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert response["X-Cache"] == "miss"
    assert "no-store" in response["Cache-Control"]


def test_a_private_page_is_never_cached(client, site, page_cache_on):
    page = StandardPageFactory(parent=site, title="Panel members only")
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.LOGIN
    )

    for _ in range(2):
        response = client.get(page.url)
        assert response.status_code == HTTPStatus.FOUND
        assert response.get("X-Cache") != "hit"


def test_a_search_page_is_kept_like_a_page(client, site, page_cache_on):
    """Kept per query string; counting and purging are in tests/search."""
    assert client.get("/search/?q=sleep")["X-Cache"] == "miss"
    response = client.get("/search/?q=sleep")
    assert response["X-Cache"] == "hit"
    assert client.get("/search/?q=sleep&page=2")["X-Cache"] == "miss"
    # The view's own browser lifetime, shared caches told the page cache's.
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"public", "max-age=60", "s-maxage=600"} <= directives


def test_publishing_a_message_purges_the_listing_and_all_its_filters(
    client, messages, page_cache_on, django_capture_on_commit_callbacks
):
    urls = [
        "/safety-messages/",
        "/safety-messages/?theme=safe-sleep",
        "/safety-messages/?theme=safe-sleep&audience=midwives",
        "/safety-messages/feed/",
        "/",
    ]
    for url in urls:
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit", url

    _new_message(messages, "Never sleep on a sofa", django_capture_on_commit_callbacks)

    for url in urls:
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        if url.startswith("/safety-messages/"):
            assert "Never sleep on a sofa" in response.content.decode(), url


def test_publishing_a_change_purges_the_page_and_its_print_view(
    client, messages, page_cache_on, django_capture_on_commit_callbacks
):
    message = messages.get_children().first().specific
    for url in (message.url, message.url + "print/"):
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit"

    message.title = "Room-share for at least six months"
    _publish(message, django_capture_on_commit_callbacks)

    for url in (message.url, message.url + "print/", "/safety-messages/"):
        response = client.get(url)
        assert response["X-Cache"] == "miss", url
        assert "Room-share for at least six months" in response.content.decode()


def test_publishing_one_message_leaves_its_siblings_cached(
    client, messages, page_cache_on, django_capture_on_commit_callbacks
):
    sibling = messages.get_children().first().specific
    client.get(sibling.url)

    _new_message(
        messages, "Check the room temperature", django_capture_on_commit_callbacks
    )

    assert client.get(sibling.url)["X-Cache"] == "hit"


def test_unpublishing_removes_the_page_and_its_listing_entry(
    client, messages, page_cache_on, django_capture_on_commit_callbacks
):
    message = messages.get_children().first().specific
    url = message.url
    client.get(url)
    client.get("/safety-messages/")

    with django_capture_on_commit_callbacks(execute=True):
        message.unpublish()

    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    listing = client.get("/safety-messages/")
    assert listing["X-Cache"] == "miss"
    assert "Room-share for six months" not in listing.content.decode()


def test_a_page_linking_to_the_published_one_is_purged(
    client, messages, page_cache_on, django_capture_on_commit_callbacks
):
    message = messages.get_children().first().specific
    about = StandardPageFactory(
        parent=messages.get_parent(),
        body=[("action_link", {"text": "Read it", "internal_page": message})],
    )
    about.save_revision().publish()  # fills the reference index
    client.get(about.url)
    assert client.get(about.url)["X-Cache"] == "hit"

    _publish(message, django_capture_on_commit_callbacks)

    assert client.get(about.url)["X-Cache"] == "miss"


def test_changing_the_navigation_purges_every_page(
    client, site, page_cache_on, django_capture_on_commit_callbacks
):
    page = StandardPageFactory(parent=site)
    client.get(page.url)

    with django_capture_on_commit_callbacks(execute=True):
        navigation = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
        navigation.organisation_name = "Child death review programme"
        navigation.save()

    response = client.get(page.url)
    assert response["X-Cache"] == "miss"
    assert "Child death review programme" in response.content.decode()


def test_a_new_header_link_purges_every_page(
    client, site, page_cache_on, django_capture_on_commit_callbacks
):
    from website.models import HeaderLink

    page = StandardPageFactory(parent=site)
    client.get(page.url)
    assert client.get(page.url)["X-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        navigation = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
        HeaderLink.objects.create(setting=navigation, label="Webinars", url="/w/")

    response = client.get(page.url)
    assert response["X-Cache"] == "miss"
    assert 'href="/w/"' in response.content.decode()


def test_turned_off_nothing_is_looked_up_or_stored(client, site, settings):
    settings.PAGE_CACHE_ENABLED = False
    page = StandardPageFactory(parent=site)
    client.get(page.url)
    response = client.get(page.url)
    assert "X-Cache" not in response
    assert "public" in response["Cache-Control"]  # shared caches may still keep it


def test_a_bad_host_is_a_400_not_a_500(client, site, page_cache_on):
    response = client.get("/", HTTP_HOST="evil.example\x00")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_hits_and_purges_work_on_real_redis(
    client, messages, settings, django_capture_on_commit_callbacks
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": embedded.redis_url(db=7, base=settings.VAR_DIR),
        }
    }
    settings.PAGE_CACHE_ENABLED = True
    cache.clear()
    try:
        client.get("/safety-messages/?theme=safe-sleep")
        assert client.get("/safety-messages/?theme=safe-sleep")["X-Cache"] == "hit"

        _new_message(messages, "Keep cots clear", django_capture_on_commit_callbacks)

        response = client.get("/safety-messages/?theme=safe-sleep")
        assert response["X-Cache"] == "miss"
        assert "Keep cots clear" in response.content.decode()
    finally:
        cache.clear()


def test_an_unreachable_cache_is_passed_over(settings, tmp_path, rf):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"unix://{tmp_path}/no-redis-here.sock",
        }
    }
    settings.PAGE_CACHE_ENABLED = True
    request = rf.get("/about/", HTTP_HOST="localhost")

    found = page_cache.lookup(request)
    page_cache.note_page(request, object())
    response = HttpResponse("A page")
    page_cache.finish(request, response, page_cache.Lookup(key="pagecache:page:x"))

    assert found == page_cache.Lookup()  # rendered as if nothing were cached
    assert response["X-Cache"] == "miss"


def test_purging_a_path_keeps_other_paths(site, page_cache_on, rf):
    """Unit level: a token per path, so a purge is exact."""
    a = rf.get("/a/", HTTP_HOST="localhost")
    b = rf.get("/b/", HTTP_HOST="localhost")
    tokens_a = page_cache.lookup(a).tokens
    tokens_b = page_cache.lookup(b).tokens

    page_cache.purge_paths(["/a/"])

    assert page_cache.lookup(a).tokens != tokens_a
    assert page_cache.lookup(b).tokens == tokens_b
