"""The one rule for which subscriptions a page reaches, case by case."""

import pytest

from bulletins import matching
from bulletins.models import DistributionList, Subscriber, Subscription
from tests.factories import AudienceFactory, ThemeFactory
from tests.factories.distribution import (
    DistributionListFactory,
    SubscriberFactory,
    SubscriptionFactory,
)
from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)

pytestmark = pytest.mark.django_db

IMMEDIATE = Subscription.Frequency.IMMEDIATE
WEEKLY = Subscription.Frequency.WEEKLY


@pytest.fixture
def vocab():
    return {
        "sleep": ThemeFactory(name="Safe sleep", slug="safe-sleep"),
        "water": ThemeFactory(name="Water safety", slug="water-safety"),
        "midwives": AudienceFactory(name="Midwives", slug="midwives"),
        "police": AudienceFactory(name="Police", slug="police"),
    }


@pytest.fixture
def make_page(site):
    index = SafetyMessageIndexPageFactory(parent=site)

    def make(title, themes=(), audiences=()):
        page = SafetyMessagePageFactory(parent=index, title=title)
        for theme in themes:
            page.themes.add(theme)
        for audience in audiences:
            page.audiences.add(audience)
        page.save()
        return page

    return make


def subscribe(lst, *, audience=None, frequency=IMMEDIATE, **kwargs):
    subscriber = SubscriberFactory(audience=audience, **kwargs)
    SubscriptionFactory(
        subscriber=subscriber, distribution_list=lst, frequency=frequency
    )
    return subscriber


def reached(page, frequency=IMMEDIATE) -> set[str]:
    return {
        s.email.split("@")[0]
        for s in matching.subscribers_for_page(page, frequency).order_by()
    }


# (list themes, list audiences, reaches a page about safe sleep for midwives?)
LIST_CASES = [
    ((), (), True),  # empty means everything
    (("sleep",), (), True),
    (("water",), (), False),
    (("sleep", "water"), (), True),  # one shared theme is enough
    ((), ("midwives",), True),
    ((), ("police",), False),
    ((), ("midwives", "police"), True),
    (("sleep",), ("midwives",), True),
    (("sleep",), ("police",), False),  # both conditions must hold
    (("water",), ("midwives",), False),
]


@pytest.mark.parametrize(("themes", "audiences", "expected"), LIST_CASES)
def test_list_themes_and_audiences(vocab, make_page, themes, audiences, expected):
    page = make_page(
        "Sleep for midwives", themes=[vocab["sleep"]], audiences=[vocab["midwives"]]
    )
    lst = DistributionListFactory(
        themes=[vocab[t] for t in themes], audiences=[vocab[a] for a in audiences]
    )
    subscribe(lst, email="reader@example.org")
    assert reached(page) == ({"reader"} if expected else set())
    assert matching.reaching_subscriptions(page.pk, IMMEDIATE).exists() is expected, (
        themes,
        audiences,
    )


def test_a_page_with_no_themes_reaches_only_lists_of_every_theme(vocab, make_page):
    page = make_page("Untagged")
    subscribe(DistributionListFactory(), email="all@example.org")
    subscribe(DistributionListFactory(themes=[vocab["sleep"]]), email="sleep@x.org")
    subscribe(DistributionListFactory(audiences=[vocab["police"]]), email="pol@x.org")
    assert reached(page) == {"all"}


def test_the_subscribers_own_audience(vocab, make_page):
    everything = DistributionListFactory()
    subscribe(everything, email="anyone@example.org")
    subscribe(everything, email="midwife@example.org", audience=vocab["midwives"])
    subscribe(everything, email="officer@example.org", audience=vocab["police"])

    for_midwives = make_page("For midwives", audiences=[vocab["midwives"]])
    # Someone who gave no audience gets it; so does a midwife; an officer does not.
    assert reached(for_midwives) == {"anyone", "midwife"}

    for_everyone = make_page("For everyone", themes=[vocab["sleep"]])
    # A page naming no audience is for everyone, whatever their role.
    assert reached(for_everyone) == {"anyone", "midwife", "officer"}

    for_both = make_page("For both", audiences=[vocab["midwives"], vocab["police"]])
    assert reached(for_both) == {"anyone", "midwife", "officer"}


