"""Template tags for other apps' pages that QI packs link to."""

from django import template

from qipacks.links import packs_using

register = template.Library()


@register.inclusion_tag("qipacks/includes/packs_using.html")
def qi_packs_using(page):
    """``{% qi_packs_using page %}``: "QI packs that use this", if any do."""
    return {"packs": packs_using(page)}
