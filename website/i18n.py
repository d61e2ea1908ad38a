"""Language names and direction for content languages (Wagtail locales)."""

from django.conf import settings
from django.utils.translation import get_language_info


def language_info(code: str) -> dict:
    """Name (English and in its own script) and direction for a language code.

    Django knows most languages; for one it does not, fall back to the name
    configured in CONTENT_LANGUAGES, left to right.
    """
    try:
        info = get_language_info(code)
        return {
            "code": code,
            "name": info["name"],
            "name_local": info["name_local"],
            "bidi": info["bidi"],
        }
    except KeyError:
        configured = dict(settings.WAGTAIL_CONTENT_LANGUAGES)
        name = configured.get(code, code)
        return {"code": code, "name": name, "name_local": name, "bidi": False}


def text_direction(code: str) -> str:
    return "rtl" if language_info(code)["bidi"] else "ltr"
