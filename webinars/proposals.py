"""Topic proposals: propose, support, confirm by email, and staff moderation.

Anyone may propose a webinar topic or support a published one, without an
account. Both start unconfirmed and email a link (``topics/confirm/<token>/``);
nothing counts until the link is used, within ``CONFIRM_DAYS``:

- a confirmed proposal waits for moderation (``pending``); it is public only
  once staff publish it;
- a confirmed support adds one to the proposal's ``support_count``, once.

The forms answer every valid request with the same "check your email" page, so
they never say whether an address already proposed or supported anything. One
support per address per proposal; asking again re-sends the link at most once
per ``EMAIL_WINDOW_SECONDS`` (a stranger cannot flood an inbox), and never for a
support that is already confirmed.

Moderation (``publish``, ``merge``, ``decline``, ``schedule``) locks the
proposal, checks the move is allowed (``ModerationError`` in plain English if
not) and emails the proposer through ``send_transactional`` with a key naming
the event, so a repeated action or a double click sends nothing twice.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from bulletins.models import absolute, normalise_email
from bulletins.sending import send_transactional
from bulletins.subscriptions import is_deliverable_address
from website import ratelimit

from .models import (
    TopicProposal,
    TopicSupport,
    WebinarIndexPage,
    WebinarPage,
    new_secret,
)

logger = logging.getLogger(__name__)

Status = TopicProposal.Status

CONFIRM_DAYS = 7
# One confirmation email per support per window, however often the form is sent.
EMAIL_WINDOW_SECONDS = 10 * 60
# Unconfirmed proposals one address may have at once: more are dropped silently,
# so nobody can flood someone else's inbox by proposing in their name.
MAX_UNCONFIRMED_PER_EMAIL = 3

# Form posts per client address per window (override with TOPIC_RATE_LIMITS).
RATE_LIMITS = {"propose": 5, "support": 20}
RATE_WINDOW_SECONDS = 10 * 60

# Statuses shown on the public page, and the ones that may gain support.
PUBLIC = (Status.PUBLISHED, Status.SCHEDULED)
SUPPORTABLE = PUBLIC

# Tokens are ``new_secret()`` values: anything else is refused before a query.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class ModerationError(Exception):
    """A moderation step that cannot be taken, with a message for staff."""


# --- Rate limits --------------------------------------------------------------------


def allow_request(scope: str, client_address: str) -> bool:
    """Count one ``scope`` post from an address; False once over the limit."""
    limit = getattr(settings, "TOPIC_RATE_LIMITS", RATE_LIMITS)[scope]
    return ratelimit.allow(
        f"topic.{scope}", client_address, limit=limit, window=RATE_WINDOW_SECONDS
    )


# --- Links and words ----------------------------------------------------------------


def topics_index() -> WebinarIndexPage | None:
    """The live webinars index whose ``topics/`` page takes proposals."""
    return WebinarIndexPage.objects.live().order_by("path").first()


def _index_url(index: WebinarIndexPage | None, route: str, *args) -> str:
    index = index or topics_index()
    if index is None:
        return ""
    return absolute(index.url + index.reverse_subpage(route, args=list(args)))


def topics_url(index: WebinarIndexPage | None = None) -> str:
    return _index_url(index, "topics")


def confirm_url(token: str, index: WebinarIndexPage | None = None) -> str:
    return _index_url(index, "topic_confirm", token)


def _email(to: str, template: str, subject: str, key: str, context: dict) -> None:
    text = render_to_string(
        template,
        {
            "site_name": settings.WAGTAIL_SITE_NAME,
            "contact_line": settings.CONTACT_LINE,
            "confirm_days": CONFIRM_DAYS,
            **context,
        },
    )
    send = send_transactional(to=to, subject=subject, text=text, key=key)
    logger.info("Topic email %s queued (send %s)", key, send.pk)


def _window() -> int:
    return int(time.time() // EMAIL_WINDOW_SECONDS)


def _expired(created_at) -> bool:
    return created_at < timezone.now() - timedelta(days=CONFIRM_DAYS)


# --- Proposing and supporting -------------------------------------------------------


def propose(
    *,
    title: str,
    why: str,
    name: str,
    email: str,
    audience=None,
    index: WebinarIndexPage | None = None,
) -> TopicProposal | None:
    """Store an unconfirmed proposal and email the proposer a link to confirm it.

    Returns None (storing and sending nothing) for an unusable address, or one
    that already has ``MAX_UNCONFIRMED_PER_EMAIL`` proposals waiting.
    """
    email = normalise_email(email)
    if not is_deliverable_address(email):
        logger.warning("Topic proposal ignored: not a usable address")
        return None
    waiting = TopicProposal.objects.filter(
        proposer_email=email,
        status=Status.UNCONFIRMED,
        created_at__gte=timezone.now() - timedelta(days=CONFIRM_DAYS),
    ).count()
    if waiting >= MAX_UNCONFIRMED_PER_EMAIL:
        logger.warning("Topic proposal ignored: too many waiting for one address")
        return None
    with transaction.atomic():
        proposal = TopicProposal.objects.create(
            title=title,
            why=why,
            audience=audience,
            proposer_name=name,
            proposer_email=email,
        )
        _email(
            email,
            "emails/topic_confirm_proposal.txt",
            "Confirm your webinar topic",
            f"topic:{proposal.pk}:confirm",
            {
                "proposal": proposal,
                "confirm_url": confirm_url(proposal.token, index),
                "topics_url": topics_url(index),
            },
        )
    return proposal


def support(
    proposal: TopicProposal, email: str, *, index: WebinarIndexPage | None = None
) -> TopicSupport | None:
    """Record (once) that ``email`` supports ``proposal`` and email a link to confirm.

    The same outcome for any address: a confirmed support is left alone and
    nothing is sent; an unconfirmed one gets its link again (a new link if the
    old one expired), at most once per ``EMAIL_WINDOW_SECONDS``.
    """
    email = normalise_email(email)
    if not is_deliverable_address(email) or proposal.status not in SUPPORTABLE:
        return None
    with transaction.atomic():
        item, _ = TopicSupport.objects.get_or_create(proposal=proposal, email=email)
        item = TopicSupport.objects.select_for_update().get(pk=item.pk)
        if item.confirmed_at is not None:
            return item
        if _expired(item.created_at):
            item.token = new_secret()
            item.created_at = timezone.now()
            item.save(update_fields=["token", "created_at"])
        _email(
            email,
            "emails/topic_confirm_support.txt",
            "Confirm your support for a webinar topic",
            f"topic-support:{item.pk}:{item.token[:12]}:{_window()}",
            {
                "proposal": proposal,
                "confirm_url": confirm_url(item.token, index),
                "topics_url": topics_url(index),
            },
        )
    return item


# --- Confirming ---------------------------------------------------------------------


@dataclass
class Link:
    """What a confirmation link is for, and where it stands."""

    proposal: TopicProposal
    support: TopicSupport | None = None
    confirmed: bool = False

    @property
    def kind(self) -> str:
        return "support" if self.support is not None else "proposal"

    @property
    def is_open(self) -> bool:
        """Whether confirming would still do anything."""
        if self.confirmed:
            return False
        if self.support is not None:
            return self.proposal.status in SUPPORTABLE
        return self.proposal.status == Status.UNCONFIRMED


def find_link(token: str) -> Link | None:
    """The proposal or support a link is for; None if it is unknown or expired.

    A link that was used stays readable (it shows "confirmed"); one that was
    not used expires after ``CONFIRM_DAYS``.
    """
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    proposal = TopicProposal.objects.filter(token=token).first()
    if proposal is not None:
        confirmed = proposal.confirmed_at is not None
        if not confirmed and _expired(proposal.created_at):
            return None
        return Link(proposal=proposal, confirmed=confirmed)
    item = TopicSupport.objects.select_related("proposal").filter(token=token).first()
    if item is None:
        return None
    confirmed = item.confirmed_at is not None
    if not confirmed and _expired(item.created_at):
        return None
    return Link(proposal=item.proposal, support=item, confirmed=confirmed)


def confirm(token: str) -> Link | None:
    """Use a confirmation link: a proposal goes to moderation, a support counts once.

    Safe to repeat or race: only the request that flips ``confirmed_at`` changes
    anything. Returns the link as it now stands, or None as ``find_link``.
    """
    link = find_link(token)
    if link is None or not link.is_open:
        return link
    now = timezone.now()
    if link.support is None:
        changed = TopicProposal.objects.filter(
            pk=link.proposal.pk, status=Status.UNCONFIRMED, confirmed_at__isnull=True
        ).update(status=Status.PENDING, confirmed_at=now)
        if changed:
            logger.info("Topic proposal %s confirmed", link.proposal.pk)
        return find_link(token)
    for _attempt in range(3):
        with transaction.atomic():
            # The proposal first, as moderation locks it: a merge may move the
            # support meanwhile, and then it is counted on its new proposal.
            proposal_id = (
                TopicSupport.objects.filter(pk=link.support.pk)
                .values_list("proposal_id", flat=True)
                .first()
            )
            if proposal_id is None:
                return None
            proposal = TopicProposal.objects.select_for_update().get(pk=proposal_id)
            item = TopicSupport.objects.select_for_update().get(pk=link.support.pk)
            if item.proposal_id != proposal.pk:
                continue
            if item.confirmed_at is None and proposal.status in SUPPORTABLE:
                item.confirmed_at = now
                item.save(update_fields=["confirmed_at"])
                TopicProposal.objects.filter(pk=proposal.pk).update(
                    support_count=F("support_count") + 1
                )
                logger.info("Support %s for topic %s confirmed", item.pk, proposal.pk)
            break
    return find_link(token)


def delete_unconfirmed() -> tuple[int, int]:
    """Delete proposals and supports whose link expired unused (addresses nobody
    confirmed are not kept). Returns how many of each; safe to run at any time."""
    cutoff = timezone.now() - timedelta(days=CONFIRM_DAYS)
    supports, _ = TopicSupport.objects.filter(
        confirmed_at__isnull=True, created_at__lt=cutoff
    ).delete()
    _, deleted = TopicProposal.objects.filter(
        status=Status.UNCONFIRMED, created_at__lt=cutoff
    ).delete()
    topics = deleted.get(TopicProposal._meta.label, 0)
    if supports or topics:
        logger.info("Deleted %s unconfirmed topics, %s supports", topics, supports)
    return topics, supports


# --- Public listing -----------------------------------------------------------------


def public_proposals():
    """Published and scheduled proposals, most supported first."""
    return (
        TopicProposal.objects.filter(status__in=PUBLIC)
        .select_related("audience", "webinar")
        .order_by("-support_count", "-created_at", "-pk")
    )


# --- Moderation ---------------------------------------------------------------------


def _locked(proposal: TopicProposal) -> TopicProposal:
    return TopicProposal.objects.select_for_update().get(pk=proposal.pk)


def _refresh(proposal: TopicProposal, locked: TopicProposal) -> None:
    for field in (
        "status",
        "moderated_at",
        "decline_reason",
        "merged_into_id",
        "webinar_id",
        "support_count",
    ):
        setattr(proposal, field, getattr(locked, field))


def publish(proposal: TopicProposal, *, index: WebinarIndexPage | None = None) -> None:
    """Make a confirmed proposal public, and tell the proposer."""
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.status not in (Status.PENDING, Status.DECLINED):
            raise ModerationError(
                f"Only a topic waiting for moderation or declined can be published; "
                f"this one is “{locked.get_status_display().lower()}”."
            )
        locked.status = Status.PUBLISHED
        locked.decline_reason = ""
        locked.moderated_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "moderated_at"])
        _email(
            locked.proposer_email,
            "emails/topic_published.txt",
            "Your webinar topic is now public",
            f"topic:{locked.pk}:published",
            {"proposal": locked, "topics_url": topics_url(index)},
        )
        _refresh(proposal, locked)


DECLINE_REASON_MAX_LENGTH = TopicProposal._meta.get_field("decline_reason").max_length


def decline(proposal: TopicProposal, reason: str) -> None:
    """Turn a proposal down, and email the proposer the reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ModerationError("Give a reason: the proposer is emailed it.")
    if len(reason) > DECLINE_REASON_MAX_LENGTH:
        raise ModerationError(
            f"The reason must be {DECLINE_REASON_MAX_LENGTH} characters or fewer."
        )
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.status not in (Status.PENDING, Status.PUBLISHED):
            raise ModerationError(
                f"Only a topic waiting for moderation or published can be declined; "
                f"this one is “{locked.get_status_display().lower()}”."
            )
        locked.status = Status.DECLINED
        locked.decline_reason = reason
        locked.moderated_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "moderated_at"])
        _email(
            locked.proposer_email,
            "emails/topic_declined.txt",
            "Your webinar topic",
            f"topic:{locked.pk}:declined",
            {"proposal": locked},
        )
        _refresh(proposal, locked)


