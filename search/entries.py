"""What goes into a page's search entry, and what never does.

Only live, public content pages (every ``TaggedContentPage``) are indexed;
listings, the home page, drafts, pages behind a view restriction (and their
descendants) never are. Text comes from, in order of weight: the title, the
summary, then the body (each page's rich text and stream fields, or the fields
``BODY_FIELDS`` names for its type, plus ``EXTRA_TEXT`` such as a QI pack's
recommendations) and the text of its PDF and Word downloads. Plain text and URL fields
are never read unless named, so private fields (a webinar's join link and
instructions) cannot leak into the index.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from html import unescape

from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from wagtail.documents import get_document_model
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, get_page_models
from wagtail.rich_text import expand_db_html

from website.models import TaggedContentPage

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 200_000
MAX_DOCUMENT_CHARS = 200_000
MAX_DOCUMENT_PAGES = 300
_SPACE = re.compile(r"\s+")


def plain(html: str) -> str:
    """Text of an HTML fragment, one space between words."""
    return _SPACE.sub(" ", unescape(strip_tags(html or ""))).strip()


@dataclass
class Entry:
    page_id: int
    title: str
    summary: str
    body: str
    documents: str
    type: str
    type_label: str
    themes: list[str] = field(default_factory=list)
    audiences: list[str] = field(default_factory=list)
    date: object = None
    url: str = ""
    language: str = "en"

    def __post_init__(self):
        self.title = self.title[:255]
        self.url = self.url[:500]

    def fingerprint(self) -> str:
        """md5 of the stored fields, as ``search.indexing.FINGERPRINT_SQL``
        computes it from the row (so an entry edited in place is noticed)."""
        parts = [
            self.title,
            self.summary,
            self.body,
            self.documents,
            self.type,
            self.type_label,
            ",".join(self.themes),
            ",".join(self.audiences),
            str(self.date),
            self.url,
            self.language,
        ]
        return hashlib.md5(
            "\x1f".join(parts).encode(), usedforsecurity=False
        ).hexdigest()


def indexed_models() -> list[type[Page]]:
    return [m for m in get_page_models() if issubclass(m, TaggedContentPage)]


def type_key(model: type[Page]) -> str:
    """A page type's name in URLs: "safety-message", "qi-pack", "bulletin"."""
    return slugify(str(model._meta.verbose_name).removesuffix(" page"))


# The fields whose words are a page's body, per page type (in reading order).
# Types not listed use their rich text and stream fields. Never list a private
# field (a webinar's join link or instructions).
BODY_FIELDS = {
    "learning.safetymessagepage": [
        "key_message",
        "what_to_do",
        "why_it_matters",
        "source_title",
    ],
    "learning.learningresourcepage": ["body", "downloads_intro"],
    "bulletins.bulletinpage": ["intro", "sections"],
    "qipacks.qipackpage": ["report_title", "introduction", "qi_plan", "materials"],
    "webinars.webinarpage": ["what_we_learned", "transcript", "accessibility_notes"],
    "webinars.webinarseriespage": ["intro"],
    "website.standardpage": ["body"],
}


def _recommendations(page) -> str:
    return " ".join(f"{r.reference} {r.text}" for r in page.recommendations.all())


# Words a page carries outside its own fields (inline panels).
EXTRA_TEXT = {"qipacks.qipackpage": _recommendations}


def _body_fields(page: Page) -> list[str]:
    named = BODY_FIELDS.get(page._meta.label_lower)
    if named is not None:
        return list(named)
    return [
        f.name
        for f in page._meta.get_fields()
        if isinstance(f, (RichTextField, StreamField))
    ]


def body_text(page: Page) -> str:
    parts: list[str] = []
    for name in _body_fields(page):
        model_field = page._meta.get_field(name)
        value = getattr(page, name)
        if isinstance(model_field, StreamField):
            parts.extend(
                plain(piece)
                for piece in model_field.stream_block.get_searchable_content(value)
            )
        elif isinstance(model_field, RichTextField):
            parts.append(plain(expand_db_html(value or "")))
        else:
            parts.append(plain(str(value or "")))
    extra = EXTRA_TEXT.get(page._meta.label_lower)
    if extra is not None:
        parts.append(plain(extra(page)))
    return " ".join(p for p in parts if p)[:MAX_BODY_CHARS]


