"""Entries kept in Django's cache until something they were built from changes.

A ``Generation`` names the current set of entries of one kind (the header and
footer, search results). ``remember`` stores each entry under the generation
current when it was read; ``retire`` drops the generation once the transaction
commits, so every entry of that kind is retired at once and the next read builds
afresh. A render that read the old generation before the change stores under
it, where nothing looks again, so no stale entry outlives a change. Each entry
also expires after the seconds it was stored for.

If the cache is unreachable, entries are built every time and nothing is stored.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Generation:
    def __init__(self, name: str):
        self.name = name
        self.key = f"{name}:generation"

    def current(self) -> str:
        """The token entries are stored under now (raises if the cache is down)."""
        token = cache.get(self.key)
        if token is None:
            cache.add(self.key, secrets.token_hex(8), None)
            token = cache.get(self.key)
        return token

    def retire(self) -> None:
        """Retire every entry of this kind once the transaction commits."""

        def drop():
            try:
                cache.delete(self.key)
            except Exception:  # noqa: BLE001 - logged; entries expire on their own
                logger.warning("Cache unavailable: %s entries not retired", self.name)

        transaction.on_commit(drop, robust=True)


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
