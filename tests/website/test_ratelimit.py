"""The one rate limit every public form uses."""

from django.core.cache import cache

from website import ratelimit


def test_counts_per_scope_and_address_up_to_the_limit():
    cache.clear()
    allowed = [ratelimit.allow("t", "192.0.2.1", limit=3, window=60) for _ in range(5)]
    assert allowed == [True, True, True, False, False]
    assert ratelimit.allow("t", "192.0.2.2", limit=3, window=60)  # another address
    assert ratelimit.allow("other", "192.0.2.1", limit=3, window=60)  # another form
