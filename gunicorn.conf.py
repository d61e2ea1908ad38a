"""Gunicorn for production and bench/pages.py: ``gunicorn -c gunicorn.conf.py``.

Each value can be changed from the environment; docs/deploy.md explains them.
Threaded workers (gthread) keep connections open between requests (keep-alive);
sync workers close each one. Measured with bench/pages.py's mix on the 2-core
build machine (page cache on, 32 users), gthread served 1.5 times the requests
sync did (330-340 against 160-235 a second, in alternating runs), and at no
extra cost with the page cache off. The reverse proxy in front buffers slow
clients.
"""

import multiprocessing
import os

wsgi_app = "website.wsgi:application"
bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Connections a worker holds at once (gthread's default is 1,000). The kernel
# hands new connections to whichever worker asks first, and a kept-alive
# connection stays with its worker, so under load one worker held 16 of wrk's
# 32 while the others held 4 each, and its requests waited four times as long.
# With twice the threads, each worker keeps at most as many idle connections as
# it has threads and closes the next, so the others take up the load. Measured
# (bench/pages.py's mix, 32 users, alternating 20-second runs on one machine):
# p95 62-64 ms against 101 ms, 924-971 requests/s against 839,
# and 1.8 ms of CPU a request against 2.0.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS") or threads * 2)
# A request still running after this many seconds is killed and its worker
# replaced; nothing here should take more than a second or two.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On a restart or scale-down, requests under way get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# How long an idle keep-alive connection is held. Behind a load balancer that
# reuses its connections, set it above the balancer's idle timeout (75 for 60),
# or the balancer may send a request on a connection gunicorn has just closed.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Each worker is replaced after about this many requests, so memory a library
# holds on to never builds up; the jitter keeps workers from restarting together.
# Not much lower: a new worker starts cold (connections, templates), and at 2,000
# every worker restarted several times a bench run (bench/pages.py's mix, 15 s:
# 543 requests/s with p95 178 ms at 2,000; 640 with p95 145 ms without restarts).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "2000"))
# Load the application once, before forking: workers start quickly and share
# memory. No database connection is opened at import, so none is shared.
preload_app = True
# The heartbeat file on memory, not disk: a slow disk must not look like a hung worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# The reverse proxy logs each request already; GUNICORN_ACCESS_LOG=- adds ours.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
