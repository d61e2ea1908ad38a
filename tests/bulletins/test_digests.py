"""Weekly digests: the right items for each person, nothing empty, nothing twice.

The run goes through the real pipeline (Celery inline with ``celery_eager``), so
what each person gets is read from ``django.core.mail.outbox``.
"""

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import clear_url_caches
from django.utils import timezone
from wagtail.models import Locale, Page, PageViewRestriction

from bulletins import digests, sending
from bulletins.email import TOKENS
from bulletins.models import Delivery, DigestRun, Send, Subscriber, Subscription
from tests.conftest import wait_for
from tests.factories import AudienceFactory, StandardPageFactory, ThemeFactory
from tests.factories.bulletins import BulletinIndexPageFactory, BulletinPageFactory
from tests.factories.distribution import (
    DistributionListFactory,
    SubscriberFactory,
    SubscriptionFactory,
)
from tests.factories.learning import (
    LearningIndexPageFactory,
    LearningResourcePageFactory,
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Monday 23 November 2026, 07:30: the beat's time; ISO week 48.
NOW = dt.datetime(2026, 11, 23, 7, 30, tzinfo=LONDON)
IMMEDIATE = Subscription.Frequency.IMMEDIATE
WEEKLY = Subscription.Frequency.WEEKLY


def day(n: int, hour: int = 12) -> dt.datetime:
    """``n`` November 2026 (or later: 33 is 3 December), at ``hour`` in London."""
    return dt.datetime(2026, 11, 1, hour, tzinfo=LONDON) + dt.timedelta(days=n - 1)


@pytest.fixture
def vocab():
    return {
        "sleep": ThemeFactory(name="Safe sleep", slug="safe-sleep"),
        "water": ThemeFactory(name="Water safety", slug="water-safety"),
        "fire": ThemeFactory(name="Fire safety", slug="fire-safety"),
        "midwives": AudienceFactory(name="Midwives", slug="midwives"),
        "police": AudienceFactory(name="Police", slug="police"),
    }


@pytest.fixture
def indexes(site):
    return {
        "messages": SafetyMessageIndexPageFactory(parent=site),
        "learning": LearningIndexPageFactory(parent=site),
        "bulletins": BulletinIndexPageFactory(parent=site),
    }


def published(factory, parent, title, when, *, themes=(), audiences=(), **kwargs):
    page = factory(parent=parent, title=title, summary=f"About {title}.", **kwargs)
    for tag in themes:
        page.themes.add(tag)
    for tag in audiences:
        page.audiences.add(tag)
    page.save()
    Page.objects.filter(pk=page.pk).update(first_published_at=when)
    return page


@pytest.fixture
def week(indexes, vocab, site):
    """What was published in the week before NOW, and what must not be digested."""
    messages, learning = indexes["messages"], indexes["learning"]
    pages = {
        "sleep": published(
            SafetyMessagePageFactory,
            messages,
            "Safe sleep",
            day(18),
            themes=[vocab["sleep"]],
            audiences=[vocab["midwives"]],
        ),
        "water": published(
            LearningResourcePageFactory,
            learning,
            "Water crib sheet",
            day(19),
            themes=[vocab["water"]],
        ),
        "bulletin": published(
            BulletinPageFactory, indexes["bulletins"], "Bulletin 12", day(20)
        ),
        # Not to be digested:
        "old": published(
            SafetyMessagePageFactory,
            messages,
            "Old sleep message",
            day(10),
            themes=[vocab["sleep"]],
        ),
        "withdrawn": published(
            SafetyMessagePageFactory,
            messages,
            "Withdrawn message",
            day(19),
            themes=[vocab["sleep"]],
            live=False,
        ),
        "private": published(
            SafetyMessagePageFactory,
            messages,
            "Private message",
            day(19),
            themes=[vocab["sleep"]],
        ),
        "about": published(
            StandardPageFactory, site, "About us", day(19), themes=[vocab["sleep"]]
        ),
        "future": published(
            SafetyMessagePageFactory,
            messages,
            "Published after the run",
            day(23, hour=9),
            themes=[vocab["sleep"]],
        ),
    }
    PageViewRestriction.objects.create(
        page=pages["private"], restriction_type=PageViewRestriction.LOGIN
    )
    return pages


@pytest.fixture
def people(vocab):
    sleep = DistributionListFactory(name="Safe sleep", themes=[vocab["sleep"]])
    everything = DistributionListFactory(name="Everything")
    water = DistributionListFactory(name="Water", themes=[vocab["water"]])
    fire = DistributionListFactory(name="Fire", themes=[vocab["fire"]])

    def person(email, *lists, frequency=WEEKLY, **kwargs):
        subscriber = SubscriberFactory(email=email, **kwargs)
        for lst in lists:
            SubscriptionFactory(
                subscriber=subscriber, distribution_list=lst, frequency=frequency
            )
        return subscriber

    return {
        "sleepy": person("sleepy@example.org", sleep, name="Sam Sleep"),
        "all": person("all@example.org", everything),
        "midwife": person(
            "midwife@example.org", everything, audience=vocab["midwives"]
        ),
        "officer": person("officer@example.org", everything, audience=vocab["police"]),
        "fire": person("fire@example.org", fire),  # nothing new for them
        "now": person("now@example.org", water, frequency=IMMEDIATE),
        "pending": person(
            "pending@example.org", sleep, status=Subscriber.Status.PENDING
        ),
    }


@pytest.fixture
def run_digests(celery_eager, django_capture_on_commit_callbacks):
    def run(now=NOW):
        with django_capture_on_commit_callbacks(execute=True):
            return digests.send_weekly_digests(now=now)

    return run


def titles_in(message) -> set[str]:
    known = {
        "Safe sleep",
        "Water crib sheet",
        "Bulletin 12",
        "Old sleep message",
        "Withdrawn message",
        "Private message",
        "About us",
        "Published after the run",
        "Fire drill",
    }
    return {title for title in known if title in message.body}


def inbox() -> dict[str, set[str]]:
    got: dict[str, set[str]] = {}
    for message in mail.outbox:
        [to] = message.to
        assert to not in got, f"{to} got two digests"
        got[to] = titles_in(message)
    return got


def test_each_person_gets_exactly_their_items(week, people, run_digests):
    run = run_digests()

    assert inbox() == {
        "sleepy@example.org": {"Safe sleep"},
        "all@example.org": {"Safe sleep", "Water crib sheet", "Bulletin 12"},
        "midwife@example.org": {"Safe sleep", "Water crib sheet", "Bulletin 12"},
        # The safe-sleep message is for midwives only.
        "officer@example.org": {"Water crib sheet", "Bulletin 12"},
    }
    assert run.week == "2026-W48"
    assert run.period_start == NOW - dt.timedelta(days=7)
    assert run.period_end == NOW
    assert run.finished_at is not None
    assert run.subscribers_sent == 4
    assert run.subscribers_with_nothing == 1  # fire; not the immediate or pending
    # People with the same items share one email, compiled once: three sends.
    sends = Send.objects.filter(kind=Send.Kind.DIGEST)
    assert sends.count() == 3
    assert set(run.sends.all()) == set(sends)
    assert all(s.key.startswith("digest:2026-W48:") for s in sends)
    assert sorted(s.recipient_count for s in sends) == [1, 1, 2]
    assert sends.get(recipient_count=1, subject__contains="1 new item")
    got_digest = set(
        Subscriber.objects.filter(last_digest_at=NOW).values_list("email", flat=True)
    )
    assert got_digest == {
        "sleepy@example.org",
        "all@example.org",
        "midwife@example.org",
        "officer@example.org",
    }
    assert Subscriber.objects.get(email="fire@example.org").last_digest_at is None


def test_the_email_lists_items_by_type_with_links(week, people, run_digests):
    run_digests()
    message = next(m for m in mail.outbox if m.to == ["all@example.org"])
    assert message.subject == "Your weekly digest: 3 new items"
    text, html = message.body, message.html
    # Grouped by type, in a fixed order, each with its kind, summary and link.
    headings = ["SAFETY MESSAGES", "LEARNING MATERIALS", "BULLETINS"]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    for page, kind in (
        (week["sleep"], "Safety message"),
        (week["water"], "Crib sheet"),
        (week["bulletin"], "Bulletin"),
    ):
        url = f"http://testserver{page.url}"
        assert f"{kind}: {page.title}" in text
        assert f"Read it: {url}" in text
        assert f"About {page.title}." in text and f"About {page.title}." in html
        assert f'<a href="{url}"' in html
    assert "published from 16 to 23 November 2026" in text
    greeting = f"Hello {people['all'].name},"
    assert greeting in text and greeting in html
    assert not any(token in text + html for token in TOKENS.values())
    assert message.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.startswith("http://testserver/") for h in hrefs)
    sleepy = next(m for m in mail.outbox if m.to == ["sleepy@example.org"])
    assert "Hello Sam Sleep," in sleepy.body
    assert sleepy.subject == "Your weekly digest: 1 new item"
    assert "LEARNING MATERIALS" not in sleepy.body


