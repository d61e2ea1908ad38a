"""The embedded services start, answer, stop cleanly and leave no stray process."""

import os
import signal
import time

import psutil
import psycopg
import pytest
import redis

from website import embedded


def processes_using(path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(path) in part for part in proc.info["cmdline"] or []):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture
def base(tmp_path_factory):
    # A short path: unix socket names are limited to about 100 bytes.
    return tmp_path_factory.mktemp("emb")


def test_postgres_starts_serves_and_stops_cleanly(base):
    pg = embedded.EmbeddedPostgres(base, fast=True)
    try:
        assert pg.start() is True
        assert pg.start() is False  # already running: nothing new started
        settings = embedded.postgres_database_settings(base)
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"],
            user=settings["USER"],
            dbname=settings["NAME"],
        ) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        assert version.startswith("18.")
        assert pg.is_running()
    finally:
        assert pg.stop() is True
    assert not pg.is_running()
    assert processes_using(pg.data_dir) == []
    assert pg.stop() is False


def test_postgres_recovers_after_being_killed(base):
    pg = embedded.EmbeddedPostgres(base, fast=True)
    pg.start()
    pid = pg.pid()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pg.is_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    # Children of the killed postmaster exit on their own; give them a moment.
    deadline = time.monotonic() + 10
    while processes_using(pg.data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert pg.start() is True
        assert pg.is_running()
    finally:
        pg.stop()
    assert processes_using(pg.data_dir) == []


def test_redis_starts_serves_and_stops_cleanly(base):
    rd = embedded.EmbeddedRedis(base)
    try:
        assert rd.start() is True
        assert rd.start() is False
        client = redis.Redis.from_url(embedded.redis_url(0, base))
        client.set("k", "v")
        assert client.get("k") == b"v"
        pid = rd.pid()
    finally:
        assert rd.stop() is True
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
    assert not rd.sock.exists()
    assert processes_using(rd.sock.parent / "redis.conf") == []


def test_wanted_services_follow_the_environment():
    assert embedded.wanted_services({}) == {"postgres": True, "redis": True}
    assert embedded.wanted_services(
        {"DATABASE_URL": "postgres://x/y", "CELERY_BROKER_URL": "amqp://h"}
    ) == {"postgres": False, "redis": False}


def test_start_services_starts_nothing_when_urls_are_set(base):
    started = embedded.start_services(
        base, environ={"DATABASE_URL": "postgres://x/y", "CELERY_BROKER_URL": "r://"}
    )
    assert started == []
    assert not (base / "postgres").exists()


def test_long_paths_fall_back_to_a_short_socket_directory(tmp_path):
    deep = tmp_path / ("d" * 80)
    sock = embedded.socket_dir(deep)
    assert sock != deep / "run"
    assert len(str(sock / ".s.PGSQL.5432.lock")) <= 100
