"""``python manage.py rebuild_uptake_rollups``: recompute the uptake roll-ups.

The triggers keep them exact; run this after anything that bypasses triggers
(a restore with ``session_replication_role = replica``, a changed ``TIME_ZONE``).
It says how many rows were wrong and fixed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qipacks.rollups import rebuild_rollups


class Command(BaseCommand):
    help = "Rebuild the uptake roll-up tables from the records and history."

    def handle(self, *args, **options):
        fixed = rebuild_rollups()
        self.stdout.write(
            f"Uptake roll-ups rebuilt: {fixed['tally']} tally rows and "
            f"{fixed['monthly']} monthly rows were wrong and have been fixed."
        )