def merge(
    proposal: TopicProposal,
    into: TopicProposal,
    *,
    index: WebinarIndexPage | None = None,
) -> None:
    """Fold a proposal into a public one that covers the same ground.

    Its supports move across; an address that supported both counts once (as
    confirmed if either was). The proposer becomes a confirmed supporter of the
    target, so they hear when it is scheduled. The merged proposal is hidden.
    """
    if proposal.pk == into.pk:
        raise ModerationError("Choose a different topic to merge this one into.")
    with transaction.atomic():
        # Both rows, in id order, so two merges cannot deadlock.
        rows = {
            row.pk: row
            for row in TopicProposal.objects.select_for_update()
            .filter(pk__in=[proposal.pk, into.pk])
            .order_by("pk")
        }
        source, target = rows[proposal.pk], rows[into.pk]
        if source.status not in (Status.PENDING, Status.PUBLISHED):
            raise ModerationError(
                f"Only a topic waiting for moderation or published can be merged; "
                f"this one is “{source.get_status_display().lower()}”."
            )
        if target.status not in PUBLIC:
            raise ModerationError(
                "A topic can only be merged into a published or scheduled one."
            )
        now = timezone.now()
        on_target = {
            item.email: item
            for item in TopicSupport.objects.select_for_update().filter(proposal=target)
        }
        for item in TopicSupport.objects.select_for_update().filter(proposal=source):
            existing = on_target.get(item.email)
            if existing is None:
                item.proposal = target
                item.save(update_fields=["proposal"])
                on_target[item.email] = item
                continue
            if item.confirmed_at and not existing.confirmed_at:
                existing.confirmed_at = item.confirmed_at
                existing.save(update_fields=["confirmed_at"])
            item.delete()
        proposer = normalise_email(source.proposer_email)
        if proposer != normalise_email(target.proposer_email):
            existing = on_target.get(proposer)
            if existing is None:
                TopicSupport.objects.create(
                    proposal=target,
                    email=proposer,
                    created_at=now,
                    confirmed_at=source.confirmed_at or now,
                )
            elif not existing.confirmed_at:
                existing.confirmed_at = source.confirmed_at or now
                existing.save(update_fields=["confirmed_at"])
        TopicProposal.objects.filter(merged_into=source).update(merged_into=target)
        source.status = Status.MERGED
        source.merged_into = target
        source.support_count = 0
        source.moderated_at = now
        source.save(
            update_fields=["status", "merged_into", "support_count", "moderated_at"]
        )
        target.support_count = TopicSupport.objects.filter(
            proposal=target, confirmed_at__isnull=False
        ).count()
        target.save(update_fields=["support_count"])
        _email(
            source.proposer_email,
            "emails/topic_merged.txt",
            "Your webinar topic has been combined with another",
            f"topic:{source.pk}:merged",
            {"proposal": source, "into": target, "topics_url": topics_url(index)},
        )
        _refresh(proposal, source)
        _refresh(into, target)


