"""Where built messages go: one SMTP connection per batch, or files / memory in dev.

The pipeline hands over finished bytes (see ``bulletins/mime.py``), so a transport
only opens, sends and closes. Which one is used follows ``EMAIL_BACKEND``:
Django's SMTP backend -> ``SMTPTransport`` with the same ``EMAIL_*`` settings; the
project's ``.eml`` file backend (``make run``) -> ``FileTransport``; Django's
locmem backend (in-process tests) -> ``LocmemTransport``.
"""

from __future__ import annotations

import email
import smtplib
import ssl
import uuid
from email import policy
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


class PermanentFailure(Exception):
    """The server refused this recipient or message for good (5xx)."""


class TemporaryFailure(Exception):
    """The server refused this message for now (4xx); try again later."""


class SMTPTransport:
    """Reuses one authenticated SMTP connection for a whole batch."""

    def __init__(self):
        self.host = settings.EMAIL_HOST
        self.port = settings.EMAIL_PORT
        self.username = getattr(settings, "EMAIL_HOST_USER", "")
        self.password = getattr(settings, "EMAIL_HOST_PASSWORD", "")
        self.use_tls = getattr(settings, "EMAIL_USE_TLS", False)
        self.use_ssl = getattr(settings, "EMAIL_USE_SSL", False)
        self.timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 30
        self.connection: smtplib.SMTP | None = None

    def open(self) -> None:
        if self.use_ssl:
            self.connection = smtplib.SMTP_SSL(
                self.host,
                self.port,
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        else:
            self.connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.use_tls:
                self.connection.starttls(context=ssl.create_default_context())
        if self.username:
            self.connection.login(self.username, self.password)

    def send(self, envelope_from: str, to: str, message: bytes) -> None:
        """Hand one message to the server; returns once the server has accepted it.

        ``message`` must have CRLF line ends (``bulletins/mime.py`` makes sure), so
        unlike ``smtplib.sendmail`` this skips re-scanning 20-30 kB per message with
        two regular expressions: it only dot-stuffs, with one ``bytes.replace``.
        """
        smtp = self.connection
        smtp.ehlo_or_helo_if_needed()
        if message.startswith(b"."):
            message = b"." + message
        payload = message.replace(b"\r\n.", b"\r\n..")
        payload += b".\r\n" if payload.endswith(b"\r\n") else b"\r\n.\r\n"
        if smtp.has_extn("pipelining"):
            self._send_pipelined(envelope_from, to, payload)
            return
        code, reply = smtp.mail(envelope_from)
        if code != 250:
            self._reset()
            raise _failure(code, reply)
        code, reply = smtp.rcpt(to)
        if code not in (250, 251):
            self._reset()
            raise _failure(code, reply)
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            self._reset()
            raise _failure(code, reply)
        smtp.send(payload)
        code, reply = smtp.getreply()
        if code != 250:
            raise _failure(code, reply)

    def _send_pipelined(self, envelope_from: str, to: str, payload: bytes) -> None:
        """RFC 2920: MAIL, RCPT and DATA in one write, then the data: two round trips
        instead of four, when the server offers PIPELINING (every major MTA does)."""
        smtp = self.connection
        commands = (
            f"MAIL FROM:{_angle(envelope_from)}\r\nRCPT TO:{_angle(to)}\r\nDATA\r\n"
        ).encode("ascii")
        smtp.send(commands)
        mail_code, mail_reply = smtp.getreply()
        rcpt_code, rcpt_reply = smtp.getreply()
        data_code, data_reply = smtp.getreply()
        refused = None
        if mail_code != 250:
            refused = (mail_code, mail_reply)
        elif rcpt_code not in (250, 251):
            refused = (rcpt_code, rcpt_reply)
        if refused is None and data_code == 354:
            smtp.send(payload)
            code, reply = smtp.getreply()
            if code != 250:
                raise _failure(code, reply)
            return
        if data_code == 354:
            # The server took DATA although the envelope failed: send an empty
            # message's end so the session stays in step, then discard it.
            smtp.send(b".\r\n")
            smtp.getreply()
        self._reset()
        raise _failure(*(refused or (data_code, data_reply)))

    def _reset(self) -> None:
        try:
            self.connection.rset()
        except smtplib.SMTPException:
            pass

    def close(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()
        self.connection = None


def _angle(address: str) -> str:
    """``<address>`` for MAIL/RCPT. Our addresses are plain, validated addr-specs,
    so smtplib's ``quoteaddr`` (a full RFC 2822 parse, 0.08 ms) is not needed."""
    if any(c in address for c in "\r\n<> "):
        raise PermanentFailure(f"Not a plain email address: {address!r}")
    return f"<{address}>"


def _failure(code: int, reason: bytes | str) -> Exception:
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else reason
    message = f"{code} {text}".strip()
    if 400 <= code < 500:
        return TemporaryFailure(message)
    return PermanentFailure(message)


class FileTransport:
    """Each message written to ``EMAIL_FILE_PATH`` as its own ``.eml`` file."""

    def __init__(self):
        self.directory = Path(settings.EMAIL_FILE_PATH)

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, envelope_from: str, to: str, message: bytes) -> None:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        (self.directory / f"{stamp}-{uuid.uuid4().hex[:12]}.eml").write_bytes(message)

    def close(self) -> None:
        pass


class LocmemTransport:
    """Appends each message to ``django.core.mail.outbox`` (in-process tests)."""

    def open(self) -> None:
        if not hasattr(mail, "outbox"):
            mail.outbox = []

    def send(self, envelope_from: str, to: str, message: bytes) -> None:
        mail.outbox.append(OutboxMessage(envelope_from, to, message))

    def close(self) -> None:
        pass


class OutboxMessage:
    """What tests read: the parsed message with Django's EmailMessage attributes."""

    def __init__(self, envelope_from: str, to: str, raw: bytes):
        self.raw = raw
        self.from_email = envelope_from
        self.to = [to]
        self.parsed = email.message_from_bytes(raw, policy=policy.default)
        self.subject = str(self.parsed["Subject"])
        text = self.parsed.get_body(preferencelist=("plain",))
        html = self.parsed.get_body(preferencelist=("html",))
        self.body = text.get_content() if text else ""
        self.html = html.get_content() if html else ""
        self.extra_headers = dict(self.parsed.items())

    def message(self):
        return self.parsed


_TRANSPORTS = {
    "django.core.mail.backends.smtp.EmailBackend": SMTPTransport,
    "website.mail.EmlFileBackend": FileTransport,
    "django.core.mail.backends.locmem.EmailBackend": LocmemTransport,
}


def get_transport():
    try:
        return _TRANSPORTS[settings.EMAIL_BACKEND]()
    except KeyError:
        raise ImproperlyConfigured(
            f"The email pipeline cannot send through {settings.EMAIL_BACKEND}; "
            "set EMAIL_URL to an SMTP server (every provider offers one)."
        ) from None
