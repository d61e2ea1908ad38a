"""Rich text offers only the features each field needs; hostile markup never gets in.

How Wagtail 8 handles rich text, and so where the guard has to be:

* A ``RichTextBlock``/``RichTextField`` with no ``features`` asks
  ``get_rich_text_editor_widget("default")`` for its widget, which falls back on
  ``WAGTAILADMIN_RICH_TEXT_EDITORS["default"]["OPTIONS"]["features"]``; only without
  that does Draftail use the registry's default list (h2-h4, hr, inline images and
  embeds among them). The wagtail-nhsuk-frontend blocks all use bare
  ``RichTextBlock()``, so our setting is what limits them.
* On save, the Draftail widget's ``value_from_datadict`` converts the posted
  contentstate JSON to HTML with a ``ContentstateConverter`` built from the same
  feature list: unknown block types, entities and styles are dropped, text is
  escaped, and link URLs pass through ``wagtail.whitelist.check_url``.
* The ``|richtext`` filter and ``RichText`` do **not** sanitise: they trust the
  stored HTML and only rewrite Wagtail's own ``<a linktype>``/``<embed>`` tags.
  So safety depends on every write going through the editor's converter.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.template import Context, Template
from wagtail import blocks
from wagtail.admin.rich_text.converters.contentstate import ContentstateConverter
from wagtail.fields import RichTextField, StreamField
from wagtail.rich_text import RichText
from wagtail.rich_text import features as feature_registry
from wagtail.test.utils.form_data import querydict_from_html
from wagtailnhsukfrontend import blocks as nhs

from tests.factories import UserFactory
from website.blocks import BODY_FEATURES, SHORT_FEATURES, BodyStreamBlock

DEFAULT_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul"]
# Every feature any of our rich text may offer. Widening this is a decision:
# never inline images or embeds (they are blocks with alt text and an approved
# provider), never code or raw HTML.
PALETTE = {"h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link"}
OUR_APPS = ["website", "learning", "bulletins", "webinars", "qipacks", "search"]


def rich_text_blocks(block, path="body"):
    """Yield (path, RichTextBlock) for every rich text block nested in ``block``."""
    if isinstance(block, blocks.RichTextBlock):
        yield path, block
    elif isinstance(block, blocks.ListBlock):
        yield from rich_text_blocks(block.child_block, f"{path}[]")
    elif hasattr(block, "child_blocks"):
        for name, child in block.child_blocks.items():
            yield from rich_text_blocks(child, f"{path}.{name}")


def editor_features(field_or_block) -> list[str]:
    """The features the admin editor (and so the save converter) really uses."""
    if isinstance(field_or_block, RichTextField):
        widget = field_or_block.formfield().widget
    else:
        widget = field_or_block.field.widget
    return list(widget.features)


def every_rich_text_in_our_models():
    for app_label in OUR_APPS:
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        for model in config.get_models():
            for field in model._meta.get_fields():
                where = f"{model._meta.label}.{field.name}"
                if isinstance(field, RichTextField):
                    yield where, field
                elif isinstance(field, StreamField):
                    yield from rich_text_blocks(field.stream_block, where)


# --- (a) Features: the default is short, and nothing offers more than the palette ---


def test_wagtail_registry_default_is_wide_so_the_setting_matters():
    # What a bare RichTextBlock would get without WAGTAILADMIN_RICH_TEXT_EDITORS.
    registry_default = set(feature_registry.get_default_features())
    assert {"image", "embed", "h2", "hr"} <= registry_default


def test_settings_restrict_the_default_editor(settings):
    editor = settings.WAGTAILADMIN_RICH_TEXT_EDITORS["default"]
    assert editor["WIDGET"] == "wagtail.admin.rich_text.DraftailRichTextArea"
    assert editor["OPTIONS"]["features"] == DEFAULT_FEATURES


def test_nhs_block_without_features_gets_exactly_the_default_list():
    body = nhs.InsetTextBlock().child_blocks["body"]
    assert body.features is None  # the package names none
    assert editor_features(body) == DEFAULT_FEATURES
    assert body.field.widget.converter.features == DEFAULT_FEATURES


@pytest.mark.parametrize(
    "block",
    [
        nhs.InsetTextBlock(),
        nhs.WarningCalloutBlock(),
        nhs.DoBlock(),
        nhs.DontBlock(),
        nhs.CareCardBlock(),
        nhs.DetailsBlock(),
        nhs.ExpanderBlock(),
    ],
    ids=lambda b: type(b).__name__,
)
def test_every_nhs_rich_text_gets_the_default_list(block):
    found = list(rich_text_blocks(block))
    assert found
    for path, rich_text in found:
        assert rich_text.features is None, path
        assert editor_features(rich_text) == DEFAULT_FEATURES, path


def test_our_explicit_features_are_kept():
    paragraph = BodyStreamBlock().child_blocks["paragraph"]
    assert editor_features(paragraph) == BODY_FEATURES
    assert editor_features(blocks.RichTextBlock(features=SHORT_FEATURES)) == (
        SHORT_FEATURES
    )


def test_no_rich_text_in_our_models_offers_images_embeds_or_more():
    found = list(every_rich_text_in_our_models())
    assert len(found) > 5  # the walk really found fields and nested blocks
    for where, field_or_block in found:
        features = set(editor_features(field_or_block))
        assert features <= PALETTE, f"{where} offers {features - PALETTE}"


# --- (b) Saving: what the editor posts is whitelisted by the converter ---------------

HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]


def hostile_contentstate() -> str:
    """What a forged POST from the Draftail editor could contain."""
    text = "<script>alert(1)</script> <img src=x onerror=alert(1)> safe words"
    link_blocks = [
        {
            "key": f"l{n}",
            "type": "unstyled",
            "depth": 0,
            "text": f"link {n}",
            "inlineStyleRanges": [],
            "entityRanges": [{"offset": 0, "length": 4, "key": 10 + n}],
            "data": {},
        }
        for n in range(len(HOSTILE_URLS))
    ]
    return json.dumps(
        {
            "blocks": [
                {
                    "key": 'k"><script>alert(2)</script>',
                    "type": "unstyled",
                    "depth": 0,
                    "text": text,
                    "inlineStyleRanges": [
                        {"offset": 0, "length": 8, "style": "BOLD"},
                        {"offset": 0, "length": 8, "style": "ONCLICK"},
                    ],
                    "entityRanges": [
                        {"offset": text.index("safe"), "length": 4, "key": 0}
                    ],
                    "data": {"onclick": "alert(3)", "style": "x"},
                },
                {
                    "key": "img",
                    "type": "atomic",
                    "depth": 0,
                    "text": " ",
                    "inlineStyleRanges": [],
                    "entityRanges": [{"offset": 0, "length": 1, "key": 1}],
                    "data": {},
                },
                {
                    "key": "emb",
                    "type": "atomic",
                    "depth": 0,
                    "text": " ",
                    "inlineStyleRanges": [],
                    "entityRanges": [{"offset": 0, "length": 1, "key": 2}],
                    "data": {},
                },
                {
                    "key": "h1",
                    "type": "header-one",
                    "depth": 0,
                    "text": "Shouting heading",
                    "inlineStyleRanges": [],
                    "entityRanges": [],
                    "data": {},
                },
                {
                    "key": "code",
                    "type": "code-block",
                    "depth": 0,
                    "text": "rm -rf /",
                    "inlineStyleRanges": [],
                    "entityRanges": [],
                    "data": {},
                },
                {
                    "key": "attr",
                    "type": "unstyled",
                    "depth": 0,
                    "text": "quote breaker",
                    "inlineStyleRanges": [],
                    "entityRanges": [{"offset": 0, "length": 5, "key": 3}],
                    "data": {},
                },
                *link_blocks,
            ],
            "entityMap": {
                "0": {
                    "type": "LINK",
                    "mutability": "MUTABLE",
                    "data": {"url": "javascript:alert(4)", "onclick": "alert(5)"},
                },
                "1": {
                    "type": "IMAGE",
                    "mutability": "IMMUTABLE",
                    "data": {"id": 1, "src": "x.png", "alt": "x", "format": "left"},
                },
                "2": {
                    "type": "EMBED",
                    "mutability": "IMMUTABLE",
                    "data": {
                        "url": "https://evil.example/",
                        "html": "<iframe src='https://evil.example/'></iframe>",
                    },
                },
                "3": {
                    "type": "LINK",
                    "mutability": "MUTABLE",
                    "data": {"url": 'https://example.org/" onclick="alert(6)'},
                },
                **{
                    str(10 + n): {
                        "type": "LINK",
                        "mutability": "MUTABLE",
                        "data": {"url": url},
                    }
                    for n, url in enumerate(HOSTILE_URLS)
                },
            },
        }
    )


SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
DANGEROUS_TAGS = {"script", "img", "iframe", "embed", "object", "h1", "pre", "code"}


def text_of(html: str) -> str:
    return BeautifulSoup(html, "html.parser").get_text()


def assert_inert(html: str) -> None:
    """Parse ``html`` as a browser would and check no element or attribute is live."""
    assert "<script" not in html.lower()
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        assert tag.name not in DANGEROUS_TAGS, f"<{tag.name}> survived in {html}"
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), f"{name} survived in {html}"
            assert name.lower() != "style", html
            if name.lower() in {"href", "src"}:
                scheme = re.sub(r"[\x00-\x20]+", "", value).split(":", 1)
                if len(scheme) == 2 and "/" not in scheme[0]:
                    assert scheme[0].lower() in SAFE_SCHEMES, f"{value!r} in {html}"


@pytest.mark.parametrize(
    "features",
    [DEFAULT_FEATURES, BODY_FEATURES, SHORT_FEATURES],
    ids=["default", "body", "short"],
)
def test_converter_drops_what_the_features_do_not_allow(features):
    html = ContentstateConverter(features=features).to_database_format(
        hostile_contentstate()
    )
    assert_inert(html)
    # Text is kept as text (escaped); hostile links lose their href, keep their words.
    assert "<script>alert(1)</script>" in text_of(html)
    assert "safe words" in text_of(html)
    assert "<a>link</a> 0" in html
    # An attribute cannot be broken out of.
    assert '<a href="https://example.org/&quot; onclick=&quot;alert(6)">' in html


def test_nhs_block_widget_cleans_a_forged_post():
    widget = nhs.InsetTextBlock().child_blocks["body"].field.widget
    html = widget.value_from_datadict({"body": hostile_contentstate()}, {}, "body")
    assert_inert(html)
    assert "safe words" in text_of(html)


def test_hostile_stored_html_is_cleaned_when_an_editor_opens_and_saves_it():
    """Old or imported HTML is whitelisted when loaded into the editor and saved."""
    stored = (
        '<p onclick="alert(1)">Hello<script>alert(2)</script></p>'
        '<img src="x" onerror="alert(3)">'
        "<iframe src='https://evil.example/'></iframe>"
        '<p><a href="javascript:alert(4)">click</a></p>'
        '<embed embedtype="image" id="1" format="left" alt="x"/>'
        "<h1>Big</h1><pre><code>code</code></pre>"
    )
    widget = nhs.InsetTextBlock().child_blocks["body"].field.widget
    contentstate = widget.format_value(stored)
    html = widget.value_from_datadict({"body": contentstate}, {}, "body")
    assert_inert(html)
    assert "Hello" in html
    # The <script> element goes; its words stay behind as plain, inert text.
    assert "Helloalert(2)" in html


# --- Saving through the real admin page editor ---------------------------------------


@pytest.mark.django_db
def test_admin_page_editor_stores_only_whitelisted_markup(client, site):
    from website.models import StandardPage

    editor = UserFactory(username="rt-admin", is_superuser=True, is_staff=True)
    client.force_login(editor)
    add_url = f"/admin/pages/add/website/standardpage/{site.pk}/"
    response = client.get(add_url)
    assert response.status_code == HTTPStatus.OK
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    data.update(
        {
            "title": "Hostile rich text",
            "slug": "hostile-rich-text",
            "summary": "A page whose body was posted by a forged editor.",
            "body-count": "3",
            "body-0-type": "inset_text",
            "body-0-deleted": "",
            "body-0-order": "0",
            "body-0-id": "",
            "body-0-value-body": hostile_contentstate(),
            "body-1-type": "paragraph",
            "body-1-deleted": "",
            "body-1-order": "1",
            "body-1-id": "",
            "body-1-value": hostile_contentstate(),
            "body-2-type": "do_list",
            "body-2-deleted": "",
            "body-2-order": "2",
            "body-2-id": "",
            "body-2-value-label": "Do",
            "body-2-value-do-count": "1",
            "body-2-value-do-0-value": hostile_contentstate(),
            "body-2-value-do-0-deleted": "",
            "body-2-value-do-0-order": "0",
            "body-2-value-do-0-id": "",
        }
    )
    response = client.post(add_url, data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]

    page = StandardPage.objects.get(slug="hostile-rich-text")
    draft = page.get_latest_revision_as_object()
    raw = list(draft.body.raw_data)
    stored = json.dumps(raw)
    assert [block["type"] for block in raw] == ["inset_text", "paragraph", "do_list"]
    for html in [
        raw[0]["value"]["body"],
        raw[1]["value"],
        raw[2]["value"]["do"][0]["value"],
    ]:
        assert_inert(html)
        assert "safe words" in text_of(html)
    assert "javascript:" not in stored.lower()

    rendered = str(draft.body)
    assert_inert(rendered)
    assert "<script>alert(1)</script>" in text_of(rendered)


@pytest.mark.django_db
def test_malformed_rich_text_post_is_a_400_not_a_500(client, site):
    """Wagtail's editor widget json-decodes the post unguarded; our middleware
    answers 400 with a plain message, and nothing is stored."""
    from website.models import StandardPage

    client.force_login(UserFactory(username="rt-bad", is_superuser=True, is_staff=True))
    add_url = f"/admin/pages/add/website/standardpage/{site.pk}/"
    data = querydict_from_html(
        client.get(add_url).content.decode(), form_id="page-edit-form"
    )
    data.update(
        {
            "title": "Malformed",
            "slug": "malformed",
            "summary": "Raw HTML posted where contentstate JSON belongs.",
            "body-count": "1",
            "body-0-type": "paragraph",
            "body-0-deleted": "",
            "body-0-order": "0",
            "body-0-id": "",
            "body-0-value": "<p>not json</p><script>alert(1)</script>",
        }
    )
    response = client.post(add_url, data)
    assert not StandardPage.objects.filter(slug="malformed").exists()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "We could not read what you sent" in response.content.decode()


# --- (c) Rendering: Wagtail trusts stored HTML ----------------------------------------


def test_richtext_filter_trusts_the_database():
    """Characterises Wagtail, it is not a wish: ``{{ value|richtext }}`` and
    ``RichText`` do not sanitise (wagtail/templatetags/wagtailcore_tags.py,
    ``richtext``; wagtail/rich_text/__init__.py, ``expand_db_html``). Hostile
    HTML written to the database by any path other than the editor's converter
    (a data migration, an import script, a raw API) would be served as is; such
    paths must whitelist through ``ContentstateConverter`` or
    ``wagtail.admin.rich_text.converters.editor_html.EditorHTMLConverter``."""
    hostile = "<p>Hi</p><script>alert(1)</script>"
    rendered = Template("{% load wagtailcore_tags %}{{ value|richtext }}").render(
        Context({"value": hostile})
    )
    assert "<script>alert(1)</script>" in rendered
    assert "<script>alert(1)</script>" in str(RichText(hostile))


def test_editor_saved_value_renders_inert_through_richtext():
    widget = nhs.InsetTextBlock().child_blocks["body"].field.widget
    html = widget.value_from_datadict({"body": hostile_contentstate()}, {}, "body")
    rendered = Template("{% load wagtailcore_tags %}{{ value|richtext }}").render(
        Context({"value": html})
    )
    assert_inert(rendered)
    assert "<script>alert(1)</script>" in text_of(rendered)
