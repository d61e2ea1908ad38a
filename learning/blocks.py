"""StreamField blocks for safety messages and learning resources."""

from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtailnhsukfrontend import blocks as nhs

from website.blocks import BODY_FEATURES, SHORT_FEATURES, BodyStreamBlock


class StepsBlock(blocks.StructBlock):
    """A numbered list of steps, each a short instruction."""

    heading = blocks.CharBlock(required=False)
    steps = blocks.ListBlock(blocks.RichTextBlock(features=SHORT_FEATURES))

    class Meta:
        icon = "list-ol"
        template = "learning/blocks/steps.html"


class QuoteBlock(blocks.StructBlock):
    """A quotation with who said it (a parent, a practitioner, a report)."""

    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False)

    class Meta:
        icon = "openquote"
        template = "learning/blocks/quote.html"


class LearningBodyBlock(BodyStreamBlock):
    """The body of a learning resource: the shared blocks plus steps, quotes, embeds."""

    steps = StepsBlock()
    quote = QuoteBlock()
    embed = EmbedBlock(
        help_text="A video or slides from an approved provider (YouTube, Vimeo)."
    )


class WhatToDoBlock(blocks.StreamBlock):
    """What a practitioner should do: do and don't lists, care cards, callouts."""

    do_list = nhs.DoBlock()
    dont_list = nhs.DontBlock()
    care_card = nhs.CareCardBlock()
    warning_callout = nhs.WarningCalloutBlock()
    inset_text = nhs.InsetTextBlock()
    paragraph = blocks.RichTextBlock(features=BODY_FEATURES)
