"""What the learning app adds to the home page."""

from website.home import HomeSection


def latest_safety_messages(home_page, request) -> HomeSection | None:
    """The three newest safety messages, with a link to all of them; kept with the
    routes, which publishing, unpublishing or moving any page retires."""
    from website.routing import remember_for_page

    return remember_for_page(
        request,
        home_page,
        "latest-safety-messages",
        lambda: _latest_safety_messages(home_page),
    )


def _latest_safety_messages(home_page) -> HomeSection | None:
    from .models import SafetyMessageIndexPage, SafetyMessagePage

    index = SafetyMessageIndexPage.objects.child_of(home_page).live().first()
    if index is None:
        return None
    messages = (
        SafetyMessagePage.objects.child_of(index)
        .live()
        .public()
        .order_by("-first_published_at")[:3]
    )
    return HomeSection(
        heading="Latest safety messages",
        items=list(messages),
        more_url=index.url,
        more_label="All safety messages",
        empty_text="No safety messages have been published yet.",
        order=10,
    )
