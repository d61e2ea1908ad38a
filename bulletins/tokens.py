"""Signed links for people without passwords.

Every link in an email is the subscriber's secret ``token`` signed with the site's
``SECRET_KEY`` and a salt naming what the link may do, so a link made for one
purpose (say, preferences) cannot be used for another (say, confirming), an altered
or forged link fails its signature, and erasing the subscriber kills every link.
Confirmation and data-export links also expire.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Subscriber, absolute

CONFIRM = "confirm"
PREFERENCES = "preferences"
UNSUBSCRIBE = "unsubscribe"
EXPORT = "export"
PURPOSES = (CONFIRM, PREFERENCES, UNSUBSCRIBE, EXPORT)

# How long the links that expire are good for (seconds).
MAX_AGE = {
    CONFIRM: 7 * 24 * 3600,
    EXPORT: 24 * 3600,
}
# Longer than any token we make: anything longer is refused before any work.
MAX_TOKEN_LENGTH = 200


def _signer(purpose: str) -> signing.Signer:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown link purpose {purpose!r}")
    salt = f"bulletins.link.{purpose}"
    if purpose in MAX_AGE:
        return signing.TimestampSigner(salt=salt)
    return signing.Signer(salt=salt)


@functools.cache
def _keyed_hmac(purpose: str, secret_key: str):
    """Django's Signer HMAC for ``purpose``, its derived key computed once.

    ``Signer.sign`` derives the key (one more hash) on every call; a send signs two
    links per person, so this keeps the same signature (``unsign`` checks it) and
    skips the repeated work.
    """
    signer = _signer(purpose)
    key = hashlib.sha256(f"{signer.salt}signer".encode() + secret_key.encode())
    return hmac.new(key.digest(), digestmod=hashlib.sha256)


def make_token(subscriber: Subscriber | str, purpose: str) -> str:
    """The signed token for ``purpose`` (pass a subscriber or their secret token)."""
    secret = subscriber if isinstance(subscriber, str) else subscriber.token
    if purpose in MAX_AGE:
        return _signer(purpose).sign(secret)
    mac = _keyed_hmac(purpose, settings.SECRET_KEY).copy()
    mac.update(secret.encode())
    return f"{secret}:{signing.b64_encode(mac.digest()).decode()}"


def read_token(value: str, purpose: str) -> str | None:
    """The subscriber's secret from a signed token, or None if it is not genuine."""
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    signer = _signer(purpose)
    try:
        if purpose in MAX_AGE:
            return signer.unsign(value, max_age=MAX_AGE[purpose])
        return signer.unsign(value)
    except signing.BadSignature:  # includes SignatureExpired
        return None


def subscriber_for(value: str, purpose: str) -> Subscriber | None:
    """The subscriber a genuine, unexpired token names, or None."""
    secret = read_token(value, purpose)
    if secret is None:
        return None
    return Subscriber.objects.filter(token=secret).first()


def link(subscriber: Subscriber | str, purpose: str) -> str:
    """The absolute URL of the page for ``purpose`` (for emails and headers)."""
    names = {
        CONFIRM: "bulletins:confirm",
        PREFERENCES: "bulletins:preferences",
        UNSUBSCRIBE: "bulletins:unsubscribe",
        EXPORT: "bulletins:export",
    }
    path = reverse(names[purpose], kwargs={"token": make_token(subscriber, purpose)})
    return absolute(path)
