"""The public side of QI packs: what a pack page and a recommendation page show.

The page classes (``qipacks.models.pages``) call these; nothing here takes part in
uptake recording. National uptake is shown for a recommendation only once
``settings.UPTAKE_MIN_RESPONSES`` organisations have responded (fewer could
identify them); until then the page says so.

Every function here makes a fixed number of queries however many
recommendations, materials or related pages a pack has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from django import forms

from website.models import Audience, Membership, live_pages_in_order

from .services import Uptake, national_uptake

AUDIENCE_PARAM = "audience"

# Headings for related pages, in this order; other page types follow under their
# own plural name (so webinars appear once that app has pages).
RELATED_HEADINGS = {
    "learning.safetymessagepage": "Safety messages",
    "learning.learningresourcepage": "Learning resources",
    "webinars.webinarpage": "Webinars",
    "webinars.webinarseriespage": "Webinar series",
}

QI_PLAN_HEADINGS = {
    "aim": "Aims",
    "measure": "Measures",
    "change_idea": "Change ideas",
    "pdsa": "PDSA cycles (plan, do, study, act)",
}


class AudienceChoiceForm(forms.Form):
    """The reader's choice of audience, from the query string (``?audience=x``).

    A malformed value (``<script>``, 10 kB of text) is an error the page explains
    with a 400; a well-formed slug that has no material here shows everything,
    with a notice saying so.
    """

    audience = forms.SlugField(
        required=False,
        max_length=100,
        error_messages={
            "invalid": "The audience in this address is not one we recognise.",
            "max_length": "The audience in this address is not one we recognise.",
        },
    )


@dataclass
class MaterialSection:
    """One audience's material on a pack page."""

    slug: str
    audience: str
    block: object
    shown: bool


@dataclass
class PlanGroup:
    heading: str
    kind: str
    blocks: list


@dataclass
class RelatedGroup:
    heading: str
    pages: list


@dataclass
class RecommendationRow:
    """A recommendation with what the public pages say about it."""

    recommendation: object
    url: str
    uptake: Uptake

    @property
    def reference(self) -> str:
        return self.recommendation.reference

    @property
    def applies_to(self) -> list[str]:
        return self.recommendation.get_applies_to_display()

    @property
    def show_uptake(self) -> bool:
        return self.uptake.enough_responses

    @property
    def no_response(self) -> int:
        return max(0, self.uptake.applicable - self.uptake.responses)

    @property
    def percent_implemented(self) -> int | None:
        share = self.uptake.share_implemented
        return None if share is None else round(share * 100)

    @property
    def status_rows(self) -> list[dict]:
        """Responses by status, in the statuses' own order (enough responses only)."""
        from .models import UptakeStatus

        return [
            {"label": status.label, "count": self.uptake.by_status.get(status, 0)}
            for status in UptakeStatus
        ]


@dataclass
class AudienceChoice:
    form: AudienceChoiceForm
    options: list[tuple[str, str]]
    chosen: str = ""
    chosen_name: str = ""
    notices: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return self.form.is_valid()


def recommendation_path(pack_url: str, reference: str) -> str:
    """A recommendation's stable address: ``<pack>recommendations/<reference>/``."""
    return f"{pack_url}recommendations/{quote(reference.lower(), safe='')}/"


def recommendation_rows(page, request=None) -> list[RecommendationRow]:
    """The pack's recommendations in editor order, each with its national uptake."""
    return recommendation_rows_for(page, list(page.recommendations.all()), request)


def recommendation_rows_for(
    page, recommendations: list, request=None
) -> list[RecommendationRow]:
    """Rows for some of a pack's recommendations (two queries for the uptake)."""
    uptake = national_uptake(recommendations)
    pack_url = page.get_url(request) or page.url or ""
    return [
        RecommendationRow(
            recommendation=r,
            url=recommendation_path(pack_url, r.reference),
            uptake=uptake[r.pk],
        )
        for r in recommendations
    ]


def find_recommendation(page, reference: str):
    """The pack's recommendation with ``reference`` (any case), or None."""
    return (
        page.recommendations.filter(reference__iexact=reference)
        .order_by("sort_order", "pk")
        .first()
    )


def qi_plan_groups(page) -> list[PlanGroup]:
    """The QI plan's blocks grouped as aims, measures, change ideas, PDSA cycles."""
    groups: dict[str, PlanGroup] = {}
    for block in page.qi_plan:
        kind = block.block_type
        if kind not in groups:
            groups[kind] = PlanGroup(
                heading=QI_PLAN_HEADINGS.get(kind, kind.replace("_", " ").capitalize()),
                kind=kind,
                blocks=[],
            )
        groups[kind].blocks.append(block)
    order = list(QI_PLAN_HEADINGS)
    return sorted(
        groups.values(),
        key=lambda g: order.index(g.kind) if g.kind in order else len(order),
    )


def audience_choice(page, params) -> tuple[AudienceChoice, list[MaterialSection]]:
    """The reader's audience and the material sections (all, or theirs shown)."""
    form = AudienceChoiceForm(params)
    slugs = [block.value["audience"] for block in page.materials]
    names = dict(
        Audience.objects.filter(slug__in=set(slugs)).values_list("slug", "name")
    )
    options: list[tuple[str, str]] = []
    for slug in slugs:
        if slug not in dict(options):
            options.append((slug, names.get(slug, slug.replace("-", " ").capitalize())))
    choice = AudienceChoice(form=form, options=options)
    if form.is_valid():
        chosen = form.cleaned_data.get(AUDIENCE_PARAM) or ""
        if chosen and chosen in dict(options):
            choice.chosen = chosen
            choice.chosen_name = dict(options)[chosen]
        elif chosen:
            choice.notices.append(
                "This pack has no material written for that audience, so it shows "
                "the material for every audience. Choose one from the list."
            )
    sections = [
        MaterialSection(
            slug=block.value["audience"],
            audience=dict(options)[block.value["audience"]],
            block=block,
            shown=not choice.chosen or block.value["audience"] == choice.chosen,
        )
        for block in page.materials
    ]
    return choice, sections


def related_groups(page) -> list[RelatedGroup]:
    """Live, public related pages in editor order, grouped by kind."""
    ids = [link.page_id for link in page.related_links.all()]
    groups: dict[str, RelatedGroup] = {}
    for related in live_pages_in_order(ids):
        label = related._meta.label_lower
        heading = (
            RELATED_HEADINGS.get(label)
            or str(related._meta.verbose_name_plural)
            .removesuffix(" pages")
            .capitalize()
        )
        groups.setdefault(label, RelatedGroup(heading=heading, pages=[]))
        groups[label].pages.append(related)
    order = list(RELATED_HEADINGS)
    return sorted(
        groups.values(),
        key=lambda g: next(
            (
                i
                for i, label in enumerate(order)
                if RELATED_HEADINGS[label] == g.heading
            ),
            len(order),
        ),
    )


def is_qi_lead(user) -> bool:
    """Whether a signed-in person is a QI lead in any organisation."""
    if user is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, role=Membership.Role.QI_LEAD).exists()
