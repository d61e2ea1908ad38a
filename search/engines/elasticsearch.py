"""The Elasticsearch engine (``ELASTICSEARCH_URL`` set): same entries, same results.

Entries are ``SearchDocument``s with an explicit mapping: English analysis for
the text (with ASCII folding, so accents do not matter), keywords for facets, a
completion field for as-you-type titles. Queries go through ``EntrySearch``, a
``FacetedSearch`` with the same four facets as the PostgreSQL engine, the same
query syntax (``simple_query_string``: quotes, ``OR``, ``-word``), title over
summary over body, a freshness boost and highlighted snippets.

Readers always use the alias ``ELASTICSEARCH_INDEX`` (default "cdr-search"). A
full rebuild fills a new dated index and then moves the alias in one atomic
request, so searches never see a half-built index; the old index is deleted
after.
"""

from __future__ import annotations

import datetime as dt
import functools
from html import escape

from django.conf import settings
from django.utils import timezone
from elasticsearch_dsl import (
    Completion,
    DateHistogramFacet,
    Document,
    FacetedSearch,
    Index,
    Keyword,
    Q,
    TermsFacet,
    Text,
    analyzer,
    connections,
    token_filter,
)
from elasticsearch_dsl import Date as DateField

from .base import (
    FACETS,
    PAGE_SIZE,
    FacetValue,
    Filters,
    Hit,
    Results,
    SearchEngine,
    Suggestion,
)

START, STOP = "\x02", "\x03"
FEW_HITS = 3

english_folded = analyzer(
    "english_folded",
    tokenizer="standard",
    filter=[
        "lowercase",
        "asciifolding",
        token_filter(
            "english_possessive", type="stemmer", language="possessive_english"
        ),
        token_filter("english_stop", type="stop", stopwords="_english_"),
        token_filter("english_stemmer", type="stemmer", language="english"),
    ],
)
folded_words = analyzer(
    "folded_words", tokenizer="standard", filter=["lowercase", "asciifolding"]
)


def alias_name() -> str:
    return getattr(settings, "ELASTICSEARCH_INDEX", "") or "cdr-search"


class SearchDocument(Document):
    """One page's entry, as Elasticsearch stores it (id = page id)."""

    title = Text(
        analyzer=english_folded,
        fields={"raw": Keyword(), "words": Text(analyzer=folded_words)},
    )
    summary = Text(
        analyzer=english_folded, fields={"words": Text(analyzer=folded_words)}
    )
    body = Text(analyzer=english_folded)
    documents = Text(analyzer=english_folded)
    type = Keyword()
    type_label = Keyword(index=False)
    themes = Keyword(multi=True)
    audiences = Keyword(multi=True)
    date = DateField()
    url = Keyword(index=False)
    language = Keyword()
    title_suggest = Completion(analyzer=folded_words)

    class Index:
        name = "cdr-search"  # the alias; concrete indexes are made by rebuild()
        settings = {"number_of_shards": 1, "number_of_replicas": 0}

    @classmethod
    def from_entry(cls, entry) -> SearchDocument:
        return cls(
            meta={"id": entry.page_id},
            title=entry.title,
            summary=entry.summary,
            body=entry.body,
            documents=entry.documents,
            type=entry.type,
            type_label=entry.type_label,
            themes=list(entry.themes),
            audiences=list(entry.audiences),
            date=entry.date,
            url=entry.url,
            language=entry.language,
            title_suggest={"input": [entry.title], "weight": 1},
        )


def mapping() -> dict:
    """The explicit mapping and analysis settings (what an index is made with)."""
    index = Index("mapping-preview")
    index.settings(**SearchDocument.Index.settings)
    index.document(SearchDocument)
    return index.to_dict()


class EntrySearch(FacetedSearch):
    """Full text over title^3, summary^2, body and document text, with facets."""

    doc_types = [SearchDocument]
    fields = ["title^3", "summary^2", "body", "documents"]
    facets = {
        "type": TermsFacet(field="type", size=50),
        "theme": TermsFacet(field="themes", size=100),
        "audience": TermsFacet(field="audiences", size=100),
        "year": DateHistogramFacet(
            field="date", calendar_interval="year", min_doc_count=1
        ),
    }

    def __init__(self, query: str, filters: Filters, index: str):
        self.index = index
        chosen = {}
        if filters.type:
            chosen["type"] = filters.type
        if filters.theme:
            chosen["theme"] = filters.theme
        if filters.audience:
            chosen["audience"] = filters.audience
        if filters.year:
            chosen["year"] = dt.datetime(filters.year, 1, 1, tzinfo=dt.UTC)
        super().__init__(query, chosen)

    def query(self, search, query):
        if not query:
            return search.query("match_all")
        text = Q(
            "simple_query_string",
            query=query,
            fields=self.fields,
            default_operator="and",
            flags="AND|OR|NOT|PHRASE|PRECEDENCE|WHITESPACE|ESCAPE",
        )
        # Newer pages first among equals: a gentle decay over two years.
        return search.query(
            "function_score",
            query=text,
            functions=[{"gauss": {"date": {"origin": "now", "scale": "730d"}}}],
            boost_mode="multiply",
        )

    def highlight(self, search):
        return search.highlight(
            "summary",
            "body",
            "documents",
            pre_tags=[START],
            post_tags=[STOP],
            fragment_size=160,
            number_of_fragments=2,
        )

    def search(self):
        search = super().search()
        if self._query:
            search = search.suggest(
                "did_you_mean",
                self._query,
                term={"field": "title.words", "suggest_mode": "missing"},
            )
        return search


