"""The one filter + paginate + feed helper every listing page uses.

A listing takes a queryset of tagged content pages and the request's query string
(``?theme=safe-sleep&audience=midwives&type=briefing&year=2025&page=2``), and
gives back the page of results, the active filters, the options with counts, and
links that keep the filters (shareable URLs). ``ListingFeed`` turns the same
filtered queryset into RSS 2.0 or Atom with the full content of each item.

Index pages use it through ``ListingPageMixin`` (a routable page): the index at
``./``, RSS at ``./feed/`` and Atom at ``./feed/atom/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField

from .generations import Generation, remember
from .models import Audience, PageAudience, PageTheme, Theme
from .routing import KnownRestrictionsMixin

DEFAULT_PAGE_SIZE = 12
FEED_SIZE = 30
# Each listing's total and filter counts, kept between changes (``build_listing``).
COUNTS = Generation("listing-counts")


class ListingFilterForm(forms.Form):
    """Validates the query string.

    Malformed values (``year=abc``, ``theme=<script>``) are errors: the page says
    what is wrong with a 400. Well-formed values that name nothing we have (a
    theme since retired, say, in an old shared link) are not errors: they give an
    empty result and a notice saying why.
    """

    theme = forms.SlugField(required=False, max_length=100)
    audience = forms.SlugField(required=False, max_length=100)
    type = forms.SlugField(required=False, max_length=100)
    year = forms.IntegerField(required=False, min_value=1990, max_value=2100)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def __init__(self, *args, type_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.type_choices = dict(type_choices or [])
        self.notices: list[str] = []

    def clean(self):
        cleaned = super().clean()
        for name, model, noun in (
            ("theme", Theme, "theme"),
            ("audience", Audience, "audience"),
        ):
            slug = cleaned.get(name)
            if slug and not model.objects.filter(slug=slug).exists():
                self.notices.append(
                    f"There is no {noun} called “{slug}”, so nothing matches. "
                    "Choose one from the list."
                )
        value = cleaned.get("type")
        if value and value not in self.type_choices:
            self.notices.append(
                f"“{value}” is not a type of content listed here, so nothing "
                "matches. Choose one from the list."
            )
        return cleaned


@dataclass
class FilterOption:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class Listing:
    """The result of filtering and paginating one listing request."""

    form: ListingFilterForm
    page: Page | None
    total: int
    filters: dict
    options: dict[str, list[FilterOption]] = field(default_factory=dict)
    base_path: str = ""

    @property
    def notices(self) -> list[str]:
        return self.form.notices

    @property
    def is_valid(self) -> bool:
        return self.form.is_valid()

    @property
    def items(self) -> list:
        return list(self.page.object_list) if self.page else []

    @property
    def active_filters(self) -> list[dict]:
        """The chosen filters, each with a link that removes it."""
        labels = {
            key: {o.value: o.label for o in opts} for key, opts in self.options.items()
        }
        result = []
        for key, value in self.filters.items():
            if value in (None, ""):
                continue
            label = labels.get(key, {}).get(str(value), str(value))
            result.append(
                {"name": key, "label": label, "remove_url": self.url(**{key: None})}
            )
        return result

    def query(self, **changes) -> str:
        params = {k: v for k, v in self.filters.items() if v not in (None, "")}
        for key, value in changes.items():
            if value in (None, ""):
                params.pop(key, None)
            else:
                params[key] = value
        return urlencode(sorted(params.items()))

    def url(self, **changes) -> str:
        query = self.query(**changes)
        return f"{self.base_path}?{query}" if query else self.base_path

    def page_url(self, number: int) -> str:
        return self.url(page=number if number > 1 else None)

    @property
    def previous_url(self) -> str:
        if self.page and self.page.has_previous():
            return self.page_url(self.page.previous_page_number())
        return ""

    @property
    def next_url(self) -> str:
        if self.page and self.page.has_next():
            return self.page_url(self.page.next_page_number())
        return ""

    @property
    def clear_url(self) -> str:
        return self.base_path

    @property
    def feed_query(self) -> str:
        params = {k: v for k, v in self.filters.items() if v and k != "page"}
        return urlencode(sorted(params.items()))


# What "year" means in a listing unless the listing says otherwise.
PUBLISHED_YEAR = "first_published_at"


def filter_queryset(
    qs: QuerySet,
    filters: dict,
    type_field: str | None,
    year_field: str = PUBLISHED_YEAR,
) -> QuerySet:
    """Apply theme, audience, type and year filters to a queryset of pages. The
    year is ``year_field``'s, in UK time: when a page was first published, or
    for a webinar when it happens."""
    for name, through in (("theme", PageTheme), ("audience", PageAudience)):
        if filters.get(name):
            tagged = through.objects.filter(tag__slug=filters[name])
            qs = qs.filter(pk__in=tagged.values("content_object_id"))
    if filters.get("type") and type_field:
        qs = qs.filter(**{type_field: filters["type"]})
    if filters.get("year"):
        qs = qs.filter(**{f"{year_field}__year": filters["year"]})
    return qs


def _facet_counts(
    qs: QuerySet, listing_filters: dict, type_field, year_field: str
) -> dict:
    """For each filter, how many pages each of its values would give, keeping the
    other filters; with the themes and audiences to offer (as plain tuples, so the
    whole can be kept in the cache)."""

    def base_for(exclude: str) -> QuerySet:
        others = {k: v for k, v in listing_filters.items() if k != exclude}
        return filter_queryset(qs, others, type_field, year_field)

    counts: dict = {}
    for name, through, vocabulary in (
        ("theme", PageTheme, Theme),
        ("audience", PageAudience, Audience),
    ):
        counts[name] = dict(
            through.objects.filter(content_object__in=base_for(name).values("pk"))
            .values_list("tag_id")
            .annotate(n=Count("id"))
        )
        counts[f"{name}_terms"] = list(
            vocabulary.objects.values_list("pk", "slug", "name")
        )
    if type_field:
        counts["type"] = dict(
            base_for("type").order_by().values_list(type_field).annotate(n=Count("pk"))
        )
    counts["year"] = list(
        base_for("year")
        .order_by()
        .annotate(y=ExtractYear(year_field))
        .values_list("y")
        .annotate(n=Count("pk"))
    )
    return counts


def _facet_options(counts: dict, listing_filters: dict, type_choices, make_url):
    """Options for each filter with the count each would give, keeping the others."""
    options: dict[str, list[FilterOption]] = {}
    for name in ("theme", "audience"):
        chosen = listing_filters.get(name)
        options[name] = [
            FilterOption(
                slug,
                label,
                counts[name].get(pk, 0),
                chosen == slug,
                make_url(**{name: slug}),
            )
            for pk, slug, label in counts[f"{name}_terms"]
            if counts[name].get(pk) or chosen == slug
        ]
    if type_choices and "type" in counts:
        type_counts = counts["type"]
        options["type"] = [
            FilterOption(
                value,
                label,
                type_counts.get(value, 0),
                listing_filters.get("type") == value,
                make_url(type=value),
            )
            for value, label in type_choices
            if type_counts.get(value) or listing_filters.get("type") == value
        ]
    options["year"] = [
        FilterOption(
            str(y),
            str(y),
            n,
            str(listing_filters.get("year")) == str(y),
            make_url(year=y),
        )
        for y, n in sorted(counts["year"], key=lambda row: -(row[0] or 0))
        if y
    ]
    return options


def clear_counts() -> None:
    """Retire every listing's kept counts once the transaction commits."""
    COUNTS.retire()


