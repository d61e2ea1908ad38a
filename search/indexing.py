"""Keeping the index in step with the pages.

``sync_page(page_id)`` is the one entry point for a change: it writes the page's
entry when the page should be in the index, deletes it when it should not (and
does the same for the page's descendants when it moved or changed privacy,
since both are inherited). Signal handlers queue it on commit as a Celery task;
it is safe to run twice. ``reindex()`` rebuilds everything in batches;
``reconcile()`` (nightly) compares every entry with its page and repairs the
differences, reporting what it fixed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from wagtail.models import Page

from .engines import forget_results, get_engine
from .entries import Entry, entry_for, indexed_models
from .models import SearchEntry, SearchWord, TermCounts

logger = logging.getLogger(__name__)

BATCH = 200
FINGERPRINT_SQL = """
    SELECT page_id, md5(concat_ws(chr(31), title, summary, body, documents, type,
        type_label, array_to_string(themes, ','), array_to_string(audiences, ','),
        date::text, url, language))
    FROM search_searchentry
"""
_WORD = re.compile(r"[^\W\d_]{3,40}", re.UNICODE)


def _row(entry: Entry) -> dict:
    return {
        "title": entry.title[:255],
        "summary": entry.summary,
        "body": entry.body,
        "documents": entry.documents,
        "type": entry.type,
        "type_label": entry.type_label,
        "themes": entry.themes,
        "audiences": entry.audiences,
        "date": entry.date,
        "url": entry.url[:500],
        "language": entry.language,
    }


def _words(entries: Iterable[Entry]) -> set[str]:
    found: set[str] = set()
    for entry in entries:
        found.update(w.lower() for w in _WORD.findall(f"{entry.title} {entry.summary}"))
    return found


def _add_words(words: set[str]) -> None:
    if not words:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO search_searchword (word, entries)
            SELECT w, 1 FROM unnest(%s::text[]) AS w
            ON CONFLICT (word) DO UPDATE SET entries = search_searchword.entries + 1
            """,
            [sorted(words)],
        )


def store(entries: list[Entry]) -> None:
    """Write entries to the table (and the engine's own copy, if it keeps one)."""
    if not entries:
        return
    with transaction.atomic():
        for entry in entries:
            SearchEntry.objects.update_or_create(
                page_id=entry.page_id, defaults=_row(entry)
            )
        _add_words(_words(entries))
    get_engine().upsert(entries)
    forget_results()


def forget(page_ids: list[int]) -> int:
    if not page_ids:
        return 0
    deleted, _ = SearchEntry.objects.filter(page_id__in=page_ids).delete()
    get_engine().delete(page_ids)
    forget_results()
    return deleted


def sync_page(page_id: int, *, with_descendants: bool = False) -> dict:
    """Bring the entries of a page (and optionally its descendants) up to date."""
    page = Page.objects.filter(pk=page_id).first()
    if page is None:
        # Deleted: its descendants went with it (and their entries by cascade).
        return {"stored": 0, "removed": forget([page_id])}
    pages = [page]
    if with_descendants:
        pages += list(page.get_descendants())
    stored, removed = [], []
    for candidate in pages:
        entry = entry_for(candidate)
        if entry is None:
            removed.append(candidate.pk)
        else:
            stored.append(entry)
    store(stored)
    return {"stored": len(stored), "removed": forget(removed)}


def _candidate_pages():
    return (
        Page.objects.type(*indexed_models())
        .live()
        .order_by("pk")
        .select_related("locale")
    )


def reindex(progress: Callable[[int, int], None] | None = None) -> dict:
    """Rebuild every entry in batches; pages no longer indexable are dropped."""
    pages = _candidate_pages()
    total = pages.count()
    seen: set[int] = set()
    done = 0
    all_entries: list[Entry] = []
    for start in range(0, total, BATCH):
        batch = list(pages[start : start + BATCH])
        entries = [e for e in (entry_for(p) for p in batch) if e is not None]
        with transaction.atomic():
            for entry in entries:
                SearchEntry.objects.update_or_create(
                    page_id=entry.page_id, defaults=_row(entry)
                )
        seen.update(e.page_id for e in entries)
        all_entries.extend(entries)
        done += len(batch)
        if progress:
            progress(done, total)
    stale = list(
        SearchEntry.objects.exclude(page_id__in=seen).values_list("page_id", flat=True)
    )
    SearchEntry.objects.filter(page_id__in=stale).delete()
    _rebuild_words(all_entries)
    get_engine().rebuild(all_entries)
    forget_results()
    return {"indexed": len(seen), "removed": len(stale)}


def _rebuild_words(entries: list[Entry]) -> None:
    counts: dict[str, int] = {}
    for entry in entries:
        for word in _words([entry]):
            counts[word] = counts.get(word, 0) + 1
    with transaction.atomic():
        SearchWord.objects.all().delete()
        SearchWord.objects.bulk_create(
            [SearchWord(word=w, entries=n) for w, n in counts.items()], batch_size=1000
        )


@dataclass
class ReconcileReport:
    checked: int = 0
    added: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def fixed(self) -> int:
        return len(self.added) + len(self.updated) + len(self.removed)


