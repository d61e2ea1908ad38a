"""website/generations.py: tokens read once a request, retired on commit."""

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started

from website.generations import Generation, remember

# Django's own receivers of the request signals look at the database connection.
pytestmark = pytest.mark.django_db

A = Generation("test-gen-a")
B = Generation("test-gen-b")


class Reads:
    """Counts the round trips that read generation tokens (a ``get_many`` is one,
    whatever the backend does inside it)."""

    def __init__(self, monkeypatch):
        self.gets, self.get_manys, self._inside = [], [], False
        get, get_many = cache.get, cache.get_many

        def counted_get(key, *args, **kwargs):
            if not self._inside:
                self.gets.append(key)
            return get(key, *args, **kwargs)

        def counted_get_many(keys):
            self.get_manys.append(keys)
            self._inside = True
            try:
                return get_many(keys)
            finally:
                self._inside = False

        monkeypatch.setattr(cache, "get", counted_get)
        monkeypatch.setattr(cache, "get_many", counted_get_many)

    def tokens_read(self) -> int:
        tokens = [k for k in self.gets if k.endswith(":generation")]
        return len(tokens) + len(self.get_manys)


def _in_request(body):
    request_started.send(sender=None)
    try:
        return body()
    finally:
        request_finished.send(sender=None)


def test_a_request_reads_every_token_once_in_one_round_trip(monkeypatch):
    cache.clear()
    A.current(), B.current()  # both exist, as on a running site
    reads = Reads(monkeypatch)

    def page():
        return [
            remember(g, f"entry-{n}", 60, lambda n=n: n)
            for n in range(3)
            for g in (A, B)
        ]

    assert _in_request(page) == [0, 0, 1, 1, 2, 2]
    assert reads.tokens_read() == 1
    assert A.key in reads.get_manys[0] and B.key in reads.get_manys[0]


def test_each_request_reads_the_tokens_afresh(
    monkeypatch, django_capture_on_commit_callbacks
):
    cache.clear()
    _in_request(lambda: remember(A, "entry", 60, lambda: "before"))
    with django_capture_on_commit_callbacks(execute=True):
        A.retire()

    assert _in_request(lambda: remember(A, "entry", 60, lambda: "after")) == "after"


def test_a_generation_retired_during_the_request_is_read_afresh(
    django_capture_on_commit_callbacks,
):
    cache.clear()

    def publish_then_read():
        first = remember(A, "entry", 60, lambda: "before")
        with django_capture_on_commit_callbacks(execute=True):
            A.retire()
        return first, remember(A, "entry", 60, lambda: "after")

    assert _in_request(publish_then_read) == ("before", "after")


def test_outside_a_request_every_read_goes_to_the_cache(
    monkeypatch, django_capture_on_commit_callbacks
):
    cache.clear()
    token = A.current()
    reads = Reads(monkeypatch)
    assert A.current() == A.current() == token
    assert reads.tokens_read() == 2
    # A task retiring a generation is seen by the next read, request or not.
    cache.delete(A.key)
    assert A.current() != token
