"""Demo content for ``make run``: vocabularies, organisations, home and core pages.

Facts come from the two source documents in ``shared/seeds`` (the briefing on new
child death review arrangements and the national QI plan for 2023-2026); the words
are ours. Every function is idempotent: it finds by slug or code before creating.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.db import transaction
from wagtail.models import Locale, Page, Site

from .models import (
    Audience,
    FooterLink,
    HeaderLink,
    HomePage,
    HomePageFeaturedItem,
    Membership,
    Organisation,
    SiteNavigation,
    StandardPage,
    Theme,
)

THEMES = [
    (
        "Safe sleep and SUDIC",
        "safe-sleep",
        "Sudden unexpected death in infancy and childhood, and the safer-sleep advice "
        "that reduces the risk.",
    ),
    (
        "Suicide and self-harm",
        "suicide-self-harm",
        "Learning from the deaths of children and young people by suicide, and how "
        "services can recognise and respond to risk.",
    ),
    (
        "Water safety",
        "water-safety",
        "Drowning in open water, pools and baths, and the supervision and education "
        "that prevent it.",
    ),
    (
        "Road safety",
        "road-safety",
        "Deaths of children as pedestrians, cyclists and passengers, and what local "
        "partners can change.",
    ),
    (
        "Neonatal care",
        "neonatal-care",
        "Care around birth and in the first weeks of life, including prematurity and "
        "perinatal events.",
    ),
    (
        "Safeguarding",
        "safeguarding",
        "Where abuse or neglect contributed to a death, and what agencies learn "
        "together.",
    ),
    (
        "Data quality",
        "data-quality",
        "Complete, timely and accurate notifications and reporting forms, so the "
        "national analysis is sound.",
    ),
    (
        "Bereaved families",
        "bereaved-families",
        "Involving parents in the review, the key worker role and support after a "
        "child's death.",
    ),
    (
        "Home safety",
        "home-safety",
        "Accidents at home, such as strangulation by blind cords, falls from windows "
        "and swallowed button batteries, and the simple changes that prevent them.",
    ),
    (
        "Child death review process",
        "cdr-process",
        "How panels, rapid response and child death review meetings work, and how to "
        "run them well.",
    ),
]

AUDIENCES = [
    ("Midwives", "midwives", "Community and hospital midwives."),
    ("Health visitors", "health-visitors", "Health visitors and their teams."),
    ("GPs", "gps", "General practitioners and primary care teams."),
    (
        "Early-years staff",
        "early-years",
        "Nurseries, childminders and early-years settings.",
    ),
    (
        "Schools and teachers",
        "schools",
        "Teachers, school nurses and designated safeguarding leads.",
    ),
    ("Police", "police", "Police officers and staff who attend child deaths."),
    (
        "CDR professionals",
        "cdr-professionals",
        "Designated doctors and nurses for child deaths, and CDOP chairs.",
    ),
    (
        "CDOP administrators",
        "cdop-administrators",
        "Managers and administrators who run child death overview panels.",
    ),
    (
        "Commissioners",
        "commissioners",
        "Commissioners in integrated care boards and local authorities.",
    ),
    (
        "Parents and carers",
        "parents-carers",
        "Families and the people who support them.",
    ),
]

ORGANISATIONS = [
    ("Northshire CDOP", "cdop", "ney", "CDOP-NSH"),
    ("Three Rivers Child Death Overview Panel", "cdop", "nw", "CDOP-3RV"),
    ("Pennine and Dales CDOP", "cdop", "ney", "CDOP-PND"),
    ("North Central London CDOP", "cdop", "lon", "CDOP-NCL"),
    ("Wessex Coast CDOP", "cdop", "sw", "CDOP-WXC"),
    ("Midlands Heart Integrated Care Board", "icb", "mid", "QHL"),
    ("Fenland and Broads Integrated Care Board", "icb", "eoe", "QUE"),
    ("Kentish Weald NHS Foundation Trust", "nhs_trust", "se", "RKW"),
    ("Riverside Children's Hospital NHS Trust", "nhs_trust", "lon", "RRC"),
    ("Northshire County Council", "local_authority", "ney", "LA-NSH"),
    ("Southmoor City Council", "local_authority", "sw", "LA-SMC"),
    ("Northshire Police", "police", "ney", "POL-NSH"),
    ("Wessex Coast Constabulary", "police", "sw", "POL-WXC"),
    ("Brightwater Academy Trust", "school", "se", "SCH-BWA"),
]

# Demo QI leads (and one viewer), each in one organisation; no passwords are set
# here: their accounts exist so memberships can be seen and scoped in the admin.
PEOPLE = [
    ("qi.northshire", "Asha", "Patel", "CDOP-NSH", "qi_lead"),
    ("qi.threerivers", "Tom", "Hughes", "CDOP-3RV", "qi_lead"),
    ("qi.riverside", "Grace", "Okafor", "RRC", "qi_lead"),
    ("viewer.northshire", "Ben", "Lewis", "CDOP-NSH", "viewer"),
]


def _rich(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _body(*blocks) -> str:
    return json.dumps([{"type": t, "value": v} for t, v in blocks])


STANDARD_PAGES = [
    {
        "slug": "about",
        "title": "About this platform",
        "summary": "Where the learning from child death reviews in England is "
        "published, shared and followed up.",
        "body": [
            (
                "paragraph",
                _rich(
                    "Every child death in England is reviewed by a Child Death Overview "
                    "Panel (CDOP). Since the Children and Social Work Act 2017, local "
                    "authorities and health partners share responsibility for making "
                    "sure those reviews happen, and every area has had child death "
                    "review arrangements in place since September 2019.",
                    "The national programme gathers what panels find, analyses it, and "
                    "turns it into reports, quality improvement (QI) packs, safety "
                    "messages, webinars and bulletins. This platform is where that "
                    "learning is published and where organisations record what they "
                    "changed as a result.",
                ),
            ),
            ("heading", "What you can do here"),
            (
                "paragraph",
                "<ul><li>read short newborn and infant safety messages and share them "
                "with colleagues</li><li>use QI packs and learning materials in "
                "training and team meetings</li><li>subscribe to bulletins for the "
                "topics and professional groups you work with</li><li>register for "
                "webinars and watch recordings</li><li>if you are a QI lead, record "
                "how your organisation has responded to each recommendation</li></ul>",
            ),
            ("heading", "The questions behind our work"),
            (
                "paragraph",
                "<ol><li>What are the data telling us about the current situation?</li>"
                "<li>What do the people we work with say should improve first?</li>"
                "<li>Do we know what good looks like?</li><li>How can we find and "
                "share good practice?</li></ol>",
            ),
        ],
    },
    {
        "slug": "accessibility-statement",
        "title": "Accessibility statement",
        "summary": "How accessible this website is, how to report a problem, and "
        "how to ask for information in another format.",
        "body": [
            (
                "paragraph",
                _rich(
                    "We want as many people as possible to be able to use this website. "
                    "You should be able to zoom in up to 400% without the text spilling "
                    "off the screen, navigate the whole site using just a keyboard or "
                    "speech recognition software, and listen to it with a screen "
                    "reader.",
                    "The site is built on the NHS.UK design system and is tested against "
                    "the Web Content Accessibility Guidelines (WCAG) version 2.2 at level "
                    "AA with automated checks on every page type.",
                ),
            ),
            ("heading", "Reporting accessibility problems"),
            (
                "paragraph",
                _rich(
                    "If you find a problem not listed here, or you need a document in "
                    "an accessible format such as large print or easy read, email the "
                    "programme team. We aim to reply within 5 working days.",
                ),
            ),
            ("heading", "Enforcement procedure"),
            (
                "paragraph",
                _rich(
                    "The Equality and Human Rights Commission (EHRC) enforces the Public "
                    "Sector Bodies (Websites and Mobile Applications) (No. 2) "
                    "Accessibility Regulations 2018. If you are not happy with how we "
                    "respond to your complaint, contact the Equality Advisory and "
                    "Support Service (EASS).",
                ),
            ),
        ],
    },
    {
        "slug": "privacy",
        "title": "Privacy notice",
        "summary": "What personal information we keep when you subscribe, register "
        "for a webinar or record uptake, why, and for how long.",
        "body": [
            (
                "paragraph",
                _rich(
                    "Reading this website needs no cookies and we do not use third-party "
                    "analytics. We count page views on our own server without storing "
                    "anything that identifies you.",
                ),
            ),
            ("heading", "When you subscribe or register"),
            (
                "paragraph",
                _rich(
                    "We keep your email address, your name if you give it, the lists you "
                    "chose and a record of when and how you agreed to receive email. "
                    "Every email has a link that unsubscribes you in one click, and the "
                    "preference centre lets you change or delete your details at any "
                    "time.",
                ),
            ),
            ("heading", "QI leads"),
            (
                "paragraph",
                _rich(
                    "If you record recommendation uptake for your organisation we keep "
                    "your name, work email, organisation and a history of the changes "
                    "you make, so that everyone can see who recorded what and when.",
                ),
            ),
            ("heading", "Your rights"),
            (
                "paragraph",
                _rich(
                    "You can ask for a copy of the information we hold about you, ask us "
                    "to correct or delete it, and complain to the Information "
                    "Commissioner's Office if you are unhappy with how we handle it.",
                ),
            ),
        ],
    },
]


def seed_vocabularies() -> None:
    for order, (name, slug, description) in enumerate(THEMES):
        Theme.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "sort_order": order},
        )
    for order, (name, slug, description) in enumerate(AUDIENCES):
        Audience.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "sort_order": order},
        )


def seed_organisations() -> None:
    for name, org_type, region, code in ORGANISATIONS:
        Organisation.objects.update_or_create(
            code=code, defaults={"name": name, "type": org_type, "region": region}
        )
    user_model = get_user_model()
    for username, first, last, code, role in PEOPLE:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.update_or_create(
            user=user,
            organisation=Organisation.objects.get(code=code),
            defaults={"role": role},
        )


def seed_home_page() -> HomePage:
    """The site's root page, replacing Wagtail's placeholder welcome page."""
    root = Page.get_first_root_node()
    home = HomePage.objects.filter(depth=2, locale=Locale.get_default()).first()
    if home is None:
        home = HomePage(
            title="Learning from child death reviews",
            slug="home",
            intro="Safety messages, quality improvement packs, webinars and "
            "bulletins from the national child death review programme, for everyone "
            "who works with children and families.",
        )
        placeholder = Page.objects.filter(depth=2, slug="home").exclude(
            pk__in=HomePage.objects.values("pk")
        )
        for page in placeholder:
            page.slug = f"placeholder-{page.pk}"
            page.save(update_fields=["slug"])
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="Child death review learning",
        )
    elif site.root_page_id != home.pk:
        old_root = site.root_page
        site.root_page = home
        site.site_name = "Child death review learning"
        site.save()
        if not isinstance(old_root.specific, HomePage) and old_root.depth == 2:
            old_root.delete()
    return home


def seed_standard_pages(home: HomePage) -> dict[str, StandardPage]:
    pages = {}
    for spec in STANDARD_PAGES:
        page = StandardPage.objects.child_of(home).filter(slug=spec["slug"]).first()
        if page is None:
            page = StandardPage(
                title=spec["title"],
                slug=spec["slug"],
                summary=spec["summary"],
                body=_body(*spec["body"]),
            )
            home.add_child(instance=page)
            page.save_revision().publish()
        pages[spec["slug"]] = page
    return pages


def ensure_header_link(label: str, page: Page, sort_order: int) -> None:
    """Add a header link to ``page`` unless one already points there."""
    navigation = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
    if not navigation.header_links.filter(page=page).exists():
        HeaderLink.objects.create(
            setting=navigation, label=label, page=page, sort_order=sort_order
        )


def ensure_header_url(label: str, url: str, sort_order: int) -> None:
    """Add a header link to a site address (not a page) unless one is there."""
    navigation = SiteNavigation.for_site(Site.objects.get(is_default_site=True))
    if not navigation.header_links.filter(url=url).exists():
        HeaderLink.objects.create(
            setting=navigation, label=label, url=url, sort_order=sort_order
        )


def ensure_featured(home: HomePage, pages: list[Page]) -> None:
    """Feature ``pages`` on the home page if nothing is featured yet."""
    if not home.featured_items.exists():
        for order, page in enumerate(pages):
            HomePageFeaturedItem.objects.create(home=home, page=page, sort_order=order)


def seed_navigation(home: HomePage, pages: dict[str, StandardPage]) -> None:
    site = Site.objects.get(is_default_site=True)
    navigation = SiteNavigation.for_site(site)
    ensure_header_link("About", pages["about"], 90)
    if not navigation.footer_links.exists():
        for order, slug in enumerate(["about", "accessibility-statement", "privacy"]):
            FooterLink.objects.create(
                setting=navigation,
                label=pages[slug].title,
                page=pages[slug],
                sort_order=order,
            )


@transaction.atomic
def load_demo_content() -> HomePage:
    """Load (or top up) all demo content; safe to run any number of times."""
    seed_vocabularies()
    seed_organisations()
    home = seed_home_page()
    pages = seed_standard_pages(home)
    seed_navigation(home, pages)
    return home
