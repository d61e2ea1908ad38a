"""A safety message as email, and publishing one notifies "immediately" subscribers.

Publishing runs for real: Wagtail's ``page_published`` signal, the receiver's
on-commit hook, the Celery task (inline, ``celery_eager``) and the send pipeline,
whose messages land in ``django.core.mail.outbox``.
"""

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import clear_url_caches
from django.utils import timezone
from wagtail.models import Locale, PageViewRestriction, Revision

from bulletins import notify
from bulletins.email import TOKENS
from bulletins.models import Delivery, Send, Subscriber, Subscription
from learning.models import SafetyMessagePage
from tests.factories import AudienceFactory, ThemeFactory
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

IMMEDIATE = Subscription.Frequency.IMMEDIATE
WEEKLY = Subscription.Frequency.WEEKLY
LANGS = [("en-gb", "English"), ("pl", "Polski")]


@pytest.fixture
def vocab():
    return {
        "sleep": ThemeFactory(name="Safe sleep", slug="safe-sleep"),
        "water": ThemeFactory(name="Water safety", slug="water-safety"),
        "midwives": AudienceFactory(name="Midwives", slug="midwives"),
        "police": AudienceFactory(name="Police", slug="police"),
    }


@pytest.fixture
def index(site):
    return SafetyMessageIndexPageFactory(parent=site)


@pytest.fixture
def draft(index, vocab):
    """An unpublished safety message about safe sleep, for midwives."""
    page = SafetyMessagePageFactory(
        parent=index, title="Safe sleep", slug="safe-sleep", live=False
    )
    page.themes.add(vocab["sleep"])
    page.audiences.add(vocab["midwives"])
    page.save_revision()
    return page


@pytest.fixture
def readers(vocab):
    """Who should and should not hear about a safe-sleep message for midwives."""
    sleep = DistributionListFactory(name="Safe sleep", themes=[vocab["sleep"]])
    everything = DistributionListFactory(name="Everything")
    water = DistributionListFactory(name="Water", themes=[vocab["water"]])
    police = DistributionListFactory(name="Police", audiences=[vocab["police"]])

    def person(email, *lists, frequency=IMMEDIATE, **kwargs):
        subscriber = SubscriberFactory(email=email, **kwargs)
        for lst in lists:
            SubscriptionFactory(
                subscriber=subscriber, distribution_list=lst, frequency=frequency
            )
        return subscriber

    return {
        "asha": person("asha@example.org", sleep, everything, name="Asha Patel"),
        "ben": person("ben@example.org", everything, audience=vocab["midwives"]),
        "cat": person("cat@example.org", water),  # the wrong theme
        "dev": person("dev@example.org", police),  # a list for police only
        "eve": person("eve@example.org", sleep, audience=vocab["police"]),
        "fin": person("fin@example.org", sleep, frequency=WEEKLY),
        "gus": person("gus@example.org", sleep, status=Subscriber.Status.PENDING),
        "hal": person("hal@example.org", sleep, status=Subscriber.Status.BOUNCED),
    }


@pytest.fixture
def publish(celery_eager, django_capture_on_commit_callbacks):
    """Publish a page's latest revision and run everything it queues, inline.

    The receiver is the one ``BulletinsConfig.ready()`` connected at startup.
    """

    def run(page):
        with django_capture_on_commit_callbacks(execute=True):
            page.get_latest_revision().publish()
        page.refresh_from_db()
        return page

    return run


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


# --- The email ---------------------------------------------------------------


