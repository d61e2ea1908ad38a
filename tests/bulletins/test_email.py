"""The page is the email: one set of sections renders as web page, HTML and text."""

import re
import time
from http import HTTPStatus

import pytest

from bulletins.email import TOKENS, compile_bulletin, personalise
from tests.factories.bulletins import BulletinIndexPageFactory, BulletinPageFactory
from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bulletin(site):
    messages = SafetyMessageIndexPageFactory(parent=site)
    bath = SafetyMessagePageFactory(
        parent=messages,
        title="Bath seats",
        summary="Never leave a baby in a bath seat.",
    )
    draft = SafetyMessagePageFactory(parent=messages, title="Draft", live=False)
    index = BulletinIndexPageFactory(parent=site)
    return BulletinPageFactory(
        parent=index,
        title="Learning bulletin",
        issue_number=12,
        preheader="Bath seats and the new QI plan",
        sections=[
            (
                "section",
                {
                    "heading": "New safety messages",
                    "items": [
                        ("page_item", {"page": bath, "summary": ""}),
                        ("page_item", {"page": draft, "summary": ""}),
                    ],
                },
            ),
            (
                "section",
                {
                    "heading": "From the programme",
                    "items": [
                        (
                            "written_item",
                            {
                                "title": "QI plan 2023-2026",
                                "summary": '<p>See <a href="/about/">about</a>.</p>',
                                "link_url": "https://example.org/plan",
                                "link_text": "Read the plan",
                            },
                        )
                    ],
                },
            ),
        ],
    )


def test_sections_resolve_pages_and_drop_unpublished_ones(bulletin):
    sections = bulletin.get_sections()
    assert [s.heading for s in sections] == [
        "New safety messages",
        "From the programme",
    ]
    first = sections[0].items
    assert [i.title for i in first] == ["Bath seats"]  # the draft is left out
    assert first[0].summary_text == "Never leave a baby in a bath seat."
    assert first[0].url.startswith("http://testserver/")
    assert first[0].kind == "Safety message"


def test_email_has_html_and_text_from_the_same_content(bulletin):
    email = compile_bulletin(bulletin)
    assert email.subject == "Learning bulletin (issue 12)"
    for part in (email.html, email.text):
        assert "Bath seats" in part
        assert "Never leave a baby in a bath seat." in part
        assert "QI plan 2023-2026" in part
        assert "1 Example Street" in part  # the sender's postal line
    assert "Bath seats and the new QI plan" in email.html  # preheader
    assert '<html lang="en-GB"' in email.html
    # Every link is absolute; there are no images without alt text.
    hrefs = re.findall(r'href="([^"]+)"', email.html)
    assert hrefs and all(
        h.startswith(("http://", "https://")) or h in TOKENS.values() for h in hrefs
    )
    assert 'href="http://testserver/about/"' in email.html
    assert all('alt="' in tag for tag in re.findall(r"<img[^>]*>", email.html))
    assert "View this bulletin in your browser" in email.html
    assert "Read it in your browser: http://testserver/bulletins/" in email.text


def test_personalisation_escapes_and_cannot_add_lines(bulletin):
    email = compile_bulletin(bulletin)
    html, text = personalise(
        email,
        name='Asha <script>alert("x")</script>\r\nBcc: evil@example.org',
        unsubscribe_url="https://learning.example.org/u/abc?x=1&y=2",
        preferences_url="https://learning.example.org/p/abc",
    )
    assert "<script>alert" not in html
    assert "Hello Asha &lt;script&gt;" in html
    assert "https://learning.example.org/u/abc?x=1&amp;y=2" in html
    assert not any(token in html or token in text for token in TOKENS.values())
    greeting = next(line for line in text.splitlines() if line.startswith("Hello"))
    assert "Bcc: evil@example.org" in greeting  # kept on the greeting's one line
    assert "\nBcc:" not in text
    html_anonymous, _ = personalise(
        email, name="", unsubscribe_url="u", preferences_url="p"
    )
    assert "Hello," in html_anonymous


def test_compile_once_personalise_cheaply(bulletin):
    email = compile_bulletin(bulletin)
    started = time.perf_counter()
    for n in range(200):
        personalise(email, name=f"Reader {n}", unsubscribe_url="u", preferences_url="p")
    # Not a speed assertion: proves personalising reuses the compiled HTML.
    assert time.perf_counter() - started >= 0
    assert email.html.count(TOKENS["unsubscribe_url"]) == 1


def test_bulletin_web_page_shows_the_same_items(client, bulletin):
    response = client.get(bulletin.url)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Bath seats" in html and "QI plan 2023-2026" in html
    assert "Draft" not in html.split('id="maincontent"', 1)[1]
    assert "issue 12" in html
