"""Editors manage vocabularies and organisations in the Wagtail admin."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission

from tests.factories import OrganisationFactory, ThemeFactory, UserFactory
from website.models import Audience, Membership, Organisation, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="editor-admin", is_superuser=True, is_staff=True)
    client.force_login(user)
    return client


def test_vocabulary_and_organisation_listings(admin_client):
    ThemeFactory(name="Water safety", slug="water-safety")
    OrganisationFactory(name="Northshire CDOP", code="CDOP-NSH")
    for url, text in [
        ("/admin/snippets/website/theme/", "Water safety"),
        ("/admin/snippets/website/audience/", "Audiences"),
        ("/admin/snippets/website/organisation/", "Northshire CDOP"),
    ]:
        response = admin_client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert text in response.content.decode()


def test_editor_adds_a_theme_with_description(admin_client):
    response = admin_client.post(
        "/admin/snippets/website/theme/add/",
        {
            "name": "Road safety",
            "slug": "road-safety",
            "description": "Children as pedestrians and passengers.",
            "sort_order": "3",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    theme = Theme.objects.get(slug="road-safety")
    assert theme.description == "Children as pedestrians and passengers."


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "slug": "empty-name", "sort_order": "0"},
        {"name": "Bad slug", "slug": "not a slug!", "sort_order": "0"},
        {"name": "Negative", "slug": "negative", "sort_order": "-4"},
        {"name": "x" * 500, "slug": "too-long", "sort_order": "0"},
    ],
)
def test_hostile_vocabulary_input_is_refused_and_nothing_written(admin_client, data):
    response = admin_client.post("/admin/snippets/website/audience/add/", data)
    assert response.status_code == HTTPStatus.OK  # the form again, with errors
    assert "The audience could not be created due to errors." in (
        response.content.decode()
    )
    assert Audience.objects.count() == 0


def test_duplicate_theme_slug_is_refused(admin_client):
    ThemeFactory(name="Safe sleep", slug="safe-sleep")
    response = admin_client.post(
        "/admin/snippets/website/theme/add/",
        {"name": "Safe sleep again", "slug": "safe-sleep", "sort_order": "0"},
    )
    assert response.status_code == HTTPStatus.OK
    assert Theme.objects.filter(slug="safe-sleep").count() == 1


def organisation_form(**overrides):
    data = {
        "name": "Riverside Children's Hospital NHS Trust",
        "type": "nhs_trust",
        "region": "lon",
        "code": "RRC",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_editor_adds_organisation_with_a_qi_lead(admin_client):
    lead = UserFactory(username="grace")
    response = admin_client.post(
        "/admin/snippets/website/organisation/add/",
        organisation_form(
            **{
                "memberships-TOTAL_FORMS": "1",
                "memberships-0-user": str(lead.pk),
                "memberships-0-role": "qi_lead",
                "memberships-0-id": "",
            }
        ),
    )
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-2000:]
    organisation = Organisation.objects.get(code="RRC")
    membership = Membership.objects.get(organisation=organisation)
    assert membership.user == lead
    assert membership.role == "qi_lead"


@pytest.mark.parametrize(
    "overrides",
    [
        {"type": "pirate-ship"},
        {"region": "atlantis"},
        {"code": ""},
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-user": "999999",
            "memberships-0-role": "qi_lead",
            "memberships-0-id": "",
        },
        {
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-user": "",
            "memberships-0-role": "emperor",
            "memberships-0-id": "",
        },
    ],
)
def test_hostile_organisation_input_is_refused(admin_client, overrides):
    response = admin_client.post(
        "/admin/snippets/website/organisation/add/", organisation_form(**overrides)
    )
    assert response.status_code == HTTPStatus.OK
    assert Organisation.objects.count() == 0
    assert Membership.objects.count() == 0


def test_duplicate_organisation_code_is_refused(admin_client):
    OrganisationFactory(code="RRC")
    response = admin_client.post(
        "/admin/snippets/website/organisation/add/", organisation_form()
    )
    assert response.status_code == HTTPStatus.OK
    assert Organisation.objects.filter(code="RRC").count() == 1


def test_people_without_permission_cannot_manage_organisations(client):
    OrganisationFactory(code="X1")
    # An admin user who may edit pages but has no organisation permissions.
    user = UserFactory(username="page-editor")
    editors = Group.objects.get(name="Editors")
    user.groups.add(editors)
    client.force_login(user)
    assert client.get("/admin/").status_code == HTTPStatus.OK
    response = client.get("/admin/snippets/website/organisation/")
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    response = client.post(
        "/admin/snippets/website/organisation/add/", organisation_form(code="NEW")
    )
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    assert not Organisation.objects.filter(code="NEW").exists()


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/snippets/website/organisation/")
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]


def test_permission_to_add_organisations_can_be_granted(client):
    user = UserFactory(username="org-manager")
    group = Group.objects.create(name="Organisation managers")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_organisation"),
        Permission.objects.get(codename="change_organisation"),
    )
    user.groups.add(group)
    client.force_login(user)
    response = client.post(
        "/admin/snippets/website/organisation/add/", organisation_form(code="GRANT")
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Organisation.objects.filter(code="GRANT").exists()
