"""Request ids, JSON logs and Sentry: what operators need to follow one request.

Each request gets an id (the proxy's ``X-Request-ID`` when it is well formed,
else a new one), held in a context variable until its response is closed.
Every log line carries it, and so does every Celery task the request queues
(``website/celery.py`` sends it as a message header and sets it again around
the task), so a worker's lines can be matched to the request that caused them.

Nothing here touches the database, so it can be used when the database is down.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token
from urllib.parse import urlsplit, urlunsplit

from celery import current_task
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished

# The message header that carries the request id to a Celery task.
TASK_HEADER = "request_id"
# What an incoming X-Request-ID may look like: short and printable, so it can
# go into a log line or a response header as it is. Anything else is replaced.
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Extras left out of JSON lines: Django's request log lines carry the request
# object itself (not data), and Celery's task lines carry the task's arguments as
# "data", email addresses among them, which the readable format never printed.
_NOT_LOGGED = ("request", "data")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
LOG_FORMATS = ("plain", "json")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def accept_request_id(incoming: str | None) -> str:
    """The incoming id if it is well formed, else a new random one."""
    if incoming and _WELL_FORMED.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Token:
    """Make ``request_id`` the current id; pass the token to ``unbind_request_id``."""
    return _request_id.set(request_id)


def unbind_request_id(token: Token) -> None:
    _request_id.reset(token)


def _forget_request_id(**kwargs) -> None:
    # A request's id stays current until its response is closed, not just until
    # the middleware returns: Django logs 4xx and 5xx responses after that.
    _request_id.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="website.forget_request_id")


class RequestIdFilter(logging.Filter):
    """Add the request id to every record, and the task's name and id in a task."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        if current_task and not hasattr(record, "task_id"):
            record.task_name = current_task.name
            record.task_id = current_task.request.id
        return True


def json_formatter():
    """One JSON object per line: timestamp, level, logger, message, request_id,
    and task_name and task_id in a task (exc_info when there is a traceback)."""
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        ["levelname", "name", "message", "request_id"],
        rename_fields={"levelname": "level", "name": "logger"},
        reserved_attrs=[*RESERVED_ATTRS, *_NOT_LOGGED],
        timestamp=True,
    )


def log_format(value: str) -> str:
    """The LOG_FORMAT setting, checked."""
    value = value.strip().lower()
    if value not in LOG_FORMATS:
        raise ImproperlyConfigured(
            f"LOG_FORMAT is {value!r}; set it to 'plain' (readable lines) or 'json' "
            "(one JSON object per line), or leave it unset for 'plain'."
        )
    return value


def use_json_logs(logger: logging.Logger) -> None:
    """Give the handlers Celery set up on ``logger`` the JSON format and request ids."""
    for handler in logger.handlers:
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(json_formatter())


def _is_secret(segment: str) -> bool:
    # Signed link tokens carry a ":"; random ones (secrets.token_urlsafe) are long
    # and, unlike page slugs, not lowercase words joined by hyphens.
    return ":" in segment or (len(segment) >= 20 and not _SLUG.fullmatch(segment))


def _without_secrets(url: str) -> str:
    """``url`` without its query string and with any link token in its path hidden."""
    parts = urlsplit(url)
    path = "/".join(
        "[Filtered]" if _is_secret(segment) else segment
        for segment in parts.path.split("/")
    )
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _before_send(event: dict, hint: dict) -> dict:
    """Tag each Sentry event with the request id, to find its log lines, and keep
    out the tokens of readers' own links (unsubscribe, registration, export)."""
    request = event.get("request") or {}
    if request.get("url"):
        request["url"] = _without_secrets(request["url"])
    request.pop("query_string", None)
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sample_rate(value: str) -> float:
    """SENTRY_TRACES_SAMPLE_RATE, checked: a share of requests from 0 to 1."""
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1:
        raise ImproperlyConfigured(
            f"SENTRY_TRACES_SAMPLE_RATE is {value!r}; set it to a number from 0 to 1 "
            "(0.05 traces one request in twenty), or leave it unset for none."
        )
    return rate


def init_sentry(
    dsn: str, *, environment: str, release: str, traces_sample_rate: str
) -> None:
    """Report errors from web processes and Celery workers to Sentry.

    No personal data leaves: no user details, cookies or client addresses
    (``send_default_pii=False``), no request bodies (form posts carry email
    addresses and free text), no local variables from stack frames, and no query
    strings or link tokens in addresses.
    """
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=sample_rate(traces_sample_rate),
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=_before_send,
        before_send_transaction=_before_send,
    )
