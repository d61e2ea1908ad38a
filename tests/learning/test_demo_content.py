"""The learning demo content: complete, idempotent, and every page renders."""

import re
from http import HTTPStatus

import pytest
from django.utils.html import escape
from wagtail.models import Page, Revision

from learning.demo import load_learning_demo
from learning.models import (
    LearningIndexPage,
    LearningResourcePage,
    SafetyMessageIndexPage,
    SafetyMessagePage,
)
from website.demo import load_demo_content
from website.models import PageAudience, PageTheme, Theme

pytestmark = pytest.mark.django_db

WHY_TAGS = {"p", "b", "i", "a", "ul", "ol", "li"}


@pytest.fixture
def demo():
    home = load_demo_content()
    return home, load_learning_demo(home)


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Page,
            Revision,
            SafetyMessagePage,
            LearningResourcePage,
            PageTheme,
            PageAudience,
            Theme,
        )
    }


def test_loading_twice_changes_nothing(demo):
    home, pages = demo
    before = counts()
    again = load_learning_demo(home)
    assert counts() == before
    assert {slug: p.pk for slug, p in again.items()} == {
        slug: p.pk for slug, p in pages.items()
    }
    assert SafetyMessageIndexPage.objects.child_of(home).count() == 1
    assert LearningIndexPage.objects.child_of(home).count() == 1


def test_safety_messages_are_complete(demo):
    _, pages = demo
    index = pages["safety-messages"]
    assert index.title == "Newborn and infant safety messages"
    messages = SafetyMessagePage.objects.child_of(index).live()
    assert messages.count() >= 6
    for message in messages:
        assert message.key_message and message.summary
        assert len(message.summary) <= 400
        types = [block.block_type for block in message.what_to_do]
        assert "do_list" in types and "dont_list" in types, message.slug
        for block in message.what_to_do:
            if block.block_type == "do_list":
                assert len(block.value["do"]) >= 3
            if block.block_type == "dont_list":
                assert len(block.value["dont"]) >= 3
        assert message.themes.count() >= 1, message.slug
        assert message.audiences.count() >= 1, message.slug
        assert message.last_reviewed.year == 2026
        assert message.review_interval_months == 12
        assert message.source_title
        tags = set(re.findall(r"<\s*([a-z0-9]+)", message.why_it_matters))
        assert tags <= WHY_TAGS, (message.slug, tags)
        assert message.has_unpublished_changes is False

    safe_sleep = pages["safer-sleep"]
    assert set(safe_sleep.themes.values_list("slug", flat=True)) == {"safe-sleep"}
    assert set(safe_sleep.audiences.values_list("slug", flat=True)) >= {
        "midwives",
        "health-visitors",
        "gps",
        "parents-carers",
        "early-years",
    }
    batteries = pages["button-batteries"]
    [card] = [b for b in batteries.what_to_do if b.block_type == "care_card"]
    assert card.value["type"] == "immediate"
    assert "swallowed a button battery" in card.value["title"]


def test_learning_resources_have_the_right_kinds(demo):
    _, pages = demo
    assert pages["learning"].title == "Learning materials"
    resources = {
        p.slug: p for p in LearningResourcePage.objects.child_of(pages["learning"])
    }
    kinds = {slug: p.kind for slug, p in resources.items()}
    assert kinds == {
        "7-minute-briefing-new-child-death-review-arrangements": "briefing",
        "what-changed-in-child-death-review": "guidance-summary",
        "crib-sheet-chairing-child-death-review-meetings": "crib-sheet",
        "crib-sheet-involving-parents": "crib-sheet",
        "sudic-training-module-outline": "training-module",
    }
    for page in resources.values():
        assert page.live and page.duration_minutes
        assert page.themes.exists() and page.audiences.exists()
        assert not page.downloads.exists()

    briefing = resources["7-minute-briefing-new-child-death-review-arrangements"]
    types = [b.block_type for b in briefing.body]
    assert types == ["heading", "paragraph"] * 7
    assert briefing.duration_minutes == 7

    module = resources["sudic-training-module-outline"]
    types = {b.block_type for b in module.body}
    assert {"steps", "quote"} <= types
    [steps] = [b for b in module.body if b.block_type == "steps"]
    assert len(steps.value["steps"]) >= 4
    assert module.related_links.count() == 3


def test_every_page_renders(client, demo):
    _, pages = demo
    for slug, page in pages.items():
        response = client.get(page.url)
        assert response.status_code == HTTPStatus.OK, slug
        html = response.content.decode()
        assert escape(page.title) in html, slug
        if isinstance(page.specific, SafetyMessagePage):
            assert escape(page.specific.key_message) in html
            printed = client.get(f"{page.url}print/")
            assert printed.status_code == HTTPStatus.OK, slug

    briefing = client.get(
        pages["7-minute-briefing-new-child-death-review-arrangements"].url
    ).content.decode()
    assert "site-briefing__body" in briefing
    assert briefing.count("<h2>") >= 7

    listing = client.get(f"{pages['safety-messages'].url}?audience=midwives")
    assert listing.status_code == HTTPStatus.OK
    titles = {p.title for p in listing.context["listing"].items}
    assert "Safer sleep for babies" in titles
    assert "Button batteries" not in titles

    feed = client.get(f"{pages['learning'].url}feed/?type=crib-sheet")
    assert feed.status_code == HTTPStatus.OK
    assert b"Crib sheet: involving parents" in feed.content

    home = client.get("/").content.decode()
    assert "Latest safety messages" in home
