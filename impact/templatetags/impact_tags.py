"""How a report cell reads on screen and in the PDF (the files keep raw values)."""

import datetime

from django import template
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def cell(value) -> str:
    """Numbers with thousands separators, yes/no, UK times, "No figure" for none."""
    if value is None:
        return "No figure"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,g}"
    if isinstance(value, datetime.datetime):
        return date_format(value, "j M Y, H:i")
    return str(value)


@register.filter
def is_number(value) -> bool:
    """Whether a cell is a figure (so it lines up on the right)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
