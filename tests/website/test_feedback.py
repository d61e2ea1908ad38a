"""Page feedback: readers say whether a page was useful; editors read the report."""

import csv
import io
from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from tests.factories import StandardPageFactory, UserFactory
from website import feedback
from website.models import PageFeedback

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
REPORT_URL = "/admin/reports/page-feedback/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page(site):
    return StandardPageFactory(parent=site, title="Safe sleep", slug="safe-sleep")


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="feedback-admin", is_superuser=True, is_staff=True)
    client.force_login(user)
    return client


def send(client, page_id, data, **headers):
    return client.post(f"/feedback/{page_id}/", data, headers=headers)


def at(day, hour=12, minute=0, month=3):
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def give(page, useful, comment="", when=None):
    item = PageFeedback.objects.create(page=page, useful=useful, comment=comment)
    if when is not None:
        PageFeedback.objects.filter(pk=item.pk).update(created_at=when)
    return item


def parse_csv(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- Giving feedback ------------------------------------------------------------------


def test_every_standard_page_has_the_form(client, page):
    response = client.get(page.url)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert f'action="/feedback/{page.pk}/"' in html
    assert 'method="post"' in html
    assert "<legend" in html and "Was this page useful?" in html
    assert 'for="feedback-useful-yes">Yes</label>' in html
    assert 'for="feedback-useful-no">No</label>' in html
    assert 'for="feedback-comment">What was missing? (optional)</label>' in html
    assert "Do not include personal or patient information." in html
    assert "Send feedback" in html
    form = html[html.index(f'action="/feedback/{page.pk}/"') :]
    honeypot = form[form.index('aria-hidden="true"') :][:400]
    assert 'name="leave_blank"' in honeypot
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot
    # The form needs no cookie, so reading stays cookie-free.
    assert response.cookies == {}


def test_yes_is_stored_and_the_reader_is_thanked(client, page):
    response = send(client, page.pk, {"useful": "yes", "comment": ""})

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == "/safe-sleep/?feedback=thanks#feedback"
    item = PageFeedback.objects.get()
    assert (item.page_id, item.useful, item.comment) == (page.pk, True, "")

    html = client.get(response["Location"]).content.decode()
    assert 'id="feedback"' in html
    assert "Thank you for your feedback" in html
    assert "Send feedback" not in html


def test_no_with_a_comment_is_stored_as_clean_plain_text(client, page):
    response = send(
        client,
        page.pk,
        {"useful": "no", "comment": "  Nothing\x00 on\x07 bath seats\r\nor baths.  "},
    )

    assert response.status_code == HTTPStatus.SEE_OTHER
    item = PageFeedback.objects.get()
    assert item.useful is False
    assert item.comment == "Nothing on bath seats\nor baths."


def test_feedback_works_with_django_csrf_checks_on_and_no_cookie(page):
    """A browser posting from the page itself needs no token and no cookie."""
    browser = Client(enforce_csrf_checks=True)
    response = send(
        browser,
        page.pk,
        {"useful": "yes"},
        **{"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert PageFeedback.objects.count() == 1


def test_a_robot_filling_the_hidden_box_is_thanked_but_nothing_is_stored(client, page):
    response = send(
        client,
        page.pk,
        {"useful": "yes", "comment": "Buy now", "leave_blank": "http://spam"},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"].endswith("?feedback=thanks#feedback")
    assert PageFeedback.objects.count() == 0


# --- Hostile and broken input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select yes if this page was useful, or no if it was not"),
        ({"useful": ""}, "Select yes if this page was useful, or no if it was not"),
        ({"useful": "maybe"}, "Select yes if this page was useful"),
        ({"useful": "<script>alert(1)</script>"}, "Select yes if this page"),
        ({"useful": "\x00"}, "Select yes if this page was useful"),
        ({"useful": "yes" * 5000}, "Select yes if this page was useful"),
        ({"useful": "true"}, "Select yes if this page was useful"),
        (
            {"useful": "yes", "comment": "x" * 10_000},
            "What was missing must be 2,000 characters or fewer",
        ),
    ],
)
def test_bad_input_is_refused_with_the_form_again(client, page, data, message):
    response = send(client, page.pk, data)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert PageFeedback.objects.count() == 0
    assert "There is a problem" in html
    assert message in html
    assert f'href="{page.url}"' in html  # a way back to the page
    assert f'action="/feedback/{page.pk}/"' in html  # and the form to try again
    assert "<script>alert" not in html


def test_error_messages_are_linked_to_their_fields(client, page):
    html = send(
        client, page.pk, {"useful": "maybe", "comment": "y" * 2001}
    ).content.decode()

    assert '<a href="#feedback-useful-yes">' in html
    assert '<a href="#feedback-comment">' in html
    assert 'aria-describedby="feedback-useful-error"' in html
    assert 'id="feedback-useful-error"' in html
    assert (
        'aria-describedby="feedback-comment-hint feedback-comment-info '
        'feedback-comment-error"'
    ) in html
    assert "<title>Error: " in html


def test_answers_are_kept_and_escaped_when_the_form_comes_back(client, page):
    html = send(
        client, page.pk, {"comment": "<script>alert('x')</script> more on cots"}
    ).content.decode()

    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; more on cots" in html
    assert "<script>alert(" not in html
    assert PageFeedback.objects.count() == 0


def test_exactly_2000_characters_is_accepted(client, page):
    response = send(client, page.pk, {"useful": "no", "comment": "z" * 2000})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert len(PageFeedback.objects.get().comment) == 2000


def test_script_laden_comment_is_stored_inert_as_text(client, page):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = send(client, page.pk, {"useful": "no", "comment": hostile})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert PageFeedback.objects.get().comment == hostile


@pytest.mark.parametrize(
    "path",
    [
        "/feedback/999999/",
        "/feedback/0/",
        "/feedback/99999999999999999999999/",
        "/feedback/abc/",
        "/feedback/-1/",
        "/feedback/1.5/",
        "/feedback/%3Cscript%3E/",
    ],
)
def test_unknown_or_malformed_page_ids_are_not_found(client, site, path):
    response = client.post(path, {"useful": "yes"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert PageFeedback.objects.count() == 0


def test_drafts_private_pages_and_the_tree_root_take_no_feedback(client, site):
    draft = StandardPageFactory(parent=site, title="Draft", live=False)
    private = StandardPageFactory(parent=site, title="Staff only")
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    under_private = StandardPageFactory(parent=private, title="Inside")
    root = Page.get_first_root_node()

    for target in (draft, private, under_private, root):
        response = send(client, target.pk, {"useful": "yes"})
        assert response.status_code == HTTPStatus.NOT_FOUND, target.title
    assert PageFeedback.objects.count() == 0


def test_feedback_cannot_be_fetched_with_get(client, page):
    response = client.get(f"/feedback/{page.pk}/?useful=yes")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert PageFeedback.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://other.testserver"},
        # Sec-Fetch-Site wins: a matching Origin does not excuse a cross-site post.
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    ],
)
def test_posts_from_other_sites_are_forbidden(page, headers):
    """CSRF: a form on another site cannot post feedback through a reader's browser."""
    browser = Client(enforce_csrf_checks=True)
    response = send(browser, page.pk, {"useful": "yes"}, **headers)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "Go back to the page" in response.content.decode()
    assert PageFeedback.objects.count() == 0


def test_trusted_origins_may_post(settings, page):
    settings.CSRF_TRUSTED_ORIGINS = ["https://learning.example.org"]
    response = send(
        Client(), page.pk, {"useful": "yes"}, Origin="https://learning.example.org"
    )
    assert response.status_code == HTTPStatus.SEE_OTHER


def test_more_than_ten_a_minute_from_one_address_is_refused(client, page):
    for _ in range(10):
        assert send(client, page.pk, {"useful": "yes"}).status_code == 303

    response = send(client, page.pk, {"useful": "yes"})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "60"
    assert "Wait a minute" in response.content.decode()
    assert PageFeedback.objects.count() == 10
    # Someone else, at another address, is not held up.
    other = client.post(
        f"/feedback/{page.pk}/", {"useful": "no"}, REMOTE_ADDR="192.0.2.77"
    )
    assert other.status_code == HTTPStatus.SEE_OTHER


def test_the_address_is_neither_stored_nor_used_as_a_cache_key(client, page):
    client.post(f"/feedback/{page.pk}/", {"useful": "yes"}, REMOTE_ADDR="203.0.113.9")

    fields = {field.name for field in PageFeedback._meta.get_fields()}
    assert fields == {"id", "page", "useful", "comment", "created_at"}
    keys = list(cache._cache.keys())  # the local-memory cache the tests use
    assert keys and not any("203.0.113.9" in key for key in keys)


def test_a_broken_cache_lets_feedback_through(client, page, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    from website import ratelimit

    monkeypatch.setattr(ratelimit.cache, "add", broken)
    assert send(client, page.pk, {"useful": "yes"}).status_code == 303


def test_the_service_refuses_an_oversized_comment(page):
    with pytest.raises(ValueError, match="limit is 2000"):
        feedback.record_feedback(page.pk, True, "x" * 2001)
    assert PageFeedback.objects.count() == 0


def test_spreadsheet_cells_never_start_a_formula():
    assert feedback.spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert feedback.spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert feedback.spreadsheet_safe("+1") == "'+1"
    assert feedback.spreadsheet_safe("-1") == "'-1"
    assert feedback.spreadsheet_safe(-1) == "-1"
    assert feedback.spreadsheet_safe("Fine") == "Fine"
    assert feedback.spreadsheet_safe(None) == ""


# --- The admin report -----------------------------------------------------------------


@pytest.fixture
def known_feedback(site):
    """Two pages with feedback (one with more), one page with none."""
    cots = StandardPageFactory(parent=site, title="Cot safety", slug="cot-safety")
    baths = StandardPageFactory(parent=site, title="Bath seats", slug="bath-seats")
    StandardPageFactory(parent=site, title="No feedback yet", slug="quiet")
    give(cots, True, when=at(1, 9))
    give(cots, True, "More on second-hand cots", when=at(2, 10))
    give(cots, False, when=at(3, 11, 15))
    give(baths, True, when=at(1, 8))
    for day in range(2, 8):
        give(baths, False, when=at(day, 8))
    give(baths, False, '=HYPERLINK("http://x","y")', when=at(10, 16, 45))
    give(baths, False, "<b>Bold</b> & <script>alert(1)</script>", when=at(9, 7))
    return cots, baths


def test_summary_counts_in_sql(known_feedback):
    cots, baths = known_feedback

    rows = {
        page.pk: (
            page.yes_count,
            page.no_count,
            page.comment_count,
            page.percent_useful,
            page.latest_feedback,
        )
        for page in feedback.feedback_summary()
    }

    assert rows == {
        cots.pk: (2, 1, 1, 67, at(3, 11, 15)),
        baths.pk: (1, 8, 2, 11, at(10, 16, 45)),
    }


def test_summary_rounds_a_half_up(site):
    page = StandardPageFactory(parent=site, title="Half")
    give(page, True)
    for _ in range(7):
        give(page, False)
    assert feedback.feedback_summary().get().percent_useful == 13  # 12.5%


def test_summary_for_a_date_range_counts_only_those_dates(known_feedback):
    cots, baths = known_feedback

    rows = {
        page.pk: (page.yes_count, page.no_count, page.comment_count)
        for page in feedback.feedback_summary(since=at(2, 0), until=at(3, 23, 59))
    }

    assert rows == {cots.pk: (1, 1, 1), baths.pk: (0, 2, 0)}


def test_report_lists_pages_with_counts_newest_first(admin_client, known_feedback):
    cots, baths = known_feedback

    response = admin_client.get(REPORT_URL)

    assert response.status_code == HTTPStatus.OK
    pages = list(response.context["object_list"])
    assert [p.pk for p in pages] == [baths.pk, cots.pk]
    html = response.content.decode()
    assert "No feedback yet" not in html
    assert f'href="/admin/pages/{cots.pk}/edit/"' in html
    assert "67%" in html and "11%" in html
    assert f'href="/admin/reports/page-feedback/{cots.pk}/"' in html
    assert "Download CSV" in html


def test_report_can_be_sorted(admin_client, known_feedback):
    cots, baths = known_feedback
    response = admin_client.get(REPORT_URL + "?ordering=-percent_useful")
    assert [p.pk for p in response.context["object_list"]] == [cots.pk, baths.pk]


def test_report_date_filter(admin_client, known_feedback):
    cots, baths = known_feedback

    response = admin_client.get(
        REPORT_URL + "?received_from=2026-03-08&received_to=2026-03-31"
    )

    pages = list(response.context["object_list"])
    assert [(p.pk, p.yes_count, p.no_count) for p in pages] == [(baths.pk, 0, 2)]
    csv_rows = parse_csv(
        admin_client.get(
            REPORT_URL + "?received_from=2026-03-08&received_to=2026-03-31&export=csv"
        )
    )
    assert csv_rows[1:] == [
        [str(baths.pk), "Bath seats", "en-gb", "0", "2", "0", "2", "2026-03-10 16:45"]
    ]


def test_a_nonsense_date_filter_is_ignored_not_an_error(admin_client, known_feedback):
    response = admin_client.get(REPORT_URL + "?received_from=banana&received_to=%00")
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["object_list"]) == 2


def test_report_csv_export_is_exact(admin_client, known_feedback):
    cots, baths = known_feedback

    response = admin_client.get(REPORT_URL + "?export=csv")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="page-feedback-'
    )
    assert parse_csv(response) == [
        [
            "Page ID",
            "Page",
            "Language",
            "Yes",
            "No",
            "% useful",
            "Comments",
            "Latest feedback",
        ],
        [str(baths.pk), "Bath seats", "en-gb", "1", "8", "11", "2", "2026-03-10 16:45"],
        [str(cots.pk), "Cot safety", "en-gb", "2", "1", "67", "1", "2026-03-03 11:15"],
    ]


def test_report_xlsx_export(admin_client, known_feedback):
    response = admin_client.get(REPORT_URL + "?export=xlsx")
    assert response.status_code == HTTPStatus.OK
    assert "spreadsheetml" in response["Content-Type"]


def test_detail_lists_comments_newest_first_and_escaped(admin_client, known_feedback):
    cots, baths = known_feedback

    response = admin_client.get(f"{REPORT_URL}{baths.pk}/")

    assert response.status_code == HTTPStatus.OK
    items = list(response.context["object_list"])
    assert [item.comment[:5] for item in items] == ["=HYPE", "<b>Bo"]
    html = response.content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html and "<b>Bold</b>" not in html
    assert "10 March 2026 16:45" in html
    assert "Bath seats" in html


def test_detail_csv_export_neutralises_formulas(admin_client, known_feedback):
    cots, baths = known_feedback

    rows = parse_csv(admin_client.get(f"{REPORT_URL}{baths.pk}/?export=csv"))

    assert rows == [
        ["Received", "Useful", "What was missing"],
        ["2026-03-10 16:45", "No", '\'=HYPERLINK("http://x","y")'],
        ["2026-03-09 07:00", "No", "<b>Bold</b> & <script>alert(1)</script>"],
    ]


def test_detail_for_a_page_without_comments_says_so(admin_client, site):
    page = StandardPageFactory(parent=site, title="Quiet")
    give(page, True)
    html = admin_client.get(f"{REPORT_URL}{page.pk}/").content.decode()
    assert "Nobody has left a comment on this page yet." in html
    summary = admin_client.get(REPORT_URL).content.decode()
    assert "No comments" in summary
    assert f'href="{REPORT_URL}{page.pk}/"' not in summary


@pytest.mark.parametrize("page_id", ["999999", "99999999999999999999"])
def test_detail_for_an_unknown_page_is_not_found(admin_client, site, page_id):
    response = admin_client.get(f"{REPORT_URL}{page_id}/")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_deleting_a_page_deletes_its_feedback(known_feedback):
    cots, _ = known_feedback
    cots.delete()
    assert not PageFeedback.objects.filter(page_id=cots.pk).exists()


# --- Who may see it -------------------------------------------------------------------


def report_urls(page_id):
    return [
        REPORT_URL,
        REPORT_URL + "results/",
        REPORT_URL + "?export=csv",
        f"{REPORT_URL}{page_id}/",
        f"{REPORT_URL}{page_id}/?export=csv",
    ]


def test_anonymous_visitors_are_sent_to_login(client, known_feedback):
    for url in report_urls(known_feedback[0].pk):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert "/admin/login/" in response["Location"]


def test_editors_without_the_permission_cannot_see_the_report(client, known_feedback):
    user = UserFactory(username="page-editor")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)

    assert "Page feedback" not in client.get("/admin/").content.decode()
    for url in report_urls(known_feedback[0].pk):
        response = client.get(url)
        assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN), url
        assert b"Cot safety" not in b"".join(
            getattr(response, "streaming_content", [response.content])
        )


