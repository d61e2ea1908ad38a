"""A small, fully known picture for the impact report, around January to March 2025.

``impact_world()`` seeds every section with rows inside the quarter, in the
quarter before (October to December 2024, the comparison), and just outside
both, some of them a minute from an edge in UK time (31 March 2025 is in
British Summer Time). The expected figures in the tests are worked out by hand
from what is written here; the comments say which rows count.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page

from bulletins.models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    Send,
    SendSummary,
    SentMark,
    Subscriber,
    Subscription,
)
from impact.models import PageViewDaily
from impact.periods import Period
from tests.factories import (
    AudienceFactory,
    HomePageFactory,
    OrganisationFactory,
    StandardPageFactory,
    ThemeFactory,
    ensure_site,
    ensure_wagtail_tree,
)
from tests.factories.distribution import DistributionListFactory
from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)
from tests.factories.qipacks import (
    QIPackIndexPageFactory,
    QIPackPageFactory,
    RecommendationFactory,
)
from tests.factories.webinars import (
    RegistrationFactory,
    WebinarPageFactory,
    webinar_tree,
)
from tests.qipacks.test_national import record
from webinars.models import AttendanceImport, Feedback
from website.models import PageFeedback

UK = ZoneInfo("Europe/London")
PERIOD = Period.quarter(2025, 1)


def at(year, month, day, hour=12, minute=0) -> datetime.datetime:
    """A UK time."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UK)


def published(page, when) -> Page:
    Page.objects.filter(pk=page.pk).update(first_published_at=when)
    return page


def impact_world() -> SimpleNamespace:
    ensure_wagtail_tree()
    home = ensure_site(HomePageFactory.build_home())
    world = SimpleNamespace(home=home, period=PERIOD)
    _content(world)
    _subscribers(world)
    _sends(world)
    _page_views(world)
    _webinars(world)
    _recommendations(world)
    _feedback(world)
    return world


def _content(w) -> None:
    """Safety messages S1, S2 and standard pages P1, P4 in the quarter; P2, P3 in
    the one before; S3 after it; an alias of S1 (never counted)."""
    w.sleep = ThemeFactory(name="Safe sleep", slug="safe-sleep", sort_order=1)
    w.water = ThemeFactory(name="Water safety", slug="water-safety", sort_order=2)
    w.midwives = AudienceFactory(name="Midwives", slug="midwives", sort_order=1)
    w.visitors = AudienceFactory(
        name="Health visitors", slug="health-visitors", sort_order=2
    )
    index = SafetyMessageIndexPageFactory(parent=w.home)
    w.s1 = SafetyMessagePageFactory(parent=index, title="Safer sleep", slug="s1")
    w.s1.themes.add(w.sleep)
    w.s1.audiences.add(w.midwives)
    w.s1.save()
    published(w.s1, at(2025, 1, 10))
    w.s2 = published(
        SafetyMessagePageFactory(parent=index, slug="s2"), at(2025, 3, 31, 23, 30)
    )
    published(SafetyMessagePageFactory(parent=index, slug="s3"), at(2025, 4, 1, 0, 10))
    w.p1 = StandardPageFactory(parent=w.home, title="Water safety at home", slug="p1")
    w.p1.themes.add(w.sleep, w.water)
    w.p1.save()
    published(w.p1, at(2025, 2, 15))
    w.p2 = StandardPageFactory(parent=w.home, slug="p2")
    w.p2.themes.add(w.water)
    w.p2.save()
    published(w.p2, at(2024, 11, 20))
    published(StandardPageFactory(parent=w.home, slug="p3"), at(2024, 12, 31, 23, 59))
    p4 = StandardPageFactory(parent=w.home, slug="p4")
    published(p4, at(2025, 1, 20))
    Page.objects.filter(pk=p4.pk).update(live=False)  # since unpublished: still counts
    alias = w.s1.create_alias(parent=w.home, update_slug="s1-alias")
    published(alias, at(2025, 2, 1))


def _person(email, status, confirmed, changed=None, created=None, audience=None):
    return Subscriber.objects.create(
        email=email,
        status=status,
        created_at=created or confirmed,
        confirmed_at=confirmed,
        status_changed_at=changed or confirmed or created,
        audience=audience,
    )


def _left(subscriber, method, when, **details):
    ConsentRecord.objects.create(
        subscriber=subscriber,
        action=ConsentRecord.Action.UNSUBSCRIBED,
        method=method,
        details=details,
        created_at=when,
    )


