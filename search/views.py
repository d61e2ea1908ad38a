"""The search page and title suggestions. Neither knows which engine runs."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.search.utils import normalise_query_string

from website import page_cache
from website.models import Audience, Theme

from . import engines
from .engines import Filters, get_engine
from .engines.base import FACETS, PAGE_SIZE
from .entries import indexed_models, type_key
from .forms import SearchForm
from .middleware import HITS_HEADER

MAX_PAGE = 100


def type_choices() -> list[tuple[str, str]]:
    return [
        (type_key(model), model.listing_type_label or model._meta.verbose_name)
        for model in indexed_models()
    ]


class Page:
    """What the template needs to draw the results, filters and pagination."""

    def __init__(self, results, form: SearchForm, labels: dict):
        self.results = results
        self.form = form
        self.labels = labels

    def url(self, **changes) -> str:
        params = {"q": self.results.query, **self.results.filters.as_dict()}
        params.update(changes)
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return "?" + urlencode(sorted(clean.items())) if clean else "?"

    @property
    def facets(self) -> list[dict]:
        chosen = self.results.filters.as_dict()
        out = []
        for name in FACETS:
            values = self.results.facets.get(name, [])
            out.append(
                {
                    "name": name,
                    "label": {"type": "Type"}.get(name, name.capitalize()),
                    "options": [
                        {
                            "value": v.value,
                            "label": self.labels[name].get(v.value, v.value),
                            "count": v.count,
                            "selected": str(chosen[name] or "") == v.value,
                        }
                        for v in values
                    ],
                }
            )
        return out

    @property
    def active_filters(self) -> list[dict]:
        chosen = self.results.filters.as_dict()
        return [
            {
                "label": self.labels[name].get(str(value), str(value)),
                "remove_url": self.url(**{name: None, "page": None}),
            }
            for name, value in chosen.items()
            if value
        ]

    @property
    def first_number(self) -> int:
        return (self.results.page - 1) * self.results.page_size + 1

    @property
    def previous_url(self) -> str:
        page = self.results.page
        return self.url(page=page - 1 if page > 2 else None) if page > 1 else ""

    @property
    def next_url(self) -> str:
        page = self.results.page
        if page < min(self.results.pages, MAX_PAGE):
            return self.url(page=page + 1)
        return ""

    @property
    def suggestion_url(self) -> str:
        if not self.results.suggestion:
            return ""
        return self.url(q=self.results.suggestion, page=None)


def _labels() -> dict:
    return {
        "type": dict(type_choices()),
        "theme": dict(Theme.objects.values_list("slug", "name")),
        "audience": dict(Audience.objects.values_list("slug", "name")),
        "year": {},
    }


@require_GET
@cache_control(public=True, max_age=60)
def search(request):
    form = SearchForm(request.GET, type_choices=type_choices())
    context = {"form": form, "query": "", "search": None, "promotions": []}
    if not form.is_valid():
        return TemplateResponse(request, "search/search.html", context, status=400)
    data = form.cleaned_data
    query = data["q"]
    filters = Filters(
        type=data.get("type") or "",
        theme=data.get("theme") or "",
        audience=data.get("audience") or "",
        year=data.get("year"),
    )
    page = min(data.get("page") or 1, MAX_PAGE)
    context["query"] = query
    if query or any(filters.as_dict().values()):
        page_size = getattr(settings, "SEARCH_PAGE_SIZE", PAGE_SIZE)
        results = engines.search(query, filters, page=page, page_size=page_size)
        context["search"] = Page(results, form, _labels())
        if query and page == 1:
            context["promotions"] = _promotions(query)
    response = TemplateResponse(request, "search/search.html", context)
    if query and page == 1:
        # Counted by SearchCountMiddleware, from the page cache as well.
        response[HITS_HEADER] = str(context["search"].results.total)
    # Kept like a page (website/page_cache.py) until the index or a pick changes.
    page_cache.note_page(request, "search")
    return response


def _promotions(query: str) -> list:
    """Editors' picks for the query (Wagtail's promoted search results)."""
    picks = SearchPromotion.objects.filter(
        query__query_string=normalise_query_string(query), page__live=True
    ).select_related("page")
    return list(picks.order_by("sort_order"))


@require_GET
@cache_control(public=True, max_age=300)
def suggest(request):
    """Titles for as-you-type suggestions: ``{"suggestions": [{title, url}]}``."""
    prefix = " ".join((request.GET.get("q") or "").split())
    suggestions = get_engine().suggest(prefix[:100])
    return JsonResponse(
        {"suggestions": [{"title": s.title, "url": s.url} for s in suggestions]}
    )
