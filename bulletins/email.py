"""Bulletin email: MJML compiled once per send, personalised per recipient.

``compile_bulletin(page)`` renders ``emails/bulletin.mjml`` (a Django template that
writes MJML) and ``emails/bulletin.txt`` from the same ``get_sections()`` data the
web page uses, compiles the MJML with MRML (the ``mjml-python`` package: see
docs/decisions/0004-mjml-with-mrml.md) and makes every link absolute. Where a
recipient's details go it leaves tokens; ``personalise()`` swaps them for each
person's values, escaped for HTML in the HTML part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from mjml import mjml2html

from .models import absolute

# Plain ASCII with no characters HTML, MJML or URL encoding would touch.
TOKENS = {
    "greeting": "CDRTOKENGREETINGCDR",
    "unsubscribe_url": "CDRTOKENUNSUBSCRIBECDR",
    "preferences_url": "CDRTOKENPREFERENCESCDR",
}
_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


@dataclass(frozen=True)
class CompiledEmail:
    """An email rendered once, waiting for each recipient's details."""

    subject: str
    preheader: str
    html: str
    text: str


def make_absolute(html: str) -> str:
    """Site-relative ``href``/``src`` values become absolute (email has no base)."""
    return _RELATIVE.sub(rf"\1{settings.BASE_URL}/", html)


def email_context(page) -> dict:
    return {
        "page": page,
        "sections": page.get_sections(),
        "preheader": page.get_preheader(),
        "view_url": absolute(page.url),
        "contact_line": settings.CONTACT_LINE,
        "site_name": settings.WAGTAIL_SITE_NAME,
        "tokens": TOKENS,
    }


def compile_bulletin(page) -> CompiledEmail:
    """Render and compile a bulletin's email once (per send, not per recipient)."""
    context = email_context(page)
    html = mjml2html(render_to_string("emails/bulletin.mjml", context))
    text = render_to_string("emails/bulletin.txt", context)
    return CompiledEmail(
        subject=page.get_email_subject(),
        preheader=context["preheader"],
        html=make_absolute(html),
        text=text.strip() + "\n",
    )


def _one_line(value: str) -> str:
    """Collapse whitespace, so a name can never add lines or headers."""
    return " ".join((value or "").split())


def personalise(
    email: CompiledEmail, *, name: str, unsubscribe_url: str, preferences_url: str
) -> tuple[str, str]:
    """The HTML and text parts for one recipient."""
    return personalise_parts(
        email.html,
        email.text,
        name=name,
        unsubscribe_url=unsubscribe_url,
        preferences_url=preferences_url,
    )


def personal_values(
    *, name: str, unsubscribe_url: str, preferences_url: str
) -> tuple[dict[str, str], dict[str, str]]:
    """One person's values for the tokens: escaped for HTML, and as they are."""
    name = _one_line(name)
    greeting = f"Hello {name}," if name else "Hello,"
    text_values = {
        "greeting": greeting,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
    }
    return {key: escape(value) for key, value in text_values.items()}, text_values


def personalise_parts(
    html: str, text: str, *, name: str, unsubscribe_url: str, preferences_url: str
) -> tuple[str, str]:
    """Swap the tokens for one person's values, escaped for HTML in the HTML part."""
    html_values, text_values = personal_values(
        name=name, unsubscribe_url=unsubscribe_url, preferences_url=preferences_url
    )
    for key, token in TOKENS.items():
        html = html.replace(token, html_values[key])
        text = text.replace(token, text_values[key])
    return html, text
