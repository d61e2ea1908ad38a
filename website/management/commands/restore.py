"""Restore the database and uploaded files from a backup (website/backups.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from website import backups


class Command(BaseCommand):
    help = (
        "Replace the database and the uploaded files with those in a backup made by "
        "'manage.py backup', after checking every file against its manifest. Stop "
        "the web processes and Celery workers first."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="a backup's directory")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation.",
        )

    def handle(self, *args, directory, interactive, **options):
        try:
            manifest = backups.read_manifest(directory)
            if interactive and not self._confirmed(manifest):
                raise CommandError("Nothing was restored.")
            restored = backups.restore(directory)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup made at {restored['created_at']} into database "
                f"{connection.settings_dict['NAME']}, with {restored['pg_restore']}, "
                "and the uploaded files."
            )
        )

    def _confirmed(self, manifest: dict) -> bool:
        answer = input(
            f"This replaces everything in database {connection.settings_dict['NAME']} "
            f"and every uploaded file with the backup made at "
            f"{manifest['created_at']}. Type 'yes' to go ahead: "
        )
        return answer.strip().lower() == "yes"
