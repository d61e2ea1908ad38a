"""The search index: one denormalised entry per live, public content page.

Entries are written only by ``search.indexing`` (on publish, unpublish, move,
delete, privacy change and document replacement, through Celery; and by the
reindex and nightly reconcile). A trigger keeps a narrow ``SearchMatch`` row
beside each entry with its weighted tsvectors in the ``cdr`` text search
configuration (English stemming with accents removed); the PostgreSQL engine
matches, counts and ranks on that, and reads entries only for the page of hits.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

CONFIG = "cdr"  # created in migration 0001: english_stem after unaccent


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

    class Meta:
        indexes = [
            GinIndex(
                fields=["title"],
                name="search_entry_title_trgm",
                opclasses=["gin_trgm_ops"],
            ),
        ]
        verbose_name_plural = "search entries"

    def __str__(self):
        return self.title


class FacetCombination(models.Model):
    """One distinct combination of type, themes, audiences and year.

    Each ``SearchMatch`` points at its combination, so counting a search's
    facets is one small integer per match grouped in the database, expanded
    into type, theme, audience and year counts with array operations
    (search/engines/postgres.py). Written only by the ``search_entry_match``
    trigger; themes and audiences are sorted so each combination is stored once.
    """

    type = models.CharField(max_length=40)
    themes = ArrayField(models.CharField(max_length=100), default=list)
    audiences = ArrayField(models.CharField(max_length=100), default=list)
    year = models.SmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["type", "themes", "audiences", "year"],
                name="search_facet_combination",
            )
        ]

    def __str__(self):
        return f"{self.type} {self.year} {self.themes} {self.audiences}"


class SearchMatch(models.Model):
    """The narrow copy of an entry that matching, facets and ranking read.

    Written only by the ``search_entry_match`` trigger on ``SearchEntry``
    (migration 0002), so it can never disagree with the entry's text; deleted
    with it by a cascading foreign key. ``vector`` holds the title (weight A),
    summary (B), body and document text (C), plus one position-less lexeme per
    pair of adjacent words ("safe sleep"), so a two-word phrase is a plain index
    lookup instead of a position check of every entry holding both words
    (``cdr_vector()``). It is stored out of line (``toast_tuple_target`` 128):
    the heap holds about 40 bytes a row, so a word in most entries is counted
    from a few hundred pages, and a plain query never reads a vector (the GIN
    index answers without a recheck).
    """

    page = models.OneToOneField(
        SearchEntry,
        on_delete=models.DO_NOTHING,  # the database cascades (migration 0002)
        primary_key=True,
        db_constraint=False,
        related_name="match",
    )
    facets = models.ForeignKey(
        FacetCombination, on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField()
    vector = SearchVectorField()

    class Meta:
        indexes = [
            GinIndex(fields=["vector"], name="search_match_vector"),
            models.Index(fields=["-date", "page"], name="search_match_date"),
        ]
        verbose_name_plural = "search matches"

    def __str__(self):
        return f"Match for page {self.page_id}"


class SearchRank(models.Model):
    """Title and summary words of an entry: which matches are strong (the
    words are in the title or summary), and their score.

    Kept by the same trigger as ``SearchMatch``, in its own table so that
    ``rank_vector`` (a few hundred bytes) can stay in line, cheap to score, while
    the match rows stay narrow.
    """

    page = models.OneToOneField(
        SearchEntry,
        on_delete=models.DO_NOTHING,  # the database cascades (migration 0002)
        primary_key=True,
        db_constraint=False,
        related_name="rank",
    )
    facets = models.ForeignKey(
        FacetCombination, on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField()
    rank_vector = SearchVectorField()

    class Meta:
        indexes = [
            GinIndex(fields=["rank_vector"], name="search_rank_vector"),
            models.Index(fields=["-date", "page"], name="search_rank_date"),
        ]

    def __str__(self):
        return f"Rank words of page {self.page_id}"


class IndexVersion(models.Model):
    """A number that rises with every change to the match rows (a statement
    trigger, migration 0002): what precomputed counts are checked against."""

    version = models.BigIntegerField(default=0)

    def __str__(self):
        return f"Search index version {self.version}"


class TermCounts(models.Model):
    """How many entries hold a common word, per facet combination, as of one
    index version.

    A word in most entries is the slowest search to count (every match is
    grouped); the commonest words are counted ahead by a beat task, and a
    search uses the counts only while ``version`` is still the index's, so they
    are never stale: after any change the search counts live until the next
    run (``search.indexing.count_common_terms``).
    """

    lexeme = models.CharField(max_length=200, primary_key=True)
    version = models.BigIntegerField()
    combinations = ArrayField(models.BigIntegerField())
    counts = ArrayField(models.IntegerField())

    class Meta:
        verbose_name_plural = "term counts"

    def __str__(self):
        return f"Counts for {self.lexeme}"


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


class SearchCountBatch(models.Model):
    """A batch of search counts already added to ``SearchQuery`` (search.analytics):
    its Redis key, so a batch is never added twice. Kept a week."""

    key = models.CharField(max_length=120, unique=True)
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.key


class DocumentText(models.Model):
    """Text extracted from a document, kept until the file changes."""

    document = models.OneToOneField(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="search_text"
    )
    sha256 = models.CharField(max_length=64)
    text = models.TextField(blank=True)

    def __str__(self):
        return f"Text of document {self.document_id}"
