"""Topic proposals: propose, confirm, support, and the moderation services.

Through the real pages (Django's test client) on the real database. Emails are
checked as the ``Send`` and ``Delivery`` rows ``send_transactional`` writes (one
per key, so a repeated action that sent again would show up as another row); the
browser test follows one all the way to the SMTP sink through the real worker.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from bulletins.models import Delivery, Send
from tests.factories import AudienceFactory
from tests.factories.webinars import WebinarPageFactory, webinar_tree
from webinars import proposals
from webinars.models import TopicProposal, TopicSupport

pytestmark = pytest.mark.django_db

Status = TopicProposal.Status
TOPICS = "/webinars/topics/"
LINK = re.compile(r"https?://\S+")


# --- Shared fixtures and helpers (the other topic test modules import these) ----------


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tree(site):
    """The webinars index and one series under the site's home page."""
    from website.models import SiteNavigation

    SiteNavigation.for_site(site.get_site())
    index, series = webinar_tree(site)
    return index, series


@pytest.fixture
def index(tree):
    return tree[0]


@pytest.fixture
def webinar(tree):
    return WebinarPageFactory(
        parent=tree[1],
        title="Learning from sudden infant deaths",
        slug="sudden-infant-deaths",
        starts_at=timezone.make_aware(dt.datetime(2031, 3, 4, 10, 30)),
        ends_at=timezone.make_aware(dt.datetime(2031, 3, 4, 11, 30)),
    )


def make_proposal(status=Status.PUBLISHED, **kwargs) -> TopicProposal:
    now = timezone.now()
    values = {
        "title": "Safer sleep conversations",
        "why": "Families hear mixed advice.\nWe want to share what works.",
        "proposer_name": "Ann Example",
        "proposer_email": "ann@example.org",
        "status": status,
        "confirmed_at": None if status == Status.UNCONFIRMED else now,
        **kwargs,
    }
    return TopicProposal.objects.create(**values)


def make_support(proposal, email, *, confirmed=True) -> TopicSupport:
    support = TopicSupport.objects.create(
        proposal=proposal,
        email=email,
        confirmed_at=timezone.now() if confirmed else None,
    )
    if confirmed:
        proposal.support_count += 1
        proposal.save(update_fields=["support_count"])
    return support


def propose_data(**overrides) -> dict:
    return {
        "title": "Water safety at home",
        "why": "Bath seats keep coming up in reviews.",
        "audience": "",
        "name": "Ben Example",
        "email": "ben@example.org",
        "leave_blank": "",
        **overrides,
    }


def sends_to(email: str) -> list[Send]:
    return list(Send.objects.filter(deliveries__email=email).order_by("pk").distinct())


def link_in(send: Send) -> str:
    """The confirmation link in an email, as a path on this site."""
    (url,) = [u for u in LINK.findall(send.text) if "/topics/confirm/" in u]
    return url.removeprefix("http://testserver")


def counts() -> tuple[int, int, int]:
    return (
        TopicProposal.objects.count(),
        TopicSupport.objects.count(),
        Send.objects.count(),
    )


# --- Proposing ------------------------------------------------------------------------


def test_the_topics_page_lists_public_topics_by_support_and_explains_moderation(
    client, index, webinar, django_assert_max_num_queries
):
    popular = make_proposal(title="Popular topic", support_count=9)
    quiet = make_proposal(title="Quiet topic", support_count=1)
    scheduled = make_proposal(
        title="Scheduled topic", status=Status.SCHEDULED, webinar=webinar
    )
    for status in (Status.UNCONFIRMED, Status.PENDING, Status.DECLINED):
        make_proposal(title=f"Hidden {status}", status=status)
    make_proposal(title="Hidden merged", status=Status.MERGED, merged_into=popular)

    with django_assert_max_num_queries(20):
        response = client.get(TOPICS)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Hidden" not in html
    assert html.index("Popular topic") < html.index("Quiet topic")
    assert "9 people support this" in html
    assert "1 person supports this" in html
    assert f"{TOPICS}{popular.pk}/support/" in html
    assert f"{TOPICS}{quiet.pk}/support/" in html
    assert f"{TOPICS}{scheduled.pk}/support/" in html
    assert webinar.url in html
    assert "checks every suggestion before it appears" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="leave_blank"' in html


def test_the_topics_page_is_paged(client, index, django_assert_max_num_queries):
    for number in range(25):
        make_proposal(title=f"Topic number {number:02d}", support_count=number)
    first = client.get(TOPICS).content.decode()
    assert "Topic number 24" in first
    assert "Topic number 04" not in first
    assert "?page=2" in first
    with django_assert_max_num_queries(20):
        second = client.get(TOPICS + "?page=2").content.decode()
    assert "Topic number 04" in second
    assert "Topic number 24" not in second


