"""``make run``'s command: the whole platform from cold, then Ctrl-C stops it all."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_runplatform_cold_start_serves_and_stops_everything(tmp_path_factory):
    base = tmp_path_factory.mktemp("plat")
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update({"CDR_VAR_DIR": str(base), "PORT": str(port)})
    log_path = base / "runplatform.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runplatform"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started = time.monotonic()
    url = f"http://127.0.0.1:{port}"
    try:
        status = None
        while time.monotonic() - started < 120:
            if proc.poll() is not None:
                pytest.fail(f"runplatform exited early:\n{log_path.read_text()}")
            try:
                status, _ = fetch(f"{url}/healthz")
                if status == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        assert status == 200, log_path.read_text()
        status, html = fetch(f"{url}/")
        assert status == 200
        assert "Learning from child death reviews" in html
        status, html = fetch(f"{url}/admin/login/")
        assert status == 200
        output = log_path.read_text()
        assert "admin     " in output and "password: " in output
        # The admin needs a second factor: its app key and backup codes too.
        assert re.search(
            r"admin .*\n +authenticator key: [A-Z2-7 ]{16,}\n +backup codes "
            r"\(each works once\): [a-z2-7]{4} [a-z2-7]{4}",
            output,
        ), output
        children = descendants(proc.pid)
        postgres = [
            p
            for p in psutil.process_iter(["cmdline"])
            if str(base / "postgres") in " ".join(p.info["cmdline"] or [])
        ]
        assert postgres, "embedded PostgreSQL should be running"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("runplatform did not stop within 60s of Ctrl-C")
    assert proc.returncode == 0, log_path.read_text()
    assert "Stopped everything make run started." in log_path.read_text()
    time.sleep(0.5)
    stray = [p for p in children + postgres if alive(p)]
    assert stray == [], [p.cmdline() for p in stray]
    assert not (base / "run" / "redis.sock").exists()
