"""Demo distribution: lists made from the demo themes and audiences, and people.

``seed_distribution()`` is idempotent: a list is created only if its slug is not
there yet, and a subscriber (with their subscriptions and consent records) only if
their address is not, so a re-run adds nothing and leaves what someone changed in
the admin alone. Run it after ``website.demo`` has
seeded the vocabularies and organisations. Every address is at example.org or
example.com, which can never receive mail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from website.models import Audience, Organisation, Theme

from .models import ConsentRecord, DistributionList, Subscriber, Subscription

# The consent wording version the demo people were shown (bulletins.subscriptions).
WORDING = "2026-11"

# (slug, name, description, theme slugs, audience slugs, visibility); no themes or
# no audiences means every theme or every audience.
LISTS = [
    (
        "monthly-learning-bulletin",
        "Monthly learning bulletin",
        "The programme's bulletin: new safety messages, QI packs, webinars and "
        "learning from child death reviews across England, once a month.",
        [],
        [],
        DistributionList.Visibility.PUBLIC,
    ),
    (
        "safer-sleep-infant-safety",
        "Safer sleep and infant safety",
        "Safety messages on safer sleep, and on hazards at home for babies and "
        "young children, for the people who visit families.",
        ["safe-sleep", "home-safety"],
        ["health-visitors", "midwives"],
        DistributionList.Visibility.PUBLIC,
    ),
    (
        "child-death-review-practice",
        "Child death review practice",
        "Running panels and review meetings well: guidance, data quality and "
        "working with bereaved families, for those who run child death reviews.",
        ["cdr-process", "data-quality", "bereaved-families"],
        ["cdr-professionals", "cdop-administrators"],
        DistributionList.Visibility.PUBLIC,
    ),
    (
        "children-young-people-safety",
        "Keeping children and young people safe",
        "Learning on suicide and self-harm, safeguarding, water and road safety, "
        "for schools, police and primary care.",
        ["suicide-self-harm", "safeguarding", "water-safety", "road-safety"],
        ["schools", "police", "gps"],
        DistributionList.Visibility.PUBLIC,
    ),
    (
        "qi-leads-updates",
        "QI leads' updates",
        "Reminders and updates on recording the uptake of recommendations, for "
        "quality-improvement leads. The programme team adds people to this list.",
        ["data-quality", "cdr-process"],
        ["cdr-professionals", "cdop-administrators", "commissioners"],
        DistributionList.Visibility.STAFF,
    ),
]

IMMEDIATE = Subscription.Frequency.IMMEDIATE
WEEKLY = Subscription.Frequency.WEEKLY
ACTIVE = Subscriber.Status.ACTIVE


class Person(NamedTuple):
    email: str
    name: str
    audience: str | None  # slug
    organisation: str | None  # code
    status: str
    days_ago: int  # when they asked (or were added)
    lists: list[tuple[str, str]]  # (list slug, frequency) they chose
    added_by_staff: bool = False


PEOPLE = [
    Person(
        "priya.shah@example.org",
        "Priya Shah",
        "health-visitors",
        "RKW",
        ACTIVE,
        120,
        [
            ("safer-sleep-infant-safety", IMMEDIATE),
            ("monthly-learning-bulletin", WEEKLY),
        ],
    ),
    Person(
        "megan.jones@example.org",
        "Megan Jones",
        "midwives",
        "RRC",
        ACTIVE,
        95,
        [("safer-sleep-infant-safety", IMMEDIATE)],
    ),
    Person(
        "dr.amir.haddad@example.org",
        "Dr Amir Haddad",
        "cdr-professionals",
        "CDOP-NSH",
        ACTIVE,
        200,
        [
            ("child-death-review-practice", IMMEDIATE),
            ("monthly-learning-bulletin", IMMEDIATE),
        ],
    ),
    Person(
        "cdop.admin@example.org",
        "Lucy Brennan",
        "cdop-administrators",
        "CDOP-3RV",
        ACTIVE,
        60,
        [("child-death-review-practice", WEEKLY)],
    ),
    Person(
        "asha.patel@example.org",
        "Asha Patel",
        "cdr-professionals",
        "CDOP-NSH",
        ACTIVE,
        150,
        [("qi-leads-updates", IMMEDIATE), ("monthly-learning-bulletin", IMMEDIATE)],
        added_by_staff=True,
    ),
    Person(
        "commissioning.team@example.com",
        "",
        "commissioners",
        "QHL",
        ACTIVE,
        80,
        [("qi-leads-updates", WEEKLY)],
        added_by_staff=True,
    ),
    Person(
        "safeguarding.lead@example.com",
        "Daniel Okoro",
        "schools",
        "SCH-BWA",
        ACTIVE,
        45,
        [("children-young-people-safety", WEEKLY)],
    ),
    Person(
        "pc.sarah.wood@example.com",
        "Sarah Wood",
        "police",
        "POL-WXC",
        ACTIVE,
        30,
        [("children-young-people-safety", IMMEDIATE)],
    ),
    # Asked yesterday and has not used the confirmation link yet.
    Person(
        "new.reader@example.com",
        "",
        "gps",
        None,
        Subscriber.Status.PENDING,
        1,
        [("monthly-learning-bulletin", IMMEDIATE)],
    ),
    # People who were on the monthly bulletin and left it, one way or another.
    Person(
        "moved.on@example.org",
        "Chris Evans",
        "early-years",
        None,
        Subscriber.Status.UNSUBSCRIBED,
        300,
        [("monthly-learning-bulletin", IMMEDIATE)],
    ),
    Person(
        "no.such.mailbox@example.com",
        "",
        "health-visitors",
        None,
        Subscriber.Status.BOUNCED,
        240,
        [("monthly-learning-bulletin", IMMEDIATE)],
    ),
    Person(
        "not.interested@example.com",
        "",
        None,
        None,
        Subscriber.Status.COMPLAINED,
        180,
        [("monthly-learning-bulletin", WEEKLY)],
    ),
]

# How each kind of leaver left, as their last consent record says.
_LEFT_BY = {
    Subscriber.Status.UNSUBSCRIBED: ConsentRecord.Method.ONE_CLICK,
    Subscriber.Status.BOUNCED: ConsentRecord.Method.BOUNCE,
    Subscriber.Status.COMPLAINED: ConsentRecord.Method.COMPLAINT,
}


def seed_lists() -> dict[str, DistributionList]:
    """The demo lists by slug, each with its demo themes and audiences when made."""
    lists = {}
    for order, (slug, name, description, themes, audiences, visibility) in enumerate(
        LISTS
    ):
        distribution_list, created = DistributionList.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "visibility": visibility,
                "sort_order": order,
            },
        )
        if created:
            distribution_list.themes.set(Theme.objects.filter(slug__in=themes))
            distribution_list.audiences.set(Audience.objects.filter(slug__in=audiences))
        lists[slug] = distribution_list
    return lists


def seed_subscribers(lists: dict[str, DistributionList]) -> list[Subscriber]:
    """The demo people, each with the consent records their history would leave."""
    now = timezone.now()
    return [
        Subscriber.objects.filter(email=person.email).first()
        or _create_person(person, lists, now)
        for person in PEOPLE
    ]


def _create_person(person: Person, lists, now) -> Subscriber:
    asked = now - timedelta(days=person.days_ago)
    pending = person.status == Subscriber.Status.PENDING
    if pending:
        confirmed = None
    elif person.added_by_staff:
        confirmed = asked  # the team added them: no link to confirm
    else:
        confirmed = asked + timedelta(minutes=12)  # the link in the email
    left = _LEFT_BY.get(person.status)
    left_at = confirmed + timedelta(days=person.days_ago // 2) if left else None
    subscriber = Subscriber.objects.create(
        email=person.email,
        name=person.name,
        audience=Audience.objects.filter(slug=person.audience).first(),
        organisation=Organisation.objects.filter(code=person.organisation).first(),
        status=person.status,
        created_at=asked,
        confirmed_at=confirmed,
        status_changed_at=left_at or confirmed or asked,
    )
    chosen = {
        "lists": sorted(lists[slug].pk for slug, _ in person.lists),
        "frequency": person.lists[0][1],
    }
    if pending:
        # As bulletins.subscriptions keeps a request until its link is used.
        subscriber.pending_choices = {
            **chosen,
            "name": person.name,
            "audience": subscriber.audience_id,
            "organisation": subscriber.organisation_id,
            "themes": [],
            "wording": WORDING,
        }
        subscriber.save(update_fields=["pending_choices"])
    if person.status == ACTIVE:
        for slug, frequency in person.lists:
            Subscription.objects.create(
                subscriber=subscriber,
                distribution_list=lists[slug],
                frequency=frequency,
                created_at=confirmed,
            )
    if person.added_by_staff:
        history = [
            (ConsentRecord.Action.ADDED_BY_STAFF, ConsentRecord.Method.ADMIN, asked)
        ]
    else:
        history = [
            (ConsentRecord.Action.REQUESTED, ConsentRecord.Method.WEB_FORM, asked)
        ]
        if confirmed:
            history.append(
                (
                    ConsentRecord.Action.CONFIRMED,
                    ConsentRecord.Method.EMAIL_LINK,
                    confirmed,
                )
            )
    if left:
        history.append((ConsentRecord.Action.UNSUBSCRIBED, left, left_at))
    for action, method, when in history:
        ConsentRecord.objects.create(
            subscriber=subscriber,
            action=action,
            method=method,
            wording_version="" if person.added_by_staff else WORDING,
            details={"lists": chosen["lists"], "frequency": chosen["frequency"]},
            created_at=when,
        )
    return subscriber


@transaction.atomic
def seed_distribution() -> dict[str, DistributionList]:
    """Load (or top up) the demo lists and people; safe to run any number of times."""
    lists = seed_lists()
    seed_subscribers(lists)
    return lists
