"""Template tags for other apps' pages that webinars link to."""

from __future__ import annotations

from django import template
from wagtail.models import Page

from webinars.models import WebinarPage, WebinarRelated
from website import routing

register = template.Library()


def webinars_linking_to(page: Page) -> list[WebinarPage]:
    """Live, public webinars listing ``page`` as related: upcoming soonest first,
    then past most recent first. Leaves out any the page lists itself.

    One query when no webinar links to the page (most pages); more only when
    there is something to show.
    """
    return _in_time_order(_linking(page))


def _linking(page: Page) -> list[WebinarPage]:
    """The webinars to show, most recent first; which are past is asked later."""
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
    return [w for w in webinars if w.pk in public and w.pk not in listed]


def _in_time_order(shown: list[WebinarPage]) -> list[WebinarPage]:
    upcoming = sorted((w for w in shown if not w.is_past), key=lambda w: w.starts_at)
    return upcoming + [w for w in shown if w.is_past]


@register.inclusion_tag(
    "webinars/includes/linked_webinars_list.html", takes_context=True
)
def linked_webinars(context, page):
    """``{% linked_webinars page %}``: "Webinars about this", if any link here.

    Which webinars link here is kept with the routes (website/routing.py), per
    published revision of ``page`` (its own related links are left out); which of
    them are past is decided on each view."""
    request = context.get("request")
    if page is None or request is None:
        return {"webinars": webinars_linking_to(page)}
    shown = routing.remember_for_page(
        request,
        page,
        f"linked-webinars:{page.live_revision_id}",
        lambda: _linking(page),
    )
    return {"webinars": _in_time_order(shown)}
