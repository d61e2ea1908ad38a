"""The admin side of email: lists, subscribers, and sending a page by email.

Through Django's test client as a signed-in user, on the real database. The send
flow: choose lists -> check (the email, who gets it, a test) -> confirm (one send
per one-time key) -> progress and report. In eager mode (``celery_eager`` with
on-commit callbacks run) the pipeline delivers into ``django.core.mail.outbox``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, PageViewRestriction

from bulletins import sending
from bulletins.models import (
    ConsentRecord,
    Delivery,
    DeliveryEvent,
    DistributionList,
    Send,
    Subscriber,
    Subscription,
)
from tests.factories import StandardPageFactory, UserFactory
from tests.factories.bulletins import BulletinIndexPageFactory, BulletinPageFactory
from tests.factories.distribution import (
    DistributionListFactory,
    SubscriberFactory,
    SubscriptionFactory,
)
from tests.factories.learning import (
    SafetyMessageIndexPageFactory,
    SafetyMessagePageFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
WEEKLY = Subscription.Frequency.WEEKLY


# --- Fixtures -------------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    return UserFactory(
        username="send-admin",
        email="editor@programme.example.org",
        first_name="Priya",
        last_name="Shah",
        is_superuser=True,
        is_staff=True,
    )


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def bulletin(site):
    index = BulletinIndexPageFactory(parent=site)
    page = BulletinPageFactory(
        parent=index,
        title="Learning bulletin",
        slug="learning-bulletin",
        issue_number=7,
        intro="Welcome to issue seven.",
    )
    page.save_revision().publish()
    return page


@pytest.fixture
def lists(db):
    """Three lists whose members overlap; five active people get a send to all."""
    bulletin_list = DistributionListFactory(name="Bulletin", slug="bulletin")
    safety = DistributionListFactory(name="Safety messages", slug="safety")
    staff = DistributionListFactory(
        name="CDOP managers",
        slug="cdop-managers",
        visibility=DistributionList.Visibility.STAFF,
    )
    people = {
        "both": [bulletin_list, safety],
        "all-three": [bulletin_list, safety, staff],
        "bulletin-only": [bulletin_list],
        "safety-only": [safety],
        "staff-only": [staff],
    }
    for name, memberships in people.items():
        subscriber = SubscriberFactory(email=f"{name}@example.org")
        for item in memberships:
            SubscriptionFactory(subscriber=subscriber, distribution_list=item)
    # People who must not be counted or sent to.
    for status in ("pending", "unsubscribed", "bounced", "complained"):
        subscriber = SubscriberFactory(email=f"{status}@example.org", status=status)
        SubscriptionFactory(subscriber=subscriber, distribution_list=bulletin_list)
    weekly = SubscriberFactory(email="weekly@example.org")
    SubscriptionFactory(
        subscriber=weekly, distribution_list=bulletin_list, frequency=WEEKLY
    )
    return {"bulletin": bulletin_list, "safety": safety, "staff": staff}


def url(name: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"bulletins_sends:{name}", args=args)


def choices(*items, **extra) -> dict:
    return {"lists": [str(item.pk) for item in items], **extra}


def confirm_data(*items, key=None, **extra) -> dict:
    return {**choices(*items, **extra), "key": str(key or uuid.uuid4())}


def text(response) -> str:
    return response.content.decode()


def future(days: int = 2, hour: int = 9) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 30)).replace(tzinfo=LONDON)


# --- The send flow --------------------------------------------------------------------


def test_send_button_is_on_the_page_header_and_page_listing(admin_client, bulletin):
    choose = url("choose", bulletin.pk)
    edit = admin_client.get(f"/admin/pages/{bulletin.pk}/edit/")
    assert edit.status_code == HTTPStatus.OK
    assert f'href="{choose}"' in text(edit)
    listing = admin_client.get(f"/admin/pages/{bulletin.get_parent().pk}/")
    assert listing.status_code == HTTPStatus.OK
    assert f'href="{choose}"' in text(listing)


def test_a_safety_message_is_sent_the_same_way(admin_client, site, lists):
    index = SafetyMessageIndexPageFactory(parent=site)
    message = SafetyMessagePageFactory(parent=index, title="Safer sleep")
    message.save_revision().publish()
    edit = text(admin_client.get(f"/admin/pages/{message.pk}/edit/"))
    assert url("choose", message.pk) in edit

    check = text(admin_client.get(url("check", message.pk), choices(lists["safety"])))
    assert "Safety message: Safer sleep" in check
    assert "Put babies to sleep on their back" in check  # the plain-text part
    response = admin_client.post(
        url("confirm", message.pk), confirm_data(lists["safety"])
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    send = Send.objects.get()
    assert send.kind == Send.Kind.SAFETY_MESSAGE
    assert send.page_id == message.pk


def test_no_send_button_on_pages_that_have_no_email(admin_client, site):
    page = StandardPageFactory(parent=site, title="About")
    page.save_revision().publish()
    edit = admin_client.get(f"/admin/pages/{page.pk}/edit/")
    assert edit.status_code == HTTPStatus.OK
    assert "Send by email" not in text(edit)


def test_choose_page_offers_every_list_with_who_it_reaches(
    admin_client, bulletin, lists
):
    response = admin_client.get(url("choose", bulletin.pk))
    assert response.status_code == HTTPStatus.OK
    body = text(response)
    # Active "immediately" subscribers only; the weekly one is counted apart.
    assert "Bulletin: 3 people get each email, 1 only a weekly digest" in body
    assert "Safety messages: 3 people get each email" in body
    assert "CDOP managers (staff only): 2 people get each email" in body
    assert 'action="' + url("check", bulletin.pk) + '"' in body


def test_check_page_counts_each_person_once_across_overlapping_lists(
    admin_client, bulletin, lists
):
    response = admin_client.get(
        url("check", bulletin.pk),
        choices(lists["bulletin"], lists["safety"], lists["staff"]),
    )
    assert response.status_code == HTTPStatus.OK
    body = text(response)
    # both, all-three, bulletin-only, safety-only, staff-only: five people, not 8.
    assert 'data-recipient-count="5"' in body
    assert "<strong>5 people</strong> will get this email" in body
    assert "Send to 5 people now" in body
    assert "1 more person on these lists asked for a weekly digest only" in body
    # The email: subject, a sandboxed preview frame, and the plain-text part.
    assert "Learning bulletin (issue 7)" in body
    assert f'src="{url("preview", bulletin.pk)}"' in body
    assert 'sandbox=""' in body
    assert "Welcome to issue seven." in body  # in the plain-text part
    assert "CDRTOKEN" not in body
    keys = re.findall(r'name="key" value="([0-9a-f-]{36})"', body)
    assert len(keys) == 1 and uuid.UUID(keys[0])
    assert Send.objects.count() == 0  # looking changes nothing


def test_preview_is_the_email_html_under_a_restrictive_policy(admin_client, bulletin):
    response = admin_client.get(url("preview", bulletin.pk))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/html; charset=utf-8"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    body = text(response)
    assert "Welcome to issue seven." in body
    assert "Hello Priya Shah," in body
    assert "CDRTOKEN" not in body


def test_confirm_makes_exactly_one_send_however_often_it_is_posted(
    admin_client, admin_user, bulletin, lists
):
    data = confirm_data(lists["bulletin"], lists["safety"])
    first = admin_client.post(url("confirm", bulletin.pk), data)
    again = admin_client.post(url("confirm", bulletin.pk), data)

    assert Send.objects.count() == 1
    send = Send.objects.get()
    assert first.status_code == again.status_code == HTTPStatus.SEE_OTHER
    assert first["Location"] == again["Location"] == url("progress", send.pk)
    assert send.kind == Send.Kind.BULLETIN
    assert send.page_id == bulletin.pk
    assert send.created_by == admin_user
    assert send.key == f"admin:{data['key']}"
    assert set(send.lists.all()) == {lists["bulletin"], lists["safety"]}
    assert send.status == Send.Status.QUEUED

    # A fresh check page has a fresh key: confirming from it is a new send.
    admin_client.post(url("confirm", bulletin.pk), confirm_data(lists["staff"]))
    assert Send.objects.count() == 2


def test_progress_page_and_json(admin_client, bulletin, lists):
    admin_client.post(url("confirm", bulletin.pk), confirm_data(lists["bulletin"]))
    send = Send.objects.get()

    page = admin_client.get(url("progress", send.pk))
    assert page.status_code == HTTPStatus.OK
    body = text(page)
    assert "Status: <strong data-progress-status>Queued</strong>" in body
    assert 'data-live="true"' in body
    assert "Refresh to see the latest counts" in body
    assert "bulletins/send-progress.js" in body

    response = admin_client.get(url("progress_json", send.pk))
    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert {
        "total",
        "pending",
        "sent",
        "failed",
        "skipped",
        "bounced",
        "complaints",
        "done",
        "percent",
        "status",
    } <= set(data)
    assert data["status"] == "queued"
    assert data["done"] is False
    assert data["live"] is True


def test_eager_send_reaches_each_person_once_and_the_report_says_so(
    admin_client, bulletin, lists, celery_eager, django_capture_on_commit_callbacks
):
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url("confirm", bulletin.pk),
            confirm_data(lists["bulletin"], lists["safety"], lists["staff"]),
        )
    assert response.status_code == HTTPStatus.SEE_OTHER
    send = Send.objects.get()
    send.refresh_from_db()
    assert send.status == Send.Status.SENT
    assert sorted(to for message in mail.outbox for to in message.to) == [
        "all-three@example.org",
        "both@example.org",
        "bulletin-only@example.org",
        "safety-only@example.org",
        "staff-only@example.org",
    ]
    assert {message.subject for message in mail.outbox} == {
        "Learning bulletin (issue 7)"
    }

    data = admin_client.get(url("progress_json", send.pk)).json()
    assert data["total"] == data["sent"] == 5
    assert data["pending"] == data["failed"] == 0
    assert data["done"] is True and data["percent"] == 100

    report = text(admin_client.get(url("progress", send.pk)))
    assert "Status: <strong data-progress-status>Sent</strong>" in report
    assert 'data-live="false"' in report
    assert '<td data-count="sent">5</td>' in report
    assert "No email has failed." in report
    assert "Priya Shah" in report  # who sent it


def test_report_lists_failures_with_reasons_and_counts_bounces(
    admin_client, admin_user, bulletin, lists
):
    send = sending.send_page(bulletin, [lists["bulletin"]], user=admin_user)
    sending.start_send(send.pk)
    deliveries = list(send.deliveries.order_by("pk"))
    Delivery.objects.filter(pk=deliveries[0].pk).update(
        status=Delivery.Status.FAILED, error="550 5.1.1 <x>: mailbox <b>unknown</b>"
    )
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries[1:]]).update(
        status=Delivery.Status.SENT
    )
    for kind, address in [
        (DeliveryEvent.Kind.HARD_BOUNCE, "x@example.org"),
        (DeliveryEvent.Kind.SOFT_BOUNCE, "y@example.org"),
        (DeliveryEvent.Kind.SOFT_BOUNCE, "y@example.org"),  # twice: one address
        (DeliveryEvent.Kind.COMPLAINT, "z@example.org"),
    ]:
        DeliveryEvent.objects.create(kind=kind, email=address, send=send)
    body = text(admin_client.get(url("progress", send.pk)))
    assert deliveries[0].email in body
    # The reason is shown, escaped.
    assert "mailbox &lt;b&gt;unknown&lt;/b&gt;" in body
    assert '<td data-count="failed">1</td>' in body
    assert '<td data-report="hard">1</td>' in body
    assert '<td data-report="soft">1</td>' in body
    assert '<td data-report="complaints">1</td>' in body

    listing = text(admin_client.get(url("index")))
    row = listing[listing.index("Learning bulletin (issue 7)") :]
    row = row[: row.index("</tr>")]
    cells = [c.strip() for c in re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", row)]
    # Kind, status, lists, recipients, sent, failed, bounced (addresses), when.
    assert cells[:7] == ["Bulletin", "Sending", "Bulletin", "3", "2", "1", "2"]


def test_test_send_goes_to_the_signed_in_user_only(
    admin_client, bulletin, lists, celery_eager, django_capture_on_commit_callbacks
):
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url("test", bulletin.pk), choices(lists["bulletin"]), follow=True
        )
    assert response.status_code == HTTPStatus.OK
    assert "A test has been sent to editor@programme.example.org" in text(response)
    # Back on the check page, with the same choices.
    assert response.redirect_chain[-1][0] == (
        url("check", bulletin.pk) + f"?lists={lists['bulletin'].pk}"
    )
    assert [message.to for message in mail.outbox] == [["editor@programme.example.org"]]
    assert mail.outbox[0].subject == "[Test] Learning bulletin (issue 7)"
    assert list(Send.objects.values_list("kind", flat=True)) == [Send.Kind.TEST]


def test_test_send_needs_an_address_on_the_account(admin_client, admin_user, bulletin):
    admin_user.email = ""
    admin_user.save()
    response = admin_client.post(url("test", bulletin.pk), {}, follow=True)
    assert "Your account has no email address" in text(response)
    assert Send.objects.count() == 0


def test_scheduled_send_waits_and_can_be_cancelled(admin_client, bulletin, lists):
    when = future(days=3)
    data = confirm_data(
        lists["bulletin"],
        send_date=when.strftime("%Y-%m-%d"),
        send_time=when.strftime("%H:%M"),
    )
    check = admin_client.get(url("check", bulletin.pk), data)
    assert "Schedule for 3 people" in text(check)

    response = admin_client.post(url("confirm", bulletin.pk), data, follow=True)
    send = Send.objects.get()
    assert send.status == Send.Status.SCHEDULED
    assert send.scheduled_for == when
    body = text(response)
    assert "is scheduled for" in body
    assert "Cancel this send" in body

    cancelled = admin_client.post(url("cancel", send.pk), follow=True)
    assert "The send was cancelled. Nobody will get it." in text(cancelled)
    send.refresh_from_db()
    assert send.status == Send.Status.CANCELLED

    again = admin_client.post(url("cancel", send.pk), follow=True)
    assert "This send could not be cancelled" in text(again)


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (-1, "The time to send must be in the future"),
        (0, "The time to send must be in the future"),
        (400, "Choose a time to send within the next 12 months"),
    ],
)
def test_a_schedule_in_the_past_or_far_future_is_refused(
    admin_client, bulletin, lists, moment, message
):
    when = timezone.localtime(timezone.now(), LONDON) + dt.timedelta(days=moment)
    data = confirm_data(
        lists["bulletin"],
        send_date=when.strftime("%Y-%m-%d"),
        send_time=when.strftime("%H:%M"),
    )
    for response in (
        admin_client.get(url("check", bulletin.pk), data),
        admin_client.post(url("confirm", bulletin.pk), data),
    ):
        assert response.status_code == HTTPStatus.OK
        assert message in text(response)
        assert "There is a problem" in text(response)
    assert Send.objects.count() == 0


def test_date_without_time_is_refused_in_plain_english(admin_client, bulletin, lists):
    data = confirm_data(lists["bulletin"], send_date=future().strftime("%Y-%m-%d"))
    response = admin_client.post(url("confirm", bulletin.pk), data)
    assert "Enter both a date and a time to schedule the email" in text(response)
    assert Send.objects.count() == 0


def test_lists_nobody_is_on_cannot_be_sent_to(admin_client, bulletin, lists):
    empty = DistributionListFactory(name="Nobody yet", slug="nobody-yet")
    check = text(admin_client.get(url("check", bulletin.pk), choices(empty)))
    assert "Nobody on the lists you chose would get this email" in check
    assert 'name="key"' not in check
    response = admin_client.post(url("confirm", bulletin.pk), confirm_data(empty))
    assert "Nobody on the lists you chose would get this email" in text(response)
    assert Send.objects.count() == 0


HOSTILE = [
    ({"lists": []}, "Choose at least one list to send to"),
    ({"lists": ["999999"]}, "Choose lists from the ones shown"),
    ({"lists": ["abc"]}, "Choose lists from the ones shown"),
    ({"lists": ["-1"]}, "Choose lists from the ones shown"),
    ({"lists": ["9" * 30]}, "Choose lists from the ones shown"),
    ({"lists": ["1\r\nBcc: victim@example.org"]}, "Choose lists from the ones shown"),
    ({"lists": [str(n) for n in range(1, 600)]}, "Choose lists from the ones shown"),
    ({"send_date": "2026-13-45", "send_time": "09:00"}, "Enter a real date"),
    ({"send_date": "9" * 5000, "send_time": "09:00"}, "Enter a real date"),
    (
        {"send_date": "2030-01-01\r\nBcc: victim@example.org", "send_time": "09:00"},
        "Enter a real date",
    ),
    ({"send_date": "2030-01-01", "send_time": "25:99"}, "Enter a real time"),
    (
        {"send_date": "2030-01-01", "send_time": "09:00\r\nBcc: victim@example.org"},
        "Enter a real time",
    ),
    ({"key": "not-a-uuid"}, "This form has expired"),
    ({"key": ""}, "This form has expired"),
    ({"key": f"{uuid.uuid4()}\r\nX-Injected: 1"}, "This form has expired"),
]


@pytest.mark.parametrize(("overrides", "message"), HOSTILE)
def test_hostile_send_input_is_a_form_error_and_sends_nothing(
    admin_client,
    bulletin,
    lists,
    overrides,
    message,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    mail.outbox = []
    data = {**confirm_data(lists["bulletin"]), **overrides}
    with django_capture_on_commit_callbacks(execute=True):
        responses = [admin_client.post(url("confirm", bulletin.pk), data)]
        if "key" not in overrides:
            responses.append(admin_client.get(url("check", bulletin.pk), data))
        responses.append(admin_client.post(url("test", bulletin.pk), data))
    confirm = responses[0]
    assert confirm.status_code == HTTPStatus.OK
    assert message in text(confirm)
    if "key" not in overrides:
        assert message in text(responses[1])
    assert Send.objects.exclude(kind=Send.Kind.TEST).count() == 0
    assert all(
        message.to == ["editor@programme.example.org"] for message in mail.outbox
    )


def test_a_page_that_cannot_be_sent_is_not_found(admin_client, site, bulletin, lists):
    standard = StandardPageFactory(parent=site, title="About")
    standard.save_revision().publish()
    draft = BulletinPageFactory(parent=bulletin.get_parent(), live=False)
    unpublished = BulletinPageFactory(parent=bulletin.get_parent())
    unpublished.save_revision().publish()
    unpublished.unpublish()
    private = BulletinPageFactory(parent=bulletin.get_parent())
    private.save_revision().publish()
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.LOGIN
    )
    for page_id in (standard.pk, draft.pk, unpublished.pk, private.pk, 2**31, 0):
        for method, name in (
            ("get", "choose"),
            ("get", "check"),
            ("get", "preview"),
            ("post", "test"),
            ("post", "confirm"),
        ):
            path = f"/admin/email/sends/page/{page_id}/" + (
                "" if name == "choose" else f"{name}/"
            )
            response = getattr(admin_client, method)(
                path, confirm_data(lists["bulletin"])
            )
            assert response.status_code == HTTPStatus.NOT_FOUND, (page_id, name)
    for path in (
        "/admin/email/sends/99999999/",
        "/admin/email/sends/99999999999999999999999/",
        "/admin/email/sends/99999999/progress.json",
        "/admin/email/subscribers/99999999999999999999999/",
    ):
        assert admin_client.get(path).status_code == HTTPStatus.NOT_FOUND, path
    assert Send.objects.count() == 0


@pytest.fixture
def editor(db):
    """An editor with admin access and page permissions, but not "can add send"."""
    group = Group.objects.create(name="Editors without sending")
    group.permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
    )
    group.permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtailcore", codename="change_page"
        )
    )
    GroupPagePermission.objects.create(
        group=group,
        page=Page.get_first_root_node(),
        permission=Permission.objects.get(
            content_type__app_label="wagtailcore", codename="change_page"
        ),
    )
    user = UserFactory(username="no-send-editor")
    user.groups.add(group)
    return user


def test_without_the_permission_every_send_view_is_forbidden(
    client, editor, bulletin, lists, admin_user
):
    send = sending.send_page(bulletin, [lists["bulletin"]], user=admin_user)
    client.force_login(editor)
    data = confirm_data(lists["bulletin"])
    for method, path in [
        ("get", url("index")),
        ("get", url("choose", bulletin.pk)),
        ("get", url("check", bulletin.pk)),
        ("get", url("preview", bulletin.pk)),
        ("post", url("test", bulletin.pk)),
        ("post", url("confirm", bulletin.pk)),
        ("get", url("progress", send.pk)),
        ("post", url("cancel", send.pk)),
    ]:
        # The admin's way of saying 403: back to the dashboard, with a message.
        response = getattr(client, method)(path, data)
        assert response.status_code == HTTPStatus.FOUND, path
        assert response["Location"] == "/admin/", path
    denied = client.get("/admin/", follow=True)
    assert "Sorry, you do not have permission to access this area." in text(denied)
    # The poller gets a plain 403 it can read.
    response = client.get(url("progress_json", send.pk))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"error": "You cannot see this send."}
    assert Send.objects.count() == 1
    edit = client.get(f"/admin/pages/{bulletin.pk}/edit/")
    assert edit.status_code == HTTPStatus.OK
    listing = client.get(f"/admin/pages/{bulletin.get_parent().pk}/")
    assert listing.status_code == HTTPStatus.OK
    for response in (edit, listing):
        assert url("choose", bulletin.pk) not in text(response)

    editor.groups.first().permissions.add(
        Permission.objects.get(content_type__app_label="bulletins", codename="add_send")
    )
    editor = type(editor).objects.get(pk=editor.pk)  # no cached permissions
    client.force_login(editor)
    assert client.get(url("choose", bulletin.pk)).status_code == HTTPStatus.OK
    assert client.get(url("progress", send.pk)).status_code == HTTPStatus.OK
    edit = client.get(f"/admin/pages/{bulletin.pk}/edit/")
    assert url("choose", bulletin.pk) in text(edit)


def test_send_permission_can_be_granted_in_the_group_editor(admin_client):
    response = admin_client.get("/admin/groups/new/")
    assert response.status_code == HTTPStatus.OK
    add_send = Permission.objects.get(
        content_type__app_label="bulletins", codename="add_send"
    )
    assert f'value="{add_send.pk}"' in text(response)


# --- Bounded queries ------------------------------------------------------------------


def _many_sends(admin_user, bulletin, lists, count: int) -> None:
    for _ in range(count):
        send = sending.send_page(
            bulletin, [lists["bulletin"], lists["staff"]], user=admin_user
        )
        sending.start_send(send.pk)


@pytest.mark.parametrize("count", [2, 25])
def test_sends_listing_queries_do_not_grow_with_sends(
    admin_client,
    admin_user,
    bulletin,
    lists,
    count,
    django_assert_max_num_queries,
):
    _many_sends(admin_user, bulletin, lists, count)
    with django_assert_max_num_queries(12):
        response = admin_client.get(url("index"))
    assert response.status_code == HTTPStatus.OK
    assert text(response).count("Learning bulletin (issue 7)") == min(count, 20)


@pytest.mark.parametrize("count", [2, 30])
def test_lists_listing_counts_in_sql(
    admin_client, lists, count, django_assert_max_num_queries
):
    for n in range(count):
        item = DistributionListFactory(name=f"Extra {n}", slug=f"extra-{n}")
        SubscriptionFactory(distribution_list=item)
    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/email/lists/")
    assert response.status_code == HTTPStatus.OK
    body = text(response)
    # Four active people on "Bulletin": three get each email, one a weekly digest.
    assert '>4<span class="w-sr-only"> active subscribers on Bulletin</span>' in body


def test_progress_json_and_page_queries_are_bounded(
    admin_client, admin_user, bulletin, lists, django_assert_max_num_queries
):
    _many_sends(admin_user, bulletin, lists, 1)
    send = Send.objects.get()
    Delivery.objects.filter(send=send).update(
        status=Delivery.Status.FAILED, error="550 no such user"
    )
    with django_assert_max_num_queries(8):
        assert admin_client.get(url("progress_json", send.pk)).status_code == 200
    with django_assert_max_num_queries(15):
        assert admin_client.get(url("progress", send.pk)).status_code == 200
    with django_assert_max_num_queries(15):
        assert admin_client.get(url("choose", bulletin.pk)).status_code == 200
    with django_assert_max_num_queries(17):
        response = admin_client.get(
            url("check", bulletin.pk), choices(lists["bulletin"], lists["safety"])
        )
        assert response.status_code == 200


def test_subscribers_listing_queries_do_not_grow(
    admin_client, lists, django_assert_max_num_queries
):
    for n in range(60):
        subscriber = SubscriberFactory(email=f"many{n}@example.org")
        SubscriptionFactory(subscriber=subscriber, distribution_list=lists["safety"])
    with django_assert_max_num_queries(14):
        response = admin_client.get("/admin/email/subscribers/")
    assert response.status_code == HTTPStatus.OK
    assert "Page 1 of 2" in text(response)  # 70 people, 50 a page
    with django_assert_max_num_queries(14):
        response = admin_client.get(f"/admin/email/subscribers/{subscriber.pk}/")
    assert response.status_code == HTTPStatus.OK


# --- Lists and subscribers ------------------------------------------------------------


def test_editor_adds_a_distribution_list(admin_client, django_user_model):
    response = admin_client.post(
        "/admin/email/lists/new/",
        {
            "name": "Designated doctors",
            "slug": "designated-doctors",
            "description": "For designated doctors for child deaths.",
            "visibility": "staff",
            "sort_order": "4",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    created = DistributionList.objects.get(slug="designated-doctors")
    assert not created.is_public


def test_subscribers_listing_searches_and_filters(admin_client, lists):
    response = admin_client.get("/admin/email/subscribers/", {"q": "both@"})
    body = text(response)
    assert "both@example.org" in body
    assert "safety-only@example.org" not in body

    response = admin_client.get(
        "/admin/email/subscribers/",
        {"status": "active", "distribution_list": lists["staff"].pk},
    )
    body = text(response)
    assert "staff-only@example.org" in body and "all-three@example.org" in body
    assert "both@example.org" not in body

    # Nonsense filter values are ignored, never an error.
    for query in ({"status": "\r\nx"}, {"distribution_list": "9" * 40}):
        assert admin_client.get("/admin/email/subscribers/", query).status_code == 200


def test_subscriber_details_show_lists_consent_and_recent_email(
    admin_client, admin_user, bulletin, lists
):
    subscriber = Subscriber.objects.get(email="both@example.org")
    ConsentRecord.objects.create(
        subscriber=subscriber,
        action=ConsentRecord.Action.CONFIRMED,
        method=ConsentRecord.Method.EMAIL_LINK,
        wording_version="2026-11",
    )
    send = sending.send_page(bulletin, [lists["bulletin"]], user=admin_user)
    sending.start_send(send.pk)
    response = admin_client.get(f"/admin/email/subscribers/{subscriber.pk}/")
    assert response.status_code == HTTPStatus.OK
    body = text(response)
    for expected in (
        "both@example.org",
        "Safety messages",
        "Confirmed by email link",
        "2026-11",
        "Learning bulletin (issue 7)",
        url("progress", send.pk),
    ):
        assert expected in body, expected


def add(admin_client, **data):
    form = {"frequency": "immediate", **data}
    return admin_client.post("/admin/email/subscribers/new/", form)


def test_staff_add_a_person_to_a_staff_list_at_once_with_a_consent_record(
    admin_client, admin_user, lists, celery_eager, django_capture_on_commit_callbacks
):
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        response = add(
            admin_client,
            email=" New.Manager@Example.org ",
            name="Sam Okafor",
            lists=[lists["staff"].pk],
        )
    assert response.status_code == HTTPStatus.SEE_OTHER, text(response)[-2000:]
    subscriber = Subscriber.objects.get(email="new.manager@example.org")
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.name == "Sam Okafor"
    assert list(subscriber.subscriptions.values_list("distribution_list", flat=True))
    record = subscriber.consent_records.get()
    assert record.action == ConsentRecord.Action.ADDED_BY_STAFF
    assert record.method == ConsentRecord.Method.ADMIN
    assert record.details["by_user"] == admin_user.pk
    assert mail.outbox == []  # a staff list needs no confirmation email
    assert response["Location"] == f"/admin/email/subscribers/{subscriber.pk}/"


def test_staff_adding_a_person_to_a_public_list_sends_a_confirmation(
    admin_client, lists, celery_eager, django_capture_on_commit_callbacks
):
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        response = add(
            admin_client,
            email="health.visitor@example.org",
            lists=[lists["bulletin"].pk, lists["staff"].pk],
            frequency="weekly",
        )
    assert response.status_code == HTTPStatus.SEE_OTHER
    subscriber = Subscriber.objects.get(email="health.visitor@example.org")
    # On the staff list now; on the public list only once they confirm.
    assert list(
        subscriber.subscriptions.values_list("distribution_list__slug", flat=True)
    ) == ["cdop-managers"]
    assert subscriber.pending_choices["lists"] == [lists["bulletin"].pk]
    assert subscriber.pending_choices["frequency"] == "weekly"
    assert [message.to for message in mail.outbox] == [["health.visitor@example.org"]]
    assert mail.outbox[0].subject == "Confirm your email subscription"
    actions = set(subscriber.consent_records.values_list("action", flat=True))
    assert ConsentRecord.Action.ADDED_BY_STAFF in actions


def test_public_list_only_leaves_a_new_person_pending(admin_client, lists):
    response = add(admin_client, email="new@example.org", lists=[lists["safety"].pk])
    assert response.status_code == HTTPStatus.SEE_OTHER
    subscriber = Subscriber.objects.get(email="new@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    assert not subscriber.subscriptions.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": ""}, "Enter an email address"),
        ({"email": "not an address"}, "Enter an email address in the correct format"),
        (
            {"email": "a@example.org\r\nBcc: victim@example.org"},
            "Enter an email address in the correct format",
        ),
        ({"email": "x" * 250 + "@example.org"}, "254 characters or fewer"),
        ({"name": "Sam\r\nBcc: victim@example.org"}, "Enter the name on one line"),
        ({"name": "x" * 500}, "Enter a name of 120 characters or fewer"),
        ({"lists": ["999999"]}, "Choose lists from the ones shown"),
        ({"lists": ["abc"]}, "Choose lists from the ones shown"),
        ({"lists": []}, "Choose at least one list"),
        ({"frequency": "hourly"}, "Choose how often they get email"),
        ({"audience": "9" * 30}, "Choose a role from the list"),
        ({"email": "bounced@example.org"}, "Email to this address bounced"),
        ({"email": "complained@example.org"}, "marked our email as spam"),
        ({"email": "unsubscribed@example.org"}, "This person unsubscribed on"),
    ],
)
def test_hostile_or_refused_additions_write_nothing(
    admin_client,
    lists,
    data,
    message,
    celery_eager,
    django_capture_on_commit_callbacks,
):
    before = (
        Subscriber.objects.count(),
        Subscription.objects.count(),
        ConsentRecord.objects.count(),
    )
    mail.outbox = []
    form = {"email": "someone@example.org", "lists": [lists["staff"].pk], **data}
    with django_capture_on_commit_callbacks(execute=True):
        response = add(admin_client, **form)
    assert response.status_code == HTTPStatus.OK
    assert message in text(response)
    assert "There is a problem" in text(response)
    after = (
        Subscriber.objects.count(),
        Subscription.objects.count(),
        ConsentRecord.objects.count(),
    )
    assert after == before
    assert mail.outbox == []


def test_progress_json_is_plain_json_for_the_poller(admin_client, admin_user, bulletin):
    lst = DistributionListFactory()
    SubscriptionFactory(distribution_list=lst)
    send = sending.send_page(bulletin, [lst], user=admin_user)
    response = admin_client.get(url("progress_json", send.pk))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["status_label"] == "Queued"
