"""Bulletins in Chromium: the archive, an issue, and the email itself, through axe."""

import datetime as dt

import pytest


@pytest.fixture
def bulletin(learning_site):
    from bulletins.models import BulletinIndexPage, BulletinPage
    from website.models import HomePage

    home = HomePage.objects.get(depth=2, locale__language_code="en-gb")
    index = BulletinIndexPage(title="Bulletins", slug="bulletins", intro="Every issue.")
    home.add_child(instance=index)
    messages = list(learning_site.messages.values())[:3]
    issue = BulletinPage(
        title="Learning bulletin",
        slug="learning-bulletin",
        summary="Three new safety messages and a note from the programme.",
        issue_number=1,
        issue_date=dt.date(2026, 11, 1),
        intro="Welcome to the first bulletin.",
        sections=[
            (
                "section",
                {
                    "heading": "New safety messages",
                    "items": [
                        ("page_item", {"page": page, "summary": ""})
                        for page in messages
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
                                "summary": "<p>What we will improve, and how.</p>",
                                "link_url": "https://example.org/plan",
                                "link_text": "Read the plan",
                            },
                        )
                    ],
                },
            ),
        ],
    )
    index.add_child(instance=issue)
    issue.save_revision().publish()
    return issue


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_bulletin_archive_and_issue_pass_axe(new_page, bulletin, axe, size):
    page = new_page(size)
    for path in ("/bulletins/", bulletin.url):
        response = page.goto(path)
        assert response.status == 200, path
        assert page.locator("h1").count() == 1
        axe(page, f"{path} at {size} size")
    assert page.locator("h2", has_text="New safety messages").is_visible()
    assert not page.diagnostics.problems(), page.diagnostics.problems()


def test_bulletin_email_html_passes_axe_as_a_page(page, bulletin, axe):
    from bulletins.email import compile_bulletin, personalise

    html, _ = personalise(
        compile_bulletin(bulletin),
        name="Asha Patel",
        unsubscribe_url="https://learning.example.org/unsubscribe/token",
        preferences_url="https://learning.example.org/preferences/token",
    )
    page.set_content(html)
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_text("Hello Asha Patel,").is_visible()
    axe(page, "bulletin email HTML")
