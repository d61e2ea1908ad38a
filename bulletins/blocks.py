"""Bulletin sections: items pulled from other pages or written in place."""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from website.blocks import SHORT_FEATURES


class PageItemBlock(blocks.StructBlock):
    """An item that takes its title, summary and link from a page on this site."""

    page = blocks.PageChooserBlock()
    summary = blocks.TextBlock(
        required=False,
        max_length=400,
        help_text="Leave empty to use the page's own summary.",
    )

    class Meta:
        icon = "doc-full"
        label = "Item from a page"


class WrittenItemBlock(blocks.StructBlock):
    """An item written in the bulletin itself, with an optional link."""

    title = blocks.CharBlock(max_length=160)
    summary = blocks.RichTextBlock(features=SHORT_FEATURES)
    link_url = blocks.URLBlock(required=False)
    link_text = blocks.CharBlock(required=False, max_length=80)

    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned.get("link_url") and not cleaned.get("link_text"):
            raise StructBlockValidationError(
                block_errors={
                    "link_text": ValidationError(
                        "Say where the link goes (for example 'Read the report')."
                    )
                }
            )
        return cleaned

    class Meta:
        icon = "edit"
        label = "Written item"


class SectionBlock(blocks.StructBlock):
    """A titled group of items (for example "New safety messages")."""

    heading = blocks.CharBlock(max_length=120)
    items = blocks.StreamBlock(
        [("page_item", PageItemBlock()), ("written_item", WrittenItemBlock())],
        min_num=1,
    )

    class Meta:
        icon = "list-ul"


class BulletinSectionsBlock(blocks.StreamBlock):
    section = SectionBlock()
