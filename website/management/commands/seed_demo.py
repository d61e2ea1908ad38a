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
        from impact.demo import load_impact_demo
        from learning.demo import load_learning_demo
        from qipacks.demo import load_qipacks_demo
        from webinars.demo import load_webinars_demo

        with transaction.atomic():
            home = load_demo_content()
            learning = load_learning_demo(home)
            qipacks = load_qipacks_demo(home)
            webinars = load_webinars_demo(home)
            seed_distribution()
            load_impact_demo()
            _let_moderators_send_email()
            ensure_header_link("Safety messages", learning["safety-messages"], 10)
            ensure_header_link("Learning", learning["learning"], 20)
            ensure_header_link("QI packs", qipacks["qi-packs"], 30)
            ensure_header_link("Webinars", webinars["webinars"], 40)
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


# What the programme team (the Moderators group) may do besides reviewing pages.
MODERATOR_PERMISSIONS = [
    ("bulletins", "add_send"),  # send bulletins and safety messages
    ("qipacks", "view_uptakerecord"),  # national uptake dashboards and evidence
    ("qipacks", "add_dataqualityimport"),  # import data-quality reports
    ("qipacks", "view_dataqualityimport"),
    ("qipacks", "view_dataqualityaccess"),  # who looked at which report
    ("webinars", "view_registration"),  # webinar registration and feedback reports
    ("webinars", "add_attendanceimport"),  # import attendance from the meeting tool
    ("webinars", "view_topicproposal"),  # moderate topic proposals
    ("webinars", "change_topicproposal"),
    ("impact", "view_report"),  # the impact report and its quarterly email
]


def _let_moderators_send_email() -> None:
    """The Moderators group may send email and see the QI and data-quality figures."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group = Group.objects.filter(name="Moderators").first()
    if group is None:
        return
    wanted = Q()
    for app_label, codename in MODERATOR_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group.permissions.add(*Permission.objects.filter(wanted))
