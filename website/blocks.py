"""StreamField blocks shared by every content page (NHS.UK design system components)."""

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtailnhsukfrontend import blocks as nhs

# Rich text features per purpose: body text gets structure and links, never
# raw HTML, images inline or embeds (those are blocks of their own).
BODY_FEATURES = [
    "h2",
    "h3",
    "h4",
    "bold",
    "italic",
    "ol",
    "ul",
    "link",
    "document-link",
]
SHORT_FEATURES = ["bold", "italic", "link"]


class ImageWithAltBlock(blocks.StructBlock):
    """An image whose alternative text the editor must write (or mark decorative)."""

    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        required=False,
        help_text="Describe the image for people who cannot see it. Leave empty "
        "only if the image is purely decorative.",
    )
    decorative = blocks.BooleanBlock(
        required=False, help_text="Tick if the image adds nothing a reader needs."
    )
    caption = blocks.CharBlock(required=False)

    def clean(self, value):
        from django.core.exceptions import ValidationError
        from wagtail.blocks.struct_block import StructBlockValidationError

        cleaned = super().clean(value)
        if not cleaned.get("alt_text") and not cleaned.get("decorative"):
            raise StructBlockValidationError(
                block_errors={
                    "alt_text": ValidationError(
                        "Write alternative text, or tick 'decorative' if the image "
                        "adds nothing a reader needs."
                    )
                }
            )
        return cleaned

    class Meta:
        icon = "image"
        template = "website/blocks/image.html"


class BodyStreamBlock(blocks.StreamBlock):
    """The general-purpose body used by standard pages and most content pages."""

    heading = blocks.CharBlock(
        form_classname="title", icon="title", template="website/blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(features=BODY_FEATURES)
    inset_text = nhs.InsetTextBlock()
    warning_callout = nhs.WarningCalloutBlock()
    care_card = nhs.CareCardBlock()
    do_list = nhs.DoBlock()
    dont_list = nhs.DontBlock()
    details = nhs.DetailsBlock()
    expander = nhs.ExpanderBlock()
    action_link = nhs.ActionLinkBlock()
    image = ImageWithAltBlock()
    table = nhs.TableBlock()
