"""Editors' search reports: top terms and searches with no results."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from search.models import SearchQuery
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queries():
    today = timezone.localdate()
    SearchQuery.objects.create(query="safe sleep", day=today, count=5, hits=4)
    SearchQuery.objects.create(
        query="safe sleep", day=today - dt.timedelta(days=1), count=2, hits=3
    )
    SearchQuery.objects.create(query="xylophone", day=today, count=3, hits=0)
    SearchQuery.objects.create(
        query="long ago", day=today - dt.timedelta(days=90), count=50, hits=0
    )


def _staff(*codenames):
    user = UserFactory(is_staff=True)
    group = Group.objects.create(name=f"Editors {user.pk}")
    group.permissions.set(
        Permission.objects.filter(codename__in=["access_admin", *codenames])
    )
    user.groups.add(group)
    return user


def test_top_terms_for_the_last_30_days(client, site, queries):
    client.force_login(_staff("view_searchquery"))
    response = client.get("/admin/reports/search-terms/")
    assert response.status_code == HTTPStatus.OK
    rows = list(response.context["object_list"])
    assert [(r["query"], r["searches"]) for r in rows] == [
        ("safe sleep", 7),
        ("xylophone", 3),
    ]

    no_results = client.get("/admin/reports/search-no-results/")
    assert [r["query"] for r in no_results.context["object_list"]] == ["xylophone"]

    csv = client.get("/admin/reports/search-terms/?export=csv")
    assert csv.status_code == HTTPStatus.OK
    body = b"".join(csv.streaming_content).decode()
    assert "safe sleep,7" in body


def test_editors_without_the_permission_are_refused(client, site, queries):
    client.force_login(_staff())
    response = client.get("/admin/reports/search-terms/")
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    assert "xylophone" not in response.content.decode()
    client.logout()
    assert client.get("/admin/reports/search-no-results/").status_code == (
        HTTPStatus.FOUND
    )
