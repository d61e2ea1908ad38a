"""StreamField blocks for QI packs: the QI plan and the materials for each audience."""

from wagtail import blocks

from website.blocks import BODY_FEATURES, SHORT_FEATURES


def audience_choices():
    from website.models import Audience

    return [(a.slug, a.name) for a in Audience.objects.all()]


class MeasureBlock(blocks.StructBlock):
    """How the team will know a change is an improvement."""

    kind = blocks.ChoiceBlock(
        choices=[
            ("outcome", "Outcome measure"),
            ("process", "Process measure"),
            ("balancing", "Balancing measure"),
        ]
    )
    name = blocks.CharBlock(max_length=200)
    definition = blocks.TextBlock(
        required=False, help_text="What is counted, and how often."
    )

    class Meta:
        icon = "doc-full"
        template = "qipacks/blocks/measure.html"


class ChangeIdeaBlock(blocks.StructBlock):
    """Something a team can try."""

    title = blocks.CharBlock(max_length=200)
    description = blocks.RichTextBlock(features=SHORT_FEATURES, required=False)

    class Meta:
        icon = "pick"
        template = "qipacks/blocks/change_idea.html"


class PDSABlock(blocks.StructBlock):
    """One Plan-Do-Study-Act cycle, as a worked example."""

    title = blocks.CharBlock(max_length=200)
    plan = blocks.TextBlock()
    do = blocks.TextBlock()
    study = blocks.TextBlock()
    act = blocks.TextBlock()

    class Meta:
        icon = "repeat"
        template = "qipacks/blocks/pdsa.html"


class QIPlanBlock(blocks.StreamBlock):
    """The pack's QI plan: aims, measures, change ideas and PDSA steps."""

    aim = blocks.CharBlock(
        max_length=300,
        template="qipacks/blocks/aim.html",
        help_text="What the pack sets out to improve, for whom, by when.",
    )
    measure = MeasureBlock()
    change_idea = ChangeIdeaBlock()
    pdsa = PDSABlock(label="PDSA cycle")


class AudienceMaterialBlock(blocks.StructBlock):
    """Material written for one audience (maternity commissioners, police...)."""

    audience = blocks.ChoiceBlock(choices=audience_choices)
    heading = blocks.CharBlock(max_length=200)
    body = blocks.RichTextBlock(features=BODY_FEATURES)

    class Meta:
        icon = "group"
        template = "qipacks/blocks/audience_material.html"


class MaterialsBlock(blocks.StreamBlock):
    material = AudienceMaterialBlock()