def test_a_rerun_sends_nothing(week, people, run_digests):
    first = run_digests()
    sent = len(mail.outbox)
    assert sent == 4

    again = run_digests()
    later_same_week = run_digests(NOW + dt.timedelta(days=2))

    assert again == first == later_same_week
    assert Send.objects.count() == 3
    assert Delivery.objects.count() == 4
    assert len(mail.outbox) == sent
    assert DigestRun.objects.count() == 1


def test_an_empty_week_sends_nothing_at_all(indexes, people, run_digests):
    run = run_digests()
    assert run.finished_at is not None
    assert run.subscribers_sent == 0
    # Every active weekly subscriber had nothing (not "now" or "pending").
    assert run.subscribers_with_nothing == 5
    assert not Send.objects.exists()
    assert not run.sends.exists()
    assert mail.outbox == []
    assert not Subscriber.objects.filter(last_digest_at__isnull=False).exists()


def test_next_week_starts_where_the_last_ended(
    week, people, indexes, vocab, run_digests
):
    run_digests()
    mail.outbox.clear()

    # The page published at 09:00 on the Monday, after the first run ended,
    # belongs to the next week's digest (and only that one).
    second = run_digests(NOW + dt.timedelta(days=7))
    assert second.week == "2026-W49"
    assert second.period_start == NOW
    assert inbox() == {
        "sleepy@example.org": {"Published after the run"},
        "all@example.org": {"Published after the run"},
        "midwife@example.org": {"Published after the run"},
        "officer@example.org": {"Published after the run"},
    }
    assert second.subscribers_sent == 4

    mail.outbox.clear()
    sends_before = Send.objects.count()
    third = run_digests(NOW + dt.timedelta(days=14))  # an empty week
    assert third.period_start == second.period_end
    assert Send.objects.count() == sends_before
    assert mail.outbox == []

    published(
        SafetyMessagePageFactory,
        indexes["messages"],
        "Fire drill",
        NOW + dt.timedelta(days=15),
        themes=[vocab["fire"]],
    )
    run_digests(NOW + dt.timedelta(days=21))
    assert inbox() == {
        "fire@example.org": {"Fire drill"},
        "all@example.org": {"Fire drill"},
        "midwife@example.org": {"Fire drill"},
        "officer@example.org": {"Fire drill"},
    }


