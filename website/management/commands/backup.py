"""Back up the database and uploaded files into a new directory (website/backups.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from website import backups


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format) and the uploaded files into "
        "a new directory, with a manifest of sizes and SHA-256 checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="a new or empty directory")

    def handle(self, *args, directory, **options):
        try:
            manifest = backups.backup(directory)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Database {manifest['database']} dumped by {manifest['pg_dump']}."
        )
        for name, facts in manifest["files"].items():
            self.stdout.write(
                f"  {name}: {facts['bytes']} bytes, sha256 {facts['sha256']}"
            )
        self.stdout.write(self.style.SUCCESS(f"Backup written to {directory}."))