def _subscribers(w) -> None:
    S, M = Subscriber.Status, ConsentRecord.Method
    w.bulletin_list = DistributionListFactory(name="Monthly bulletin", sort_order=0)
    w.messages_list = DistributionListFactory(name="Safety messages", sort_order=1)
    w.a = _person("a@example.org", S.ACTIVE, at(2024, 10, 5), audience=w.midwives)
    w.b = _person("b@example.org", S.ACTIVE, at(2025, 1, 15), audience=w.visitors)
    w.c = _person("c@example.org", S.PENDING, None, created=at(2025, 2, 20))
    w.d = _person("d@example.org", S.UNSUBSCRIBED, at(2024, 11, 1), at(2025, 2, 10))
    w.e = _person("e@example.org", S.BOUNCED, at(2024, 12, 1), at(2025, 3, 5))
    w.f = _person("f@example.org", S.ACTIVE, at(2025, 3, 11), created=at(2025, 3, 10))
    w.g = _person("g@example.org", S.UNSUBSCRIBED, at(2024, 6, 1), at(2024, 12, 15))
    w.h = _person("h@example.org", S.ACTIVE, at(2024, 12, 20), audience=w.midwives)
    w.i = _person("i@example.org", S.ACTIVE, at(2024, 1, 1))
    w.j = _person("j@example.org", S.COMPLAINED, at(2024, 9, 1), at(2025, 1, 25))
    w.k = _person("k@example.org", S.ACTIVE, at(2025, 4, 2))
    for subscriber, distribution_list, joined in (
        (w.a, w.bulletin_list, at(2024, 10, 5)),
        (w.a, w.messages_list, at(2025, 2, 1)),
        (w.b, w.bulletin_list, at(2025, 1, 15)),
        (w.f, w.messages_list, at(2025, 3, 11)),
        (w.i, w.bulletin_list, at(2024, 1, 1)),
    ):
        Subscription.objects.create(
            subscriber=subscriber,
            distribution_list=distribution_list,
            created_at=joined,
        )
    _left(w.d, M.EMAIL_LINK, at(2025, 2, 10), lists="all", reason="too_many")
    _left(w.e, M.BOUNCE, at(2025, 3, 5), lists=[])
    _left(w.g, M.ONE_CLICK, at(2024, 12, 15), lists="all")
    _left(w.i, M.PREFERENCE_CENTRE, at(2025, 3, 20), lists=[w.messages_list.pk])
    _left(w.j, M.COMPLAINT, at(2025, 1, 25), lists=[])


def _send(kind, started, **extra) -> Send:
    return Send.objects.create(
        kind=kind,
        status=Send.Status.SENT,
        subject=f"{kind} {started:%Y-%m-%d}",
        text="Hello",
        started_at=started,
        finished_at=started + datetime.timedelta(minutes=5),
        **extra,
    )


def _deliveries(send, *people) -> None:
    for subscriber, status in people:
        Delivery.objects.create(
            send=send, subscriber=subscriber, email=subscriber.email, status=status
        )


def _event(kind, send, email, when) -> None:
    DeliveryEvent.objects.create(
        kind=kind, email=email, send=send, source="test", received_at=when
    )


def _sends(w) -> None:
    """In the quarter: a bulletin (rows), a safety message (pruned to a summary),
    a transactional email, and a test (never counted). Before: a bulletin."""
    D, K, E = Delivery.Status, Send.Kind, DeliveryEvent.Kind
    bulletin = _send(K.BULLETIN, at(2025, 2, 3))
    _deliveries(
        bulletin,
        (w.a, D.SENT),
        (w.b, D.SENT),
        (w.d, D.SENT),
        (w.e, D.SENT),
        (w.h, D.FAILED),
        (w.i, D.SKIPPED),
        (w.f, D.SENDING),
    )
    in_flight = Delivery.objects.get(send=bulletin, subscriber=w.f)
    SentMark.objects.create(
        delivery_id=in_flight.pk, send_id=bulletin.pk, sent_at=at(2025, 2, 3)
    )
    _event(E.HARD_BOUNCE, bulletin, w.e.email, at(2025, 3, 5))
    _event(E.SOFT_BOUNCE, bulletin, w.a.email, at(2025, 2, 4))
    message = _send(K.SAFETY_MESSAGE, at(2025, 1, 20))
    SendSummary.objects.create(
        send=message,
        counts={"sent": 10, "failed": 2, "skipped": 1, "pending": 0, "total": 13},
    )
    _event(E.COMPLAINT, message, w.j.email, at(2025, 1, 25))
    _event(E.SOFT_BOUNCE, message, w.a.email, at(2025, 3, 2))
    transactional = _send(K.TRANSACTIONAL, at(2025, 3, 15))
    _deliveries(transactional, (w.c, D.SENT))
    test = _send(K.TEST, at(2025, 2, 5))
    _deliveries(test, (w.a, D.SENT))
    before = _send(K.BULLETIN, at(2024, 11, 10))
    _deliveries(before, (w.a, D.SENT), (w.d, D.SENT), (w.e, D.SENT))
    _event(E.HARD_BOUNCE, before, "x@example.org", at(2024, 11, 11))
    _event(E.SOFT_BOUNCE, before, w.b.email, at(2024, 11, 12))
    after = _send(K.BULLETIN, at(2025, 4, 5))
    _deliveries(after, (w.a, D.SENT))


