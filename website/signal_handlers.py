"""Site-wide signal handlers, connected in ``WebsiteConfig.ready()``."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Locale, Page, PageViewRestriction, Site
from wagtail.signals import (
    page_published,
    page_slug_changed,
    page_unpublished,
    post_page_move,
    pre_page_move,
)

from . import frontend_cache, listing, navigation, routing
from .models import Audience, FooterLink, HeaderLink, SiteNavigation, Theme

# --- Page cache: Wagtail purges a page's own URL on publish and unpublish (also
# on delete, which unpublishes first); these purge what else shows it. The header
# and footer (website/navigation.py) are cleared with them: a page's title or
# address, or a link, can change what they show.


@receiver(page_published, dispatch_uid="website.page_cache.published")
@receiver(page_unpublished, dispatch_uid="website.page_cache.unpublished")
def purge_pages_showing_page(sender, instance, **kwargs) -> None:
    frontend_cache.purge_pages_showing(instance)
    navigation.clear()
    forget_routes_and_counts()


@receiver(pre_page_move, dispatch_uid="website.page_cache.moving")
def purge_old_address_from_shared_caches(sender, instance, **kwargs) -> None:
    frontend_cache.purge_shared_caches(frontend_cache.page_urls(instance))


@receiver(page_slug_changed, dispatch_uid="website.page_cache.slug_changed")
def purge_old_slug_from_shared_caches(sender, instance, instance_before, **kwargs):
    frontend_cache.purge_shared_caches(frontend_cache.page_urls(instance_before))
    frontend_cache.purge_everything()
    navigation.clear()
    forget_routes_and_counts()


# A page's address, the header and footer, or a theme's or audience's name can
# show on any page.
@receiver(post_page_move, dispatch_uid="website.page_cache.moved")
@receiver(post_save, sender=SiteNavigation, dispatch_uid="website.page_cache.nav")
@receiver(post_save, sender=HeaderLink, dispatch_uid="website.page_cache.header")
@receiver(post_delete, sender=HeaderLink, dispatch_uid="website.page_cache.header_gone")
@receiver(post_save, sender=FooterLink, dispatch_uid="website.page_cache.footer")
@receiver(post_delete, sender=FooterLink, dispatch_uid="website.page_cache.footer_gone")
@receiver(post_save, sender=Theme, dispatch_uid="website.page_cache.theme")
@receiver(post_delete, sender=Theme, dispatch_uid="website.page_cache.theme_gone")
@receiver(post_save, sender=Audience, dispatch_uid="website.page_cache.audience")
@receiver(post_delete, sender=Audience, dispatch_uid="website.page_cache.audience_gone")
def purge_every_page(sender, **kwargs) -> None:
    frontend_cache.purge_everything()
    navigation.clear()
    forget_routes_and_counts()


# Which page answers an address (website/routing.py), and each listing's counts
# (website/listing.py): also when a page moves or goes, or a site, locale or
# view restriction changes. Publishing and renaming retire them above.
@receiver(post_page_move, dispatch_uid="website.routing.moved")
@receiver(post_delete, sender=Page, dispatch_uid="website.routing.page_gone")
@receiver(post_save, sender=Site, dispatch_uid="website.routing.site")
@receiver(post_delete, sender=Site, dispatch_uid="website.routing.site_gone")
@receiver(post_save, sender=Locale, dispatch_uid="website.routing.locale")
@receiver(post_delete, sender=Locale, dispatch_uid="website.routing.locale_gone")
@receiver(
    post_save, sender=PageViewRestriction, dispatch_uid="website.routing.restricted"
)
@receiver(
    post_delete, sender=PageViewRestriction, dispatch_uid="website.routing.unrestricted"
)
def forget_routes_and_counts(sender=None, **kwargs) -> None:
    routing.clear()
    listing.clear_counts()
