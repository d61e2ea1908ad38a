"""What every search engine takes and gives back: views never know which runs."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 200
PAGE_SIZE = 10
FACETS = ("type", "theme", "audience", "year")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_query(raw: str | None) -> str:
    """The query as searched: control characters (NUL included) removed, spaces
    collapsed, at most ``MAX_QUERY_CHARS`` characters."""
    text = _CONTROL.sub(" ", raw or "")
    return " ".join(text.split())[:MAX_QUERY_CHARS]


@dataclass(frozen=True)
class Filters:
    type: str = ""
    theme: str = ""
    audience: str = ""
    year: int | None = None

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in FACETS}

    def without(self, name: str) -> Filters:
        values = self.as_dict()
        values[name] = None if name == "year" else ""
        return Filters(**values)


@dataclass
class Hit:
    page_id: int
    title: str
    type: str
    type_label: str
    summary: str
    url: str
    date: dt.date
    snippet_html: str  # escaped, with <mark> around matched words


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class Results:
    query: str
    filters: Filters
    hits: list[Hit]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str = ""  # "did you mean", when there are few hits

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass
class Suggestion:
    title: str
    url: str


class SearchEngine:
    """One engine: search, title suggestions, and keeping its copy of entries."""

    name = "base"

    def search(
        self, query: str, filters: Filters, page: int = 1, page_size: int = PAGE_SIZE
    ) -> Results:
        raise NotImplementedError

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        raise NotImplementedError

    def upsert(self, entries) -> None:
        """Store these ``search.entries.Entry`` objects (after the database)."""

    def delete(self, page_ids) -> None:
        """Forget these pages (after the database)."""

    def rebuild(self, entries) -> None:
        """Replace everything with ``entries`` (a full reindex)."""
