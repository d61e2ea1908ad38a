"""The search page's query string, validated like every listing's."""

from __future__ import annotations

from django import forms

from website.listing import ListingFilterForm

from .engines.base import MAX_QUERY_CHARS, clean_query


class SearchForm(ListingFilterForm):
    """``q`` plus the listing filters (theme, audience, type, year, page).

    A query is never an error: control characters are dropped and anything past
    ``MAX_QUERY_CHARS`` is cut (the page says so). Malformed filters are errors
    (400 with the reason); filters naming nothing we have give no results and a
    notice.
    """

    q = forms.CharField(required=False, strip=True)

    def clean_q(self) -> str:
        raw = self.cleaned_data.get("q") or ""
        query = clean_query(raw)
        if len(" ".join(raw.split())) > MAX_QUERY_CHARS:
            self.notices.append(
                f"Your search was shortened to its first {MAX_QUERY_CHARS} characters."
            )
        return query