def test_the_email_has_every_part_in_html_and_text(index, vocab):
    source = SafetyMessagePageFactory(parent=index, title="Sleep QI pack")
    page = SafetyMessagePageFactory(
        parent=index,
        title="Bath seats",
        slug="bath-seats",
        key_message="Never leave a baby alone in the bath, even in a bath seat.",
        why_it_matters=(
            f'<p>Babies drown quickly. See <a linktype="page" id="{source.pk}">'
            "the sleep pack</a> &amp; more.</p>"
        ),
        what_to_do=[
            ("do_list", {"heading_level": 3, "label": "", "do": ["<p>Stay.</p>"]}),
            (
                "dont_list",
                {"heading_level": 3, "label": "", "dont": ["<p>Step away.</p>"]},
            ),
            (
                "warning_callout",
                {
                    "title": "Not a safety device",
                    "heading_level": 3,
                    "body": "<p>Seats tip over.</p>",
                },
            ),
        ],
        source_title="Drowning review 2025",
        source_url="https://example.org/drowning",
    )
    page.audiences.add(vocab["midwives"])
    page.save()

    email = page.compile_email()

    assert email.subject == "Safety message: Bath seats"
    assert email.preheader == page.key_message
    for part in (email.html, email.text):
        for words in (
            "Bath seats",
            "Never leave a baby alone in the bath, even in a bath seat.",
            "What to do",
            "Stay.",
            "Step away.",
            "Not a safety device",
            "Seats tip over.",
            "Babies drown quickly.",
            "Drowning review 2025",
            "Midwives",
            "1 Example Street",  # the sender's postal line
        ):
            assert words.lower() in part.lower(), (words, part[:200])
        # Every personal detail is a token, filled in per recipient by the pipeline.
        for token in TOKENS.values():
            assert token in part
    assert '<html lang="en-GB"' in email.html
    assert f"<title>{email.subject}</title>" in email.html
    assert "View this safety message in your browser" in email.html
    assert 'href="http://testserver/safety-messages/bath-seats/"' in email.html
    assert "Read it in your browser: http://testserver/safety-messages/bath-seats/" in (
        email.text
    )
    # The rich-text page link is absolute in both parts, the source link too.
    assert f'href="http://testserver{source.url}"' in email.html
    text = " ".join(email.text.split())  # the plain text is wrapped at 72
    assert f"the sleep pack (http://testserver{source.url})" in text
    assert "Drowning review 2025 (https://example.org/drowning)" in text
    assert "&amp; more" in email.html and "& more" in email.text
    hrefs = re.findall(r'href="([^"]+)"', email.html)
    assert hrefs and all(
        h.startswith(("http://", "https://")) or h in TOKENS.values() for h in hrefs
    )
    assert "- Stay." in email.text  # lists stay lists in plain text
    assert not re.search(r"</?(p|li|ul|a|strong)\b", email.text)


def test_care_card_images_keep_their_alt_text(index):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    image = Image.objects.create(title="Battery", file=get_test_image_file())
    page = SafetyMessagePageFactory(
        parent=index,
        title="Button batteries",
        what_to_do=[
            (
                "care_card",
                {
                    "type": "immediate",
                    "heading_level": 3,
                    "title": "If a child swallows a battery",
                    "body": [
                        {"type": "richtext", "value": "<p>Go to A&amp;E now.</p>"},
                        {
                            "type": "image",
                            "value": {
                                "content_image": image.pk,
                                "alt_text": "A button battery next to a coin",
                                "caption": "",
                            },
                        },
                    ],
                },
            )
        ],
    )
    email = page.compile_email()
    images = re.findall(r"<img[^>]*>", email.html)
    assert images and all('alt="' in tag for tag in images)
    assert 'alt="A button battery next to a coin"' in email.html
    assert re.search(r'src="http://testserver/media/images/[^"]+"', email.html)
    for part in (email.html, email.text):
        assert "Emergency" in part and "If a child swallows a battery" in part
        assert "Go to A&" in part
    assert "[Image: A button battery next to a coin]" in email.text


# --- Publishing notifies, once -----------------------------------------------


def test_publishing_notifies_only_matching_immediate_subscribers_once(
    draft, readers, publish
):
    publish(draft)

    send = Send.objects.get()
    assert send.kind == Send.Kind.SAFETY_MESSAGE
    assert send.key == f"notify:page:{draft.pk}"
    assert send.page_id == draft.pk
    assert send.subject == "Safety message: Safe sleep"
    # Asha is on two matching lists and gets one email; Ben is a midwife on the
    # list of everything. Cat's and Dev's lists do not carry it, Eve is police,
    # Fin wants a weekly digest, Gus never confirmed and Hal's address bounced.
    assert recipients() == ["asha@example.org", "ben@example.org"]
    assert send.recipient_count == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}

    asha = next(m for m in mail.outbox if m.to == ["asha@example.org"])
    assert asha.subject == "Safety message: Safe sleep"
    assert "Hello Asha Patel," in asha.body and "Hello Asha Patel," in asha.html
    assert not any(token in asha.body + asha.html for token in TOKENS.values())
    assert "/unsubscribe/" in asha.body
    # The pipeline adds the one-click unsubscribe headers.
    assert asha.extra_headers["List-Unsubscribe"].startswith("<http://testserver/")
    assert asha.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_republishing_or_rerunning_sends_nothing_new(draft, readers, publish):
    publish(draft)
    assert len(mail.outbox) == 2

    draft.key_message = "Corrected: put babies on their back for every sleep."
    draft.save_revision()
    publish(draft)
    send = notify.notify_page_published(draft.pk)  # the task again, by hand

    assert Send.objects.count() == 1
    assert send == Send.objects.get()
    assert Delivery.objects.count() == 2
    assert len(mail.outbox) == 2


