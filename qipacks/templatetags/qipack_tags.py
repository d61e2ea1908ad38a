"""Template tags for other apps' pages that QI packs link to."""

from django import template

from qipacks.links import packs_using
from website import routing

register = template.Library()


@register.inclusion_tag("qipacks/includes/packs_using.html", takes_context=True)
def qi_packs_using(context, page):
    """``{% qi_packs_using page %}``: "QI packs that use this", if any do; kept
    with the routes (website/routing.py), which any publish retires."""
    request = context.get("request")
    if page is None or request is None:
        return {"packs": packs_using(page)}
    return {
        "packs": routing.remember_for_page(
            request, page, "packs-using", lambda: packs_using(page)
        )
    }
