"""Every change that can add, alter or remove a search entry queues a sync of
the page once the transaction commits (``search.tasks``)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move


def _enabled() -> bool:
    return getattr(settings, "SEARCH_INDEX_ON_CHANGE", True)


def _queue(page_id: int, with_descendants: bool = False) -> None:
    if not _enabled():
        return
    from .tasks import sync_page_task

    transaction.on_commit(
        lambda: sync_page_task.delay(page_id, with_descendants=with_descendants)
    )


def on_published(sender, instance, **kwargs) -> None:
    _queue(instance.pk)


def on_unpublished(sender, instance, **kwargs) -> None:
    _queue(instance.pk, with_descendants=True)


def on_moved(sender, instance, **kwargs) -> None:
    # A move changes URLs, and can put pages under (or out of) a restriction.
    _queue(instance.pk, with_descendants=True)


def on_page_deleted(sender, instance, **kwargs) -> None:
    _queue(instance.pk)


def on_restriction_changed(sender, instance, **kwargs) -> None:
    _queue(instance.page_id, with_descendants=True)


def on_document_saved(sender, instance, **kwargs) -> None:
    if not _enabled():
        return
    from .tasks import sync_document_task

    document_id = instance.pk
    transaction.on_commit(lambda: sync_document_task.delay(document_id))


def on_pick_changed(sender, instance, **kwargs) -> None:
    """An editor's pick shows on its query's search page: purge the cached ones."""
    from .engines import forget_search_pages

    forget_search_pages()


def connect() -> None:
    from wagtail.contrib.search_promotions.models import SearchPromotion

    page_published.connect(on_published, dispatch_uid="search.published")
    page_unpublished.connect(on_unpublished, dispatch_uid="search.unpublished")
    post_page_move.connect(on_moved, dispatch_uid="search.moved")
    post_delete.connect(on_page_deleted, sender=Page, dispatch_uid="search.deleted")
    for signal, uid in ((post_save, "saved"), (post_delete, "removed")):
        signal.connect(
            on_restriction_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"search.restriction.{uid}",
        )
    for signal, uid in ((post_save, "saved"), (post_delete, "removed")):
        signal.connect(
            on_pick_changed, sender=SearchPromotion, dispatch_uid=f"search.pick.{uid}"
        )
    post_save.connect(
        on_document_saved,
        sender=get_document_model(),
        dispatch_uid="search.document",
    )