def reconcile() -> ReconcileReport:
    """Find entries that differ from their pages (or are missing, or should not
    exist) and fix them."""
    report = ReconcileReport()
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL)
        existing = dict(cursor.fetchall())
    wanted: dict[int, Entry] = {}
    for start in range(0, 10**9, BATCH):
        batch = list(_candidate_pages()[start : start + BATCH])
        if not batch:
            break
        for page in batch:
            entry = entry_for(page)
            if entry is not None:
                wanted[page.pk] = entry
    report.checked = len(existing.keys() | wanted.keys())
    to_store = []
    for page_id, entry in wanted.items():
        if page_id not in existing:
            report.added.append(page_id)
            to_store.append(entry)
        elif existing[page_id] != entry.fingerprint():
            report.updated.append(page_id)
            to_store.append(entry)
    report.removed = sorted(existing.keys() - wanted.keys())
    store(to_store)
    forget(report.removed)
    if report.fixed:
        _rebuild_words(list(wanted.values()))
        logger.warning(
            "Search reconcile fixed %s entries: added %s, updated %s, removed %s",
            report.fixed,
            report.added[:20],
            report.updated[:20],
            report.removed[:20],
        )
    return report


COMMON_SHARE = 0.05  # a word in at least 1 entry in 20 is counted ahead
COMMON_TERMS = 300
COMMON_MIN_ENTRIES = 5000  # below this, counting live is fast enough


def _lexeme_query(lexeme: str) -> str:
    """The tsquery text matching exactly this lexeme."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def count_common_terms(
    share: float = COMMON_SHARE,
    limit: int = COMMON_TERMS,
    min_entries: int = COMMON_MIN_ENTRIES,
) -> dict:
    """Count the commonest words' matches per facet combination, ahead.

    One snapshot (repeatable read) for the index version and every count, so
    the counts are exactly those of that version; searches use them only while
    the index is still at it. The words are the most common elements
    PostgreSQL's statistics find in ``vector`` (words and adjacent pairs), kept
    when at least ``share`` of entries hold them. Does nothing when the index
    has not changed since the last run.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if len(connection.atomic_blocks) == 1:  # not inside another transaction
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SET LOCAL enable_seqscan = off")  # as the engine counts
        cursor.execute("SELECT version FROM search_indexversion WHERE id = 1")
        row = cursor.fetchone()
        version = row[0] if row else 0
        # A later change in this same transaction must raise the version again
        # (the trigger raises it once per transaction).
        cursor.execute("SELECT set_config('search.version_raised', '', true)")
        if row is None:
            cursor.execute(
                "INSERT INTO search_indexversion (id, version) VALUES (1, 0) "
                "ON CONFLICT (id) DO NOTHING"
            )
        stored = set(TermCounts.objects.values_list("version", flat=True).distinct())
        if stored == {version}:
            return {"version": version, "terms": None}
        cursor.execute("SELECT count(*) FROM search_searchmatch")
        entries = cursor.fetchone()[0]
        lexemes: list[str] = []
        if entries >= min_entries:
            cursor.execute("ANALYZE search_searchmatch (vector)")
            cursor.execute(
                """
                SELECT e.lexeme FROM pg_stats s,
                    unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
                        WITH ORDINALITY AS e(lexeme, share, n)
                WHERE s.schemaname = current_schema()
                    AND s.tablename = 'search_searchmatch' AND s.attname = 'vector'
                    AND e.lexeme IS NOT NULL AND e.share >= %s
                ORDER BY e.share DESC LIMIT %s
                """,
                [share, limit],
            )
            lexemes = [r[0] for r in cursor.fetchall()]
        rows = []
        for lexeme in lexemes:
            cursor.execute(
                "SELECT facets_id, count(*) FROM search_searchmatch "
                "WHERE vector @@ %s::tsquery GROUP BY 1",
                [_lexeme_query(lexeme)],
            )
            counted = cursor.fetchall()
            rows.append(
                TermCounts(
                    lexeme=lexeme,
                    version=version,
                    combinations=[c for c, _ in counted],
                    counts=[n for _, n in counted],
                )
            )
        TermCounts.objects.all().delete()
        TermCounts.objects.bulk_create(rows, batch_size=50)
    return {"version": version, "terms": len(rows)}


def pages_using_document(document_id: int) -> list[int]:
    """Indexed pages that carry the document (directly or in an inline panel)."""
    from wagtail.documents import get_document_model

    document_model = get_document_model()
    page_ids: set[int] = set()
    for model in indexed_models():
        for f in model._meta.get_fields():
            if (
                f.concrete
                and getattr(f, "related_model", None) is document_model
                and f.model is model
            ):
                page_ids.update(
                    model.objects.filter(**{f.name: document_id}).values_list(
                        "pk", flat=True
                    )
                )
        for relation in model._meta.related_objects:
            child = relation.related_model
            if not relation.one_to_many or not hasattr(child, "sort_order"):
                continue
            for f in child._meta.get_fields():
                if f.concrete and getattr(f, "related_model", None) is document_model:
                    parent = relation.field.name
                    page_ids.update(
                        child.objects.filter(**{f.name: document_id}).values_list(
                            f"{parent}_id", flat=True
                        )
                    )
    return sorted(page_ids)
