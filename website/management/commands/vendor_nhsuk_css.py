"""Write the NHS.UK stylesheet without web fonts (see website/nhsuk_css.py)."""

from django.core.management.base import BaseCommand

from website import nhsuk_css


class Command(BaseCommand):
    help = "Regenerate website/static/website/vendor/nhsuk-frontend.min.css."
    requires_system_checks = []

    def handle(self, *args, **options):
        nhsuk_css.TARGET.write_text(nhsuk_css.derive(nhsuk_css.SOURCE.read_text()))
        self.stdout.write(f"Wrote {nhsuk_css.TARGET}")
