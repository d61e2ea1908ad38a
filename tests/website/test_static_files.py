"""Static files as production stores them: fingerprinted, compressed, kept a year."""

import gzip
import re
from http import HTTPStatus

import pytest
from django.core.management import call_command

from tests.factories import StandardPageFactory

STORAGE = {"BACKEND": "website.staticfiles.StaticFilesStorage"}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """One ``collectstatic`` with the production storage (it compresses every file
    twice over, so it runs once for the module)."""
    from django.conf import settings
    from django.test import override_settings

    root = tmp_path_factory.mktemp("static")
    with override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": STORAGE}, STATIC_ROOT=root
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def collected(settings, static_root):
    """The production storage and that STATIC_ROOT, served as in production."""
    settings.STORAGES = {**settings.STORAGES, "staticfiles": STORAGE}
    settings.STATIC_ROOT = static_root
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    return static_root


def test_collectstatic_fingerprints_and_compresses_everything(collected):
    css = list((collected / "website" / "css").glob("site.*.css"))

    assert (collected / "staticfiles.json").exists()
    assert len(css) == 1 and re.fullmatch(r"site\.[0-9a-f]{12}\.css", css[0].name)
    assert css[0].with_name(css[0].name + ".gz").exists()
    # The NHS.UK stylesheet names a source map its package does not ship: kept
    # as it is rather than refused.
    vendored = next((collected / "website" / "vendor").glob("nhsuk-frontend.*.css"))
    assert "sourceMappingURL=nhsuk-frontend-10.4.2.min.css.map" in vendored.read_text()


@pytest.mark.django_db
def test_pages_link_fingerprinted_files_served_compressed_for_a_year(
    client, site, collected
):
    page = StandardPageFactory(parent=site)

    html = client.get(page.url).content.decode()
    href = re.search(r'href="(/static/website/css/site\.[0-9a-f]{12}\.css)"', html)
    assert href, "the page links the fingerprinted stylesheet"

    response = client.get(href[1], HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    body = gzip.decompress(b"".join(response.streaming_content))
    assert body == (collected / href[1].removeprefix("/static/")).read_bytes()
