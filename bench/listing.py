"""Listings at scale: safety-message index, filters, feeds and topic pages.

``.venv/bin/python bench/listing.py`` (BENCH_PAGES=500 by default): a fresh embedded
platform, the demo content, then BENCH_PAGES extra safety messages spread over the
themes and audiences. Times each listing URL and counts its queries. Progress on
stderr; the last line of stdout is one JSON object.
"""

import json
import os

from _common import embedded_platform, log, measure, rounded, timed

PAGES = int(os.environ.get("BENCH_PAGES", "500"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50"))


def add_messages(count: int) -> None:
    from learning.models import SafetyMessageIndexPage, SafetyMessagePage
    from website.models import Audience, Theme

    index = SafetyMessageIndexPage.objects.get(locale__language_code="en-gb")
    themes = list(Theme.objects.all())
    audiences = list(Audience.objects.all())
    for n in range(count):
        page = SafetyMessagePage(
            title=f"Bench message {n}",
            slug=f"bench-message-{n}",
            summary="A generated message for the listing bench.",
            key_message="Keep the sleep space clear, flat and separate.",
        )
        index.add_child(instance=page)
        page.themes.add(themes[n % len(themes)])
        page.audiences.add(
            audiences[n % len(audiences)], audiences[(n + 3) % len(audiences)]
        )
        page.save()
        if n % 100 == 99:
            log(f"added {n + 1} messages")


def main() -> dict:
    results: dict = {
        "bench": "listing",
        "extra_pages": PAGES,
        "requests_per_url": REQUESTS,
    }
    with embedded_platform(results):
        from django.core.management import call_command
        from django.test import Client

        call_command("seed_demo", verbosity=0)
        _, results["add_pages_s"] = timed(lambda: add_messages(PAGES))
        client = Client()
        for url, key in (
            ("/safety-messages/", "index"),
            ("/safety-messages/?theme=safe-sleep&audience=midwives", "index_filtered"),
            ("/safety-messages/?page=10", "index_page_10"),
            ("/safety-messages/feed/?audience=midwives", "rss_feed"),
            ("/safety-messages/feed/atom/", "atom_feed"),
            ("/themes/safe-sleep/", "theme_page"),
            ("/learning/?type=crib-sheet", "learning_index"),
        ):
            measure(client, url, REQUESTS, key, results)
    return rounded(results)


if __name__ == "__main__":
    print(json.dumps(main()))
