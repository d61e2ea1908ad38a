"""The safety-message and digest emails' HTML, opened as pages, through axe-core."""

import pytest

from bulletins.email import personalise

PEOPLE = {
    "name": "Asha Patel",
    "unsubscribe_url": "https://learning.example.org/unsubscribe/token",
    "preferences_url": "https://learning.example.org/preferences/token",
}


@pytest.mark.parametrize("slug", ["safer-sleep", "button-batteries"])
def test_safety_message_email_html_passes_axe_as_a_page(page, learning_site, axe, slug):
    message = learning_site.messages[slug]  # demo content: do/don't, care card
    html, _ = personalise(message.compile_email(), **PEOPLE)
    page.set_content(html)
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.title() == f"Safety message: {message.title}"
    assert page.get_by_text("Hello Asha Patel,").is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == message.title
    assert page.get_by_role("heading", name="What to do").is_visible()
    assert (
        page.get_by_role("link", name="Unsubscribe").get_attribute("href")
        == (PEOPLE["unsubscribe_url"])
    )
    axe(page, f"{slug} safety message email HTML")


def test_digest_email_html_passes_axe_as_a_page(page, learning_site, axe):
    import datetime as dt

    from django.utils import timezone

    from bulletins.digests import compile_digest

    pages = [
        *list(learning_site.messages.values())[:2],
        *list(learning_site.resources.values())[:2],
    ]
    end = timezone.now()
    email = compile_digest(
        pages, period_start=end - dt.timedelta(days=7), period_end=end
    )
    html, _ = personalise(email, **PEOPLE)
    page.set_content(html)
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.get_by_role("heading", level=1).inner_text() == "Your weekly digest"
    for item in pages:
        assert page.get_by_role("link", name=item.title).is_visible()
    axe(page, "weekly digest email HTML")
