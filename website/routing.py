"""Wagtail's page routing, remembered: one query to find a page instead of one
per level of its address.

Wagtail finds the page for ``/safety-messages/car-seats/`` by asking for the
site, the active locale, the site's root page as its own type, then each level's
child by slug and that child as its own type: seven queries before the page's
view starts, and about a third of the time an uncached page takes. ``serve``
(Wagtail's view, with routing swapped for ``route_for_request``) remembers, per
host, port, language and path, the site and which page Wagtail's own routing
chose, with the part of the path left for the page's own routes (a QI pack's
print view, say). The next request reads the page's address and live revision
in one small query, takes the page as its own type from the cache (kept per
live revision, so a new revision is loaded at once), and lets it route the rest
itself, exactly as Wagtail would have.

A remembered route is only a shortcut to a page Wagtail chose; it is used only
while that page is still where it was (its ``url_path`` is unchanged), and the
page still decides whether it is live and what it serves. The entry also says
whether the page had view restrictions (its own or an ancestor's); if it had
none, Wagtail's check costs no queries (``KnownRestrictionsMixin``). A moved,
renamed or deleted page falls back to Wagtail's routing. Publishing,
unpublishing, moving or deleting a page, and changing a site, a locale or any
view restriction, retire every remembered route at once
(``clear``; ``website.generations``), so a page published where another page's
own route answered before is found at once. Only routes to pages are kept: an
unknown address is routed afresh each time and is never stored.

Entries last ``ROUTE_CACHE_SECONDS`` (0 routes every request afresh, as the
test settings do). If the cache is unreachable, Wagtail routes as usual.
"""

from __future__ import annotations

import functools
import hashlib
import logging

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.http import Http404, HttpResponse
from django.http.request import split_domain_port
from django.utils import translation
from wagtail import hooks
from wagtail.models import Page, PageViewRestriction, Site

from .generations import Generation, remember

logger = logging.getLogger(__name__)

GENERATION = Generation("routes")
_ROUTE_ATTR = "_wagtail_route_for_request"
_UNRESTRICTED_ATTR = "_routing_unrestricted"


class KnownRestrictionsMixin:
    """For page models: no queries for view restrictions when a remembered route
    says the page had none (Wagtail otherwise asks on every view, twice: for the
    page's ancestors, then for their restrictions). Changing any restriction
    retires every remembered route."""

    def get_view_restrictions(self):
        if getattr(self, _UNRESTRICTED_ATTR, False):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


def clear() -> None:
    """Retire every remembered route once the transaction commits."""
    GENERATION.retire()


def find_site(request):
    """``Site.find_for_request``, remembered per host and port with the routes
    (Wagtail asks the database on every request that is not a page's)."""
    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    seconds = getattr(settings, "ROUTE_CACHE_SECONDS", 0)
    host = split_domain_port(request._get_raw_host())[0]
    key = f"site:{host}:{request.get_port()}"
    site = remember(GENERATION, key, seconds, lambda: Site.find_for_request(request))
    request._wagtail_site = site
    return site


def remember_for_page(request, page, name: str, build):
    """Something drawn from the page tree around ``page`` (its breadcrumb trail),
    kept with the routes: retired whenever they are, built afresh when the cache
    is off or out of reach. A preview (a draft, perhaps never saved) is always
    built afresh and never stored, so no draft reaches a reader."""
    if getattr(request, "is_preview", False) or not page.pk:
        return build()
    host = split_domain_port(request._get_raw_host())[0]
    key = f"{name}:{host}:{request.get_port()}:{page.pk}"
    return remember(GENERATION, key, settings.ROUTE_CACHE_SECONDS, build)


def _serve_chain(page, request, args, kwargs):
    return page.serve(request, *args, **kwargs)


def serve_with_hooks(page, request, args, kwargs, view=_serve_chain):
    """Run ``view`` for ``page`` as ``wagtail.views.serve`` runs a page's serve:
    the ``before_serve_page`` hooks first (any may answer instead), then the
    ``on_serve_page`` hooks around it (view restrictions are one)."""
    on_serve_chain = view
    for fn in reversed(hooks.get_hooks("on_serve_page")):
        on_serve_chain = fn(on_serve_chain)

    for fn in hooks.get_hooks("before_serve_page"):
        result = fn(page, request, args, kwargs)
        if isinstance(result, HttpResponse):
            return result

    return on_serve_chain(page, request, args, kwargs)


