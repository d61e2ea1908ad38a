"""Whole-page responses for anonymous readers, kept in Django's cache.

Rendering a content page costs a dozen or more queries; most readers are anonymous
and see exactly the same bytes, so ``PageCacheMiddleware`` answers them from the
cache (Redis in production, local memory in development) before sessions, users
or the database are touched.

Only Wagtail pages are stored (``note_page`` marks them from the
``before_serve_page`` hook), and only when nothing about the exchange is personal:
a GET with no session, messages or Authorization header, answered 200 without
setting a cookie (a form's CSRF token sets one), without ``private``,
``no-store`` or ``no-cache``, and varying on nothing but ``Cookie`` and
``Accept-Language``. Such pages are marked ``public`` for browsers and shared
caches; every other page response without its own ``Cache-Control`` is marked
``private, no-store``.

Keys: one entry per host, path and query string (listing filters; parameters
in sorted order). Each entry carries the tokens current when it was made: a
random token for its path and one for each path above it (its "tree"), read in
the same round trip as the entry, so a hit costs one cache read. Dropping a
path's own token (``purge_paths``) retires every query-string variant of it at
once, as when a listing gains a page; dropping its tree token (``purge_trees``)
retires everything under it too (a page's print view, its recommendations, its
children's breadcrumbs), as when the page itself is published. ``purge_all``
drops the tree token of ``/``. Tokens are read when a request starts, so a page
rendered while a purge happens is stored with the old tokens and never served.

If the cache is unreachable, pages are rendered as if nothing were cached.

``Hits`` (website/wsgi.py) answers hits before Django's request handler: a hit
needs none of what the handler sets up for a view (its signals, the database
connection bookkeeping, the full middleware chain), only the middleware listed
above ``PageCacheMiddleware`` (the request id, the security headers, the page
view count), which it runs exactly as the handler would. Anything else, a miss
included, goes to Django with what the cache said, so nothing is read twice.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# How long a browser keeps a page; shared caches (and ours) keep it for
# PAGE_CACHE_SECONDS, since publishing purges them.
BROWSER_SECONDS = 300
# Tokens outlive the entries made with them, so entries are not retired early.
TOKEN_SECONDS = 24 * 60 * 60
# No page here is this deep; a deeper path is not worth a token per level.
MAX_DEPTH = 12
# Cookies that make a response personal: a session (a login, a QI lead's second
# factor) or messages waiting to be shown.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")
# ``Accept-Language`` is safe to ignore: Wagtail pages sit under i18n_patterns
# without a prefix for the default language, so the path alone picks the language.
# ``Cookie`` is safe because a request with a personal cookie never reaches us.
IGNORABLE_VARY = {"cookie", "accept-language"}
_PAGE_ATTR = "_page_cache_page"
# What ``Hits`` found, handed to PageCacheMiddleware with a request it passes on.
LOOKUP_ENVIRON_KEY = "cdr.page_cache.lookup"
MIDDLEWARE = "website.middleware.PageCacheMiddleware"
# Entries' keys: the prefix names the entry's layout (``_store``), so a release
# that changes the layout never reads an older release's entries.
ENTRY_PREFIX = "pagecache:page2:"


@dataclass
class Lookup:
    """What the cache said: a response to send, or the key to store one under."""

    response: HttpResponse | None = None
    key: str = ""
    tokens: tuple[str, ...] = ()


def enabled() -> bool:
    return settings.PAGE_CACHE_ENABLED and settings.PAGE_CACHE_SECONDS > 0


def _never_pages() -> tuple[str, ...]:
    """Path prefixes that are never pages: no cache read for static files."""
    return (settings.STATIC_URL, settings.MEDIA_URL)


def note_page(request, page) -> None:
    """Mark ``request`` as served by a Wagtail page (only those are stored)."""
    setattr(request, _PAGE_ATTR, page)


def is_anonymous(request) -> bool:
    """True when nothing the request carries could make its page personal."""
    return "Authorization" not in request.headers and not any(
        name in request.COOKIES for name in PERSONAL_COOKIES
    )


def lookup(request) -> Lookup:
    """The cached response for an anonymous GET or HEAD, or the key to store under."""
    if request.method not in ("GET", "HEAD") or not enabled():
        return Lookup()
    path = request.path
    if (
        path.startswith(_never_pages())
        or path.count("/") > MAX_DEPTH
        or not is_anonymous(request)
    ):
        return Lookup()
    host = request.get_host()  # a bad Host header is refused (400) here
    query = urlencode(
        sorted(parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True))
    )
    key = ENTRY_PREFIX + _digest("\n".join([host, path, query]))
    token_keys = [
        *(_token_key("tree", prefix) for prefix in _prefixes(path)),
        _token_key("path", path),
    ]
    try:
        found = cache.get_many([key, *token_keys])
        tokens = tuple(found.get(k) for k in token_keys)
        if None in tokens:
            return Lookup(key=key, tokens=_take_tokens(token_keys))
    except Exception:  # noqa: BLE001 - an unreachable cache must not stop pages
        logger.warning("Page cache unavailable: serving %s uncached", request.path)
        return Lookup()
    entry = found.get(key)
    if not _current(entry, tokens):
        return Lookup(key=key, tokens=tokens)
    _, status, headers, content = entry
    return Lookup(response=_stored_response(status, headers, content))


def finish(request, response, found: Lookup) -> None:
    """Set ``Cache-Control`` on a page response and store it if it is public."""
    if getattr(request, _PAGE_ATTR, None) is None:
        return
    public = response.status_code == 200 and is_public(request, response)
    if public:
        # A view that chose how long browsers keep it (a calendar feed) keeps that.
        chosen = "max-age" in response.get("Cache-Control", "").lower()
        browser = (
            {}
            if chosen
            else {"max_age": min(BROWSER_SECONDS, settings.PAGE_CACHE_SECONDS)}
        )
        patch_cache_control(
            response, public=True, s_maxage=settings.PAGE_CACHE_SECONDS, **browser
        )
    elif not response.has_header("Cache-Control") and (
        response.cookies or not is_anonymous(request)
    ):
        patch_cache_control(response, private=True, no_store=True)
    if not found.key:
        return
    response["X-Cache"] = "miss"
    if public and request.method == "GET":
        _store(found, response)


def is_public(request, response) -> bool:
    """Whether ``response`` is the same for every anonymous reader."""
    if response.streaming or response.cookies or not is_anonymous(request):
        return False
    directives = response.get("Cache-Control", "").lower()
    if any(word in directives for word in ("private", "no-store", "no-cache")):
        return False
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
    return vary - {""} <= IGNORABLE_VARY


def purge_paths(paths) -> None:
    """Forget each path's cached pages, every query string and host included."""
    _drop_tokens("path", paths)