def _snippet(hit) -> str:
    highlight = getattr(hit.meta, "highlight", None)
    pieces = []
    if highlight is not None:
        for name in ("summary", "body", "documents"):
            pieces.extend(getattr(highlight, name, []) or [])
    if not pieces:
        return escape(getattr(hit, "summary", "") or "")
    text = escape(" … ".join(pieces[:2]))
    return text.replace(START, "<mark>").replace(STOP, "</mark>")


def _facet_values(name: str, values) -> list[FacetValue]:
    out = []
    for value, count, _selected in values:
        if name == "year":
            value = str(value.year if hasattr(value, "year") else value)[:4]
        out.append(FacetValue(value=str(value), count=count))
    if name == "year":
        out.sort(key=lambda v: v.value, reverse=True)
    else:
        out.sort(key=lambda v: (-v.count, v.value))
    return out


class ElasticsearchEngine(SearchEngine):
    name = "elasticsearch"

    def __init__(self, url: str):
        self.url = url
        self.alias = alias_name()

    @functools.cached_property
    def client(self):
        return connections.create_connection(alias="cdr-search", hosts=[self.url])

    def build(self, query: str, filters: Filters) -> EntrySearch:
        return EntrySearch(query, filters, self.alias)

    def body(
        self, query: str, filters: Filters, page: int = 1, page_size: int = PAGE_SIZE
    ) -> dict:
        """The request body sent for a search (for tests and debugging)."""
        start = (max(1, page) - 1) * page_size
        return self.build(query, filters)[start : start + page_size]._s.to_dict()

    def search(
        self, query: str, filters: Filters, page: int = 1, page_size: int = PAGE_SIZE
    ) -> Results:
        start = (max(1, page) - 1) * page_size
        faceted = self.build(query, filters)[start : start + page_size]
        faceted._s = faceted._s.using(self.client)
        response = faceted.execute()
        hits = [
            Hit(
                page_id=int(hit.meta.id),
                title=hit.title,
                type=hit.type,
                type_label=hit.type_label,
                summary=getattr(hit, "summary", ""),
                url=hit.url,
                date=dt.date.fromisoformat(str(hit.date)[:10]),
                snippet_html=_snippet(hit),
            )
            for hit in response
        ]
        total = response.hits.total.value
        facets = {
            name: _facet_values(name, getattr(response.facets, name, []))
            for name in FACETS
        }
        suggestion = ""
        if query and total < FEW_HITS and "suggest" in response:
            words = []
            for option in response.suggest.did_you_mean:
                best = option.options[0].text if option.options else option.text
                words.append(best)
            candidate = " ".join(words)
            if candidate.lower() != query.lower():
                suggestion = candidate
        return Results(
            query=query,
            filters=filters,
            hits=hits,
            total=total,
            page=page,
            page_size=page_size,
            facets=facets,
            suggestion=suggestion,
        )

    def suggest_body(self, prefix: str, limit: int = 8) -> dict:
        return {
            "suggest": {
                "titles": {
                    "prefix": prefix,
                    "completion": {
                        "field": "title_suggest",
                        "size": limit,
                        "skip_duplicates": True,
                        "fuzzy": {"fuzziness": "AUTO"},
                    },
                }
            },
            "_source": ["title", "url"],
        }

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        prefix = " ".join(prefix.split())[:100]
        if len(prefix) < 2:
            return []
        response = self.client.search(
            index=self.alias, body=self.suggest_body(prefix, limit)
        )
        options = response["suggest"]["titles"][0]["options"]
        return [
            Suggestion(title=o["_source"]["title"], url=o["_source"]["url"])
            for o in options
        ]

    # --- Keeping the copy in step ---------------------------------------------------

    def _ensure_alias(self) -> None:
        if not self.client.indices.exists_alias(name=self.alias):
            self._new_index(alias=True)

    def _new_index(self, alias: bool = False) -> str:
        name = f"{self.alias}-{timezone.now():%Y%m%d%H%M%S%f}"
        index = Index(name, using=self.client)
        index.settings(**SearchDocument.Index.settings)
        index.document(SearchDocument)
        if alias:
            index.aliases(**{self.alias: {}})
        index.create()
        return name

    def upsert(self, entries) -> None:
        from elasticsearch.helpers import bulk

        entries = list(entries)
        if not entries:
            return
        self._ensure_alias()
        bulk(
            self.client,
            (
                {
                    **SearchDocument.from_entry(e).to_dict(include_meta=True),
                    "_index": self.alias,
                }
                for e in entries
            ),
        )

    def delete(self, page_ids) -> None:
        from elasticsearch.helpers import bulk

        page_ids = list(page_ids)
        if not page_ids:
            return
        self._ensure_alias()
        bulk(
            self.client,
            (
                {"_op_type": "delete", "_index": self.alias, "_id": pk}
                for pk in page_ids
            ),
            raise_on_error=False,
        )

    def rebuild(self, entries) -> None:
        """Fill a new index, then move the alias to it in one request."""
        from elasticsearch.helpers import bulk

        name = self._new_index()
        bulk(
            self.client,
            (
                {
                    **SearchDocument.from_entry(e).to_dict(include_meta=True),
                    "_index": name,
                }
                for e in entries
            ),
            refresh=True,
        )
        old = []
        if self.client.indices.exists_alias(name=self.alias):
            old = list(self.client.indices.get_alias(name=self.alias))
        actions = [{"add": {"index": name, "alias": self.alias}}]
        actions += [{"remove": {"index": o, "alias": self.alias}} for o in old]
        self.client.indices.update_aliases(actions=actions)
        for o in old:
            self.client.indices.delete(index=o, ignore_unavailable=True)
