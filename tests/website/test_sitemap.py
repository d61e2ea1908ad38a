"""The sitemap lists live public pages and nothing else."""

import pytest
from wagtail.models import PageViewRestriction

from tests.factories import StandardPageFactory

pytestmark = pytest.mark.django_db


def test_sitemap_lists_live_public_pages_only(site, client):
    public = StandardPageFactory(parent=site, title="Open page", slug="open-page")
    draft = StandardPageFactory(parent=site, title="Draft", slug="draft-page")
    draft.unpublish()
    private = StandardPageFactory(parent=site, title="Private", slug="private-page")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.LOGIN
    )

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    body = response.content.decode()
    assert f"http://localhost{public.url}" in body or public.url in body
    assert "draft-page" not in body
    assert "private-page" not in body