def test_only_active_subscribers_at_the_right_frequency_once_each(vocab, make_page):
    page = make_page("Sleep", themes=[vocab["sleep"]])
    sleep = DistributionListFactory(themes=[vocab["sleep"]])
    everything = DistributionListFactory()
    staff = DistributionListFactory(
        themes=[vocab["sleep"]], visibility=DistributionList.Visibility.STAFF
    )
    both = subscribe(sleep, email="both@example.org")
    SubscriptionFactory(subscriber=both, distribution_list=everything)
    SubscriptionFactory(subscriber=both, distribution_list=staff)
    subscribe(staff, email="staff@example.org")
    subscribe(sleep, email="weekly@example.org", frequency=WEEKLY)
    for status in (
        Subscriber.Status.PENDING,
        Subscriber.Status.UNSUBSCRIBED,
        Subscriber.Status.BOUNCED,
        Subscriber.Status.COMPLAINED,
    ):
        subscribe(sleep, email=f"{status}@example.org", status=status)

    rows = list(matching.subscribers_for_page(page, IMMEDIATE))
    assert sorted(s.email for s in rows) == ["both@example.org", "staff@example.org"]
    assert reached(page, WEEKLY) == {"weekly"}
    # The subscription query has every matching subscription (whoever holds it);
    # the subscriber query has each active person once.
    subscriptions = matching.reaching_subscriptions(page.pk, IMMEDIATE)
    assert subscriptions.count() == 8
    assert subscriptions.filter(subscriber__status="active").count() == 4


def test_subscribers_for_page_is_one_query(vocab, make_page, django_assert_num_queries):
    page = make_page("Sleep", themes=[vocab["sleep"]], audiences=[vocab["police"]])
    for n in range(5):
        subscribe(
            DistributionListFactory(themes=[vocab["sleep"]]),
            email=f"r{n}@example.org",
            audience=vocab["police"] if n % 2 else vocab["midwives"],
        )
    with django_assert_num_queries(1):
        emails = {s.email for s in matching.subscribers_for_page(page.pk, IMMEDIATE)}
    assert emails == {"r1@example.org", "r3@example.org"}


def test_each_subscribers_pages_in_one_query(
    vocab, make_page, django_assert_num_queries
):
    sleep_midwives = make_page(
        "Sleep for midwives", themes=[vocab["sleep"]], audiences=[vocab["midwives"]]
    )
    water = make_page("Water", themes=[vocab["water"]])
    untagged = make_page("Untagged")
    ids = [sleep_midwives.pk, water.pk, untagged.pk]

    sleep_list = DistributionListFactory(themes=[vocab["sleep"]])
    water_list = DistributionListFactory(themes=[vocab["water"]])
    everything = DistributionListFactory()
    subscribe(sleep_list, email="sleep@example.org", frequency=WEEKLY)
    officer = subscribe(
        sleep_list,
        email="officer@example.org",
        audience=vocab["police"],
        frequency=WEEKLY,
    )
    SubscriptionFactory(
        subscriber=officer, distribution_list=water_list, frequency=WEEKLY
    )
    subscribe(everything, email="all@example.org", frequency=WEEKLY)
    subscribe(everything, email="now@example.org", frequency=IMMEDIATE)
    mixed = subscribe(water_list, email="mixed@example.org", frequency=WEEKLY)
    # An immediate subscription does not add to the weekly set.
    SubscriptionFactory(subscriber=mixed, distribution_list=sleep_list)

    with django_assert_num_queries(1):
        got = {
            s.email.split("@")[0]: s.page_ids
            for s in matching.subscribers_with_pages(ids, WEEKLY)
        }
    assert got == {
        "sleep": [sleep_midwives.pk],
        "officer": [water.pk],  # the sleep page is for midwives only
        "all": sorted(ids),
        "mixed": [water.pk],
    }
