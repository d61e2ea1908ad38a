"""gunicorn.conf.py, which bench/pages.py and production run, as gunicorn reads it."""

import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
ENV = (
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_WORKER_CONNECTIONS",
    "GUNICORN_KEEPALIVE",
)


@pytest.fixture
def environ(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _loaded() -> Config:
    """The settings as gunicorn takes them (it validates each value it is given)."""
    values = runpy.run_path(str(CONF))
    config = Config()
    for name, value in values.items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_each_worker_holds_twice_its_threads_in_connections(environ):
    config = _loaded()

    assert config.worker_class_str == "gthread"
    assert config.threads == 4
    assert config.worker_connections == 8
    # gthread keeps (connections - threads) idle connections alive: some, not all.
    assert 0 < config.worker_connections - config.threads <= config.threads


def test_connections_follow_the_threads_unless_set(environ):
    environ.setenv("GUNICORN_THREADS", "8")
    assert _loaded().worker_connections == 16

    environ.setenv("GUNICORN_WORKER_CONNECTIONS", "100")
    assert _loaded().worker_connections == 100


def test_an_unreadable_value_stops_the_server_starting(environ):
    environ.setenv("GUNICORN_WORKER_CONNECTIONS", "many")
    with pytest.raises(ValueError, match="many"):
        _loaded()
