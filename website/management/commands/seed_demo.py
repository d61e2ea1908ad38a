"""Load demo content (idempotent)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from website.demo import (
    ensure_featured,
    ensure_header_link,
    ensure_header_url,
    load_demo_content,
)


class Command(BaseCommand):
    help = "Load demo content based on the source documents; safe to run repeatedly."

    def handle(self, *args, **options):
        from bulletins.demo import seed_distribution
        from learning.demo import load_learning_demo

        with transaction.atomic():
            home = load_demo_content()
            learning = load_learning_demo(home)
            seed_distribution()
            _let_moderators_send_email()
            ensure_header_link("Safety messages", learning["safety-messages"], 10)
            ensure_header_link("Learning", learning["learning"], 20)
            ensure_header_url("Email updates", "/subscribe/", 95)
            ensure_featured(
                home,
                [
                    learning["safer-sleep"],
                    learning["button-batteries"],
                    learning["7-minute-briefing-new-child-death-review-arrangements"],
                ],
            )
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(f"Demo content ready under “{home.title}”.")
            )


def _let_moderators_send_email() -> None:
    """Reviewers (the Moderators group) may send bulletins and safety messages."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.filter(name="Moderators").first()
    permission = Permission.objects.filter(
        content_type__app_label="bulletins", codename="add_send"
    ).first()
    if group and permission:
        group.permissions.add(permission)
