"""Pages linked both ways: the QI packs that list a page among their related links."""

from __future__ import annotations

from wagtail.models import Page


def packs_using(page: Page) -> list:
    """Live, public QI packs listing ``page`` among their related links, by title.

    One query when no pack links to the page (most pages); the privacy check
    runs only when there is something to check.
    """
    from .models import QIPackPage

    if page is None or not page.pk:
        return []
    packs = list(
        QIPackPage.objects.live()
        .filter(related_links__page_id=page.pk)
        .distinct()
        .order_by("title", "pk")
    )
    if not packs:
        return []
    public = set(
        QIPackPage.objects.filter(pk__in=[p.pk for p in packs])
        .public()
        .values_list("pk", flat=True)
    )
    return [p for p in packs if p.pk in public]
