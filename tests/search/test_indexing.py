"""Keeping the index in step: signals queue tasks on commit; reindex; reconcile."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction

from search import indexing
from search.engines import Filters, get_engine
from search.entries import entry_for, extract_text
from search.models import SearchEntry
from tests.factories.learning import (
    LearningIndexPageFactory,
    LearningResourcePageFactory,
)
from tests.factories.webinars import WebinarPageFactory, webinar_tree

pytestmark = pytest.mark.django_db


def found(query: str) -> list[str]:
    return [h.title for h in get_engine().search(query, Filters()).hits]


@pytest.fixture
def eager(celery_eager, django_capture_on_commit_callbacks):
    """Run the tasks the signals queue on commit, inline."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def test_publish_unpublish_and_privacy(content, eager):
    page = content.message
    page.title = "Safe sleep for every baby"
    eager(lambda: page.save_revision().publish())
    assert found("every baby") == ["Safe sleep for every baby"]

    eager(lambda: Page.objects.get(pk=page.pk).unpublish())
    assert found("every baby") == []

    eager(lambda: Page.objects.get(pk=page.pk).specific.save_revision().publish())
    assert found("every baby")
    restriction = eager(
        lambda: PageViewRestriction.objects.create(
            page=page.get_parent(), restriction_type=PageViewRestriction.LOGIN
        )
    )
    assert found("every baby") == []  # a restricted parent hides its children
    eager(restriction.delete)
    assert found("every baby") == ["Safe sleep for every baby"]


def test_move_updates_the_address_and_delete_removes(content, site, eager):
    other = LearningIndexPageFactory(parent=site)
    resource = LearningResourcePageFactory(
        parent=other, title="Crib sheet on sleep positions"
    )
    eager(lambda: resource.save_revision().publish())
    entry = SearchEntry.objects.get(page=resource)
    assert entry.url == resource.url
    moved = Page.objects.get(pk=resource.pk)
    new_parent = LearningIndexPageFactory(parent=site, slug="learning-two")
    eager(lambda: moved.move(new_parent, pos="last-child"))
    entry.refresh_from_db()
    assert entry.url.startswith("/learning-two/")

    eager(lambda: Page.objects.get(pk=resource.pk).delete())
    assert not SearchEntry.objects.filter(page_id=resource.pk).exists()


def test_drafts_are_never_indexed(content, eager):
    page = content.message
    page.title = "A draft title nobody has approved"
    eager(lambda: page.save_revision())  # saved, not published
    assert found("approved") == []
    assert SearchEntry.objects.get(page=page).title == "Safe sleep for babies"


def test_join_links_and_instructions_never_reach_the_index(site):
    _index, series = webinar_tree(site)
    webinar = WebinarPageFactory(
        parent=series,
        title="Safer sleep webinar",
        join_url="https://meet.example.net/j/zz-secret-room",
        join_instructions="Passcode zzsecretcode",
        transcript="We talked about cots.",
    )
    entry = entry_for(webinar)
    assert entry is not None
    text = " ".join(
        [entry.title, entry.summary, entry.body, entry.documents, entry.url]
    )
    assert "cots" in text
    assert "zz-secret-room" not in text and "zzsecretcode" not in text
    indexing.reindex()
    assert found("zzsecretcode") == [] and found("secret room") == []


def _pdf(text: str) -> bytes:
    """A one-page PDF whose text layer says ``text`` (hand-written, valid)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_text_is_extracted_from_pdf_and_word():
    assert "zygomorphic" in extract_text(_pdf("zygomorphic audit tool"), "a.pdf")
    assert "quillwort" in extract_text(_docx("quillwort checklist"), "b.docx")
    assert extract_text(b"not a pdf at all", "broken.pdf") == ""
    assert extract_text(b"plain", "notes.txt") == ""


def test_document_text_is_found_and_replacing_the_file_updates_it(site, eager):
    index = LearningIndexPageFactory(parent=site)
    resource = LearningResourcePageFactory(parent=index, title="Audit materials")
    document = get_document_model().objects.create(
        title="Audit tool", file=ContentFile(_pdf("zygomorphic audit"), "audit.pdf")
    )
    resource.downloads.create(document=document)
    eager(lambda: resource.save_revision().publish())
    assert found("zygomorphic") == ["Audit materials"]

    document.file = ContentFile(_pdf("quillwort checklist"), "audit-v2.pdf")
    eager(document.save)
    assert found("quillwort") == ["Audit materials"]
    assert found("zygomorphic") == []


def test_reconcile_repairs_entries_changed_behind_the_signals(content):
    # A page renamed without signals, an entry edited in place, a missing entry,
    # and an entry for a page that no longer exists.
    Page.objects.filter(pk=content.bulletin.pk).update(title="Renamed quietly")
    SearchEntry.objects.filter(page=content.message).update(summary="tampered")
    SearchEntry.objects.filter(page=content.pack).delete()
    ghost = SearchEntry.objects.create(
        page=Page.objects.get(pk=content.bulletin.get_parent().pk),
        title="Ghost",
        type="bulletin",
        type_label="Bulletin",
        date="2026-01-01",
        url="/ghost/",
    )

    report = indexing.reconcile()

    assert report.updated and set(report.updated) == {
        content.bulletin.pk,
        content.message.pk,
    }
    assert report.added == [content.pack.pk]
    assert report.removed == [ghost.page_id]
    assert found("renamed quietly") == ["Renamed quietly"]
    assert SearchEntry.objects.get(page=content.message).summary != "tampered"
    assert indexing.reconcile().fixed == 0  # nothing left to fix


def test_reindex_command_reports_progress(content, capsys):
    SearchEntry.objects.all().delete()
    call_command("search_reindex")
    out = capsys.readouterr().out
    assert "Indexed 3 of 3 pages" in out
    assert SearchEntry.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_through_the_real_worker(celery_worker_process, site):
    """Publish, unpublish and privacy changes reach the index via Celery."""
    from tests.conftest import wait_for
    from tests.factories import StandardPageFactory

    page = StandardPageFactory(
        parent=site, title="Worker indexed page", summary="Quokka facts."
    )
    page.save_revision().publish()
    wait_for(lambda: found("quokka") == ["Worker indexed page"], timeout=30)
    # Common words are counted ahead by a beat task on the index queue.
    from search.models import TermCounts
    from search.tasks import count_common_terms_task
    from website.celery import app

    entry = app.conf.beat_schedule["search-count-common-terms"]
    assert entry["task"] == count_common_terms_task.name
    count_common_terms_task.apply_async(
        kwargs={"share": 0.5, "min_entries": 0}, queue=entry["options"]["queue"]
    )
    wait_for(lambda: TermCounts.objects.exists(), timeout=30)

    Page.objects.get(pk=page.pk).unpublish()
    wait_for(lambda: found("quokka") == [], timeout=30)

    page = Page.objects.get(pk=page.pk).specific
    page.save_revision().publish()
    wait_for(lambda: found("quokka"), timeout=30)
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.LOGIN
    )
    wait_for(lambda: found("quokka") == [], timeout=30)
