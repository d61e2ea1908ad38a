"""The shared listing helper through a real routable index page (tests.testapp)."""

import datetime as dt
from http import HTTPStatus
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from tests.factories import AudienceFactory, ThemeFactory
from tests.testapp.models import ExampleArticlePage, ExampleIndexPage

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def index(site):
    page = ExampleIndexPage(title="Learning", slug="learning", intro="All learning.")
    site.add_child(instance=page)
    return page


@pytest.fixture
def vocab():
    return {
        "sleep": ThemeFactory(name="Safe sleep", slug="safe-sleep"),
        "water": ThemeFactory(name="Water safety", slug="water-safety"),
        "midwives": AudienceFactory(name="Midwives", slug="midwives"),
        "police": AudienceFactory(name="Police", slug="police"),
    }


def add_article(
    index,
    title,
    *,
    kind="briefing",
    themes=(),
    audiences=(),
    year=2026,
    body="Full text.",
):
    article = ExampleArticlePage(
        title=title, summary=f"Summary of {title}.", kind=kind, body=body
    )
    index.add_child(instance=article)
    for theme in themes:
        article.themes.add(theme)
    for audience in audiences:
        article.audiences.add(audience)
    article.save()
    when = timezone.make_aware(dt.datetime(year, 3, 1, 12, 0))
    ExampleArticlePage.objects.filter(pk=article.pk).update(first_published_at=when)
    return article


def test_filters_by_theme_audience_type_and_year(client, index, vocab):
    add_article(
        index,
        "Sleep for midwives",
        themes=[vocab["sleep"]],
        audiences=[vocab["midwives"]],
    )
    add_article(
        index,
        "Water for police",
        kind="crib",
        themes=[vocab["water"]],
        audiences=[vocab["police"]],
        year=2025,
    )
    add_article(index, "Sleep crib", kind="crib", themes=[vocab["sleep"]])

    def titles(query):
        response = client.get(f"{index.url}?{query}")
        assert response.status_code == HTTPStatus.OK
        return {p.title for p in response.context["listing"].items}

    assert titles("theme=safe-sleep") == {"Sleep for midwives", "Sleep crib"}
    assert titles("audience=police") == {"Water for police"}
    assert titles("type=crib") == {"Water for police", "Sleep crib"}
    assert titles("year=2025") == {"Water for police"}
    assert titles("theme=safe-sleep&type=crib") == {"Sleep crib"}
    assert titles("") == {"Sleep for midwives", "Water for police", "Sleep crib"}


def test_options_show_counts_and_result_count(client, index, vocab):
    add_article(index, "A", themes=[vocab["sleep"]], audiences=[vocab["midwives"]])
    add_article(index, "B", themes=[vocab["sleep"]], audiences=[vocab["police"]])
    add_article(index, "C", themes=[vocab["water"]], audiences=[vocab["police"]])

    response = client.get(f"{index.url}?audience=police")
    listing = response.context["listing"]
    themes = {o.value: o.count for o in listing.options["theme"]}
    # Counts keep the other filters: with audience=police, one of each theme.
    assert themes == {"safe-sleep": 1, "water-safety": 1}
    audiences = {o.value: (o.count, o.selected) for o in listing.options["audience"]}
    # The audience facet ignores its own filter so people can switch.
    assert audiences == {"midwives": (1, False), "police": (2, True)}
    html = " ".join(response.content.decode().split())
    assert "2 results for Police" in html
    assert 'href="/learning/"' in html  # clear filters
    assert "Remove filter: Police" in html


