"""Language direction for the page being shown."""

from django import template

from website.i18n import text_direction

register = template.Library()


@register.simple_tag(takes_context=True)
def page_dir(context) -> str:
    page = context.get("page")
    locale = getattr(page, "locale", None)
    return text_direction(locale.language_code) if locale else "ltr"
