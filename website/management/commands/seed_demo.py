"""Load demo content (idempotent)."""

from django.core.management.base import BaseCommand

from website.demo import load_demo_content


class Command(BaseCommand):
    help = "Load demo content based on the source documents; safe to run repeatedly."

    def handle(self, *args, **options):
        home = load_demo_content()
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(f"Demo content ready under “{home.title}”.")
            )
