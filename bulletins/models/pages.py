"""Bulletins and their public archive. The page is the email."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils.html import format_html, strip_tags
from wagtail.admin.panels import FieldPanel, FieldRowPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from website.listing import ListingPageMixin
from website.models import TaggedContentPage, live_pages_in_order
from website.routing import remember_for_page

from ..blocks import BulletinSectionsBlock


class BulletinIndexPage(ListingPageMixin, Page):
    """The bulletin archive: every issue, filterable, with feeds."""

    intro = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["website.HomePage"]
    subpage_types = ["bulletins.BulletinPage"]
    max_count_per_parent = 1

    def get_listing_queryset(self):
        return BulletinPage.objects.child_of(self)


@dataclass
class BulletinItem:
    """One item as both the web page and the email show it."""

    title: str
    summary_html: str
    summary_text: str
    url: str
    link_text: str
    kind: str


@dataclass
class BulletinSection:
    heading: str
    items: list[BulletinItem]


def absolute(url: str) -> str:
    """An absolute address for an email, from a site-relative one."""
    if not url or url.startswith(("http://", "https://", "mailto:")):
        return url
    return f"{settings.BASE_URL}{url if url.startswith('/') else '/' + url}"


class BulletinPage(TaggedContentPage):
    """One issue of the bulletin: sections of items, sent by email and archived."""

    issue_number = models.PositiveIntegerField()
    issue_date = models.DateField()
    intro = models.TextField(
        max_length=600, help_text="A short opening paragraph, shown first."
    )
    preheader = models.CharField(
        max_length=150,
        blank=True,
        help_text="The preview line email programs show after the subject. "
        "Defaults to the summary.",
    )
    sections = StreamField(BulletinSectionsBlock(), blank=True)

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("issue_number"), FieldPanel("issue_date")]),
        *TaggedContentPage.tagging_panels,
        FieldPanel("intro"),
        FieldPanel("preheader"),
        FieldPanel("sections"),
    ]
    parent_page_types = ["bulletins.BulletinIndexPage"]
    subpage_types = []
    listing_type_label = "Bulletin"

    def get_email_subject(self) -> str:
        return f"{self.title} (issue {self.issue_number})"

    def compile_email(self):
        """This issue as an email, rendered once per send (see bulletins/email.py)."""
        from ..email import compile_bulletin

        return compile_bulletin(self)

    def get_preheader(self) -> str:
        return self.preheader or self.summary

    def get_sections(self) -> list[BulletinSection]:
        """Sections with every page item resolved (one query for all linked pages)."""
        linked = [
            item.value["page"].pk
            for section in self.sections
            for item in section.value["items"]
            if item.block_type == "page_item" and item.value["page"] is not None
        ]
        pages = {page.pk: page for page in live_pages_in_order(linked)}
        resolved = []
        for section in self.sections:
            items = []
            for item in section.value["items"]:
                built = self._build_item(item, pages)
                if built is not None:
                    items.append(built)
            if items:
                resolved.append(BulletinSection(section.value["heading"], items))
        return resolved

    @staticmethod
    def _build_item(item, pages) -> BulletinItem | None:
        value = item.value
        if item.block_type == "page_item":
            page = pages.get(getattr(value["page"], "pk", None))
            if page is None:
                return None  # unpublished or private since: leave it out
            summary = value["summary"] or getattr(page, "summary", "")
            kind = page.get_listing_type() if hasattr(page, "get_listing_type") else ""
            return BulletinItem(
                title=page.title,
                summary_html=format_html("<p>{}</p>", summary),
                summary_text=summary,
                url=absolute(page.url),
                link_text=f"Read: {page.title}",
                kind=kind,
            )
        summary_html = str(value["summary"])
        return BulletinItem(
            title=value["title"],
            summary_html=summary_html,
            summary_text=strip_tags(summary_html).strip(),
            url=absolute(value["link_url"] or ""),
            link_text=value["link_text"] or "",
            kind="",
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Kept with the routes: publishing or unpublishing any page retires them.
        context["bulletin_sections"] = remember_for_page(
            request, self, "bulletin-sections", self.get_sections
        )
        return context
