"""Safe uploads: documents download through Wagtail's checked view; bad files refused.

Documents are served by ``wagtail.documents.views.serve.serve`` (``serve_view``):
collection privacy is checked there, every response is an attachment (no content
type is shown inline, ``WAGTAILDOCS_INLINE_CONTENT_TYPES = []``) and carries
``Content-Security-Policy: default-src 'none'; sandbox`` (``website.views.sandboxed``
adds the sandbox) and ``X-Content-Type-Options: nosniff``. Images are raster
formats only: SVG (which can carry script) is not an allowed extension, and Willow
must open the file as the format its name claims.
"""

from __future__ import annotations

import io
import json
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction, UploadedFile

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Document = get_document_model()
Image = get_image_model()

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
    b'onload="alert(document.cookie)">\n'
    b"<script>alert(1)</script>\n"
    b'<rect width="10" height="10"/></svg>\n'
)
HTML = (
    b"<!DOCTYPE html>\n<html><head><title>x</title></head>\n"
    b"<body><script>alert(document.cookie)</script></body></html>\n"
)
# A Windows executable's first bytes: "MZ" and a DOS stub.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def minimal_pdf() -> bytes:
    """A small but valid one-page PDF (header, catalogue, pages, xref, trailer)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (0, 94, 184)).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="upload-admin", is_superuser=True, is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def root_collection(db):
    return Collection.get_first_root_node()


@pytest.fixture
def private_collection(root_collection):
    collection = root_collection.add_child(name="Panel papers")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    return collection


def add_document(client, name, content, collection, title="A document"):
    return client.post(
        "/admin/documents/add/",
        {
            "title": title,
            "file": SimpleUploadedFile(name, content),
            "collection": str(collection.pk),
        },
    )


def add_image(client, name, content, collection, title="An image"):
    return client.post(
        "/admin/images/add/",
        {
            "title": title,
            "file": SimpleUploadedFile(name, content),
            "collection": str(collection.pk),
            "description": "A blue square.",
        },
    )


# --- Documents are served through the checked view, as downloads --------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("hospital-pathway.pdf", minimal_pdf(), "application/pdf"),
        ("meeting-notes.txt", b"Chairing a CDOP meeting: notes.\n", "text/plain"),
    ],
    ids=["pdf", "txt"],
)
def test_uploaded_document_downloads_as_attachment_with_csp(
    admin_client, client, root_collection, settings, name, content, content_type
):
    response = add_document(admin_client, name, content, root_collection)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]
    document = Document.objects.get()
    assert document.file_extension == name.rsplit(".", 1)[1]
    # The link editors and pages use is Wagtail's view, not the media file.
    assert document.url == f"/documents/{document.pk}/{document.filename}"
    assert not document.url.startswith(settings.MEDIA_URL)

    client.logout()
    response = client.get(document.url)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith("attachment")
    assert document.filename in response["Content-Disposition"]
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content


def test_pdf_is_not_shown_inline_even_though_wagtail_would_by_default(
    root_collection, settings
):
    # Wagtail's default is WAGTAILDOCS_INLINE_CONTENT_TYPES = ["application/pdf"]
    # (wagtail/documents/models.py, AbstractDocument.content_disposition).
    assert settings.WAGTAILDOCS_INLINE_CONTENT_TYPES == []
    document = Document.objects.create(
        title="Report",
        file=SimpleUploadedFile("report.pdf", minimal_pdf()),
        collection=root_collection,
    )
    assert document.content_disposition.startswith("attachment")


def test_html_saved_as_txt_is_served_inert(admin_client, client, root_collection):
    """Extensions are all Wagtail checks; a .txt full of HTML is stored, but served
    as a plain-text download the browser may neither sniff nor run."""
    response = add_document(admin_client, "notes.txt", HTML, root_collection)
    assert response.status_code == HTTPStatus.FOUND
    document = Document.objects.get()

    client.logout()
    response = client.get(document.url)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_document_in_private_collection_needs_login(client, private_collection):
    document = Document.objects.create(
        title="Minutes",
        file=SimpleUploadedFile("minutes.pdf", minimal_pdf()),
        collection=private_collection,
    )

    response = client.get(document.url)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/_util/login/?next=")
    assert document.url in response["Location"]
    assert b"%PDF" not in response.content

    client.force_login(UserFactory(username="panel-member"))
    response = client.get(document.url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_document_url_with_wrong_filename_is_not_found(client, root_collection):
    document = Document.objects.create(
        title="Report",
        file=SimpleUploadedFile("report.pdf", minimal_pdf()),
        collection=root_collection,
    )
    response = client.get(f"/documents/{document.pk}/other.pdf")
    assert response.status_code == HTTPStatus.NOT_FOUND


# --- Dangerous uploads are refused, nothing written ---------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("diagram.svg", SVG),
        ("DIAGRAM.SVG", SVG),
        ("page.html", HTML),
        ("page.htm", HTML),
        ("setup.exe", EXE),
        ("report.pdf.exe", EXE),
        ("no-extension", b"plain text"),
    ],
    ids=["svg", "SVG", "html", "htm", "exe", "pdf.exe", "none"],
)
def test_dangerous_document_is_refused(
    admin_client, root_collection, settings, name, content
):
    response = add_document(admin_client, name, content, root_collection)

    assert response.status_code == HTTPStatus.OK  # the form again, not a 500
    errors = response.context["form"].errors
    assert "file" in errors
    assert "File extension" in errors["file"][0]
    assert "is not allowed" in errors["file"][0]
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("diagram.svg", SVG, "Not a supported image format"),
        ("diagram.SVG", SVG, "Not a supported image format"),
        ("page.html", HTML, "Not a supported image format"),
        # Willow opens the file before the extension is checked
        # (wagtail/images/fields.py, WagtailImageField.to_python), so a file it
        # cannot read at all gets Django's "not an image" message.
        ("setup.exe", EXE, "Upload a valid image"),
        # SVG text named .png: Willow sniffs it as SVG (XML), so the format check
        # (extension png, content svg) refuses it.
        ("photo.png", SVG, "The extension does not match the file format (svg)"),
        # HTML named .png: Willow also takes any text starting with "<" for SVG.
        ("photo.png", HTML, "The extension does not match the file format (svg)"),
        # An executable named .png: Willow cannot open it at all.
        ("photo.png", EXE, "Upload a valid image"),
        # A real PNG named .jpg is refused too: names must tell the truth.
        ("photo.jpg", png_bytes(), "The extension does not match the file format"),
    ],
    ids=[
        "svg",
        "SVG",
        "html",
        "exe",
        "svg-as-png",
        "html-as-png",
        "exe-as-png",
        "png-as-jpg",
    ],
)
def test_dangerous_image_is_refused(
    admin_client, root_collection, settings, name, content, message
):
    response = add_image(admin_client, name, content, root_collection)

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors
    assert "file" in errors
    assert message in errors["file"][0], errors["file"]
    assert Image.objects.count() == 0
    assert stored_files(settings) == []


def test_svg_is_not_an_allowed_image_extension(settings):
    assert "svg" not in settings.WAGTAILIMAGES_EXTENSIONS
    from wagtail.images.utils import get_allowed_image_extensions

    assert "svg" not in get_allowed_image_extensions()


def test_real_png_is_accepted(admin_client, root_collection):
    response = add_image(admin_client, "blue.png", png_bytes(), root_collection)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]
    image = Image.objects.get()
    assert (image.width, image.height) == (4, 4)


@pytest.mark.parametrize(
    ("name", "content"),
    [("diagram.svg", SVG), ("photo.png", SVG), ("photo.png", HTML)],
    ids=["svg", "svg-as-png", "html-as-png"],
)
def test_multiple_image_upload_refuses_with_json_error(
    admin_client, root_collection, name, content
):
    response = admin_client.post(
        "/admin/images/multiple/add/",
        {
            "files[]": SimpleUploadedFile(name, content),
            "collection": str(root_collection.pk),
        },
    )
    assert response.status_code == HTTPStatus.OK
    data = json.loads(response.content)
    assert data["success"] is False
    assert data["error_message"]
    assert Image.objects.count() == 0
    assert UploadedFile.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [("diagram.svg", SVG), ("page.html", HTML), ("x.exe", EXE)],
    ids=["svg", "html", "exe"],
)
def test_multiple_document_upload_refuses_with_json_error(
    admin_client, root_collection, name, content
):
    response = admin_client.post(
        "/admin/documents/multiple/add/",
        {
            "files[]": SimpleUploadedFile(name, content),
            "collection": str(root_collection.pk),
        },
    )
    assert response.status_code == HTTPStatus.OK
    data = json.loads(response.content)
    assert data["success"] is False
    assert "is not allowed" in data["error_message"]
    assert Document.objects.count() == 0
    assert UploadedFile.objects.count() == 0


# --- Size limits ---------------------------------------------------------------------


def test_image_limits_are_set(settings):
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE == 10 * 1024 * 1024
    assert settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS == 40_000_000


def test_oversized_image_is_refused_with_a_message(
    admin_client, root_collection, settings
):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 50
    response = add_image(admin_client, "big.png", png_bytes(), root_collection)

    assert response.status_code == HTTPStatus.OK
    assert "This file is too big" in response.context["form"].errors["file"][0]
    assert Image.objects.count() == 0
    assert stored_files(settings) == []


def test_image_with_too_many_pixels_is_refused(admin_client, root_collection, settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 100
    response = add_image(admin_client, "wide.png", png_bytes(20, 10), root_collection)

    assert response.status_code == HTTPStatus.OK
    assert "too many pixels" in response.context["form"].errors["file"][0]
    assert Image.objects.count() == 0


def test_oversized_document_is_refused_with_a_message(
    admin_client, root_collection, settings
):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 100
    response = add_document(admin_client, "big.pdf", minimal_pdf(), root_collection)

    assert response.status_code == HTTPStatus.OK
    assert "This file is too big" in response.context["form"].errors["file"][0]
    assert Document.objects.count() == 0
    assert stored_files(settings) == []
