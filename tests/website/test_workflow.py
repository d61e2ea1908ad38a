"""Editorial workflow: editors draft, reviewers (Moderators) approve; scheduling."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import Page, Workflow

from tests.factories import StandardPageFactory, UserFactory
from website.models import StandardPage
from website.tasks import publish_scheduled_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    editor = UserFactory(username="editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    reviewer = UserFactory(username="reviewer")
    reviewer.groups.add(Group.objects.get(name="Moderators"))
    return editor, reviewer


def test_every_page_is_under_a_review_workflow(site):
    page = StandardPageFactory(parent=site, title="About")
    workflow = page.get_workflow()
    assert isinstance(workflow, Workflow) and workflow.active
    tasks = [t.specific for t in workflow.tasks.all()]
    assert [g.name for g in tasks[0].groups.all()] == ["Moderators"]
    # Assigned at the root, so new sections inherit it.
    assert workflow.workflow_pages.filter(page=Page.get_first_root_node()).exists()


def test_editor_cannot_publish_but_reviewer_approval_does(site, people):
    editor, reviewer = people
    page = StandardPageFactory(parent=site, title="Draft page", live=False)
    assert not page.permissions_for_user(editor).can_publish()
    assert page.permissions_for_user(reviewer).can_publish()

    page.title = "Ready for review"
    revision = page.save_revision(user=editor)
    state = page.get_workflow().start(page, editor)
    task_state = state.current_task_state
    task = task_state.task.specific

    assert [a[0] for a in task.get_actions(page, editor)] == []
    assert "approve" in [a[0] for a in task.get_actions(page, reviewer)]
    task.on_action(task_state, reviewer, "approve")

    page = StandardPage.objects.get(pk=page.pk)
    assert page.live
    assert page.title == "Ready for review"
    assert page.live_revision_id == revision.pk


def test_rejected_pages_stay_unpublished(site, people):
    editor, reviewer = people
    page = StandardPageFactory(parent=site, title="Not ready", live=False)
    page.save_revision(user=editor)
    state = page.get_workflow().start(page, editor)
    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state, reviewer, "reject")
    page.refresh_from_db()
    assert not page.live
    state.refresh_from_db()
    assert state.status == "needs_changes"


def test_scheduled_pages_publish_when_their_time_comes(site):
    page = StandardPageFactory(parent=site, title="Later", live=False)
    soon = timezone.now() + dt.timedelta(hours=1)
    page.go_live_at = soon
    revision = page.save_revision(approved_go_live_at=soon)
    revision.publish()  # with a future go-live time this only schedules it
    page.refresh_from_db()
    assert not page.live

    publish_scheduled_task()  # nothing is due yet
    page.refresh_from_db()
    assert not page.live

    # An hour passes: move the schedule into the past rather than wait.
    past = timezone.now() - dt.timedelta(minutes=1)
    revision.refresh_from_db()
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    publish_scheduled_task()
    page.refresh_from_db()
    assert page.live


def test_beat_runs_scheduled_publishing_every_minute():
    from website.celery import app

    entry = app.conf.beat_schedule["publish-scheduled-pages"]
    assert entry["task"] == "website.tasks.publish_scheduled_task"
    assert entry["schedule"] == 60.0
