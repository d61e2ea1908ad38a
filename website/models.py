"""Site-wide records: vocabularies, tagged-content mixin, organisations, core pages."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.models import TagBase, TaggedItemBase
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from .blocks import SHORT_FEATURES, BodyStreamBlock
from .routing import KnownRestrictionsMixin, remember_for_page

# --- Vocabularies -------------------------------------------------------------


class VocabularyTag(TagBase):
    """A controlled vocabulary term: editors pick from the list, never type new ones."""

    # Wagtail renders a tag field as checkboxes when the tag model forbids free tagging.
    free_tagging = False

    description = models.TextField(
        blank=True, help_text="One or two sentences shown on the term's own page."
    )
    sort_order = models.PositiveIntegerField(default=0)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class Theme(VocabularyTag):
    """A topic (safe sleep, water safety...): filters listings, feeds, subscriptions."""

    class Meta(VocabularyTag.Meta):
        verbose_name = "theme"


class Audience(VocabularyTag):
    """A professional group (midwives, police...): filters listings, feeds and lists."""

    class Meta(VocabularyTag.Meta):
        verbose_name = "audience"


class PageTheme(TaggedItemBase):
    """Links any page to a theme; one table serves every page type."""

    tag = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="page_items")
    content_object = ParentalKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="theme_items"
    )


class PageAudience(TaggedItemBase):
    """Links any page to an audience; one table serves every page type."""

    tag = models.ForeignKey(
        Audience, on_delete=models.CASCADE, related_name="page_items"
    )
    content_object = ParentalKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="audience_items"
    )


class VocabularyTaggableManager(ClusterTaggableManager):
    """A tag field that many page types can inherit from one abstract model.

    taggit does not make a hidden reverse name unique per model the way Django's
    own relations do, so two page types with the same field would clash; this
    gives each concrete model its own hidden name, as Django does for ``"+"``.
    """

    def contribute_to_class(self, cls, name):
        if not cls._meta.abstract:
            self.remote_field.related_name = (
                f"_{cls._meta.app_label}_{cls._meta.model_name}_{name}_+"
            )
        super().contribute_to_class(cls, name)


class TaggedContentPage(KnownRestrictionsMixin, Page):
    """Mixin for every public content page: summary, themes, audiences, review date.

    Listings, feeds, subscriptions and search all key off these fields.
    """

    summary = models.TextField(
        max_length=400,
        help_text="One or two plain sentences: shown in listings, feeds, emails "
        "and search results.",
    )
    themes = VocabularyTaggableManager(
        through=PageTheme,
        blank=True,
        verbose_name="themes",
        help_text="Tick every topic this content is about.",
    )
    audiences = VocabularyTaggableManager(
        through=PageAudience,
        blank=True,
        verbose_name="audiences",
        help_text="Tick every professional group this content is for.",
    )
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When the content was last checked."
    )
    review_interval_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="How often the content must be checked. Its owner is emailed "
        "when a check is due.",
    )

    tagging_panels = [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("themes"),
                FieldPanel("audiences"),
                FieldRowPanel(
                    [FieldPanel("last_reviewed"), FieldPanel("review_interval_months")]
                ),
            ],
            heading="Themes, audiences and review",
        ),
    ]
    content_panels = Page.content_panels + tagging_panels

    # Listings show the kind of page; subclasses with their own kinds override.
    listing_type_label = ""

    class Meta:
        abstract = True

    def get_listing_type(self) -> str:
        return self.listing_type_label or self._meta.verbose_name.capitalize()

    @property
    def review_due_on(self):
        """When the next check is due: the interval after the last one (or publish)."""
        from dateutil.relativedelta import relativedelta

        checked = self.last_reviewed or (
            self.first_published_at.date() if self.first_published_at else None
        )
        if checked is None:
            return None
        return checked + relativedelta(months=self.review_interval_months)


# --- Organisations --------------------------------------------------------------


class Organisation(ClusterableModel):
    """An organisation whose QI leads record recommendation uptake."""

    class Type(models.TextChoices):
        CDOP = "cdop", "Child Death Overview Panel (CDOP)"
        ICB = "icb", "Integrated care board (ICB)"
        NHS_TRUST = "nhs_trust", "NHS trust"
        LOCAL_AUTHORITY = "local_authority", "Local authority"
        POLICE = "police", "Police force"
        SCHOOL = "school", "School or academy trust"
        OTHER = "other", "Other"

    class Region(models.TextChoices):
        NORTH_EAST_YORKSHIRE = "ney", "North East and Yorkshire"
        NORTH_WEST = "nw", "North West"
        MIDLANDS = "mid", "Midlands"
        EAST = "eoe", "East of England"
        LONDON = "lon", "London"
        SOUTH_EAST = "se", "South East"
        SOUTH_WEST = "sw", "South West"

    name = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=32, choices=Type.choices)
    region = models.CharField(max_length=8, choices=Region.choices)
    code = models.CharField(
        max_length=32,
        unique=True,
        help_text="The organisation's national code (ODS code for NHS bodies).",
    )
    named_lead_name = models.CharField(
        "named lead",
        max_length=255,
        blank=True,
        help_text="The senior person overdue QI responses are escalated to.",
    )
    named_lead_email = models.EmailField("named lead's email", blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("type"),
        FieldPanel("region"),
        FieldPanel("code"),
        FieldPanel("named_lead_name"),
        FieldPanel("named_lead_email"),
        InlinePanel("memberships", heading="People", label="Member"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A person's role in an organisation; QI leads edit its uptake records."""

    class Role(models.TextChoices):
        QI_LEAD = "qi_lead", "QI lead"
        VIEWER = "viewer", "Viewer"

    organisation = ParentalKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.QI_LEAD)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    panels = [FieldPanel("user"), FieldPanel("role")]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="unique_membership"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} at {self.organisation}"