def serve(request, path):
    """``wagtail.views.serve``, routing through ``route_for_request`` below."""
    route_result = route_for_request(request, path)
    if route_result is None:
        raise Http404
    page, args, kwargs = route_result
    return serve_with_hooks(page, request, args, kwargs)


def _components(path: str) -> list[str]:
    return [component for component in path.split("/") if component]


def _key(request, path: str) -> str:
    host = split_domain_port(request._get_raw_host())[0]
    language = translation.get_language() or ""
    text = f"{host}\n{request.get_port()}\n{language}\n{path}"
    return hashlib.sha256(text.encode()).hexdigest()


def route_for_request(request, path: str):
    """``Page.route_for_request``: the page, args and kwargs, or None (a 404)."""
    if hasattr(request, _ROUTE_ATTR):
        return getattr(request, _ROUTE_ATTR)
    seconds = getattr(settings, "ROUTE_CACHE_SECONDS", 0)
    if seconds <= 0:
        return Page.route_for_request(request, path)
    key = _key(request, path)
    try:
        full_key = f"{GENERATION.name}:{GENERATION.current()}:{key}"
        known = cache.get(full_key)
    except Exception:  # noqa: BLE001 - an unreachable cache must not stop pages
        logger.warning("Cache unavailable: %s routed afresh", path)
        return Page.route_for_request(request, path)
    if known is not None:
        found = _follow(request, known)
        if found is not False:
            setattr(request, _ROUTE_ATTR, found)
            return found
    result = Page.route_for_request(request, path)
    if result is not None:
        _remember(request, path, full_key, result, seconds)
    return result


def _follow(request, known: tuple):
    """The route a remembered entry leads to: a result, None (the page's own
    answer is 404), or False when the page has gone or moved (route afresh)."""
    site, label, page_id, url_path, remaining, restricted = known
    state = _page_state(page_id)
    if state is None or state[0] != url_path:
        return False
    page = _page(label, page_id, state)
    if page is None or page.url_path != url_path:
        return False
    request._wagtail_site = site
    if not restricted:
        setattr(page, _UNRESTRICTED_ATTR, True)
    try:
        return page.route(request, list(remaining))
    except Http404:
        return None


def _page_state(page_id: int) -> tuple | None:
    """The page's address, whether it is live, and its live revision: one small
    query on one table, instead of the page's own type with all its columns."""
    with connections[router.db_for_read(Page)].cursor() as cursor:
        cursor.execute(
            "SELECT url_path, live, live_revision_id FROM wagtailcore_page "
            "WHERE id = %s",
            [page_id],
        )
        return cursor.fetchone()


def _page(label: str, page_id: int, state: tuple):
    """The page as its own type, with its locale: kept with the routes under its
    live revision, so publishing a new revision is seen at once, even before the
    change commits and retires the routes; a page that is not live is loaded
    afresh. Kept per shape of the page models (``_schema``), so a deploy that
    changes a page model never unpickles an old shape."""
    model = apps.get_model(label)

    def load():
        return model.objects.select_related("locale").filter(pk=page_id).first()

    _, live, revision = state
    if not live or revision is None:
        return load()
    key = f"page:{_schema()}:{label}:{page_id}:{revision}"
    page = remember(GENERATION, key, settings.ROUTE_CACHE_SECONDS, load)
    return page if isinstance(page, model) else load()


@functools.cache
def _schema() -> str:
    """A short fingerprint of every page model's columns and the framework versions."""
    import django
    import wagtail
    from wagtail.models import get_page_models

    text = "|".join(
        [django.__version__, wagtail.__version__]
        + [
            f"{m._meta.label}:{','.join(f.attname for f in m._meta.concrete_fields)}"
            for m in get_page_models()
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _remember(request, path: str, full_key: str, result, seconds: int) -> None:
    page = result[0]
    site = Site.find_for_request(request)
    root = site.root_page.localized if site else None
    if root is None or not page.url_path.startswith(root.url_path):
        return
    own = len(_components(page.url_path)) - len(_components(root.url_path))
    remaining = tuple(_components(path)[own:])
    restricted = page.get_view_restrictions().exists()
    entry = (site, page._meta.label, page.pk, page.url_path, remaining, restricted)
    try:
        cache.set(full_key, entry, seconds)
    except Exception:  # noqa: BLE001 - routed all the same
        logger.warning("Cache unavailable: route to %s not stored", path)
