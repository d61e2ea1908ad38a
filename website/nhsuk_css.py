"""The NHS.UK frontend stylesheet without its web fonts.

wagtail-nhsuk-frontend's CSS declares Frutiger (the NHS's licensed typeface) from
assets.nhs.uk. We are not the NHS and make no third-party requests, and a CSS
override cannot stop a browser fetching the fonts before the override arrives.
So we serve a copy with the ``@font-face`` rules removed and Arial, the
stylesheet's own fallback, named directly. ``manage.py vendor_nhsuk_css`` writes
it; a test checks the committed copy matches the installed package.
"""

import re
from pathlib import Path

import wagtailnhsukfrontend

SOURCE_NAME = "nhsuk-frontend-10.4.2.min.css"
SOURCE = (
    Path(wagtailnhsukfrontend.__file__).parent
    / "static"
    / "wagtailnhsukfrontend"
    / "css"
    / SOURCE_NAME
)
TARGET = (
    Path(__file__).parent / "static" / "website" / "vendor" / "nhsuk-frontend.min.css"
)
_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def derive(css: str) -> str:
    css = _FONT_FACE.sub("", css)
    css = css.replace(
        "font-family:Frutiger W01,arial,sans-serif", "font-family:arial,sans-serif"
    )
    if "Frutiger" in css or "assets.nhs.uk" in css:
        raise ValueError("The NHS.UK stylesheet still names Frutiger; update derive().")
    return (
        f"/* Derived from wagtail-nhsuk-frontend's {SOURCE_NAME} by "
        "website/nhsuk_css.py: web fonts removed. Do not edit; run manage.py "
        "vendor_nhsuk_css. */\n" + css
    )