def schedule(proposal: TopicProposal, webinar: WebinarPage) -> int:
    """Link a proposal to the webinar that covers it; tell the proposer and the
    confirmed supporters (once each per webinar). Returns how many were emailed."""
    if webinar.is_cancelled or not webinar.live:
        raise ModerationError("Choose a webinar that is published and not cancelled.")
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.status not in (Status.PENDING, Status.PUBLISHED, Status.SCHEDULED):
            raise ModerationError(
                f"Only a topic waiting for moderation, published or scheduled can be "
                f"scheduled; this one is “{locked.get_status_display().lower()}”."
            )
        if locked.status == Status.SCHEDULED and locked.webinar_id == webinar.pk:
            raise ModerationError("This topic is already scheduled for that webinar.")
        locked.status = Status.SCHEDULED
        locked.webinar = webinar
        locked.decline_reason = ""
        locked.moderated_at = timezone.now()
        locked.save(
            update_fields=["status", "webinar", "decline_reason", "moderated_at"]
        )
        context = {
            "proposal": locked,
            "webinar": webinar,
            "when": webinar.when_label,
            "webinar_url": absolute(webinar.url or ""),
        }
        prefix = f"topic:{locked.pk}:scheduled:{webinar.pk}"
        proposer = normalise_email(locked.proposer_email)
        _email(
            locked.proposer_email,
            "emails/topic_scheduled.txt",
            f"Your webinar topic is scheduled: {webinar.title}",
            f"{prefix}:proposer",
            {**context, "is_proposer": True},
        )
        sent = 1
        supporters = (
            TopicSupport.objects.filter(proposal=locked, confirmed_at__isnull=False)
            .exclude(email=proposer)
            .order_by("pk")
            .values_list("pk", "email")
        )
        for pk, email in supporters:
            _email(
                email,
                "emails/topic_scheduled.txt",
                f"A webinar topic you supported is scheduled: {webinar.title}",
                f"{prefix}:support:{pk}",
                {**context, "is_proposer": False},
            )
            sent += 1
        _refresh(proposal, locked)
    logger.info("Topic %s scheduled for webinar %s", locked.pk, webinar.pk)
    return sent