# --- Pages ----------------------------------------------------------------------


def live_pages_in_order(ids) -> list:
    """The live, public pages among ``ids``, as their own types, in ``ids`` order.

    One query per page type however many ids: for featured, related and linked
    pages, where editors choose the order and any may since have been unpublished.
    """
    ids = [pk for pk in ids if pk]
    pages = Page.objects.filter(pk__in=ids).live().public().specific().in_bulk()
    return [pages[pk] for pk in ids if pk in pages]


class HomePage(KnownRestrictionsMixin, Page):
    """The site root: featured content, what is new, and a way to subscribe."""

    intro = models.TextField(
        max_length=400, help_text="A sentence saying what the site is for."
    )
    subscribe_heading = models.CharField(max_length=120, default="Get updates by email")
    subscribe_text = models.TextField(
        max_length=300,
        blank=True,
        default="Choose the topics and professional groups you care about. "
        "No password needed.",
    )
    subscribe_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where the subscribe button goes.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        InlinePanel("featured_items", label="Featured content", max_num=6),
        MultiFieldPanel(
            [
                FieldPanel("subscribe_heading"),
                FieldPanel("subscribe_text"),
                PageChooserPanel("subscribe_page"),
            ],
            heading="Subscribe call to action",
        ),
    ]

    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    def get_context(self, request, *args, **kwargs):
        from .home import home_sections

        context = super().get_context(request, *args, **kwargs)
        # Kept with the routes: publishing anything retires them.
        context["featured"] = remember_for_page(
            request,
            self,
            "featured",
            lambda: live_pages_in_order(
                list(self.featured_items.values_list("page_id", flat=True))
            ),
        )
        context["sections"] = home_sections(self, request)
        return context


class HomePageFeaturedItem(Orderable):
    """A page the editors put at the top of the home page."""

    home = ParentalKey(
        HomePage, on_delete=models.CASCADE, related_name="featured_items"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+"
    )

    panels = [PageChooserPanel("page")]


class StandardPage(TaggedContentPage):
    """A plain page: about, accessibility statement, privacy notice, help."""

    body = StreamField(BodyStreamBlock(), blank=True)

    content_panels = TaggedContentPage.content_panels + [FieldPanel("body")]

    parent_page_types = ["website.HomePage", "website.StandardPage"]

    def get_listing_type(self) -> str:
        return ""  # "Page" tells a reader nothing


# --- Site settings ----------------------------------------------------------------


@register_setting(icon="list-ul")
class SiteNavigation(ClusterableModel, BaseSiteSetting):
    """Header navigation, footer links and the organisation line, per site."""

    organisation_name = models.CharField(
        max_length=120,
        default="Child death review",
        help_text="Shown in the header in place of a logo.",
    )
    organisation_descriptor = models.CharField(
        max_length=120, blank=True, default="Learning and quality improvement"
    )
    footer_text = RichTextField(features=SHORT_FEATURES, blank=True)

    panels = [
        MultiFieldPanel(
            [FieldPanel("organisation_name"), FieldPanel("organisation_descriptor")],
            heading="Header",
        ),
        InlinePanel("header_links", label="Header link", max_num=8),
        InlinePanel("footer_links", label="Footer link", max_num=12),
        FieldPanel("footer_text"),
    ]

    class Meta:
        verbose_name = "navigation and footer"


class NavigationLinkBase(Orderable):
    """A labelled link to a page or an address."""

    label = models.CharField(max_length=60)
    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    url = models.CharField(
        max_length=255, blank=True, help_text="Only if no page is chosen."
    )

    panels = [FieldPanel("label"), PageChooserPanel("page"), FieldPanel("url")]

    class Meta(Orderable.Meta):
        abstract = True

    def get_href(self) -> str:
        if self.page_id:
            return self.page.url or "#"
        return self.url or "#"

    def clean(self):
        from django.core.exceptions import ValidationError

        if not self.page_id and not self.url:
            raise ValidationError("Choose a page or enter an address for this link.")


class HeaderLink(NavigationLinkBase):
    setting = ParentalKey(
        SiteNavigation, on_delete=models.CASCADE, related_name="header_links"
    )


class FooterLink(NavigationLinkBase):
    setting = ParentalKey(
        SiteNavigation, on_delete=models.CASCADE, related_name="footer_links"
    )


# --- Operations -------------------------------------------------------------------


class Heartbeat(models.Model):
    """When a periodic process last proved it was alive (beat → worker → database)."""

    name = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


# --- Feedback ---------------------------------------------------------------------


class PageFeedback(models.Model):
    """One anonymous "was this page useful?" answer; holds no personal data."""

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="feedback"
    )
    useful = models.BooleanField()
    comment = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["page", "created_at"], name="pagefeedback_page_created"
            )
        ]
        verbose_name = "page feedback"
        verbose_name_plural = "page feedback"

    def __str__(self):
        answer = "useful" if self.useful else "not useful"
        return f"Page {self.page_id} {answer} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def useful_label(self) -> str:
        return "Yes" if self.useful else "No"


# --- Editorial review -------------------------------------------------------------


class ReviewReminder(models.Model):
    """A review-due email sent for a page: one per page per due date, never twice."""

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="review_reminders"
    )
    due_on = models.DateField()
    recipient = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "due_on"], name="one_reminder_per_page_due_date"
            )
        ]

    def __str__(self):
        return f"Review of page {self.page_id} due {self.due_on} → {self.recipient}"