def purge_trees(paths) -> None:
    """Forget everything cached at or under each path."""
    _drop_tokens("tree", paths)


def purge_all() -> None:
    """Forget every cached page (navigation, footer or vocabulary changed)."""
    purge_trees(["/"])


def _drop_tokens(kind: str, paths) -> None:
    keys = [_token_key(kind, unquote(path)) for path in paths]
    if keys:
        cache.delete_many(keys)


def _current(entry, tokens) -> bool:
    """Whether ``entry`` is one ``_store`` made with ``tokens`` (a purge since
    drops a token; an entry of another layout is passed over, never served)."""
    return (
        isinstance(entry, tuple)
        and len(entry) == 4
        and entry[0] == tokens
        and isinstance(entry[2], dict)
    )


def _stored_response(status: int, headers: dict, content: bytes) -> HttpResponse:
    """The response kept by ``_store``, rebuilt for a hit.

    Its headers were checked when the page was rendered, so they are put back
    as they were kept, not set (and checked) one by one again: that was a
    seventh of a hit's time in Python (bench/pages.py's messages carry 15).
    """
    response = HttpResponse(content, status=status)
    response.headers._store = {**headers, "x-cache": ("X-Cache", "hit")}
    return response


def _store(found: Lookup, response) -> None:
    # ResponseHeaders' own mapping: lower-cased name -> (name, checked value).
    headers = {k: v for k, v in response.headers._store.items() if k != "x-cache"}
    entry = (found.tokens, response.status_code, headers, response.content)
    try:
        cache.set(found.key, entry, settings.PAGE_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - the page is still served
        logger.warning("Page cache unavailable: %s not stored", found.key)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _token_key(kind: str, path: str) -> str:
    return f"pagecache:{kind}:{_digest(path)}"


def _prefixes(path: str) -> list[str]:
    """``/a/b/`` -> ``/``, ``/a/``, ``/a/b/``: the paths whose tree holds ``path``."""
    prefixes = [path[: i + 1] for i, char in enumerate(path) if char == "/"]
    return prefixes if prefixes[-1] == path else [*prefixes, path]


def _take_tokens(keys: list[str]) -> tuple[str, ...]:
    """The current token under each key, taking a new one where there is none."""
    for key in keys:
        cache.add(key, secrets.token_hex(8), TOKEN_SECONDS)
    found = cache.get_many(keys)
    return tuple(found.get(key, "") for key in keys)


class Hits:
    """WSGI: serve page-cache hits without Django's request handler.

    Measured in-process on bench/pages.py's data (2-core build machine, three
    alternating runs of 3,000 hits): 0.84-0.94 ms a hit through this, against
    0.90-0.95 ms through Django's whole handler. Most of a hit is its two Redis
    round trips (the page, the page-view count).
    """

    def __init__(self, application):
        self.application = application
        self._outer = None

    def _outer_chain(self):
        """The middleware above PageCacheMiddleware, around the hit (built once)."""
        if self._outer is None:
            chain = _hit_response
            outer = settings.MIDDLEWARE[: settings.MIDDLEWARE.index(MIDDLEWARE)]
            for path in reversed(outer):
                chain = import_string(path)(chain)
            self._outer = chain
        return self._outer

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not enabled():
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        try:
            found = lookup(request)
        except Exception:  # noqa: BLE001 - a bad Host header: Django answers 400
            return self.application(environ, start_response)
        if found.response is None:
            environ[LOOKUP_ENVIRON_KEY] = found
            return self.application(environ, start_response)
        request._page_cache_hit = found.response
        response = self._outer_chain()(request)
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [
            *response.items(),
            *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
        ]
        start_response(status, headers)
        return response


def _hit_response(request):
    return request._page_cache_hit