def test_pagination_keeps_filters_in_links(client, index, vocab):
    for n in range(5):
        add_article(index, f"Sleep {n}", themes=[vocab["sleep"]])
    response = client.get(f"{index.url}?theme=safe-sleep")
    listing = response.context["listing"]
    assert listing.total == 5
    assert len(listing.items) == 3
    assert listing.next_url == "/learning/?page=2&theme=safe-sleep"
    second = client.get(listing.next_url).context["listing"]
    assert len(second.items) == 2
    assert second.previous_url == "/learning/?theme=safe-sleep"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("audience=<script>", "Enter a valid"),
        ("year=abc", "Enter a whole number"),
        ("year=1066", "greater than or equal to 1990"),
        ("page=-1", "greater than or equal to 1"),
        ("theme=" + "x" * 500, "at most 100 characters"),
    ],
)
def test_malformed_filters_get_a_clear_400(client, index, query, message):
    response = client.get(f"{index.url}?{query}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert "There is a problem with the filters" in html
    assert message in html
    assert "<script>" not in html.split("<main", 1)[1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("theme=no-such-theme", "There is no theme called “no-such-theme”"),
        ("audience=astronauts", "There is no audience called “astronauts”"),
        ("type=podcast", "“podcast” is not a type of content listed here"),
    ],
)
def test_unknown_filter_values_give_an_empty_result_with_a_message(
    client, index, vocab, query, message
):
    add_article(index, "Something")
    response = client.get(f"{index.url}?{query}")
    assert response.status_code == HTTPStatus.OK
    assert response.context["listing"].total == 0
    html = response.content.decode()
    assert message in html
    assert "0 results" in html


def test_page_past_the_end_is_404(client, index, vocab):
    add_article(index, "Only one")
    assert client.get(f"{index.url}?page=9").status_code == HTTPStatus.NOT_FOUND


def test_rss_feed_has_full_content_for_a_filter(client, index, vocab):
    add_article(
        index,
        "For midwives",
        audiences=[vocab["midwives"]],
        body="Room-share for the first six months.",
    )
    add_article(index, "For police", audiences=[vocab["police"]])

    response = client.get(f"{index.url}feed/?audience=midwives")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ElementTree.fromstring(response.content)
    items = root.findall("./channel/item")
    assert [i.findtext("title") for i in items] == ["For midwives"]
    description = items[0].findtext("description")
    assert "Room-share for the first six months." in description
    assert "Summary of For midwives." in description
    assert items[0].findtext("link") == "http://localhost/learning/for-midwives/"
    assert [c.text for c in items[0].findall("category")] == ["Midwives"]


def test_atom_feed_is_valid_atom(client, index, vocab):
    add_article(index, "Sleep", themes=[vocab["sleep"]])
    response = client.get(f"{index.url}feed/atom/?theme=safe-sleep")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Sleep"]
    assert entries[0].find(f"{ATOM}summary") is not None


def test_feed_with_malformed_filter_is_400_plain_text(client, index):
    response = client.get(f"{index.url}feed/?year=soon")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "filter we do not recognise" in response.content.decode()


def test_drafts_and_private_pages_are_not_listed(client, index, vocab):
    from wagtail.models import PageViewRestriction

    add_article(index, "Public")
    draft = add_article(index, "Draft")
    draft.unpublish()
    private = add_article(index, "Private")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    titles = {p.title for p in client.get(index.url).context["listing"].items}
    assert titles == {"Public"}
    feed = client.get(f"{index.url}feed/").content.decode()
    assert "Draft" not in feed and "Private" not in feed


@pytest.mark.parametrize("url_suffix", ["?theme=safe-sleep", "feed/?theme=safe-sleep"])
def test_listing_and_feed_query_counts_do_not_grow_with_items(
    client, index, vocab, url_suffix, django_assert_max_num_queries
):
    for n in range(3):
        add_article(
            index,
            f"Item {n}",
            themes=[vocab["sleep"], vocab["water"]],
            audiences=[vocab["midwives"]],
        )
    client.get(index.url)  # warm the site cache
    with django_assert_max_num_queries(22):
        response = client.get(f"{index.url}{url_suffix}")
    assert response.status_code == HTTPStatus.OK
    for n in range(3, 9):
        add_article(
            index, f"Item {n}", themes=[vocab["sleep"]], audiences=[vocab["police"]]
        )
    with django_assert_max_num_queries(22):
        response = client.get(f"{index.url}{url_suffix}")
    assert response.status_code == HTTPStatus.OK
