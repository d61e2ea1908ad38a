"""The search index: one denormalised entry per live, public content page.

Entries are written only by ``search.indexing`` (on publish, unpublish, move,
delete, privacy change and document replacement, through Celery; and by the
reindex and nightly reconcile). The PostgreSQL engine searches them directly:
``vector`` is a stored generated column (title weighted A, summary B, body and
document text C) in the ``cdr`` text search configuration (English stemming with
accents removed), so it can never disagree with the text beside it.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Value

CONFIG = "cdr"  # created in migration 0001: english_stem after unaccent


def _weighted(field: str, weight: str) -> SearchVector:
    return SearchVector(field, config=Value(CONFIG), weight=weight)


class SearchEntry(models.Model):
    """What search knows about one page: its words, kind, tags, date and address."""

    page = models.OneToOneField(
        "wagtailcore.Page",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_entry",
    )
    title = models.CharField(max_length=255)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    documents = models.TextField(
        blank=True, help_text="Text extracted from the page's PDF and Word downloads."
    )
    type = models.CharField(max_length=40)  # a slug: "safety-message"
    type_label = models.CharField(max_length=60)
    themes = ArrayField(models.CharField(max_length=100), default=list)  # slugs
    audiences = ArrayField(models.CharField(max_length=100), default=list)
    date = models.DateField()
    url = models.CharField(max_length=500)
    language = models.CharField(max_length=12, default="en")
    indexed_at = models.DateTimeField(auto_now=True)
    vector = models.GeneratedField(
        expression=_weighted("title", "A")
        + _weighted("summary", "B")
        + _weighted("body", "C")
        + _weighted("documents", "C"),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # Title and summary only: small enough to rank thousands of matches quickly
    # (ranking on ``vector`` would read every match's whole body).
    rank_vector = models.GeneratedField(
        expression=_weighted("title", "A") + _weighted("summary", "B"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        indexes = [
            GinIndex(fields=["vector"], name="search_entry_vector"),
            GinIndex(
                fields=["title"],
                name="search_entry_title_trgm",
                opclasses=["gin_trgm_ops"],
            ),
            GinIndex(fields=["themes"], name="search_entry_themes"),
            GinIndex(fields=["audiences"], name="search_entry_audiences"),
            models.Index(fields=["-date"], name="search_entry_date"),
        ]
        verbose_name_plural = "search entries"

    def __str__(self):
        return self.title


class SearchWord(models.Model):
    """A word that appears in titles and summaries: what "did you mean" suggests."""

    word = models.CharField(max_length=60, primary_key=True)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            GinIndex(
                fields=["word"], name="search_word_trgm", opclasses=["gin_trgm_ops"]
            )
        ]

    def __str__(self):
        return self.word


class SearchQuery(models.Model):
    """One day's count of a normalised query, for the editors' report.

    No personal data: no user, address or session; queries that look like an
    email address or a long number are not stored.
    """

    query = models.CharField(max_length=100)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)  # on the latest search

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query", "day"], name="search_query_day")
        ]
        indexes = [models.Index(fields=["day", "-count"], name="search_query_top")]

    def __str__(self):
        return f"{self.query} ({self.day})"


class DocumentText(models.Model):
    """Text extracted from a document, kept until the file changes."""

    document = models.OneToOneField(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="search_text"
    )
    sha256 = models.CharField(max_length=64)
    text = models.TextField(blank=True)

    def __str__(self):
        return f"Text of document {self.document_id}"
