"""Safety messages and learning resources, and the index pages that list them."""

from django.conf import settings
from django.db import models
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from website.blocks import SHORT_FEATURES
from website.i18n import language_info
from website.listing import ListingPageMixin
from website.models import TaggedContentPage, live_pages_in_order

from .blocks import LearningBodyBlock, WhatToDoBlock

WHY_FEATURES = ["bold", "italic", "link", "ul", "ol"]


class SafetyMessageIndexPage(ListingPageMixin, Page):
    """Lists safety messages, filterable by theme, audience and year, with feeds."""

    intro = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["website.HomePage"]
    subpage_types = ["learning.SafetyMessagePage"]
    max_count_per_parent = 1

    def get_listing_queryset(self):
        return SafetyMessagePage.objects.child_of(self)


class SafetyMessagePage(RoutablePageMixin, TaggedContentPage):
    """One newborn or infant safety message: the key message first, then what to do."""

    key_message = models.CharField(
        max_length=220,
        help_text="One sentence a busy practitioner must take away. Shown first.",
    )
    what_to_do = StreamField(WhatToDoBlock(), blank=True)
    why_it_matters = RichTextField(
        features=WHY_FEATURES,
        blank=True,
        help_text="The evidence: what reviews found and why the advice matters.",
    )
    source_title = models.CharField(
        max_length=255, blank=True, help_text="The report or QI pack it came from."
    )
    source_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The QI pack or report page on this site, if there is one.",
    )
    source_url = models.URLField(
        blank=True, help_text="Only if the source is on another site."
    )
    translation_checked_on = models.DateField(
        null=True,
        blank=True,
        help_text="Translations only: when a qualified translator last checked this "
        "against the English. Leave empty until then.",
    )
    translation_note = models.CharField(
        max_length=200,
        blank=True,
        help_text="Translations only: shown to readers, e.g. that it awaits a check.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("key_message"),
        *TaggedContentPage.tagging_panels,
        FieldPanel("what_to_do"),
        FieldPanel("why_it_matters"),
        MultiFieldPanel(
            [
                FieldPanel("source_title"),
                PageChooserPanel("source_page"),
                FieldPanel("source_url"),
            ],
            heading="Where this comes from",
        ),
        MultiFieldPanel(
            [FieldPanel("translation_checked_on"), FieldPanel("translation_note")],
            heading="Translation",
        ),
    ]
    parent_page_types = ["learning.SafetyMessageIndexPage"]
    subpage_types = []
    listing_type_label = "Safety message"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # On a translation the site's own words (labels, headings, the share box)
        # stay English: mark them so screen readers switch voice (WCAG 3.1.2).
        context["en"] = (
            mark_safe('lang="en-GB" dir="ltr"')  # noqa: S308 - a fixed literal
            if self.is_translation
            else ""
        )
        return context

    @cached_property
    def is_translation(self) -> bool:
        default = get_supported_content_language_variant(settings.LANGUAGE_CODE)
        return self.locale.language_code != default

    @cached_property
    def language_versions(self) -> list[dict]:
        """Every live language version, each named in its own language and script."""
        versions = []
        pages = self.get_translations(inclusive=True).live().select_related("locale")
        for page in pages.order_by("locale__language_code"):
            code = page.locale.language_code
            info = language_info(code)
            versions.append(
                {
                    "code": code,
                    "name_local": info["name_local"],
                    "name": info["name"],
                    "bidi": info["bidi"],
                    "url": page.url,
                    "current": page.pk == self.pk,
                }
            )
        return versions

    @property
    def source_link(self) -> str:
        if self.source_page_id and self.source_page.live:
            return self.source_page.url
        return self.source_url

    @path("")
    def message_view(self, request):
        return self.render(request)

    @path("print/")
    def print_view(self, request):
        """One printable page: the message, what to do, why, and its address."""
        return TemplateResponse(
            request,
            "learning/safety_message_page_print.html",
            self.get_context(request),
        )


class LearningIndexPage(ListingPageMixin, Page):
    """Lists learning resources, filterable by theme, audience, kind and year."""

    intro = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["website.HomePage"]
    subpage_types = ["learning.LearningResourcePage"]
    max_count_per_parent = 1
    listing_type_field = "kind"

    def get_listing_queryset(self):
        return LearningResourcePage.objects.child_of(self)

    @property
    def listing_type_choices(self):
        return LearningResourcePage.Kind.choices


class LearningResourcePage(TaggedContentPage):
    """A 7-minute briefing, crib sheet, training module, case study or summary."""

    class Kind(models.TextChoices):
        BRIEFING = "briefing", "7-minute briefing"
        CRIB_SHEET = "crib-sheet", "Crib sheet"
        MODULE = "training-module", "Training module"
        CASE_STUDY = "case-study", "Case study"
        GUIDANCE = "guidance-summary", "Guidance summary"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Roughly how long it takes to read or do."
    )
    body = StreamField(LearningBodyBlock(), blank=True)
    downloads_intro = RichTextField(features=SHORT_FEATURES, blank=True)

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("kind"), FieldPanel("duration_minutes")]),
        *TaggedContentPage.tagging_panels,
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("downloads_intro"), InlinePanel("downloads", label="File")],
            heading="Downloads",
        ),
        InlinePanel("related_links", label="Related content", max_num=6),
    ]
    parent_page_types = ["learning.LearningIndexPage"]
    subpage_types = []

    def get_listing_type(self) -> str:
        return self.get_kind_display()

    @property
    def is_briefing(self) -> bool:
        return self.kind == self.Kind.BRIEFING

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["downloads"] = self.downloads.select_related("document").all()
        context["related"] = live_pages_in_order(
            self.related_links.values_list("page_id", flat=True)
        )
        return context


class LearningResourceDownload(Orderable):
    """A file readers can download from a learning resource."""

    page = ParentalKey(
        LearningResourcePage, on_delete=models.CASCADE, related_name="downloads"
    )
    document = models.ForeignKey(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(
        max_length=255, blank=True, help_text="Defaults to the document's title."
    )

    panels = [FieldPanel("document"), FieldPanel("title")]

    @property
    def label(self) -> str:
        return self.title or self.document.title


class LearningResourceRelated(Orderable):
    """A related page (a safety message, QI pack, webinar) shown beside a resource."""

    page_from = ParentalKey(
        LearningResourcePage, on_delete=models.CASCADE, related_name="related_links"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+"
    )

    panels = [PageChooserPanel("page")]
