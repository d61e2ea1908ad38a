"""Theme and audience pages: everything tagged with one term, across every app."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from wagtail.models import Locale, Page

from .listing import build_listing
from .models import Audience, PageAudience, PageTheme, Theme, live_pages_in_order

TOPIC_PAGE_SIZE = 20


def tagged_pages(through, term) -> QuerySet:
    """Live, public pages in the reader's language tagged with ``term``, newest first.

    Translations carry their original's tags, so without the locale filter the
    English theme page would list every language version of a message.
    """
    return (
        Page.objects.filter(
            pk__in=through.objects.filter(tag=term).values("content_object_id"),
            locale=Locale.get_active(),
        )
        .live()
        .public()
        .order_by("-first_published_at", "-pk")
    )


def _topic_view(request, slug, model, through, noun):
    term = get_object_or_404(model, slug=slug)
    listing = build_listing(
        tagged_pages(through, term),
        request.GET,
        base_path=request.path,
        page_size=TOPIC_PAGE_SIZE,
        with_options=False,
    )
    if listing.page is not None:
        # One query per page type on this page of results, not one per result.
        listing.page.object_list = live_pages_in_order(
            [p.pk for p in listing.page.object_list]
        )
    return TemplateResponse(
        request,
        "website/topic_page.html",
        {"term": term, "noun": noun, "listing": listing},
        status=200 if listing.is_valid else 400,
    )


def theme_page(request, slug):
    return _topic_view(request, slug, Theme, PageTheme, "theme")


def audience_page(request, slug):
    return _topic_view(request, slug, Audience, PageAudience, "audience")
