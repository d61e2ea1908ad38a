"""Every public page type renders in a bounded number of queries, whatever it shows.

Listing pages, the home page and pages that pull in other pages are rendered with
3 items and again with 30: the count must not move. Page types whose counts are
tested elsewhere are not repeated here: the safety message index
(tests/learning/test_pages.py), the QI pack page (tests/qipacks/test_pages.py),
the webinar index and webinar page (tests/webinars/test_pages.py) and search
(tests/search/test_views.py).
"""

from http import HTTPStatus

import pytest
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from learning.models import LearningResourceDownload, LearningResourceRelated
from tests.factories import AudienceFactory, StandardPageFactory, ThemeFactory
from tests.factories.bulletins import BulletinIndexPageFactory, BulletinPageFactory
from tests.factories.learning import (
    LearningIndexPageFactory,
    LearningResourcePageFactory,
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)
from tests.factories.qipacks import QIPackIndexPageFactory, QIPackPageFactory
from tests.factories.webinars import WebinarPageFactory, webinar_tree

pytestmark = pytest.mark.django_db

FEW, MANY = 3, 30


@pytest.fixture
def count(client, django_assert_max_num_queries):
    """Queries for one anonymous view of ``url`` (Wagtail's site cache warm)."""

    def count(url: str, bound: int) -> int:
        client.get(url)
        with django_assert_max_num_queries(bound) as captured:
            response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        return len(captured.captured_queries)

    return count


@pytest.fixture
def vocab(db):
    return ThemeFactory(slug="safe-sleep"), AudienceFactory(slug="midwives")


def _tag(page, vocab):
    theme, audience = vocab
    page.themes.add(theme)
    page.audiences.add(audience)
    page.save()
    return page


def _grows_not(count, url, bound, add) -> None:
    """The count with FEW items equals the count with MANY, within ``bound``."""
    add(FEW)
    few = count(url, bound)
    add(MANY - FEW)
    assert count(url, bound) == few


def test_home_page(site, vocab, count):
    index = SafetyMessageIndexPageFactory(parent=site)

    def add(n):
        for _ in range(n):
            _tag(SafetyMessagePageFactory(parent=index), vocab)

    _grows_not(count, "/", 14, add)


def test_standard_page(site, count):
    messages = SafetyMessageIndexPageFactory(parent=site)
    page = StandardPageFactory(parent=site)

    def add(n):
        for _ in range(n):
            target = SafetyMessagePageFactory(parent=messages)
            page.body.append(("action_link", {"text": "Read", "internal_page": target}))
        page.save()

    _grows_not(count, page.url, 15, add)


def test_safety_message_page_and_print_view(site, count):
    index = SafetyMessageIndexPageFactory(parent=site)
    pack = QIPackPageFactory(parent=QIPackIndexPageFactory(parent=site))
    message = SafetyMessagePageFactory(parent=index, source_page=pack)

    def add(n):
        for _ in range(n):
            message.themes.add(ThemeFactory())
            message.audiences.add(AudienceFactory())
        message.save()

    _grows_not(count, message.url, 21, add)
    _grows_not(count, message.url + "print/", 11, add)


def test_learning_index(site, vocab, count):
    index = LearningIndexPageFactory(parent=site)

    def add(n):
        for _ in range(n):
            _tag(LearningResourcePageFactory(parent=index), vocab)

    _grows_not(count, index.url, 21, add)
    _grows_not(count, index.url + "?type=crib-sheet&theme=safe-sleep", 22, add)


def test_learning_resource_page(site, vocab, count):
    index = LearningIndexPageFactory(parent=site)
    resource = _tag(LearningResourcePageFactory(parent=index), vocab)
    documents = get_document_model()

    def add(n):
        start = resource.downloads.count()
        for i in range(start, start + n):
            document = documents.objects.create(
                title=f"Crib sheet {i}", file=ContentFile(b"text", name=f"s{i}.txt")
            )
            LearningResourceDownload.objects.create(
                page=resource, document=document, sort_order=i
            )
        # Related content takes up to six pages: two, then all six.
        for i in range(resource.related_links.count(), 2 if start == 0 else 6):
            LearningResourceRelated.objects.create(
                page_from=resource,
                page=LearningResourcePageFactory(parent=index),
                sort_order=i,
            )

    _grows_not(count, resource.url, 23, add)


def test_qi_pack_index(site, vocab, count):
    index = QIPackIndexPageFactory(parent=site)

    def add(n):
        for _ in range(n):
            _tag(QIPackPageFactory(parent=index), vocab)

    _grows_not(count, index.url, 20, add)


def test_bulletin_index(site, vocab, count):
    index = BulletinIndexPageFactory(parent=site)

    def add(n):
        for _ in range(n):
            _tag(BulletinPageFactory(parent=index), vocab)

    _grows_not(count, index.url, 20, add)


def test_bulletin_page(site, count):
    messages = SafetyMessageIndexPageFactory(parent=site)
    bulletin = BulletinPageFactory(parent=BulletinIndexPageFactory(parent=site))

    def add(n):
        items = [
            ("page_item", {"page": SafetyMessagePageFactory(parent=messages)})
            for _ in range(n)
        ]
        bulletin.sections.append(("section", {"heading": "New", "items": items}))
        bulletin.save()

    _grows_not(count, bulletin.url, 20, add)


def test_webinar_series_page(site, vocab, count):
    _, series = webinar_tree(site)

    def add(n):
        for _ in range(n):
            _tag(WebinarPageFactory(parent=series), vocab)

    _grows_not(count, series.url, 25, add)