def page_documents(page: Page) -> list:
    """Documents the page links to directly or through its inline panels."""
    document_model = get_document_model()
    found = []
    for f in page._meta.get_fields():
        if isinstance(f, models.ForeignKey) and f.related_model is document_model:
            document = getattr(page, f.name)
            if document is not None:
                found.append(document)
    for relation in page._meta.related_objects:
        child = relation.related_model
        if not relation.one_to_many or not hasattr(child, "sort_order"):
            continue
        document_fields = [
            f.name
            for f in child._meta.get_fields()
            if isinstance(f, models.ForeignKey) and f.related_model is document_model
        ]
        if not document_fields:
            continue
        for item in getattr(page, relation.get_accessor_name()).all():
            for name in document_fields:
                document = getattr(item, name)
                if document is not None:
                    found.append(document)
    return [d for d in found if _document_is_public(d)]


def _document_is_public(document) -> bool:
    collection = document.collection
    return not any(
        c.view_restrictions.exists() for c in collection.get_ancestors(inclusive=True)
    )


def document_text(document) -> str:
    """Text of a PDF or Word document (cached by the file's content hash)."""
    from .models import DocumentText

    try:
        with document.file.open("rb") as handle:
            data = handle.read()
    except OSError:
        logger.warning("Search: document %s file missing", document.pk)
        return ""
    digest = hashlib.sha256(data).hexdigest()
    cached = DocumentText.objects.filter(document=document, sha256=digest).first()
    if cached is not None:
        return cached.text
    text = extract_text(data, document.file.name)
    DocumentText.objects.update_or_create(
        document=document, defaults={"sha256": digest, "text": text}
    )
    return text


def extract_text(data: bytes, name: str) -> str:
    """Plain text of a PDF or .docx file; "" for anything else or anything broken."""
    lowered = name.lower()
    try:
        if lowered.endswith(".pdf"):
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            pieces = []
            for number, pdf_page in enumerate(reader.pages):
                if number >= MAX_DOCUMENT_PAGES:
                    break
                pieces.append(pdf_page.extract_text() or "")
            text = " ".join(pieces)
        elif lowered.endswith(".docx"):
            import docx

            document = docx.Document(io.BytesIO(data))
            text = " ".join(p.text for p in document.paragraphs)
        else:
            return ""
    except Exception:  # noqa: BLE001 - a broken upload must not stop indexing
        logger.warning("Search: could not read text from %s", name, exc_info=True)
        return ""
    return _SPACE.sub(" ", text).strip()[:MAX_DOCUMENT_CHARS]


def is_indexable(page: Page) -> bool:
    specific_class = page.specific_class
    if specific_class is None or not issubclass(specific_class, TaggedContentPage):
        return False
    if not page.live or page.expired:
        return False
    return not page.get_view_restrictions().exists()


# The date a reader would give a page, where it is not when it was published.
DATES = {
    "bulletins.bulletinpage": lambda page: page.issue_date,
    "webinars.webinarpage": lambda page: timezone.localtime(page.starts_at).date(),
}


def search_date(page: Page):
    custom = DATES.get(page._meta.label_lower)
    if custom is not None and (day := custom(page)) is not None:
        return day
    published = (
        page.first_published_at
        or page.last_published_at
        or page.latest_revision_created_at
        or timezone.now()
    )
    return timezone.localtime(published).date()


def entry_for(page: Page) -> Entry | None:
    """The page's entry, or None when it must not be in the index."""
    if not is_indexable(page):
        return None
    page = page.specific
    documents = " ".join(document_text(d) for d in page_documents(page))
    return Entry(
        page_id=page.pk,
        title=page.title,
        summary=getattr(page, "summary", "") or "",
        body=body_text(page),
        documents=documents[:MAX_DOCUMENT_CHARS],
        type=type_key(type(page)),
        type_label=page.get_listing_type(),
        themes=sorted(page.themes.values_list("slug", flat=True)),
        audiences=sorted(page.audiences.values_list("slug", flat=True)),
        date=search_date(page),
        url=page.get_url() or page.url_path,
        language=page.locale.language_code if page.locale_id else "en",
    )
