"""Entries kept in Django's cache until something they were built from changes.

A ``Generation`` names the current set of entries of one kind (the header and
footer, search results). ``remember`` stores each entry under the generation
current when it was read; ``retire`` drops the generation once the transaction
commits, so every entry of that kind is retired at once and the next read builds
afresh. A render that read the old generation before the change stores under
it, where nothing looks again, so no stale entry outlives a change. Each entry
also expires after the seconds it was stored for.

If the cache is unreachable, entries are built every time and nothing is stored.

Within a request, every generation's token is read once, all in one round trip
(``current``), and kept until the request ends: a page uncached used to read
the same few tokens a dozen times. A generation retired during the request is
read afresh after its change commits. Outside a request (Celery tasks, commands)
each read goes to the cache.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from typing import TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Every generation, by cache key, so a request reads all their tokens at once.
_ALL: dict[str, Generation] = {}
# The tokens read during the current request (None outside a request).
_request_tokens: ContextVar[dict[str, str] | None] = ContextVar(
    "generation_tokens", default=None
)


class Generation:
    def __init__(self, name: str):
        self.name = name
        self.key = f"{name}:generation"
        _ALL[self.key] = self

    def current(self) -> str:
        """The token entries are stored under now (raises if the cache is down)."""
        tokens = _request_tokens.get()
        if tokens is None:
            return self._read()
        if self.key not in tokens:
            # The first read of the request: every generation's token at once.
            tokens.update(cache.get_many(list(_ALL)))
            if self.key not in tokens:
                tokens[self.key] = self._read()
        return tokens[self.key]

    def _read(self) -> str:
        token = cache.get(self.key)
        if token is None:
            cache.add(self.key, secrets.token_hex(8), None)
            token = cache.get(self.key)
        return token

    def retire(self) -> None:
        """Retire every entry of this kind once the transaction commits."""

        def drop():
            tokens = _request_tokens.get()
            if tokens is not None:
                tokens.pop(self.key, None)
            try:
                cache.delete(self.key)
            except Exception:  # noqa: BLE001 - logged; entries expire on their own
                logger.warning("Cache unavailable: %s entries not retired", self.name)

        transaction.on_commit(drop, robust=True)


def _start_request(**kwargs) -> None:
    _request_tokens.set({})


def _end_request(**kwargs) -> None:
    _request_tokens.set(None)


request_started.connect(_start_request, dispatch_uid="website.generations.start")
request_finished.connect(_end_request, dispatch_uid="website.generations.end")


def remember(
    generation: Generation, key: str, seconds: int, build: Callable[[], T]
) -> T:
    """The entry under ``key`` in the current generation, built and stored on a miss."""
    if seconds <= 0:
        return build()
    try:
        full_key = f"{generation.name}:{generation.current()}:{key}"
        found = cache.get(full_key)
    except Exception:  # noqa: BLE001 - an unreachable cache must not stop pages
        logger.warning("Cache unavailable: %s built afresh", generation.name)
        return build()
    if found is None:
        found = build()
        try:
            cache.set(full_key, found, seconds)
        except Exception:  # noqa: BLE001 - built and returned all the same
            logger.warning("Cache unavailable: %s not stored", generation.name)
    return found