LANGS = [("en-gb", "English"), ("pl", "Polski")]


def test_translations_are_left_out(week, people, indexes, site, settings, run_digests):
    settings.LANGUAGES = settings.WAGTAIL_CONTENT_LANGUAGES = LANGS
    clear_url_caches()
    polish = Locale.objects.get_or_create(language_code="pl")[0]
    site.copy_for_translation(polish).save_revision().publish()
    indexes["messages"].copy_for_translation(polish).save_revision().publish()
    translation = week["sleep"].copy_for_translation(polish)
    translation.title = "Bezpieczny sen"
    translation.save_revision().publish()
    Page.objects.filter(pk=translation.pk).update(first_published_at=day(19))

    run_digests()
    clear_url_caches()

    assert inbox()["sleepy@example.org"] == {"Safe sleep"}
    assert not any("Bezpieczny sen" in m.body for m in mail.outbox)


def test_a_run_left_unfinished_serves_nobody_twice(week, people, run_digests):
    # A run for this week already sent one person a digest, then stopped.
    run = DigestRun.objects.create(
        week="2026-W48", period_start=NOW - dt.timedelta(days=7), period_end=NOW
    )
    earlier = sending.create_send(
        kind=Send.Kind.DIGEST,
        subject="Your weekly digest",
        text="Earlier\n",
        recipients=Subscriber.objects.filter(email="all@example.org"),
        key="digest:2026-W48:earlier",
    )
    run.sends.add(earlier)

    run = run_digests()

    assert run.finished_at is not None
    assert Delivery.objects.filter(subscriber=people["all"]).count() == 1
    assert sorted(
        Delivery.objects.exclude(send=earlier).values_list("email", flat=True)
    ) == ["midwife@example.org", "officer@example.org", "sleepy@example.org"]
    assert run.subscribers_sent == 4


