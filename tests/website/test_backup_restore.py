"""``manage.py backup`` and ``restore``: dump, lose everything, restore, serve again."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection
from wagtail.documents.models import Document
from wagtail.models import Collection, Page

from tests.factories import StandardPageFactory
from website import backups

CONTENT = b"Safe sleep: a briefing for health visitors.\n" + bytes(range(256)) * 40


@pytest.fixture
def private_root(settings, tmp_path):
    """The QI evidence folder, per test (the suite's one is shared)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def published_pages(site) -> list[Page]:
    return [
        StandardPageFactory(parent=site, title=title, slug=slug)
        for title, slug in [
            ("Safer sleep for babies", "safer-sleep"),
            ("Water safety in summer", "water-safety"),
        ]
    ]


def drop_everything(settings) -> None:
    """What a lost database looks like: not one table left; no uploaded files."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    for folder in (Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)):
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_serves_the_same_pages_and_files(
    site, client, settings, private_root, tmp_path, capsys
):
    pages = published_pages(site)
    document = Document.objects.create(
        title="Safe sleep briefing",
        file=SimpleUploadedFile("safe-sleep-briefing.txt", CONTENT),
        collection=Collection.get_first_root_node(),
    )
    evidence = private_root / "evidence" / "7" / "audit.csv"
    evidence.parent.mkdir(parents=True)
    evidence.write_text("recommendation,status\nR3,implemented\n")
    for page in pages:
        assert client.get(page.url).status_code == HTTPStatus.OK

    call_command("backup", str(tmp_path / "backup"))

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert f"dumped by {manifest['pg_dump']}" in capsys.readouterr().out
    assert manifest["pg_dump"].endswith("/pg_dump)")
    assert manifest["pg_dump_major"] >= manifest["server_major"] >= 15
    assert manifest["database"] == connection.settings_dict["NAME"]
    assert set(manifest["files"]) == {
        "database.dump",
        "media.tar.gz",
        "private-media.tar.gz",
    }
    drop_everything(settings)
    with pytest.raises(ProgrammingError):
        Page.objects.count()
    stray = Path(settings.MEDIA_ROOT) / "made-after-the-backup.txt"
    stray.write_text("not in the backup")

    call_command("restore", str(tmp_path / "backup"), interactive=False)

    ContentType.objects.clear_cache()
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == HTTPStatus.OK
        assert page.title in response.content.decode()
    response = client.get(document.url)
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content) == CONTENT
    assert evidence.read_text() == "recommendation,status\nR3,implemented\n"
    assert not stray.exists()


def fake_backup(folder: Path) -> Path:
    """A backup's shape with made-up contents, for the checks that come first."""
    folder.mkdir()
    files = {}
    for name in ("database.dump", "media.tar.gz", "private-media.tar.gz"):
        (folder / name).write_bytes(f"contents of {name}".encode())
        files[name] = backups._file_facts(folder / name)
    manifest = {"format": 1, "created_at": "2026-11-01T02:00:00+00:00", "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.django_db
def test_a_backup_with_an_altered_file_is_refused_before_anything_changes(
    site, tmp_path
):
    backup = fake_backup(tmp_path / "backup")
    (backup / "database.dump").write_bytes(b"contents of database.dump, edited")
    pages_before = Page.objects.count()

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(backup), interactive=False)

    assert str(refused.value) == (
        f"Nothing was restored: in {backup}, database.dump has changed since the "
        "backup was made. Use another backup, or copy this one again from where it "
        "is kept."
    )
    assert Page.objects.count() == pages_before


@pytest.mark.django_db
def test_a_backup_with_a_missing_file_is_refused(tmp_path):
    backup = fake_backup(tmp_path / "backup")
    (backup / "media.tar.gz").unlink()

    with pytest.raises(CommandError, match="media.tar.gz is missing"):
        call_command("restore", str(backup), interactive=False)


@pytest.mark.django_db
def test_a_directory_without_a_manifest_is_refused(tmp_path):
    with pytest.raises(CommandError, match="has no manifest.json"):
        call_command("restore", str(tmp_path), interactive=False)


@pytest.mark.django_db
def test_a_damaged_manifest_is_refused(tmp_path):
    backup = fake_backup(tmp_path / "backup")
    (backup / "manifest.json").write_text('{"files": ')

    with pytest.raises(CommandError, match="cannot be read"):
        call_command("restore", str(backup), interactive=False)


@pytest.mark.django_db
def test_a_backup_never_overwrites_another(tmp_path):
    backup = fake_backup(tmp_path / "backup")

    with pytest.raises(CommandError, match="is not an empty directory"):
        call_command("backup", str(backup))

    assert (backup / "database.dump").read_bytes() == b"contents of database.dump"


def test_pg_tools_older_than_the_server_are_not_used():
    with pytest.raises(backups.BackupError, match="PostgreSQL 99 or newer"):
        backups.find_pg_tool("pg_dump", 99)
    tool = backups.find_pg_tool("pg_restore", 15)
    assert tool.major >= 15
    assert Path(tool.path).name == "pg_restore"