def _counts(key: str, build):
    """The counts under ``key``, kept in the cache if the listing named one."""
    seconds = settings.LISTING_COUNTS_CACHE_SECONDS if key else 0
    return remember(COUNTS, key, seconds, build)


def build_listing(
    queryset: QuerySet,
    params,
    *,
    base_path: str,
    type_choices=None,
    type_field: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    with_options: bool = True,
    counts_key: str = "",
    year_field: str = PUBLISHED_YEAR,
) -> Listing:
    """Filter, count and paginate ``queryset`` from the query-string ``params``.

    With ``counts_key`` (naming the listing: the same key must always mean the
    same ``queryset``), the total and the filters' counts are kept in the cache
    until a page is published, unpublished, moved or deleted, or a theme or
    audience changes (``clear_counts``; website/signal_handlers.py).
    """
    form = ListingFilterForm(params, type_choices=type_choices)
    if not form.is_valid():
        return Listing(form=form, page=None, total=0, filters={}, base_path=base_path)
    filters = {
        k: form.cleaned_data.get(k)
        for k in ("theme", "audience", "type", "year")
        if form.cleaned_data.get(k) not in (None, "")
    }
    listing = Listing(
        form=form, page=None, total=0, filters=filters, base_path=base_path
    )
    qs = filter_queryset(queryset, filters, type_field, year_field)

    def count():
        found = {"total": qs.count()}
        if with_options:
            found["facets"] = _facet_counts(
                queryset, filters, type_field if type_choices else None, year_field
            )
        return found

    filter_key = urlencode(sorted((k, str(v)) for k, v in filters.items()))
    counted = _counts(f"{counts_key}?{filter_key}" if counts_key else "", count)
    paginator = Paginator(qs, page_size)
    # Known already: the paginator need not count again.
    paginator.count = counted["total"]
    try:
        listing.page = paginator.page(form.cleaned_data.get("page") or 1)
    except EmptyPage as exc:
        raise Http404("That page of results does not exist.") from exc
    listing.total = paginator.count
    if with_options:
        listing.options = _facet_options(
            counted["facets"], filters, type_choices, listing.url
        )
    return listing


