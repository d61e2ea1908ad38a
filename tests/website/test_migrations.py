"""Every model change has its migration: a release never finds the schema behind."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_without_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations would write (exit {exc.code}):\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()