def test_proposing_stores_an_unconfirmed_topic_and_emails_a_link(client, index):
    audience = AudienceFactory(name="Midwives", slug="midwives")

    response = client.post(TOPICS, propose_data(audience=audience.pk))

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == TOPICS + "?sent=1"
    proposal = TopicProposal.objects.get()
    assert proposal.status == Status.UNCONFIRMED
    assert proposal.title == "Water safety at home"
    assert proposal.audience == audience
    assert proposal.proposer_email == "ben@example.org"
    (send,) = sends_to("ben@example.org")
    assert send.key == f"topic:{proposal.pk}:confirm"
    assert send.subject == "Confirm your webinar topic"
    assert "Water safety at home" in send.text
    assert f"/webinars/topics/confirm/{proposal.token}/" in send.text
    assert "7 days" in send.text

    page = client.get(response["Location"])
    assert "Check your email" in page.content.decode()
    # Not public until confirmed and published.
    assert "Water safety at home" not in client.get(TOPICS).content.decode()


def test_confirming_a_proposal_sends_it_to_moderation_not_the_public_page(
    client, index, django_assert_max_num_queries
):
    client.post(TOPICS, propose_data(email="Ben@Example.org"))
    proposal = TopicProposal.objects.get()
    confirm = link_in(sends_to("ben@example.org")[0])

    # Opening the link (as a mail scanner would) changes nothing.
    with django_assert_max_num_queries(16):
        page = client.get(confirm)
    assert page.status_code == HTTPStatus.OK
    assert "Confirm your topic" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    assert '<meta name="robots" content="noindex">' in page.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.UNCONFIRMED

    response = client.post(confirm)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == confirm
    assert "no-store" in response["Cache-Control"]
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert proposal.confirmed_at is not None

    done = client.get(confirm)
    assert "Thank you for your suggestion" in done.content.decode()
    assert "Water safety at home" not in client.get(TOPICS).content.decode()

    # Using the link again changes nothing.
    client.post(confirm)
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING


def test_an_address_cannot_pile_up_unconfirmed_proposals(client, index):
    for number in range(proposals.MAX_UNCONFIRMED_PER_EMAIL + 2):
        response = client.post(TOPICS, propose_data(title=f"Topic {number}"))
        assert response.status_code == HTTPStatus.SEE_OTHER
    assert TopicProposal.objects.count() == proposals.MAX_UNCONFIRMED_PER_EMAIL
    assert len(sends_to("ben@example.org")) == proposals.MAX_UNCONFIRMED_PER_EMAIL


# --- Supporting -----------------------------------------------------------------------