class ListingFeed(Feed):
    """RSS 2.0 or Atom of a filtered listing, with the full text of each item."""

    feed_type = Rss201rev2Feed
    item_template = "website/feed_item.html"

    def __init__(self, index_page, queryset, filters, *, atom=False, request=None):
        super().__init__()
        self.index_page = index_page
        self.queryset = queryset
        self.filters = filters
        self.request = request
        if atom:
            self.feed_type = Atom1Feed

    def title(self):
        parts = [self.index_page.title]
        parts += [str(v) for v in self.filters.values() if v]
        return " – ".join(parts)

    def link(self):
        return self.index_page.full_url or "/"

    def description(self):
        return getattr(self.index_page, "intro", "") or self.index_page.title

    subtitle = description

    def items(self):
        return list(self.queryset[:FEED_SIZE])

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return item.full_url

    def item_guid(self, item):
        return item.full_url

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_description(self, item):
        """The full content: ``<app>/<model>_feed.html`` if a model has one."""
        meta = item._meta
        template = select_template(
            [f"{meta.app_label}/{meta.model_name}_feed.html", self.item_template]
        )
        return template.render({"page": item, "request": self.request})

    def item_categories(self, item):
        # Read through the prefetched through-rows: one query for all items.
        return [row.tag.name for row in item.theme_items.all()] + [
            row.tag.name for row in item.audience_items.all()
        ]


def _without_bodies(qs: QuerySet) -> QuerySet:
    """``qs`` without its pages' bodies (stream and rich-text fields): a listing
    shows titles and summaries, and reading every body cost a third of it."""
    return qs.defer(
        *(
            f.name
            for f in qs.model._meta.concrete_fields
            if isinstance(f, StreamField | RichTextField)
        )
    )


class ListingPageMixin(KnownRestrictionsMixin, RoutablePageMixin):
    """A routable index page: filtered, paginated listing plus RSS and Atom feeds."""

    listing_page_size = DEFAULT_PAGE_SIZE
    listing_type_field: str | None = None  # e.g. "kind" on the child model
    listing_type_choices: list[tuple[str, str]] = []
    # The field the "year" filter reads (a webinar's is when it happens).
    listing_year_field = PUBLISHED_YEAR

    def get_listing_queryset(self) -> QuerySet:
        """Live, public child pages, newest first; subclasses narrow the model."""
        raise NotImplementedError

    def _listing_queryset(self):
        return (
            self.get_listing_queryset()
            .live()
            .public()
            .order_by("-first_published_at", "-pk")
        )

    @path("")
    def listing_view(self, request):
        listing = build_listing(
            _without_bodies(self._listing_queryset()),
            request.GET,
            base_path=self.get_url(request),
            type_choices=self.listing_type_choices,
            type_field=self.listing_type_field,
            page_size=self.listing_page_size,
            counts_key=f"index:{self.pk}:{self.listing_year_field}",
            year_field=self.listing_year_field,
        )
        context = self.get_context(request)
        context["listing"] = listing
        return TemplateResponse(
            request,
            self.get_template(request),
            context,
            status=200 if listing.is_valid else 400,
        )

    def _feed(self, request, atom: bool):
        listing = build_listing(
            self._listing_queryset(),
            request.GET,
            base_path=self.get_url(request),
            type_choices=self.listing_type_choices,
            type_field=self.listing_type_field,
            page_size=FEED_SIZE,
            with_options=False,
            year_field=self.listing_year_field,
        )
        if not listing.is_valid:
            errors = "; ".join(
                f"{name}: {' '.join(msgs)}"
                for name, msgs in listing.form.errors.items()
            )
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest(
                f"This feed address has a filter we do not recognise ({errors}).",
                content_type="text/plain; charset=utf-8",
            )
        items = listing.page.object_list.prefetch_related(
            "theme_items__tag", "audience_items__tag"
        )
        feed = ListingFeed(self, items, listing.filters, atom=atom, request=request)
        return feed(request)

    @path("feed/")
    def rss_feed(self, request):
        return self._feed(request, atom=False)

    @path("feed/atom/")
    def atom_feed(self, request):
        return self._feed(request, atom=True)
