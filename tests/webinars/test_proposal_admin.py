"""Moderating topic proposals in the admin: the list, the moderation page, each
action (publish, decline, merge, schedule), who may do it, and emails sent once.

Through Django's test client as signed-in users, on the real database.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission

from bulletins.models import Send
from tests.factories import AudienceFactory, UserFactory
from tests.webinars import test_proposals as journeys
from webinars.models import TopicProposal, TopicSupport

_fresh_rate_limits = journeys._fresh_rate_limits
tree = journeys.tree
index = journeys.index
webinar = journeys.webinar
make_proposal = journeys.make_proposal
make_support = journeys.make_support
sends_to = journeys.sends_to
Status = TopicProposal.Status

pytestmark = pytest.mark.django_db

LIST = "/admin/webinars/topics/"


def moderate(proposal) -> str:
    return f"{LIST}{proposal.pk}/"


def action(proposal, name: str) -> str:
    return f"{LIST}{proposal.pk}/{name}/"


@pytest.fixture
def moderator(db):
    """Admin access and "Can change topic proposal", nothing else."""
    group = Group.objects.create(name="Webinar moderators")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_topicproposal"),
    )
    user = UserFactory(username="moderator", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def editor(db):
    """Admin access but no permission on proposals."""
    group = Group.objects.create(name="Editors only")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


# --- Who may moderate ---------------------------------------------------------------


def test_only_users_who_may_change_proposals_get_in(client, index, editor, moderator):
    proposal = make_proposal(status=Status.PENDING)
    urls = [LIST, moderate(proposal)]

    for url in urls:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND
        assert "/admin/login/" in response["Location"]

    client.force_login(editor)
    for url in urls:
        response = client.get(url)
        # Wagtail's permission denied: back to the dashboard with a message.
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == "/admin/"
    response = client.post(action(proposal, "publish"))
    assert response.status_code == HTTPStatus.FOUND
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert Send.objects.count() == 0
    assert "Webinar topics" not in client.get("/admin/").content.decode()

    client.force_login(moderator)
    for url in urls:
        assert client.get(url).status_code == HTTPStatus.OK
    assert "Webinar topics" in client.get("/admin/").content.decode()


# --- The list -----------------------------------------------------------------------


def test_the_list_is_ordered_by_support_and_filterable(
    mod_client, index, django_assert_max_num_queries
):
    midwives = AudienceFactory(name="Midwives", slug="midwives")
    make_proposal(title="Few supporters", support_count=2)
    make_proposal(title="Many supporters", support_count=7, audience=midwives)
    make_proposal(title="Awaiting review", status=Status.PENDING)
    make_proposal(title="Not confirmed yet", status=Status.UNCONFIRMED)
    for number in range(10):
        make_proposal(title=f"Another topic {number}", status=Status.DECLINED)

    with django_assert_max_num_queries(40):
        response = mod_client.get(LIST)
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert html.index("Many supporters") < html.index("Few supporters")
    assert "Awaiting review" in html
    assert "Not confirmed yet" not in html

    pending = mod_client.get(LIST, {"status": "pending"}).content.decode()
    assert "Awaiting review" in pending
    assert "Many supporters" not in pending
    unconfirmed = mod_client.get(LIST, {"status": "unconfirmed"}).content.decode()
    assert "Not confirmed yet" in unconfirmed
    by_audience = mod_client.get(LIST, {"audience": midwives.pk}).content.decode()
    assert "Many supporters" in by_audience
    assert "Few supporters" not in by_audience

    for query in ({"status": "nonsense"}, {"audience": "x"}, {"ordering": "evil"}):
        assert mod_client.get(LIST, query).status_code < 500


# --- The moderation page ------------------------------------------------------------


def test_the_moderation_page_shows_the_proposal_and_allowed_actions(
    mod_client, index, webinar, django_assert_max_num_queries
):
    make_proposal(title="A public topic")
    proposal = make_proposal(
        title="Needs a look",
        status=Status.PENDING,
        why="Because <b>it matters</b>.",
        proposer_email="pat@example.org",
    )
    make_support(proposal, "one@example.org")
    make_support(proposal, "two@example.org", confirmed=False)

    with django_assert_max_num_queries(30):
        response = mod_client.get(moderate(proposal))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Waiting for moderation" in html
    assert "Because &lt;b&gt;it matters&lt;/b&gt;." in html
    assert "pat@example.org" in html
    assert "1 confirmed, 1 waiting" in html
    for name in ("publish", "decline", "merge", "schedule"):
        assert action(proposal, name) in html
    assert "A public topic" in html  # a merge target
    assert "Learning from sudden infant deaths" in html  # a webinar to schedule

    merged = make_proposal(title="Gone", status=Status.MERGED)
    html = mod_client.get(moderate(merged)).content.decode()
    assert "There is nothing more to do" in html
    for name in ("publish", "decline", "merge", "schedule"):
        assert action(merged, name) not in html


@pytest.mark.parametrize("pk", ["999999", "9" * 30])
def test_unknown_proposals_are_not_found(mod_client, index, pk):
    assert mod_client.get(f"{LIST}{pk}/").status_code == HTTPStatus.NOT_FOUND
    response = mod_client.post(f"{LIST}{pk}/publish/")
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("name", ["publish", "decline", "merge", "schedule"])
def test_actions_refuse_get(mod_client, index, name):
    proposal = make_proposal(status=Status.PENDING)
    response = mod_client.get(action(proposal, name))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert Send.objects.count() == 0


# --- Actions ------------------------------------------------------------------------


def test_publishing_twice_emails_the_proposer_once(mod_client, index):
    proposal = make_proposal(status=Status.PENDING)

    response = mod_client.post(action(proposal, "publish"))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == moderate(proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.PUBLISHED
    page = mod_client.get(moderate(proposal)).content.decode()
    assert "Published: it is on the topics page" in page

    again = mod_client.post(action(proposal, "publish"))
    assert again.status_code == HTTPStatus.SEE_OTHER
    page = mod_client.get(moderate(proposal)).content.decode()
    assert "Only a topic waiting for moderation or declined can be published" in page
    assert len(sends_to("ann@example.org")) == 1


def test_declining_needs_a_reason(mod_client, index):
    proposal = make_proposal(status=Status.PENDING)

    for reason in ("", "   ", "R" * 501):
        response = mod_client.post(
            action(proposal, "decline"), {"decline-reason": reason}
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "There is a problem" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.PENDING
    assert Send.objects.count() == 0

    response = mod_client.post(
        action(proposal, "decline"),
        {"decline-reason": "It is outside the programme's remit."},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    proposal.refresh_from_db()
    assert proposal.status == Status.DECLINED
    (send,) = sends_to("ann@example.org")
    assert "It is outside the programme's remit." in send.text

    mod_client.post(action(proposal, "decline"), {"decline-reason": "Again"})
    assert len(sends_to("ann@example.org")) == 1


def test_merging_through_the_admin(mod_client, index):
    target = make_proposal(title="Target topic", proposer_email="tia@example.org")
    source = make_proposal(title="Source topic", proposer_email="sam@example.org")
    make_support(source, "fan@example.org")
    make_support(target, "fan@example.org")

    for bad in ("", "abc", str(source.pk), "9" * 30, "999999"):
        response = mod_client.post(action(source, "merge"), {"merge-into": bad})
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Send.objects.count() == 0

    response = mod_client.post(action(source, "merge"), {"merge-into": target.pk})
    assert response.status_code == HTTPStatus.SEE_OTHER
    source.refresh_from_db()
    target.refresh_from_db()
    assert source.status == Status.MERGED
    assert target.support_count == 2  # fan once, and sam (source's proposer)
    assert TopicSupport.objects.filter(email="fan@example.org").count() == 1
    assert len(sends_to("sam@example.org")) == 1


def test_scheduling_through_the_admin_tells_people_once(mod_client, index, webinar):
    proposal = make_proposal()
    make_support(proposal, "keen@example.org")

    for bad in ("", "abc", "9" * 30, str(index.pk)):
        response = mod_client.post(
            action(proposal, "schedule"), {"schedule-webinar": bad}
        )
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Send.objects.count() == 0

    response = mod_client.post(
        action(proposal, "schedule"), {"schedule-webinar": webinar.pk}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    page = mod_client.get(moderate(proposal)).content.decode()
    assert "2 people emailed" in page
    assert "Scheduled" in page
    proposal.refresh_from_db()
    assert proposal.status == Status.SCHEDULED
    assert proposal.webinar_id == webinar.pk

    mod_client.post(action(proposal, "schedule"), {"schedule-webinar": webinar.pk})
    assert len(sends_to("ann@example.org")) == 1
    assert len(sends_to("keen@example.org")) == 1
    assert "already scheduled for that webinar" in (
        mod_client.get(moderate(proposal)).content.decode()
    )
