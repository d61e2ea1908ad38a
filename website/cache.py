"""Django's Redis cache, for which Redis being out of reach means an empty cache.

Wagtail reads and writes Django's default cache while it serves a page (the
sites' root paths, image renditions, locale names). With Django's own Redis
backend, every one of those raises while Redis is stopped or restarting, and
every page becomes a 500. Here, while Redis cannot be reached, a read is a miss
and a write is dropped, so pages are rendered from the database as if nothing
were cached, and the cache fills again once Redis is back. A Redis that does not
answer within TIMEOUT_SECONDS counts as out of reach (unless OPTIONS say
otherwise), so no page waits on it for longer than that.

Everything else still raises: ``delete`` (a purge that failed in silence would
leave stale pages behind once Redis is back), ``add`` and ``incr`` (used as
locks and counters, whose callers must decide what an outage means: see
website/ratelimit.py), and any error that is not about reaching Redis.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Connection refused, socket gone, Redis still loading its data, no answer in time.
OUT_OF_REACH = (RedisConnectionError, RedisTimeoutError)
TIMEOUT_SECONDS = 1
WARN_EVERY_SECONDS = 60
_warned_at = 0.0


def _warn(action: str, error: Exception) -> None:
    """Log at most once a minute per process: an outage touches every request."""
    global _warned_at
    now = time.monotonic()
    if now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        logger.warning("Cache unavailable, %s: %s", action, error)


class OutageTolerantClient(django_redis.RedisCacheClient):
    """Reads miss and writes are dropped while Redis cannot be reached.

    One ``redis.Redis`` per connection pool, made on first use: Django's client
    builds a new one for every operation, and building one (its table of
    response callbacks) cost about a quarter of a page-cache hit.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client

    def get(self, key, default):
        try:
            return super().get(key, default)
        except OUT_OF_REACH as error:
            _warn("read as a miss", error)
            return default

    def get_many(self, keys):
        try:
            return super().get_many(keys)
        except OUT_OF_REACH as error:
            _warn("read as a miss", error)
            return {}

    def has_key(self, key):
        try:
            return super().has_key(key)
        except OUT_OF_REACH as error:
            _warn("read as a miss", error)
            return False

    def set(self, key, value, timeout):
        try:
            super().set(key, value, timeout)
        except OUT_OF_REACH as error:
            _warn("write dropped", error)

    def set_many(self, data, timeout):
        try:
            super().set_many(data, timeout)
        except OUT_OF_REACH as error:
            _warn("write dropped", error)


class RedisCache(django_redis.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that survives a Redis outage.

    Keys are not checked for memcached's limits (Django's ``validate_key``): this
    cache is never memcached, and checking each character of each key was a
    twelfth of a page-cache hit's time in Python (five keys a hit).
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = OutageTolerantClient
        self._options = {
            "socket_connect_timeout": TIMEOUT_SECONDS,
            "socket_timeout": TIMEOUT_SECONDS,
            **self._options,
        }

    def validate_key(self, key):
        """No memcached limits to warn about."""
