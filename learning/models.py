"""Safety messages and learning resources, and the index pages that list them."""

import re
import textwrap
from html import unescape
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html, strip_tags
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
from wagtail.rich_text import expand_db_html

from website import routing
from website.blocks import SHORT_FEATURES
from website.generations import remember
from website.i18n import language_info
from website.listing import ListingPageMixin
from website.models import TaggedContentPage, live_pages_in_order

from .blocks import LearningBodyBlock, WhatToDoBlock

if TYPE_CHECKING:
    from bulletins.email import CompiledEmail

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
    email_subscribers_on_publish = models.BooleanField(
        "Email subscribers when first published",
        default=True,
        help_text="When this message is first published, email it straight away to "
        "people who asked for new safety messages on its themes and audiences. "
        "Publishing it again after a change sends nothing. Translations are "
        "never emailed.",
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
    settings_panels = Page.settings_panels + [
        MultiFieldPanel([FieldPanel("email_subscribers_on_publish")], heading="Email"),
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
        """Every live language version, each named in its own language and script.

        Kept with the page's route (website/routing.py): publishing or
        unpublishing any page, a translation included, retires it."""
        if not self.pk:
            return self._language_versions()
        return remember(
            routing.GENERATION,
            f"languages:{self.pk}",
            settings.ROUTE_CACHE_SECONDS,
            self._language_versions,
        )

    def _language_versions(self) -> list[dict]:
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

    def get_email_subject(self) -> str:
        return f"Safety message: {self.title}"

    def get_preheader(self) -> str:
        return self.key_message

    def get_email_blocks(self) -> list[dict]:
        """The "what to do" blocks as email: heading, label, HTML and plain text."""
        blocks = []
        for block in self.what_to_do:
            built = _email_block(block)
            if built is not None:
                built["text"] = _plain_text(built["html"])
                blocks.append(built)
        return blocks

    def compile_email(self) -> "CompiledEmail":
        """This message as an email, rendered once per send, personalised later.

        Like a bulletin (``bulletins.email.compile_bulletin``): MJML compiled with
        MRML, links made absolute, the recipient's details left as the tokens of
        ``bulletins.email.TOKENS``.
        """
        from django.template.loader import render_to_string
        from mjml import mjml2html

        from bulletins.email import TOKENS, CompiledEmail, make_absolute
        from bulletins.models import absolute

        why_html = expand_db_html(self.why_it_matters) if self.why_it_matters else ""
        context = {
            "page": self,
            "subject": self.get_email_subject(),
            "preheader": self.get_preheader(),
            "audiences": [a.name for a in self.audiences.all()],
            "blocks": self.get_email_blocks(),
            "why_it_matters": mark_safe(why_html),  # noqa: S308 - editor rich text
            "why_it_matters_text": _plain_text(why_html),
            "source_url": absolute(self.source_link),
            "view_url": absolute(self.url),
            "contact_line": settings.CONTACT_LINE,
            "site_name": settings.WAGTAIL_SITE_NAME,
            "tokens": TOKENS,
        }
        html = mjml2html(render_to_string("emails/safety_message.mjml", context))
        text = render_to_string("emails/safety_message.txt", context)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return CompiledEmail(
            subject=context["subject"],
            preheader=context["preheader"],
            html=make_absolute(html),
            text=text.strip() + "\n",
        )

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


# --- Safety messages as email ------------------------------------------------------
# Email programs ignore the site's stylesheet, so each "what to do" block becomes
# plain HTML with inline styles (and plain text made from that same HTML).

_EMAIL_STYLES = {
    "do": "border-left:8px solid #007f3b;padding:4px 0 4px 16px;",
    "dont": "border-left:8px solid #d5281b;padding:4px 0 4px 16px;",
    "callout": "background-color:#fff9c4;border:1px solid #ffeb3b;padding:12px 16px;",
    "inset": "border-left:8px solid #005eb8;padding:4px 0 4px 16px;",
    "primary": "border:1px solid #005eb8;border-top:8px solid #005eb8;"
    "padding:12px 16px;",
    "urgent": "border:1px solid #d5281b;border-top:8px solid #d5281b;"
    "padding:12px 16px;",
    "immediate": "border:4px solid #d5281b;padding:12px 16px;",
    "text": "",
}
_CARE_LABELS = {"primary": "Non-urgent", "urgent": "Urgent", "immediate": "Emergency"}
_ONLY_PARAGRAPH = re.compile(r"^\s*<p[^>]*>(.*?)</p>\s*$", re.S)


def _rich(value) -> str:
    """Rich text (a block value or stored HTML) as front-end HTML."""
    source = getattr(value, "source", value) or ""
    return expand_db_html(source)


def _list_items(values) -> str:
    items = []
    for value in values:
        html = _rich(value)
        if len(re.findall(r"<p[\s>]", html)) == 1:
            html = _ONLY_PARAGRAPH.sub(r"\1", html)
        items.append(f"<li>{html}</li>")
    return f"<ul>{''.join(items)}</ul>"


def _email_body_html(block) -> str:
    """A care card's (or details') body block as simple email HTML."""
    kind, value = block.block_type, block.value
    if kind == "richtext":
        return _rich(value)
    if kind == "inset_text":
        return _rich(value["body"])
    if kind == "warning_callout":
        return format_html("<p><strong>{}</strong></p>", value["title"]) + _rich(
            value["body"]
        )
    if kind == "feature_card":
        return format_html(
            "<p><strong>{}</strong></p>", value["feature_heading"]
        ) + _rich(value["body"])
    if kind == "action_link":
        page = value.get("internal_page")
        url = page.url if page is not None and page.live else value["external_url"]
        if not url:
            return ""
        return format_html(
            '<p><a href="{}"><strong>{}</strong></a></p>', url, value["text"]
        )
    if kind == "details":
        return format_html("<p><strong>{}</strong></p>", value["title"]) + "".join(
            _email_body_html(child) for child in value["body"]
        )
    if kind == "summary_list":
        return "".join(
            format_html("<p><strong>{}:</strong> ", row["key"])
            + _ONLY_PARAGRAPH.sub(r"\1", _rich(row["value"]))
            + "</p>"
            for row in value["rows"]
        )
    if kind == "image":
        image = value["content_image"]
        rendition = image.get_rendition("width-560")
        html = format_html(
            '<p><img src="{}" alt="{}" width="{}" height="{}" '
            'style="max-width:100%;height:auto;"></p>',
            rendition.url,
            value.get("alt_text") or "",
            rendition.width,
            rendition.height,
        )
        if value.get("caption"):
            html += format_html("<p>{}</p>", value["caption"])
        return html
    # A block this email does not know yet: its words, at least.
    return format_html("<p>{}</p>", unescape(strip_tags(str(block.render()))).strip())


def _email_block(block) -> dict | None:
    kind, value = block.block_type, block.value
    if kind == "do_list":
        heading, style, html = value["label"] or "Do", "do", _list_items(value["do"])
    elif kind == "dont_list":
        heading, style = value["label"] or "Don\u2019t", "dont"
        html = _list_items(value["dont"])
    elif kind == "warning_callout":
        heading, style, html = value["title"], "callout", _rich(value["body"])
    elif kind == "inset_text":
        heading, style, html = "", "inset", _rich(value["body"])
    elif kind == "care_card":
        heading, style = value["title"], value["type"]
        html = "".join(_email_body_html(child) for child in value["body"])
    elif kind == "paragraph":
        heading, style, html = "", "text", _rich(value)
    else:
        return None
    if not html.strip():
        return None
    return {
        "heading": heading,
        "label": _CARE_LABELS.get(style, ""),
        "style": _EMAIL_STYLES.get(style, ""),
        "html": mark_safe(html),  # noqa: S308 - editor rich text and format_html
    }


def _plain_text(html: str, width: int = 72) -> str:
    """Email plain text from simple HTML: paragraphs, bullets, links spelled out."""
    from bulletins.models import absolute

    def link(match):
        url, words = absolute(unescape(match[1])), strip_tags(match[2]).strip()
        return words if not words or words == url else f"{words} ({url})"

    html = re.sub(r'<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', link, html, flags=re.S)
    html = re.sub(
        r'<img\s[^>]*?alt="([^"]*)"[^>]*>',
        lambda m: f"[Image: {m[1]}]" if m[1].strip() else "",
        html,
    )
    html = re.sub(r"<li(\s[^>]*)?>", "\n- ", html)
    html = re.sub(r"<br\s*/?>", "\n", html)
    html = re.sub(r"</(p|ul|ol|h[1-6]|div|li)>", "\n", html)
    html = re.sub(r"<(p|ul|ol|h[1-6]|div)[\s>]", "\n\\g<0>", html)
    text = unescape(strip_tags(html))
    out, previous_bullet = [], False
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        bullet = line.startswith("- ")
        if out:  # a blank line between paragraphs, none between bullets
            out.append("\n" if bullet and previous_bullet else "\n\n")
        out.append(
            textwrap.fill(
                line,
                width=width,
                subsequent_indent="  " if bullet else "",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
        previous_bullet = bullet
    return "".join(out)


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
