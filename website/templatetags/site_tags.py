"""Header, footer and listing template tags shared by every page."""

from django import template
from django.conf import settings

from website import navigation as site_navigation
from website import routing

register = template.Library()


def _navigation(context) -> dict | None:
    """The site's header and footer (``website.navigation``), once per request."""
    request = context.get("request")
    if request is None:
        return None
    if not hasattr(request, "_site_navigation"):
        request._site_navigation = site_navigation.for_request(request)
    return request._site_navigation


def _links(nav, relation, request) -> list[dict]:
    if nav is None:
        return []
    path = request.path if request else ""
    return [
        {
            "label": label,
            "href": href,
            "current": href not in ("/", "#") and path.startswith(href),
        }
        for label, href in nav[relation]
    ]


@register.simple_tag(takes_context=True)
def page_trail(context, page) -> list[dict]:
    """``{% page_trail page as trail %}``: the breadcrumb trail above ``page``, from
    the site's home (labelled "Home") to its parent, each with ``title`` and ``url``;
    empty for the home page itself. Kept with the page's route (website/routing.py)
    while the site's pages stay as they are, so most views ask nothing of the
    database for it."""
    request = context.get("request")
    if page is None or not page.pk or request is None:
        return []
    return routing.remember_for_page(
        request, page, "trail", lambda: _trail(page, request)
    )


def _trail(page, request) -> list[dict]:
    ancestors = (
        page.get_ancestors()
        .filter(depth__gt=1)
        .only("title", "url_path", "depth", "path", "locale")
    )
    return [
        {
            "title": "Home" if ancestor.depth == 2 else ancestor.title,
            "url": ancestor.get_url(request),
        }
        for ancestor in ancestors
    ]


@register.simple_tag
def site_name():
    return settings.WAGTAIL_SITE_NAME


@register.inclusion_tag("website/includes/header.html", takes_context=True)
def site_header(context):
    request = context.get("request")
    navigation = _navigation(context)
    site_root = "/"
    return {
        "navigation": navigation,
        "links": _links(navigation, "header_links", request),
        "home_url": site_root,
    }


@register.inclusion_tag("website/includes/footer.html", takes_context=True)
def site_footer(context):
    request = context.get("request")
    navigation = _navigation(context)
    return {
        "navigation": navigation,
        "links": _links(navigation, "footer_links", request),
        "contact_line": settings.CONTACT_LINE,
    }


@register.inclusion_tag("website/includes/tags.html", takes_context=True)
def content_tags(context, page):
    """The theme and audience tags of a page, as links to their pages.

    Kept per published revision (a preview shows its own); renaming a theme or
    audience retires them with the routes (website/routing.py)."""

    def tags():
        return {
            "themes": list(page.themes.all()),
            "audiences": list(page.audiences.all()),
        }

    request = context.get("request")
    if request is None:
        return tags()
    return routing.remember_for_page(
        request, page, f"tags:{page.live_revision_id}", tags
    )


@register.inclusion_tag("website/includes/feedback.html", takes_context=True)
def page_feedback(context, page, form=None):
    """The "was this page useful?" form for ``page``, or thanks once it was sent."""
    from django.urls import reverse

    from website.feedback import COMMENT_MAX_LENGTH, FeedbackForm

    request = context.get("request")
    if form is None:
        form = FeedbackForm()
    return {
        "thanks": form.is_bound is False
        and request is not None
        and request.GET.get("feedback") == "thanks",
        "action": reverse("page_feedback", args=[page.pk]),
        "form": form,
        "useful": form["useful"].value() if form.is_bound else None,
        "comment": form.comment_value if form.is_bound else "",
        "max_length": COMMENT_MAX_LENGTH,
        "max_length_text": f"{COMMENT_MAX_LENGTH:,}",
    }
