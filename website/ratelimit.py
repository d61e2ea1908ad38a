"""One rate limit for every public form: a count per client address per window.

Only a keyed hash of the address is used, and only as a short-lived cache key:
the address itself is never stored. If the cache is down the request is let
through, because refusing everyone would be worse than a flood.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    """The address the limit counts (the reverse proxy sets REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "")


def allow(scope: str, address: str, *, limit: int, window: int) -> bool:
    """Count one request of ``scope`` from ``address``; False once over ``limit``
    within ``window`` seconds."""
    digest = salted_hmac(f"website.rate.{scope}", address or "").hexdigest()
    key = f"rate:{scope}:{digest}"
    try:
        if cache.add(key, 1, timeout=window):
            return True
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            return True
    except Exception:  # noqa: BLE001 - a cache outage must not stop the forms
        logger.warning("Rate limit %s skipped: cache unavailable", scope)
        return True
    return count <= limit
