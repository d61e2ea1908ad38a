from django.db import models
from wagtail.models import Page

from website.listing import ListingPageMixin
from website.models import TaggedContentPage


class ExampleIndexPage(ListingPageMixin, Page):
    """An index like every real one: filtered, paginated, with feeds."""

    intro = models.TextField(blank=True)
    listing_page_size = 3
    listing_type_field = "kind"
    listing_type_choices = [("briefing", "7-minute briefing"), ("crib", "Crib sheet")]

    def get_listing_queryset(self):
        return ExampleArticlePage.objects.child_of(self)


class ExampleArticlePage(TaggedContentPage):
    kind = models.CharField(
        max_length=20, choices=ExampleIndexPage.listing_type_choices
    )
    body = models.TextField(blank=True)
