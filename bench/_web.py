"""Shared plumbing for the web benches: the production server and a mix of pages.

bench/pages.py (throughput) and bench/faults.py (outages) both start gunicorn
with ``gunicorn.conf.py`` on the production settings over the embedded services,
and both drive it with the same weighted mix of public pages.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import ROOT

VENV_BIN = Path(sys.executable).parent
# Share of requests per kind of page (a reader's visit, not a crawler's).
MIX = {
    "home": 10,
    "message_index": 14,
    "message": 24,
    "qi_pack_index": 4,
    "qi_pack": 10,
    "bulletin_index": 4,
    "bulletin": 10,
    "learning": 10,
    "webinars": 6,
    "search": 2,
}
SEARCHES = [
    "safe sleep",
    "bath seat",
    "water safety",
    "car seat",
    "sudden infant death",
    "co-sleeping",
    "button batteries",
    "blind cords",
    "midwives",
    "health visitors",
    "neonatal",
    "suicide prevention",
    "asthma",
    "epilepsy",
    "road safety",
]


def mix_urls(rng) -> dict[str, list[str]]:
    """The URLs of each kind in the mix: every listing filter, a sample of pages."""
    from bulletins.models import BulletinIndexPage, BulletinPage
    from learning.models import (
        LearningIndexPage,
        LearningResourcePage,
        SafetyMessageIndexPage,
        SafetyMessagePage,
    )
    from qipacks.models import QIPackIndexPage, QIPackPage
    from webinars.models import WebinarIndexPage, WebinarPage, WebinarSeriesPage
    from website.models import Audience, Theme

    def sample(model, k):
        urls = [p.url for p in model.objects.live().filter(locale_id=locale)]
        return rng.sample(urls, min(k, len(urls)))

    def listing(index, k_pages=3):
        base = index.url
        count = index.get_listing_queryset().live().public().count()
        last = min(1 + k_pages, -(-count // index.listing_page_size))
        urls = [base] + [f"{base}?page={n}" for n in range(2, last + 1)]
        urls += [f"{base}?theme={t}" for t in themes]
        urls += [f"{base}?audience={a}" for a in audiences]
        urls += [f"{base}?theme={t}&audience={a}" for t in themes for a in audiences]
        return urls

    index = SafetyMessageIndexPage.objects.get(locale__language_code="en-gb")
    locale = index.locale_id
    themes = list(Theme.objects.values_list("slug", flat=True))
    audiences = list(Audience.objects.values_list("slug", flat=True))
    qi_index = QIPackIndexPage.objects.get(locale_id=locale)
    bulletins = BulletinIndexPage.objects.get(locale_id=locale)
    learning = LearningIndexPage.objects.get(locale_id=locale)
    webinars = WebinarIndexPage.objects.get(locale_id=locale)
    return {
        "home": ["/"],
        "message_index": listing(index),
        "message": sample(SafetyMessagePage, 400),
        "qi_pack_index": listing(qi_index, 1),
        "qi_pack": sample(QIPackPage, 150),
        "bulletin_index": listing(bulletins, 2),
        "bulletin": sample(BulletinPage, 200),
        "learning": [learning.url]
        + [f"{learning.url}?type={kind}" for kind, _ in learning.listing_type_choices]
        + sample(LearningResourcePage, 200),
        "webinars": [webinars.url]
        + sample(WebinarSeriesPage, 10)
        + sample(WebinarPage, 20),
        "search": [f"/search/?q={urllib.parse.quote_plus(q)}" for q in SEARCHES],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environ(base: Path, port: int, page_cache: bool) -> dict:
    """Production settings on the embedded services, plain HTTP on loopback."""
    from website import embedded

    sockets = embedded.socket_dir(base)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"postgres://{embedded.POSTGRES_USER}@/"
        f"{embedded.DATABASE_NAME}?host={sockets}&port={embedded.POSTGRES_PORT}",
        "CELERY_BROKER_URL": embedded.celery_broker_url(0, base),
        "REDIS_URL": embedded.redis_url(1, base),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "ANYMAIL_WEBHOOK_SECRET": f"bench:{secrets.token_urlsafe(24)}",
        "SECURE_SSL_REDIRECT": "false",
        "CDR_VAR_DIR": str(base),
        "STATIC_ROOT": str(base / "static"),
        "BIND": f"127.0.0.1:{port}",
        "PAGE_CACHE": "true" if page_cache else "false",
        "LOG_LEVEL": "WARNING",
    }


def collectstatic(environ: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=environ,
        check=True,
    )


def start_server(environ: dict, port: int, log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as out:
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_answering(server, port, log_path)
    except BaseException:  # Ctrl-C included: no server is left behind
        stop_server(server)
        raise
    return server


def _wait_until_answering(server: subprocess.Popen, port: int, log_path: Path):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer: {log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def statuses(port: int, urls: list[str]) -> list[int]:
    """Request each URL once, four at a time; the status of each, in order."""

    def get(url):
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}{url}", timeout=30
            ) as r:  # noqa: S310 - loopback
                return r.status
        except urllib.error.HTTPError as error:
            return error.code

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(get, urls))


def warm(port: int, urls: list[str]) -> dict:
    """Request each URL once, four at a time; how many answered with each status."""
    seen = statuses(port, urls)
    return {str(s): seen.count(s) for s in sorted(set(seen))}