def test_supporting_counts_once_after_the_email_is_confirmed(
    client, index, django_assert_max_num_queries
):
    proposal = make_proposal()
    support_path = f"{TOPICS}{proposal.pk}/support/"

    with django_assert_max_num_queries(16):
        form = client.get(support_path)
    assert form.status_code == HTTPStatus.OK
    assert "Safer sleep conversations" in form.content.decode()

    response = client.post(support_path, {"email": "Cara@Example.org"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == support_path + "?sent=1"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    support = TopicSupport.objects.get()
    assert support.email == "cara@example.org"
    assert support.confirmed_at is None
    proposal.refresh_from_db()
    assert proposal.support_count == 0

    (send,) = sends_to("cara@example.org")
    confirm = link_in(send)
    assert "Confirm your support" in client.get(confirm).content.decode()
    client.post(confirm)
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert "Thank you for your support" in client.get(confirm).content.decode()

    client.post(confirm)
    client.post(confirm)
    proposal.refresh_from_db()
    assert proposal.support_count == 1
    assert "1 person supports this" in client.get(TOPICS).content.decode()


def test_asking_again_never_duplicates_or_reveals_anything(client, index):
    proposal = make_proposal()
    support_path = f"{TOPICS}{proposal.pk}/support/"

    first = client.post(support_path, {"email": "dev@example.org"})
    again = client.post(support_path, {"email": "DEV@example.org "})
    assert first.status_code == again.status_code == HTTPStatus.SEE_OTHER
    assert first["Location"] == again["Location"]
    assert TopicSupport.objects.count() == 1
    # The same link, sent once in the window.
    assert len(sends_to("dev@example.org")) == 1

    client.post(link_in(sends_to("dev@example.org")[0]))
    after = client.post(support_path, {"email": "dev@example.org"})
    assert after["Location"] == first["Location"]
    assert TopicSupport.objects.count() == 1
    assert len(sends_to("dev@example.org")) == 1
    proposal.refresh_from_db()
    assert proposal.support_count == 1


def test_an_expired_support_link_is_replaced_when_asked_again(client, index):
    proposal = make_proposal()
    support_path = f"{TOPICS}{proposal.pk}/support/"
    client.post(support_path, {"email": "eve@example.org"})
    old_link = link_in(sends_to("eve@example.org")[0])
    TopicSupport.objects.update(created_at=timezone.now() - dt.timedelta(days=8))

    expired = client.post(old_link)
    assert expired.status_code == HTTPStatus.NOT_FOUND
    assert "This link does not work" in expired.content.decode()
    assert TopicSupport.objects.get().confirmed_at is None

    client.post(support_path, {"email": "eve@example.org"})
    new_link = link_in(sends_to("eve@example.org")[-1])
    assert new_link != old_link
    client.post(new_link)
    proposal.refresh_from_db()
    assert proposal.support_count == 1


def test_a_scheduled_topic_can_still_be_supported(client, index, webinar):
    proposal = make_proposal(status=Status.SCHEDULED, webinar=webinar)
    response = client.post(
        f"{TOPICS}{proposal.pk}/support/", {"email": "fay@example.org"}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    client.post(link_in(sends_to("fay@example.org")[0]))
    proposal.refresh_from_db()
    assert proposal.support_count == 1


@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_count_one_support(index):
    proposal = make_proposal()
    support = proposals.support(proposal, "gus@example.org")
    barrier = threading.Barrier(4)
    errors = []

    def confirm():
        try:
            barrier.wait()
            proposals.confirm(support.token)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    proposal.refresh_from_db()
    assert proposal.support_count == 1


# --- Moderation services --------------------------------------------------------------


def test_publish_makes_a_pending_topic_public_and_tells_the_proposer_once(
    client, index
):
    proposal = make_proposal(status=Status.PENDING)
    proposals.publish(proposal)
    assert proposal.status == Status.PUBLISHED
    assert "Safer sleep conversations" in client.get(TOPICS).content.decode()
    (send,) = sends_to("ann@example.org")
    assert send.key == f"topic:{proposal.pk}:published"
    assert "http://testserver/webinars/topics/" in send.text

    with pytest.raises(proposals.ModerationError):
        proposals.publish(proposal)
    assert len(sends_to("ann@example.org")) == 1


def test_an_unconfirmed_topic_cannot_be_published(index):
    proposal = make_proposal(status=Status.UNCONFIRMED)
    with pytest.raises(proposals.ModerationError):
        proposals.publish(proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.UNCONFIRMED
    assert Send.objects.count() == 0


def test_decline_needs_a_reason_and_emails_it_once(client, index):
    proposal = make_proposal()
    with pytest.raises(proposals.ModerationError, match="Give a reason"):
        proposals.decline(proposal, "   ")
    proposal.refresh_from_db()
    assert proposal.status == Status.PUBLISHED

    proposals.decline(proposal, "We covered this in March: see the recording.")
    proposal.refresh_from_db()
    assert proposal.status == Status.DECLINED
    assert proposal.decline_reason == "We covered this in March: see the recording."
    (send,) = sends_to("ann@example.org")
    assert "We covered this in March: see the recording." in send.text
    assert "Safer sleep conversations" not in client.get(TOPICS).content.decode()
    response = client.get(f"{TOPICS}{proposal.pk}/support/")
    assert response.status_code == HTTPStatus.NOT_FOUND

    with pytest.raises(proposals.ModerationError):
        proposals.decline(proposal, "Again")
    assert len(sends_to("ann@example.org")) == 1


def test_merge_moves_supports_counting_each_address_once(client, index):
    target = make_proposal(title="Safer sleep", proposer_email="tom@example.org")
    source = make_proposal(title="Co-sleeping advice", proposer_email="sue@example.org")
    make_support(target, "both@example.org")
    make_support(source, "both@example.org")
    make_support(target, "target-waiting@example.org", confirmed=False)
    make_support(source, "target-waiting@example.org")  # confirmed on the source
    make_support(source, "only-source@example.org")
    waiting = make_support(source, "waiting@example.org", confirmed=False)
    older = make_proposal(
        title="Older merged one", status=Status.MERGED, merged_into=source
    )

    proposals.merge(source, target)

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.status == Status.MERGED
    assert source.merged_into == target
    assert source.support_count == 0
    assert not source.supports.exists()
    emails = dict(target.supports.values_list("email", "confirmed_at"))
    assert set(emails) == {
        "both@example.org",
        "target-waiting@example.org",
        "only-source@example.org",
        "waiting@example.org",
        "sue@example.org",  # the merged topic's proposer now supports the target
    }
    assert emails["target-waiting@example.org"] is not None
    assert emails["waiting@example.org"] is None
    assert target.support_count == 4
    older.refresh_from_db()
    assert older.merged_into == target

    # The support still waiting for its link counts on the target when confirmed.
    proposals.confirm(waiting.token)
    target.refresh_from_db()
    assert target.support_count == 5

    html = client.get(TOPICS).content.decode()
    assert "Co-sleeping advice" not in html
    assert "5 people support this" in html
    assert client.get(f"{TOPICS}{source.pk}/support/").status_code == 404
    (send,) = sends_to("sue@example.org")
    assert "Safer sleep" in send.text
    with pytest.raises(proposals.ModerationError):
        proposals.merge(source, target)
    assert len(sends_to("sue@example.org")) == 1


def test_merge_refuses_a_hidden_target_or_itself(index):
    source = make_proposal()
    pending = make_proposal(title="Pending", status=Status.PENDING)
    with pytest.raises(proposals.ModerationError):
        proposals.merge(source, source)
    with pytest.raises(proposals.ModerationError):
        proposals.merge(source, pending)
    source.refresh_from_db()
    assert source.status == Status.PUBLISHED
    assert Send.objects.count() == 0


def test_schedule_links_the_webinar_and_tells_proposer_and_supporters_once(
    client, index, webinar
):
    proposal = make_proposal()
    make_support(proposal, "one@example.org")
    make_support(proposal, "two@example.org")
    make_support(proposal, "ann@example.org")  # the proposer: told once, not twice
    make_support(proposal, "waiting@example.org", confirmed=False)

    sent = proposals.schedule(proposal, webinar)

    assert sent == 3
    proposal.refresh_from_db()
    assert proposal.status == Status.SCHEDULED
    assert proposal.webinar == webinar
    (to_proposer,) = sends_to("ann@example.org")
    assert to_proposer.subject == (
        "Your webinar topic is scheduled: Learning from sudden infant deaths"
    )
    assert "the webinar topic you suggested is scheduled" in to_proposer.text
    assert "Tuesday 4 March 2031, 10:30am to 11:30am (UK time)" in to_proposer.text
    assert "http://testserver" + webinar.url in to_proposer.text
    assert len(sends_to("one@example.org")) == 1
    assert "a webinar topic you supported" in sends_to("two@example.org")[0].text
    assert sends_to("waiting@example.org") == []
    assert Delivery.objects.count() == 3

    with pytest.raises(proposals.ModerationError, match="already scheduled"):
        proposals.schedule(proposal, webinar)
    assert Delivery.objects.count() == 3

    html = client.get(TOPICS).content.decode()
    assert "Scheduled" in html
    assert webinar.url in html


def test_a_cancelled_webinar_cannot_be_scheduled(index, webinar):
    proposal = make_proposal()
    webinar.is_cancelled = True
    webinar.cancellation_note = "Speaker unwell"
    webinar.save()
    with pytest.raises(proposals.ModerationError):
        proposals.schedule(proposal, webinar)
    proposal.refresh_from_db()
    assert proposal.status == Status.PUBLISHED
    assert Send.objects.count() == 0


def test_expired_unconfirmed_proposals_and_supports_are_deleted(index):
    old = timezone.now() - dt.timedelta(days=proposals.CONFIRM_DAYS, minutes=1)
    public = make_proposal()
    make_proposal(title="Never confirmed", status=Status.UNCONFIRMED, created_at=old)
    fresh = make_proposal(title="Just sent", status=Status.UNCONFIRMED)
    TopicSupport.objects.create(
        proposal=public, email="gone@example.org", created_at=old
    )
    waiting = TopicSupport.objects.create(proposal=public, email="new@example.org")
    kept = make_support(public, "kept@example.org")
    TopicSupport.objects.filter(pk=kept.pk).update(created_at=old)

    assert proposals.delete_unconfirmed() == (1, 1)

    assert set(TopicProposal.objects.values_list("pk", flat=True)) == {
        public.pk,
        fresh.pk,
    }
    assert set(TopicSupport.objects.values_list("pk", flat=True)) == {
        waiting.pk,
        kept.pk,
    }
    assert proposals.delete_unconfirmed() == (0, 0)
