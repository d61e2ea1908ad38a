"""factory_boy factories; pages take their parent explicitly (``parent=x``)."""

import factory
import wagtail_factories
from django.contrib.auth import get_user_model
from wagtail.models import Page, Site

from website.models import (
    Audience,
    HomePage,
    Membership,
    Organisation,
    StandardPage,
    Theme,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    password = factory.django.Password("correct-horse-9")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Theme {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")
    description = "A theme used in tests."


class AudienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Audience
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Audience {n}")
    slug = factory.Sequence(lambda n: f"audience-{n}")
    description = "An audience used in tests."


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    type = Organisation.Type.CDOP
    region = Organisation.Region.LONDON
    code = factory.Sequence(lambda n: f"ORG{n:04d}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.QI_LEAD


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "Learning from child death reviews"
    slug = "home"
    intro = "Safety messages and learning from child death reviews."

    @classmethod
    def build_home(cls, **kwargs):
        """A home page directly under the tree root (where the site points)."""
        ensure_wagtail_tree()
        existing = HomePage.objects.filter(depth=2).first()
        if existing:
            return existing
        Page.objects.filter(depth=2, slug="home").update(slug="welcome-placeholder")
        return cls(parent=Page.get_first_root_node(), **kwargs)


class StandardPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = StandardPage

    title = factory.Sequence(lambda n: f"Standard page {n}")
    summary = "A plain page used in tests."


def ensure_site(home: HomePage) -> HomePage:
    """Point the default site at ``home`` (replacing Wagtail's welcome page)."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    return home


def ensure_wagtail_tree() -> None:
    """Put back what Wagtail's migrations make, if an earlier test's flush removed it.

    Every ``transactional_db`` test ends by emptying every table, migration data
    included (the default locale, the root page and the root collection). Making
    them again here works whatever ran before, unlike serialized rollback, whose
    reload clashes with the content types another transactional test's flush made.
    """
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale

    locale, _ = Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
