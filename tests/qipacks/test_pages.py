"""The public QI pack pages: the pack, each recommendation, and the index.

Readers pick their audience with a plain GET form (no JavaScript); printing gives
every audience; national uptake appears only once enough organisations have
responded; recommendation addresses are stable; hostile query strings never 500.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.contrib.staticfiles import finders
from wagtail.models import PageViewRestriction

from qipacks.models import QIPackRelated, UptakeStatus
from tests.factories import (
    AudienceFactory,
    MembershipFactory,
    OrganisationFactory,
    ThemeFactory,
)
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
    UptakeRecordFactory,
)

pytestmark = pytest.mark.django_db


def _materials(*specs) -> str:
    return json.dumps(
        [
            {
                "type": "material",
                "value": {
                    "audience": slug,
                    "heading": heading,
                    "body": f"<p>{body}</p>",
                },
            }
            for slug, heading, body in specs
        ]
    )


QI_PLAN = json.dumps(
    [
        {"type": "aim", "value": "Every family gets safer-sleep advice by 2027."},
        {
            "type": "measure",
            "value": {
                "kind": "process",
                "name": "Share of contacts with advice recorded",
                "definition": "Monthly audit of 20 records.",
            },
        },
        {
            "type": "change_idea",
            "value": {"title": "A prompt in the record", "description": "<p>Ask.</p>"},
        },
        {
            "type": "pdsa",
            "value": {
                "title": "Trying the prompt in one team",
                "plan": "One team, two weeks.",
                "do": "Used the prompt.",
                "study": "Recording rose.",
                "act": "Roll out.",
            },
        },
    ]
)


@pytest.fixture
def audiences():
    return {
        slug: AudienceFactory(slug=slug, name=name)
        for slug, name in [
            ("midwives", "Midwives"),
            ("police", "Police"),
            ("schools", "Schools and teachers"),
        ]
    }


@pytest.fixture
def index(site):
    return QIPackIndexPageFactory(parent=site)


@pytest.fixture
def pack(index, audiences):
    page = QIPackPageFactory(
        parent=index,
        title="Safer sleep for infants",
        slug="safer-sleep",
        report_title="Sudden unexpected deaths in infancy",
        report_url="https://example.org/report",
        introduction="<p>Why this pack exists.</p>",
        qi_plan=QI_PLAN,
        materials=_materials(
            ("midwives", "At the booking visit", "Talk about sleep early."),
            ("police", "At the scene", "Record the sleep environment."),
            ("schools", "In lessons", "Teach older siblings."),
        ),
    )
    page.themes.add(ThemeFactory(slug="safe-sleep", name="Safe sleep"))
    page.audiences.add(audiences["midwives"])
    page.save_revision().publish()
    return page


def test_pack_page_shows_report_plan_materials_and_recommendations(client, pack):
    RecommendationFactory(
        pack=pack,
        reference="R1",
        text="Commission safer-sleep checks at every contact.",
        applies_to=["icb", "nhs_trust"],
        priority="high",
        response_due=datetime.date(2027, 3, 31),
    )
    response = client.get(pack.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sudden unexpected deaths in infancy" in html
    assert 'href="https://example.org/report"' in html
    for heading in ("Aims", "Measures", "Change ideas", "PDSA cycles"):
        assert heading in html
    assert "Process measure" in html
    for words in ("Talk about sleep early", "Record the sleep environment"):
        assert words in html
    assert "qi-material--not-chosen" not in html  # all shown by default
    assert "Commission safer-sleep checks at every contact." in html
    assert "Integrated care board (ICB)" in html and "NHS trust" in html
    assert "High" in html and "31 March 2027" in html
    assert f'href="{pack.url}recommendations/r1/"' in html
    assert "Safe sleep" in html  # themes


def test_audience_filter_works_without_javascript(client, pack):
    response = client.get(pack.url, {"audience": "police"})
    assert response.status_code == 200
    html = response.content.decode()
    sections = re.findall(
        r'<section class="qi-material([^"]*)"[^>]*data-audience="([^"]+)"', html
    )
    assert {slug: "not-chosen" not in cls for cls, slug in sections} == {
        "midwives": False,
        "police": True,
        "schools": False,
    }
    assert "Showing the material for Police." in html
    assert f'<a href="{pack.url}#materials">Show all audiences</a>' in html
    # The form is a plain GET form with the choice kept.
    assert re.search(r'<form method="get" action="[^"]*#materials"', html)
    assert '<option value="police" selected>' in html


def test_print_css_shows_every_audience(client, pack):
    html = client.get(pack.url, {"audience": "police"}).content.decode()
    # The hidden audiences are still in the page, for print to show.
    assert "At the booking visit" in html and "In lessons" in html
    assert "qipacks/qipacks.css" in html
    css = open(finders.find("qipacks/qipacks.css")).read()
    screen, _, printing = css.partition("@media print")
    assert re.search(
        r"@media screen\s*{\s*\.qi-material--not-chosen\s*{\s*display:\s*none", screen
    )
    assert re.search(r"\.qi-material--not-chosen\s*{\s*display:\s*block", printing)
    assert ".qi-audience-form" in printing


@pytest.mark.parametrize(
    "value",
    ["<script>alert(1)</script>", "x" * 10_000, "../../etc", "police'--", "\u0000"],
)
def test_hostile_audience_values_get_a_400_with_the_whole_pack(client, pack, value):
    response = client.get(pack.url, {"audience": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert "not one we recognise" in html
    assert "<script>alert(1)</script>" not in html
    assert "x" * 200 not in html
    assert "At the booking visit" in html and "In lessons" in html  # everything
    assert "qi-material--not-chosen" not in html


def test_unknown_audience_shows_everything_with_a_notice(client, pack):
    response = client.get(pack.url, {"audience": "astronauts"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "no material written for that audience" in html
    assert "qi-material--not-chosen" not in html


def test_repeated_and_extra_parameters_do_not_break_the_page(client, pack):
    response = client.get(f"{pack.url}?audience=police&audience=<b>&page=abc&x=%ff")
    assert response.status_code in (200, 400)


def _responses(recommendation, statuses, org_type="icb"):
    for status in statuses:
        organisation = OrganisationFactory(type=org_type)
        UptakeRecordFactory(
            recommendation=recommendation,
            organisation=organisation,
            status=status,
            not_applicable_reason="Not our service."
            if status == UptakeStatus.NOT_APPLICABLE
            else "",
        )


def test_uptake_shown_only_with_enough_responses(client, pack, settings):
    settings.UPTAKE_MIN_RESPONSES = 5
    few = RecommendationFactory(pack=pack, reference="R1", applies_to=["icb"])
    many = RecommendationFactory(pack=pack, reference="R2", applies_to=["icb"])
    _responses(few, [UptakeStatus.IMPLEMENTED] * 4)
    _responses(
        many,
        [UptakeStatus.IMPLEMENTED] * 3
        + [UptakeStatus.PLANNED, UptakeStatus.NOT_STARTED],
    )
    # 9 ICBs exist now; R2 has 5 responses, 3 implemented: 33%.
    html = client.get(pack.url).content.decode()
    blocks = dict(
        re.findall(
            r'id="recommendation-(r\d)".*?<dd class="nhsuk-summary-list__value '
            r'qi-uptake">(.*?)</dd>',
            html,
            flags=re.S,
        )
    )
    assert "Not enough responses yet to show national uptake" in blocks["r1"]
    assert "%" not in blocks["r1"]
    assert "33% implemented" in blocks["r2"]
    assert "3 of 9 organisations" in blocks["r2"]
    assert "5 of 9 have responded" in blocks["r2"]

    few_page = client.get(f"{pack.url}recommendations/r1/").content.decode()
    assert "Not enough responses yet to show national uptake" in few_page
    assert "Responses so far, by status" not in few_page
    many_page = client.get(f"{pack.url}recommendations/r2/").content.decode()
    assert "33% implemented" in many_page
    assert "Responses so far, by status" in many_page


def test_pack_page_query_count_does_not_grow_with_recommendations(
    client, pack, django_assert_max_num_queries
):
    related = [QIPackRelated(page=pack.get_parent(), sort_order=0)]
    pack.related_links = related
    pack.save_revision().publish()

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(pack.url).status_code == 200
        return len(queries)

    RecommendationFactory(pack=pack, applies_to=["icb"])
    count()  # warm the caches (content types, site) first
    baseline = count()
    for _ in range(15):
        recommendation = RecommendationFactory(pack=pack, applies_to=["icb", "cdop"])
        _responses(recommendation, [UptakeStatus.IMPLEMENTED] * 2)
    assert count() == baseline
    with django_assert_max_num_queries(30):
        client.get(pack.url)


def test_recommendation_urls_are_stable_and_unknown_ones_404(client, pack):
    RecommendationFactory(pack=pack, reference="R3", text="Audit sleep advice.")
    url = f"{pack.url}recommendations/r3/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Recommendation R3" in html and "Audit sleep advice." in html
    assert f'href="{pack.url}"' in html  # back to the pack
    assert client.get(f"{pack.url}recommendations/R3/").status_code == 200
    for bad in ("r99", "%3Cscript%3E", "x" * 300):
        assert client.get(f"{pack.url}recommendations/{bad}/").status_code == 404
    assert client.get(f"{pack.url}recommendations/").status_code == 404
    # The same address after an editor reorders or edits the text.
    recommendation = pack.recommendations.get()
    recommendation.text = "Audit the sleep advice given."
    recommendation.sort_order = 5
    recommendation.save()
    assert client.get(url).status_code == 200


def test_qi_leads_see_a_link_to_record_their_response(client, pack):
    RecommendationFactory(pack=pack, reference="R1")
    url = f"{pack.url}recommendations/r1/"
    assert "/qi/" not in client.get(url).content.decode()
    viewer = MembershipFactory(role="viewer").user
    client.force_login(viewer)
    assert "Record your organisation" not in client.get(url).content.decode()
    lead = MembershipFactory(role="qi_lead").user
    client.force_login(lead)
    response = client.get(url)
    assert '<a href="/qi/">Record your organisation\'s response</a>' in (
        response.content.decode()
    )
    assert "private" in response["Cache-Control"]


def test_unpublished_or_private_packs_are_not_public(client, pack):
    RecommendationFactory(pack=pack, reference="R1")
    PageViewRestriction.objects.create(
        page=pack, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get(f"{pack.url}recommendations/r1/")
    assert response.status_code in (302, 403)
    pack.unpublish()
    assert client.get(pack.url).status_code == 404


def test_related_pages_and_packs_that_use_them_are_linked_both_ways(client, site, pack):
    from learning.models import LearningIndexPage, LearningResourcePage

    learning = LearningIndexPage(title="Learning", slug="learning")
    site.add_child(instance=learning)
    resource = LearningResourcePage(
        title="Crib sheet: safer sleep", slug="crib", kind="crib-sheet", summary="S."
    )
    learning.add_child(instance=resource)
    resource.save_revision().publish()
    draft = LearningResourcePage(
        title="Draft resource",
        slug="draft",
        kind="crib-sheet",
        summary="S.",
        live=False,
    )
    learning.add_child(instance=draft)
    pack.related_links = [
        QIPackRelated(page=resource, sort_order=0),
        QIPackRelated(page=draft, sort_order=1),
    ]
    pack.save_revision().publish()

    html = client.get(pack.url).content.decode()
    assert "Learning resources" in html
    assert f'href="{resource.url}"' in html
    assert "Draft resource" not in html

    resource_html = client.get(resource.url).content.decode()
    assert "QI packs that use this" in resource_html
    assert f'href="{pack.url}"' in resource_html

    pack.unpublish()
    assert "QI packs that use this" not in client.get(resource.url).content.decode()


def test_index_lists_packs_with_filters_and_feeds(client, index, pack):
    other = QIPackPageFactory(
        parent=index, title="Learning from suicide", slug="suicide"
    )
    other.save_revision().publish()
    response = client.get(index.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Safer sleep for infants" in html and "Learning from suicide" in html
    filtered = client.get(index.url, {"theme": "safe-sleep"}).content.decode()
    assert "Safer sleep for infants" in filtered
    assert "Learning from suicide" not in filtered
    assert client.get(index.url, {"year": "abc"}).status_code == 400
    feed = client.get(f"{index.url}feed/")
    assert feed.status_code == 200 and b"Safer sleep for infants" in feed.content
    assert client.get(f"{index.url}feed/atom/").status_code == 200