def test_query_count_does_not_grow_with_subscribers(week, vocab, celery_eager):
    everything = DistributionListFactory()
    sleep = DistributionListFactory(themes=[vocab["sleep"]])

    def add_people(n, offset):
        for i in range(offset, offset + n):
            SubscriptionFactory(
                subscriber=SubscriberFactory(email=f"p{i}@example.org"),
                distribution_list=everything if i % 2 else sleep,
                frequency=WEEKLY,
            )

    def queries_for(now):
        with CaptureQueriesContext(connection) as captured:
            run = digests.send_weekly_digests(now=now)
        return len(captured), run

    add_people(4, 0)
    few, run = queries_for(NOW)
    assert run.subscribers_sent == 4
    # The same pages again next week (re-dated), ten times the people.
    same = [week["sleep"].pk, week["water"].pk, week["bulletin"].pk]
    Page.objects.filter(pk__in=same).update(
        first_published_at=NOW + dt.timedelta(days=3)
    )
    Page.objects.filter(pk=week["future"].pk).update(first_published_at=day(10))
    add_people(36, 4)
    many, run = queries_for(NOW + dt.timedelta(days=7))
    assert run.subscribers_sent == 40
    # The first run also filled caches (content types, the site), so at most as
    # many; a query per person would add 36.
    assert many <= few


def test_iso_weeks_follow_london_time():
    # 00:30 on Monday in London is still Sunday in UTC during summer time.
    assert digests.iso_week(dt.datetime(2026, 6, 29, 0, 30, tzinfo=LONDON)) == (
        "2026-W27"
    )
    assert digests.iso_week(dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)) == "2026-W53"
    assert timezone.get_current_timezone_name() == "Europe/London"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_through_the_worker_digests_arrive_once_and_empty_weeks_send_nothing(
    celery_worker_process, smtp_sink, week, people
):
    smtp_sink.clear()
    digests.send_weekly_digests(now=NOW)
    wait_for(lambda: len(smtp_sink.messages) >= 4, timeout=60)
    wait_for(
        lambda: set(Send.objects.values_list("status", flat=True)) == {"sent"},
        timeout=60,
    )
    got = sorted(address for rcpt, _m in smtp_sink.messages for address in rcpt)
    assert got == [
        "all@example.org",
        "midwife@example.org",
        "officer@example.org",
        "sleepy@example.org",
    ]

    # A rerun of the week, and the next (empty) week, queue nothing at all.
    digests.send_weekly_digests(now=NOW + dt.timedelta(hours=1))
    Page.objects.filter(pk=week["future"].pk).update(first_published_at=day(10))
    empty = digests.send_weekly_digests(now=NOW + dt.timedelta(days=7))
    assert empty.week == "2026-W49" and not empty.sends.exists()
    assert Send.objects.count() == 3
    assert Delivery.objects.count() == 4
    # Give a stray task time to arrive; none may.
    time.sleep(2)
    assert len(smtp_sink.messages) == 4
