"""Template tags for other apps' pages that webinars link to."""

from __future__ import annotations

from django import template
from wagtail.models import Page

from webinars.models import WebinarPage, WebinarRelated

register = template.Library()


def webinars_linking_to(page: Page) -> list[WebinarPage]:
    """Live, public webinars listing ``page`` as related: upcoming soonest first,
    then past most recent first. Leaves out any the page lists itself.

    One query when no webinar links to the page (most pages); more only when
    there is something to show.
    """
    if page is None or not page.pk:
        return []
    # A narrow first look: the wide page query only when something links here.
    linking = set(
        WebinarRelated.objects.filter(page_id=page.pk).values_list(
            "page_from_id", flat=True
        )
    )
    if not linking:
        return []
    webinars = list(
        WebinarPage.objects.live().filter(pk__in=linking).order_by("-starts_at", "pk")
    )
    if not webinars:
        return []
    public = set(
        WebinarPage.objects.filter(pk__in=[w.pk for w in webinars])
        .public()
        .values_list("pk", flat=True)
    )
    own = getattr(page, "related_links", None)
    listed = set(own.values_list("page_id", flat=True)) if own is not None else set()
    shown = [w for w in webinars if w.pk in public and w.pk not in listed]
    upcoming = sorted((w for w in shown if not w.is_past), key=lambda w: w.starts_at)
    return upcoming + [w for w in shown if w.is_past]


@register.inclusion_tag("webinars/includes/linked_webinars_list.html")
def linked_webinars(page):
    """``{% linked_webinars page %}``: "Webinars about this", if any link here."""
    return {"webinars": webinars_linking_to(page)}
