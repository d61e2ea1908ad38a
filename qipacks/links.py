"""Pages linked both ways: the QI packs that list a page among their related links."""

from __future__ import annotations

from wagtail.models import Page


def packs_using(page: Page) -> list:
    """Live, public QI packs listing ``page`` among their related links, by title.

    One query when no pack links to the page (most pages); the privacy check
    runs only when there is something to check.
    """
    from .models import QIPackPage, QIPackRelated

    if page is None or not page.pk:
        return []
    # A narrow first look: the wide page query only when something links here.
    linking = set(
        QIPackRelated.objects.filter(page_id=page.pk).values_list(
            "page_from_id", flat=True
        )
    )
    if not linking:
        return []
    packs = list(
        QIPackPage.objects.live().filter(pk__in=linking).order_by("title", "pk")
    )
    if not packs:
        return []
    public = set(
        QIPackPage.objects.filter(pk__in=[p.pk for p in packs])
        .public()
        .values_list("pk", flat=True)
    )
    return [p for p in packs if p.pk in public]