def test_the_permission_can_be_granted(client, known_feedback):
    user = UserFactory(username="programme-lead")
    group = Group.objects.create(name="Programme leads")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_pagefeedback"),
    )
    user.groups.add(group)
    client.force_login(user)

    assert "Page feedback" in client.get("/admin/").content.decode()
    for url in report_urls(known_feedback[0].pk):
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_the_permission_is_offered_in_the_group_editor(admin_client):
    response = admin_client.get("/admin/groups/new/")
    permission = Permission.objects.get(codename="view_pagefeedback")
    assert f'value="{permission.pk}"' in response.content.decode()


# --- Query counts ---------------------------------------------------------------------


REPORT_QUERY_BOUND = 15  # session, user, permissions, count, one page of rows


def add_pages_with_feedback(site, first, last):
    for n in range(first, last):
        page = StandardPageFactory(parent=site, title=f"Page {n}", slug=f"p-{n}")
        give(page, n % 2 == 0, "A comment" if n % 3 == 0 else "")
        give(page, True)


def report_queries(client, url=REPORT_URL):
    client.get(url)  # warm per-process caches (site root paths, locales)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries), len(response.context["object_list"])


@pytest.mark.parametrize("pages", [5, 50])
def test_report_query_count_is_bounded(
    admin_client, site, pages, django_assert_max_num_queries
):
    add_pages_with_feedback(site, 0, pages)
    admin_client.get(REPORT_URL)
    with django_assert_max_num_queries(REPORT_QUERY_BOUND):
        response = admin_client.get(REPORT_URL)
    assert len(response.context["object_list"]) == pages


def test_report_query_count_does_not_grow_with_pages(admin_client, site):
    add_pages_with_feedback(site, 0, 5)
    five = report_queries(admin_client)
    add_pages_with_feedback(site, 5, 50)
    fifty = report_queries(admin_client)
    assert five[1] == 5 and fifty[1] == 50
    assert fifty[0] == five[0]


def test_detail_query_count_does_not_grow_with_comments(admin_client, site):
    page = StandardPageFactory(parent=site, title="Busy")
    for n in range(5):
        give(page, False, f"Comment {n}")
    five = report_queries(admin_client, f"{REPORT_URL}{page.pk}/")
    for n in range(5, 50):
        give(page, False, f"Comment {n}")
    fifty = report_queries(admin_client, f"{REPORT_URL}{page.pk}/")
    assert five[1] == 5 and fifty[1] == 50
    assert fifty[0] == five[0]