def test_the_task_run_twice_makes_one_send(draft, readers, celery_eager):
    from bulletins.tasks import notify_page_published_task

    draft.get_latest_revision().publish()  # nothing captured: on-commit never runs
    assert not Send.objects.exists()
    first = notify.notify_page_published(draft.pk)
    notify_page_published_task.delay(draft.pk)
    assert Send.objects.get() == first
    assert first.recipient_count == 2


def test_flag_off_sends_nothing(draft, readers, publish):
    draft.email_subscribers_on_publish = False
    draft.save_revision()
    publish(draft)
    assert draft.live
    assert notify.notify_page_published(draft.pk) is None
    assert not Send.objects.exists()

    # Ticking it later and publishing again sends nothing: only a message's first
    # publication is news (so are messages that were live before this setting).
    draft.email_subscribers_on_publish = True
    draft.save_revision()
    publish(draft)
    assert not Send.objects.exists()
    assert mail.outbox == []


def test_private_or_unknown_pages_send_nothing(draft, readers, publish, index):
    PageViewRestriction.objects.create(
        page=draft, restriction_type=PageViewRestriction.LOGIN
    )
    publish(draft)
    assert draft.live
    assert notify.notify_page_published(draft.pk) is None
    assert notify.notify_page_published(index.pk) is None  # not a safety message
    assert notify.notify_page_published(987654321) is None
    assert not Send.objects.exists()
    assert mail.outbox == []


def test_scheduled_message_notifies_when_it_goes_live(
    draft, readers, publish, celery_eager, django_capture_on_commit_callbacks
):
    draft.go_live_at = timezone.now() + dt.timedelta(hours=1)
    draft.save_revision()
    publish(draft)
    assert not draft.live
    assert not Send.objects.exists()

    # The hour passes.
    past = timezone.now() - dt.timedelta(minutes=1)
    SafetyMessagePage.objects.filter(pk=draft.pk).update(go_live_at=past)
    revision = Revision.objects.get(pk=draft.latest_revision_id)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_scheduled", verbosity=0)

    draft.refresh_from_db()
    assert draft.live
    assert Send.objects.get().key == f"notify:page:{draft.pk}"
    assert recipients() == ["asha@example.org", "ben@example.org"]


@pytest.fixture
def polish(settings, index, site):
    settings.LANGUAGES = LANGS
    settings.WAGTAIL_CONTENT_LANGUAGES = LANGS
    clear_url_caches()
    locale, _ = Locale.objects.get_or_create(language_code="pl")
    yield locale
    clear_url_caches()


def test_translations_do_not_notify(draft, readers, publish, polish, site, index):
    with override_settings(LANGUAGES=LANGS, WAGTAIL_CONTENT_LANGUAGES=LANGS):
        site.copy_for_translation(polish).save_revision().publish()
        index.copy_for_translation(polish).save_revision().publish()
        translation = draft.copy_for_translation(polish)
        translation.title = "Bezpieczny sen"
        translation.save_revision()
        publish(translation)
        assert translation.live and translation.is_translation
        assert translation.email_subscribers_on_publish  # copied from the English
        assert notify.notify_page_published(translation.pk) is None
    assert not Send.objects.exists()
    assert mail.outbox == []


CHECK_CONNECTED = """
import django
django.setup()
from wagtail.signals import page_published
from learning.models import SafetyMessagePage
key = ("bulletins.notify.on_page_published", id(SafetyMessagePage))
print("connected" if any(r[0] == key for r in page_published.receivers) else "not")
"""


def test_the_receiver_is_connected_when_the_site_starts():
    """``BulletinsConfig.ready()`` connects it (checked in a fresh process, where
    no test fixture has connected it)."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", CHECK_CONNECTED],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "website.settings.test"},
        check=False,
    )
    assert result.stdout.strip().splitlines()[-1:] == ["connected"], result.stderr


def test_editors_find_the_setting_on_the_settings_tab(client, draft):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(f"/admin/pages/{draft.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Email subscribers when first published" in html
    [checkbox] = re.findall(
        r'<input[^>]*name="email_subscribers_on_publish"[^>]*>', html
    )
    assert "checked" in checkbox  # on by default