def _page_views(w) -> None:
    def views(page, day, n, content_type=None):
        PageViewDaily.objects.create(
            day=day,
            page=page,
            content_type=content_type or ContentType.objects.get_for_model(page),
            views=n,
        )

    d = datetime.date
    standard = ContentType.objects.get_for_model(w.p1)
    views(w.s1, d(2025, 1, 10), 100)
    views(w.s1, d(2025, 2, 1), 50)
    views(w.p1, d(2025, 3, 31), 30)
    views(w.p1, d(2025, 4, 1), 999)  # after the quarter
    views(w.home, d(2025, 1, 1), 20)
    views(w.s1, d(2024, 12, 31), 7)  # the quarter before
    views(w.p2, d(2024, 10, 1), 3)
    views(None, d(2025, 2, 15), 5, content_type=standard)  # a deleted page


def _webinars(w) -> None:
    """W1 (held, in the quarter), W2 (cancelled, in the quarter), W3 before it,
    W4 after it."""
    _, series = webinar_tree(w.home)
    R = RegistrationFactory
    w.w1 = WebinarPageFactory(
        parent=series, title="Safer sleep in winter", starts_at=at(2025, 2, 12, 14)
    )
    people = [R(webinar=w.w1, attended=True), R(webinar=w.w1, attended=True)]
    people.append(R(webinar=w.w1, attended=False))
    R(webinar=w.w1, status="waitlisted")
    R(webinar=w.w1, status="cancelled")
    AttendanceImport.objects.create(webinar=w.w1, filename="attendance.csv")
    Feedback.objects.create(webinar=w.w1, registration=people[0], rating=5)
    Feedback.objects.create(webinar=w.w1, registration=people[1], rating=4)
    w.w2 = WebinarPageFactory(
        parent=series,
        title="Water safety",
        starts_at=at(2025, 3, 20, 14),
        is_cancelled=True,
        cancellation_note="The speaker is unwell.",
    )
    R(webinar=w.w2, status="cancelled")
    R(webinar=w.w2, status="cancelled")
    w3 = WebinarPageFactory(parent=series, starts_at=at(2024, 12, 5, 14))
    for _ in range(4):
        R(webinar=w3)
    R(webinar=WebinarPageFactory(parent=series, starts_at=at(2025, 5, 1, 14)))


def _recommendations(w) -> None:
    """R1 (CDOPs and ICBs, due 1 February 2025) and R2 (NHS trusts, due June)."""
    index = QIPackIndexPageFactory(parent=w.home)
    pack = QIPackPageFactory(parent=index, title="Safer sleep", slug="safer-sleep")
    r1 = RecommendationFactory(
        pack=pack,
        reference="R1",
        applies_to=["cdop", "icb"],
        response_due=datetime.date(2025, 2, 1),
    )
    r2 = RecommendationFactory(
        pack=pack,
        reference="R2",
        applies_to=["nhs_trust"],
        response_due=datetime.date(2025, 6, 1),
    )
    org = OrganisationFactory
    alpha = org(name="Alpha CDOP", type="cdop", region="lon", code="ALPHA")
    beta = org(name="Beta CDOP", type="cdop", region="nw", code="BETA")
    org(name="Gamma ICB", type="icb", region="lon", code="GAMMA")  # no response
    delta = org(name="Delta trust", type="nhs_trust", region="mid", code="DELTA")
    record(r1, alpha, [("planned", at(2024, 11, 10)), ("implemented", at(2025, 2, 20))])
    record(r1, beta, [("not_started", at(2025, 1, 15))])
    record(r2, delta, [("implemented", at(2025, 3, 1))])
    record(r2, alpha, [("implemented", at(2024, 12, 1))])  # R2 is not for CDOPs


def _feedback(w) -> None:
    def answer(page, useful, when, comment=""):
        PageFeedback.objects.create(
            page=page, useful=useful, comment=comment, created_at=when
        )

    answer(w.s1, True, at(2025, 1, 11))
    answer(w.s1, False, at(2025, 2, 12), "Needs a diagram")
    answer(w.p1, True, at(2025, 3, 31, 23), "Clear and short")
    answer(w.p1, False, at(2025, 4, 1, 0, 30), "After the quarter")
    answer(w.s1, True, at(2024, 12, 10))  # the quarter before
