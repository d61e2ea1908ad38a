"""Safety messages and learning resources: pages, print view, listings, topics."""

from http import HTTPStatus

import pytest

from learning.models import LearningResourcePage
from tests.factories import AudienceFactory, ThemeFactory
from tests.factories.learning import (
    LearningIndexPageFactory,
    LearningResourcePageFactory,
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def messages_index(site):
    return SafetyMessageIndexPageFactory(parent=site)


@pytest.fixture
def learning_index(site):
    return LearningIndexPageFactory(parent=site)


def test_safety_message_shows_key_message_first(client, messages_index):
    midwives = AudienceFactory(name="Midwives", slug="midwives")
    message = SafetyMessagePageFactory(parent=messages_index, title="Safe sleep")
    message.audiences.add(midwives)
    message.save()

    response = client.get(message.url)

    assert response.status_code == HTTPStatus.OK
    html = text(response)
    main = html.split('id="maincontent"', 1)[1]
    key = main.index(message.key_message)
    assert key < main.index("What to do") < main.index("Why it matters")
    assert "<strong>For:</strong> Midwives" in html
    assert "Room-share." in html and "Sofa-sleep." in html
    assert "Source: Learning from child death reviews" in html


def test_share_control_works_without_javascript(client, messages_index):
    message = SafetyMessagePageFactory(parent=messages_index, title="Car seats")
    html = text(client.get(message.url))
    assert f'value="http://localhost{message.url}" readonly' in html
    assert 'href="mailto:?subject=Car%20seats&amp;body=' in html
    assert f'href="{message.url}print/"' in html


def test_print_view_is_one_plain_page_with_its_address(client, messages_index):
    message = SafetyMessagePageFactory(parent=messages_index, title="Button batteries")
    response = client.get(f"{message.url}print/")
    assert response.status_code == HTTPStatus.OK
    html = text(response)
    assert f"Read online: http://localhost{message.url}" in html
    assert message.key_message in html
    assert "nhsuk-header" not in html  # no site chrome on the printed sheet
    assert 'name="robots" content="noindex"' in html


def test_learning_resource_shows_kind_duration_and_related(
    client, learning_index, messages_index
):
    related = SafetyMessagePageFactory(parent=messages_index, title="Safe sleep")
    resource = LearningResourcePageFactory(
        parent=learning_index,
        title="Chairing CDR meetings",
        kind=LearningResourcePage.Kind.CRIB_SHEET,
        duration_minutes=5,
        body=[
            ("steps", {"heading": "Before", "steps": ["<p>Read the file.</p>"]}),
            ("quote", {"quote": "It helped.", "attribution": "A chair"}),
        ],
    )
    resource.related_links.create(page=related)
    resource.save()
    html = text(client.get(resource.url))
    assert "Crib sheet · 5 minutes" in html
    assert "Read the file." in html and "It helped." in html
    assert f'<a href="{related.url}">Safe sleep</a>' in html


def test_briefing_uses_numbered_layout(client, learning_index):
    briefing = LearningResourcePageFactory(
        parent=learning_index,
        kind=LearningResourcePage.Kind.BRIEFING,
        body=[("heading", "Why"), ("paragraph", "<p>Because.</p>")],
    )
    html = client.get(briefing.url).content.decode()
    assert 'class="site-briefing"' in html
    assert "site-briefing__body" in html


def test_safety_message_index_filters_and_home_section(client, site, messages_index):
    sleep = ThemeFactory(name="Safe sleep", slug="safe-sleep")
    water = ThemeFactory(name="Water safety", slug="water-safety")
    a = SafetyMessagePageFactory(parent=messages_index, title="Sleep message")
    a.themes.add(sleep)
    a.save()
    b = SafetyMessagePageFactory(parent=messages_index, title="Bath seats")
    b.themes.add(water)
    b.save()

    response = client.get(f"{messages_index.url}?theme=water-safety")
    assert [p.title for p in response.context["listing"].items] == ["Bath seats"]
    home = text(client.get("/"))
    assert "Latest safety messages" in home
    assert "Sleep message" in home and "Bath seats" in home


def test_learning_index_filters_by_kind(client, learning_index):
    LearningResourcePageFactory(
        parent=learning_index, title="Brief", kind=LearningResourcePage.Kind.BRIEFING
    )
    LearningResourcePageFactory(
        parent=learning_index, title="Crib", kind=LearningResourcePage.Kind.CRIB_SHEET
    )
    response = client.get(f"{learning_index.url}?type=briefing")
    assert [p.title for p in response.context["listing"].items] == ["Brief"]
    options = {o.value: o.count for o in response.context["listing"].options["type"]}
    assert options == {"briefing": 1, "crib-sheet": 1}


@pytest.mark.parametrize("n", [5, 50])
def test_listing_queries_do_not_grow_with_results(
    client, messages_index, n, django_assert_max_num_queries
):
    theme = ThemeFactory(name="Safe sleep", slug="safe-sleep")
    audience = AudienceFactory(name="Midwives", slug="midwives")
    for i in range(n):
        page = SafetyMessagePageFactory(parent=messages_index, title=f"M{i}")
        page.themes.add(theme)
        page.audiences.add(audience)
        page.save()
    messages_index.listing_page_size = 50
    client.get(messages_index.url)
    with django_assert_max_num_queries(22):
        assert client.get(messages_index.url).status_code == HTTPStatus.OK
    with django_assert_max_num_queries(22):
        assert client.get(f"{messages_index.url}feed/").status_code == HTTPStatus.OK


def test_theme_and_audience_pages_list_across_apps(
    client, messages_index, learning_index
):
    sleep = ThemeFactory(
        name="Safe sleep", slug="safe-sleep", description="Safer sleep for babies."
    )
    midwives = AudienceFactory(name="Midwives", slug="midwives")
    message = SafetyMessagePageFactory(parent=messages_index, title="Sleep message")
    message.themes.add(sleep)
    message.audiences.add(midwives)
    message.save()
    resource = LearningResourcePageFactory(parent=learning_index, title="SUDIC module")
    resource.themes.add(sleep)
    resource.save()
    LearningResourcePageFactory(parent=learning_index, title="Untagged")

    response = client.get("/themes/safe-sleep/")
    assert response.status_code == HTTPStatus.OK
    titles = [p.title for p in response.context["listing"].items]
    assert titles == ["SUDIC module", "Sleep message"]  # newest first
    html = text(response)
    assert "Safer sleep for babies." in html
    assert "Safety message" in html and "Crib sheet" in html

    response = client.get("/audiences/midwives/")
    assert [p.title for p in response.context["listing"].items] == ["Sleep message"]
    assert client.get("/themes/no-such-theme/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/themes/safe-sleep/?page=x").status_code == 400


@pytest.mark.parametrize(
    ("suffix", "version"), [("feed/", "rss20"), ("feed/atom/", "atom10")]
)
def test_filtered_feeds_validate(client, messages_index, suffix, version):
    """feedparser's strict checks: a well-formed feed of the declared version."""
    import feedparser

    midwives = AudienceFactory(name="Midwives", slug="midwives")
    page = SafetyMessagePageFactory(parent=messages_index, title="Bath seats")
    page.audiences.add(midwives)
    page.save()
    SafetyMessagePageFactory(parent=messages_index, title="Not for midwives")

    response = client.get(f"{messages_index.url}{suffix}?audience=midwives")

    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == version
    assert [e.title for e in feed.entries] == ["Bath seats"]
    entry = feed.entries[0]
    assert entry.link == f"http://localhost{page.url}"
    content = entry.get("content", [{}])[0].get("value") or entry.get("summary")
    assert "Room-share." in content  # full content, not just the summary
    assert feed.feed.title.endswith("midwives")


def test_resource_lists_its_downloads_with_type_and_size(client, learning_index):
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    document = get_document_model().objects.create(
        title="Briefing slides",
        file=ContentFile(b"x" * 2048, name="slides.pdf"),
        file_size=2048,  # as the admin's upload form records it
    )
    resource = LearningResourcePageFactory(parent=learning_index, title="Slides")
    resource.downloads.create(document=document, title="")
    resource.save()
    html = text(client.get(resource.url))
    assert f'<a href="{document.url}">Briefing slides</a>' in html
    assert "(PDF, 2.0 KB)" in html  # text() folds the no-break space
