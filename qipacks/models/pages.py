"""QI pack pages and their recommendations."""

from __future__ import annotations

from django import forms
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from website.blocks import SHORT_FEATURES
from website.listing import ListingPageMixin
from website.models import Organisation, TaggedContentPage

from ..blocks import MaterialsBlock, QIPlanBlock


class ChoiceArrayField(ArrayField):
    """A list of choices, edited as tick boxes."""

    def formfield(self, **kwargs):
        return forms.TypedMultipleChoiceField(
            choices=self.base_field.choices,
            coerce=self.base_field.to_python,
            widget=forms.CheckboxSelectMultiple,
            required=not self.blank,
            label=self.verbose_name.capitalize(),
            help_text=self.help_text,
        )


class QIPackIndexPage(ListingPageMixin, Page):
    """Lists QI packs, filterable by theme, audience and year, with feeds."""

    intro = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["website.HomePage"]
    subpage_types = ["qipacks.QIPackPage"]
    max_count_per_parent = 1

    def get_listing_queryset(self):
        return QIPackPage.objects.child_of(self)


class QIPackPage(RoutablePageMixin, TaggedContentPage):
    """A quality-improvement pack: a report's learning turned into a QI plan,
    materials for each audience, and recommendations organisations respond to."""

    report_title = models.CharField(
        max_length=255, help_text="The report or review this pack comes from."
    )
    report_published = models.DateField(null=True, blank=True)
    report_url = models.URLField(blank=True, help_text="Where to read the report.")
    introduction = RichTextField(features=SHORT_FEATURES, blank=True)
    qi_plan = StreamField(QIPlanBlock(), blank=True, verbose_name="QI plan")
    materials = StreamField(
        MaterialsBlock(),
        blank=True,
        help_text="A section for each audience; readers can show just theirs.",
    )

    content_panels = Page.content_panels + [
        *TaggedContentPage.tagging_panels,
        MultiFieldPanel(
            [
                FieldPanel("report_title"),
                FieldRowPanel(
                    [FieldPanel("report_published"), FieldPanel("report_url")]
                ),
            ],
            heading="The report",
        ),
        FieldPanel("introduction"),
        FieldPanel("qi_plan"),
        FieldPanel("materials"),
        InlinePanel(
            "recommendations", label="Recommendation", heading="Recommendations"
        ),
        InlinePanel("downloads", label="File", heading="Downloads"),
        InlinePanel("related_links", label="Related content", max_num=8),
    ]
    parent_page_types = ["qipacks.QIPackIndexPage"]
    subpage_types = []
    listing_type_label = "QI pack"

    class Meta:
        verbose_name = "QI pack"

    def get_context(self, request, *args, **kwargs):
        from .. import public

        context = super().get_context(request, *args, **kwargs)
        choice, sections = public.audience_choice(self, request.GET)
        context.update(
            {
                "audience_choice": choice,
                "materials": sections,
                "qi_plan_groups": public.qi_plan_groups(self),
                "recommendation_rows": public.recommendation_rows(self, request),
                "downloads": list(self.downloads.select_related("document")),
                "related_groups": public.related_groups(self),
            }
        )
        return context

    @path("")
    def pack_view(self, request):
        """The pack; ``?audience=<slug>`` shows one audience's material (400 if
        the value is malformed, with the whole pack and a message)."""
        context = self.get_context(request)
        status = 200 if context["audience_choice"].is_valid else 400
        return TemplateResponse(
            request, self.get_template(request), context, status=status
        )

    @path("recommendations/<str:reference>/", name="recommendation")
    def recommendation_view(self, request, reference):
        """One recommendation at a stable address (its reference, lowercased)."""
        from .. import public

        recommendation = public.find_recommendation(self, reference)
        if recommendation is None:
            raise Http404("This pack has no recommendation with that reference.")
        context = super().get_context(request)
        row = public.recommendation_rows_for(self, [recommendation], request)[0]
        qi_lead = public.is_qi_lead(getattr(request, "user", None))
        context.update(
            {
                "row": row,
                "recommendation": recommendation,
                "is_qi_lead": qi_lead,
                "canonical_url": public.recommendation_path(
                    self.full_url or "", recommendation.reference
                ),
            }
        )
        response = TemplateResponse(request, "qipacks/recommendation.html", context)
        # What a signed-in QI lead sees differs: never share it through a cache.
        patch_vary_headers(response, ["Cookie"])
        if qi_lead:
            patch_cache_control(response, private=True)
        return response


class Recommendation(Orderable):
    """One recommendation of a pack, for the organisation types it names."""

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    pack = ParentalKey(
        QIPackPage, on_delete=models.CASCADE, related_name="recommendations"
    )
    reference = models.CharField(
        max_length=8, help_text="Short and stable, like R1; used in its address."
    )
    text = models.TextField()
    applies_to = ChoiceArrayField(
        models.CharField(max_length=32, choices=Organisation.Type.choices),
        verbose_name="applies to",
        help_text="The kinds of organisation expected to respond.",
    )
    priority = models.CharField(
        max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    response_due = models.DateField(
        help_text="When organisations should have given a first response."
    )

    panels = [
        FieldRowPanel([FieldPanel("reference"), FieldPanel("priority")]),
        FieldPanel("text"),
        FieldPanel("applies_to"),
        FieldPanel("response_due"),
    ]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "reference"], name="unique_recommendation_reference"
            )
        ]

    def __str__(self):
        return f"{self.reference}: {self.text[:60]}"

    def applies_to_type(self, organisation_type: str) -> bool:
        return organisation_type in self.applies_to

    def get_applies_to_display(self) -> list[str]:
        labels = dict(Organisation.Type.choices)
        return [labels.get(value, value) for value in self.applies_to]


class QIPackDownload(Orderable):
    """A file readers can download from a pack (printable materials, the plan)."""

    page = ParentalKey(QIPackPage, on_delete=models.CASCADE, related_name="downloads")
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


class QIPackRelated(Orderable):
    """A safety message, learning resource or webinar that goes with a pack.

    Linked both ways: the other page lists the packs that link to it.
    """

    page_from = ParentalKey(
        QIPackPage, on_delete=models.CASCADE, related_name="related_links"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="qi_pack_links"
    )

    panels = [PageChooserPanel("page")]
