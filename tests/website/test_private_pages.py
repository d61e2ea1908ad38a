"""Private pages and collections are for groups or signed-in people, never a shared
password: Wagtail's privacy forms do not offer one, and refuse one posted anyway
(``WAGTAIL_PRIVATE_PAGE_OPTIONS``, ``WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS``).
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from tests.factories import StandardPageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, site):
    client.force_login(UserFactory(username="privacy-admin", is_superuser=True))
    return client


@pytest.fixture
def page(site):
    return StandardPageFactory(parent=site, title="Panel guidance")


@pytest.fixture
def collection(db):
    return Collection.get_first_root_node().add_child(name="Panel papers")


def privacy_form(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.json()["html"]


def test_page_privacy_form_offers_groups_and_login_but_no_password(editor_client, page):
    html = privacy_form(editor_client, f"/admin/pages/{page.pk}/privacy/")
    assert 'value="login"' in html
    assert 'value="groups"' in html
    assert 'value="password"' not in html
    assert 'name="password"' not in html


def test_page_privacy_refuses_a_posted_password(editor_client, page):
    response = editor_client.post(
        f"/admin/pages/{page.pk}/privacy/",
        {"restriction_type": "password", "password": "shared-secret-1"},
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["step"] == "set_privacy"  # the form again, with an error
    assert "Select a valid choice" in response.json()["html"]
    assert not PageViewRestriction.objects.exists()


def test_page_privacy_still_takes_groups(editor_client, page):
    panel = Group.objects.create(name="Panel members")
    response = editor_client.post(
        f"/admin/pages/{page.pk}/privacy/",
        {"restriction_type": "groups", "groups": [panel.pk]},
    )
    assert response.json()["step"] == "set_privacy_done"
    restriction = PageViewRestriction.objects.get(page=page)
    assert list(restriction.groups.all()) == [panel]
    assert restriction.password == ""


def test_collection_privacy_form_offers_no_password(editor_client, collection):
    html = privacy_form(editor_client, f"/admin/collections/{collection.pk}/privacy/")
    assert 'value="login"' in html
    assert 'value="groups"' in html
    assert 'value="password"' not in html
    assert 'name="password"' not in html


def test_collection_privacy_refuses_a_posted_password(editor_client, collection):
    response = editor_client.post(
        f"/admin/collections/{collection.pk}/privacy/",
        {"restriction_type": "password", "password": "shared-secret-1"},
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["step"] == "set_privacy"
    assert "Select a valid choice" in response.json()["html"]
    assert not CollectionViewRestriction.objects.exists()
