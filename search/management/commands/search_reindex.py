"""Rebuild the search index from the pages, in batches, with progress."""

import time

from django.core.management.base import BaseCommand

from search.indexing import count_common_terms, reindex


class Command(BaseCommand):
    help = "Rebuild every search entry from the live public pages (safe to rerun)."

    def handle(self, *args, **options):
        started = time.monotonic()
        verbosity = options["verbosity"]

        def progress(done: int, total: int) -> None:
            if verbosity:
                self.stdout.write(f"Indexed {done} of {total} pages")

        result = reindex(progress=progress)
        counted = count_common_terms()
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Search index rebuilt: {result['indexed']} entries, "
                    f"{result['removed']} removed, "
                    f"{counted['terms'] or 0} common words counted ahead, in "
                    f"{time.monotonic() - started:.1f}s."
                )
            )
