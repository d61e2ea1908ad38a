"""Which subscriptions a page reaches: the one rule, in SQL.

A page P reaches a subscription to list L when all three hold:

- L carries no themes (every theme), or P shares at least one theme with L;
- L carries no audiences (every audience), or P shares at least one audience with L;
- the subscriber gave no audience, or P names no audiences (it is for everyone),
  or the subscriber's audience is among P's.

Everything here builds querysets (``Exists`` subqueries over the tag tables), so
the database answers for every subscriber at once; nothing loops over people in
Python. Immediate notifications (``bulletins/notify.py``) and weekly digests
(``bulletins/digests.py``) both ask these questions, so they cannot disagree.

A *page reference* below is a page id (``int``), the name of a field holding the
page id in the queryset being filtered (``str``), or an ``OuterRef`` to one in
the queryset around it; the same goes for the subscriber's audience.
"""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.lookups import IsNull
from wagtail.models import Page

from website.models import PageAudience

from .models import DistributionList, Subscriber, Subscription

Ref = int | str | OuterRef

# Every list a page can reach by rule; staff-only lists are sent to like public ones.
LIST_VISIBILITIES = (
    DistributionList.Visibility.PUBLIC,
    DistributionList.Visibility.STAFF,
)

_ListTheme = DistributionList.themes.through
_ListAudience = DistributionList.audiences.through


def _here(ref: Ref):
    """The reference as an expression in the queryset being filtered."""
    if isinstance(ref, OuterRef):
        return ref
    if isinstance(ref, str):
        return F(ref)
    return Value(ref)


def _inside(ref: Ref):
    """The same reference seen from a subquery one level down."""
    if isinstance(ref, (str, OuterRef)):
        return OuterRef(ref)
    return ref


def list_reaches(page: Ref, list_field: str = "distribution_list_id") -> Q:
    """The list named by ``list_field`` carries the page's themes and audiences.

    For a queryset with a distribution-list id field (a ``Subscription`` queryset
    by default).
    """
    list_id = OuterRef(list_field)
    page_id = _inside(page)
    themes_ok = ~Exists(
        _ListTheme.objects.filter(distributionlist_id=list_id)
    ) | Exists(
        _ListTheme.objects.filter(
            distributionlist_id=list_id, theme__page_items__content_object_id=page_id
        )
    )
    audiences_ok = ~Exists(
        _ListAudience.objects.filter(distributionlist_id=list_id)
    ) | Exists(
        _ListAudience.objects.filter(
            distributionlist_id=list_id,
            audience__page_items__content_object_id=page_id,
        )
    )
    return Q(themes_ok) & Q(audiences_ok)


def audience_accepts(page: Ref, audience: Ref = "audience_id") -> Q:
    """A subscriber with this audience (or none) is someone the page is for."""
    page_id = _inside(page)
    return (
        Q(IsNull(_here(audience), True))
        | ~Exists(PageAudience.objects.filter(content_object_id=page_id))
        | Exists(
            PageAudience.objects.filter(
                content_object_id=page_id, tag_id=_inside(audience)
            )
        )
    )


def reaching_subscriptions(page: int, frequency: str | None = None) -> QuerySet:
    """Subscriptions (of ``frequency``, if given) that page ``page`` reaches."""
    subscriptions = Subscription.objects.filter(
        distribution_list__visibility__in=LIST_VISIBILITIES
    ).filter(list_reaches(page), audience_accepts(page, "subscriber__audience_id"))
    if frequency is not None:
        subscriptions = subscriptions.filter(frequency=frequency)
    return subscriptions


def _has_subscription(
    page: Ref, frequency: str, subscriber: Ref = "pk", audience: Ref = "audience_id"
) -> Q:
    """The subscriber has a ``frequency`` subscription the page reaches."""
    page_inside = _inside(page)
    return Q(
        Exists(
            Subscription.objects.filter(
                subscriber_id=_inside(subscriber),
                frequency=frequency,
                distribution_list__visibility__in=LIST_VISIBILITIES,
            ).filter(list_reaches(page_inside))
        )
    ) & audience_accepts(page, audience)


def subscribers_for_page(page: Page | int, frequency: str) -> QuerySet:
    """Active subscribers the page reaches through a ``frequency`` subscription.

    One row per subscriber, however many of their lists the page reaches.
    """
    page_id = page if isinstance(page, int) else page.pk
    return Subscriber.objects.active().filter(_has_subscription(page_id, frequency))


def with_frequency(frequency: str) -> QuerySet:
    """Active subscribers with at least one ``frequency`` subscription to any list."""
    return Subscriber.objects.active().filter(
        Exists(
            Subscription.objects.filter(
                subscriber_id=OuterRef("pk"),
                frequency=frequency,
                distribution_list__visibility__in=LIST_VISIBILITIES,
            )
        )
    )


def pages_for_subscriber(page_ids, frequency: str) -> ArraySubquery:
    """For a ``Subscriber`` queryset: the ids (ascending) of ``page_ids`` they get.

    Annotate with it (``.annotate(page_ids=pages_for_subscriber(ids, WEEKLY))``) to
    have the database work out every subscriber's set of pages in one query.
    """
    pages = (
        Page.objects.filter(pk__in=list(page_ids))
        .filter(
            _has_subscription(
                "pk",
                frequency,
                subscriber=OuterRef("pk"),
                audience=OuterRef("audience_id"),
            )
        )
        .order_by("pk")
        .values("pk")
    )
    return ArraySubquery(pages)


def subscribers_with_pages(page_ids, frequency: str) -> QuerySet:
    """Active ``frequency`` subscribers, each annotated ``page_ids`` (maybe empty)."""
    return with_frequency(frequency).annotate(
        page_ids=pages_for_subscriber(page_ids, frequency)
    )
