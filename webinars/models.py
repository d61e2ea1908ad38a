"""Webinar series and sessions, registrations, reminders, feedback and topic
proposals.

Times are stored in UTC (``USE_TZ``) and shown in Europe/London with the zone
named. The join link (``WebinarPage.join_url``) is private: it is never rendered
on a public page, feed, search result or sitemap, only in a registrant's emails
and on their own registration page (reached by a secret link).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from csp.decorators import csp_update
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from website.listing import ListingPageMixin
from website.models import TaggedContentPage, live_pages_in_order

LEARNED_FEATURES = ["h2", "h3", "bold", "italic", "link", "ul", "ol"]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# --- Showing times and listing webinars -------------------------------------------

UK = ZoneInfo("Europe/London")
WHEN_CHOICES = [("upcoming", "Upcoming"), ("past", "Past")]


def clock(moment) -> str:
    """A UK time of day as people write it: "10am", "10:30am", "midday"."""
    if moment.minute == 0 and moment.hour in (0, 12):
        return "midnight" if moment.hour == 0 else "midday"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    if moment.minute == 0:
        return f"{hour}{suffix}"
    return f"{hour}:{moment.minute:02d}{suffix}"


def webinar_listing(queryset: QuerySet) -> QuerySet:
    """Webinars for a listing: upcoming soonest first, then past most recent first.

    Each row carries ``when`` ("upcoming" until it ends, then "past": the
    listing's type filter) and ``listing_registered`` (places taken), so a page of
    results costs one query however many webinars it shows.
    """
    now = timezone.now()
    upcoming = Q(ends_at__gt=now)
    taken = (
        Registration.objects.filter(
            webinar=OuterRef("pk"), status=Registration.Status.REGISTERED
        )
        .order_by()
        .values("webinar")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        when=Case(
            When(upcoming, then=Value("upcoming")),
            default=Value("past"),
            output_field=CharField(),
        ),
        listing_registered=Coalesce(
            Subquery(taken, output_field=IntegerField()), Value(0)
        ),
    ).order_by(
        Case(When(upcoming, then=Value(0)), default=Value(1)),
        Case(When(upcoming, then=F("starts_at"))).asc(nulls_last=True),
        F("starts_at").desc(),
        "-pk",
    )


@dataclass(frozen=True)
class Places:
    """How full a webinar is."""

    capacity: int
    registered: int
    waitlisted: int = 0

    @property
    def left(self) -> int:
        return max(self.capacity - self.registered, 0)

    @property
    def is_full(self) -> bool:
        return self.left == 0


@dataclass(frozen=True)
class RecordingEmbed:
    """A recording on a video site, played in a frame only when someone asks."""

    provider: str
    embed_url: str
    watch_url: str

    @property
    def play_url(self) -> str:
        joiner = "&" if "?" in self.embed_url else "?"
        return f"{self.embed_url}{joiner}autoplay=1"


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {
    "youtube.com",
    "www.youtube.com",
    "m.youtube.com",
    "youtube-nocookie.com",
    "www.youtube-nocookie.com",
}
_VIMEO_PATH = re.compile(r"^/(?:video/)?(\d{1,12})(?:/([0-9a-f]{6,20}))?/?$")


# Where the privacy-enhanced players below load from.
PLAYER_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]


def recording_embed(url: str) -> RecordingEmbed | None:
    """The privacy-enhanced player for a YouTube or Vimeo address, else None.

    Built from the address itself: Wagtail's embed finders would ask the video
    site over the network (oEmbed) every time the page is first rendered.
    """
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https"):
        return None
    video_id = ""
    if host == "youtu.be":
        video_id = parts.path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        if parts.path == "/watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        else:
            bits = parts.path.strip("/").split("/")
            if len(bits) >= 2 and bits[0] in ("embed", "live", "shorts", "v"):
                video_id = bits[1]
    if video_id:
        if not _YOUTUBE_ID.match(video_id):
            return None
        return RecordingEmbed(
            provider="YouTube",
            embed_url=f"https://www.youtube-nocookie.com/embed/{video_id}?rel=0",
            watch_url=f"https://www.youtube.com/watch?v={video_id}",
        )
    if host in ("vimeo.com", "www.vimeo.com", "player.vimeo.com"):
        match = _VIMEO_PATH.match(parts.path)
        if match:
            number, secret = match.groups()
            query = {"dnt": "1"}
            if secret:
                query["h"] = secret
            elif "h" in parse_qs(parts.query):
                query["h"] = parse_qs(parts.query)["h"][0]
            return RecordingEmbed(
                provider="Vimeo",
                embed_url=f"https://player.vimeo.com/video/{number}?{urlencode(query)}",
                watch_url=f"https://vimeo.com/{number}"
                + (f"/{query['h']}" if "h" in query else ""),
            )
    return None


class Speaker(index.Indexed, models.Model):
    """A person who presents webinars (a snippet, chosen on each webinar)."""

    name = models.CharField(max_length=120)
    role = models.CharField(max_length=160, blank=True)
    organisation = models.CharField(max_length=160, blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    photo_alt = models.CharField(
        "photo description (alt text)",
        max_length=200,
        blank=True,
        help_text="What the photo shows, for people who cannot see it. Required "
        "when there is a photo.",
    )

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("role"), FieldPanel("organisation")]),
        FieldPanel("photo"),
        FieldPanel("photo_alt"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.photo_id and not self.photo_alt.strip():
            raise ValidationError(
                {"photo_alt": "Describe the photo for people who cannot see it."}
            )


class WebinarIndexPage(ListingPageMixin, Page):
    """Every webinar in every series, upcoming first, filterable like other
    listings, with a calendar feed of all upcoming webinars."""

    intro = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["website.HomePage"]
    subpage_types = ["webinars.WebinarSeriesPage"]
    max_count_per_parent = 1

    # The listing's "type" filter is when: upcoming or past.
    listing_type_field = "when"
    listing_type_choices = WHEN_CHOICES
    # The year a webinar happens, not the year its page was published.
    listing_year_field = "starts_at"

    def get_listing_queryset(self):
        return WebinarPage.objects.descendant_of(self)

    def _listing_queryset(self):
        return webinar_listing(self.get_listing_queryset().live().public())

    # Routes that are not pages (each view lives in its own module). They are
    # matched before child pages, so no series may take these slugs.
    @path("calendar.ics")
    def calendar_feed(self, request):
        from . import calendar_views

        return calendar_views.upcoming_feed(request, self)

    @path("topics/")
    def topics(self, request):
        from . import proposal_views

        return proposal_views.proposals(request, self)

    @path("topics/<int:pk>/support/")
    def topic_support(self, request, pk):
        from . import proposal_views

        return proposal_views.support(request, self, pk)

    @path("topics/confirm/<str:token>/")
    def topic_confirm(self, request, token):
        from . import proposal_views

        return proposal_views.confirm(request, self, token)

    @path("registration/<str:token>/")
    def registration(self, request, token):
        from . import registration_views

        return registration_views.manage(request, self, token)

    @path("registration/<str:token>/feedback/")
    def registration_feedback(self, request, token):
        from . import feedback_views

        return feedback_views.feedback(request, self, token)


RESERVED_SLUGS = {"topics", "registration", "feed"}


class WebinarSeriesPage(ListingPageMixin, TaggedContentPage):
    """A series of webinars (for example "QI webinar series 2026"), with its own
    calendar feed."""

    intro = RichTextField(features=["bold", "italic", "link", "ul"], blank=True)

    content_panels = TaggedContentPage.content_panels + [FieldPanel("intro")]
    parent_page_types = ["webinars.WebinarIndexPage"]
    subpage_types = ["webinars.WebinarPage"]
    listing_type_label = "Webinar series"

    listing_type_field = "when"
    listing_type_choices = WHEN_CHOICES
    # The year a webinar happens, not the year its page was published.
    listing_year_field = "starts_at"

    def get_listing_queryset(self):
        return WebinarPage.objects.child_of(self)

    def _listing_queryset(self):
        return webinar_listing(self.get_listing_queryset().live().public())

    def clean(self):
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError(
                {"slug": f"“{self.slug}” is used by the webinars pages."}
            )

    @path("calendar.ics")
    def calendar_feed(self, request):
        from . import calendar_views

        return calendar_views.series_feed(request, self)


class WebinarPage(RoutablePageMixin, TaggedContentPage):
    """One webinar: when, who, how to join (registrants only), and afterwards the
    recording, slides and what we learned."""

    starts_at = models.DateTimeField(help_text="UK time.")
    ends_at = models.DateTimeField(help_text="UK time.")
    capacity = models.PositiveIntegerField(
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text="Places. When they are taken, people join a waiting list.",
    )
    registration_opens_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open as soon as it is published."
    )
    registration_closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: open until the webinar starts."
    )
    join_url = models.URLField(
        "join link",
        max_length=500,
        blank=True,
        help_text="Private: only sent to registrants and shown on their own "
        "registration page. Never on the public page.",
    )
    join_instructions = models.TextField(
        blank=True,
        max_length=1000,
        help_text="Private, like the link: meeting ID, passcode, dial-in.",
    )
    captions = models.BooleanField("live captions", default=True)
    bsl = models.BooleanField("British Sign Language interpreter", default=False)
    accessibility_notes = models.TextField(
        blank=True, max_length=600, help_text="Anything else people should know."
    )
    is_cancelled = models.BooleanField(
        "cancelled",
        default=False,
        help_text="Registrants are emailed and their calendar entry is cancelled.",
    )
    cancellation_note = models.CharField(max_length=300, blank=True)

    # After the event.
    recording = models.ForeignKey(
        "wagtailmedia.Media",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recording_embed_url = models.URLField(
        "recording embed",
        blank=True,
        help_text="A video page (YouTube, Vimeo) if the recording is not uploaded.",
    )
    transcript = models.TextField(
        blank=True, help_text="The full transcript, shown beside the recording."
    )
    slides = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    what_we_learned = RichTextField(features=LEARNED_FEATURES, blank=True)

    # What registrants were last told (set by webinars.services, not editors):
    # the calendar sequence goes up each time the time changes or it is cancelled.
    ics_sequence = models.PositiveIntegerField(default=0, editable=False)
    announced_starts_at = models.DateTimeField(null=True, blank=True, editable=False)
    announced_ends_at = models.DateTimeField(null=True, blank=True, editable=False)
    announced_cancelled = models.BooleanField(default=False, editable=False)

    content_panels = TaggedContentPage.content_panels + [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                FieldPanel("capacity"),
                FieldRowPanel(
                    [
                        FieldPanel("registration_opens_at"),
                        FieldPanel("registration_closes_at"),
                    ]
                ),
            ],
            heading="When and how many",
        ),
        InlinePanel("speaker_links", label="Speakers", heading="Speakers"),
        MultiFieldPanel(
            [FieldPanel("join_url"), FieldPanel("join_instructions")],
            heading="Joining (registrants only)",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("captions"), FieldPanel("bsl")]),
                FieldPanel("accessibility_notes"),
            ],
            heading="Accessibility",
        ),
        InlinePanel("related_links", label="Related page", heading="Related"),
        MultiFieldPanel(
            [
                FieldPanel("recording"),
                FieldPanel("recording_embed_url"),
                FieldPanel("transcript"),
                FieldPanel("slides"),
                FieldPanel("what_we_learned"),
            ],
            heading="After the webinar",
        ),
        MultiFieldPanel(
            [FieldPanel("is_cancelled"), FieldPanel("cancellation_note")],
            heading="Cancel",
        ),
    ]
    # The join link and instructions are deliberately not searchable.
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("what_we_learned"),
        index.SearchField("transcript"),
        index.FilterField("starts_at"),
    ]
    parent_page_types = ["webinars.WebinarSeriesPage"]
    subpage_types = []
    listing_type_label = "Webinar"

    class Meta:
        indexes = [models.Index(fields=["starts_at"])]

    def clean(self):
        super().clean()
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must be after the start."
        if (
            self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at <= self.registration_opens_at
        ):
            errors["registration_closes_at"] = "Registration must close after it opens."
        if self.is_cancelled and not self.cancellation_note.strip():
            errors["cancellation_note"] = "Say briefly why, for the registrants."
        if errors:
            raise ValidationError(errors)

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def has_recording(self) -> bool:
        return bool(self.recording_id or self.recording_embed_url)

    @property
    def is_upcoming(self) -> bool:
        return not self.is_past

    @property
    def is_happening_now(self) -> bool:
        return self.starts_at <= timezone.now() < self.ends_at

    # --- Times, always in UK time with the zone named --------------------------------

    @property
    def local_starts_at(self):
        return timezone.localtime(self.starts_at, UK)

    @property
    def local_ends_at(self):
        return timezone.localtime(self.ends_at, UK)

    @property
    def date_label(self) -> str:
        """The day it starts, e.g. "Tuesday 14 April 2026"."""
        return date_format(self.local_starts_at, "l j F Y")

    @property
    def time_label(self) -> str:
        """E.g. "10:30am to 11:30am (UK time)", with the days if it spans two."""
        start, end = self.local_starts_at, self.local_ends_at
        if start.date() == end.date():
            return f"{clock(start)} to {clock(end)} (UK time)"
        return (
            f"{clock(start)} on {date_format(start, 'l j F Y')} to {clock(end)} "
            f"on {date_format(end, 'l j F Y')} (UK time)"
        )

    @property
    def when_label(self) -> str:
        """Day and times in one line, e.g. "Tuesday 14 April 2026, 10am to 11am
        (UK time)"."""
        if self.local_starts_at.date() == self.local_ends_at.date():
            return f"{self.date_label}, {self.time_label}"
        return self.time_label

    @property
    def duration_minutes(self) -> int:
        return max(int((self.ends_at - self.starts_at).total_seconds() // 60), 0)

    @property
    def duration_label(self) -> str:
        """E.g. "1 hour 30 minutes"."""
        hours, minutes = divmod(self.duration_minutes, 60)
        parts = []
        if hours:
            parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
        if minutes or not hours:
            parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        return " ".join(parts)

    # --- What the page shows ----------------------------------------------------------

    def places(self) -> Places:
        """Places taken and people waiting (one query; none for a listing row)."""
        if not self.pk:
            return Places(capacity=self.capacity, registered=0)
        if hasattr(self, "listing_registered"):
            return Places(capacity=self.capacity, registered=self.listing_registered)
        counts = dict(
            self.registrations.exclude(status=Registration.Status.CANCELLED)
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        return Places(
            capacity=self.capacity,
            registered=counts.get(Registration.Status.REGISTERED, 0),
            waitlisted=counts.get(Registration.Status.WAITLISTED, 0),
        )

    def speakers(self) -> list[Speaker]:
        """The speakers in order, with their photos (one query)."""
        links = self.speaker_links.select_related("speaker__photo").prefetch_related(
            "speaker__photo__renditions"
        )
        return [link.speaker for link in links.all()]

    def related_pages(self) -> list[Page]:
        """Its own related pages (live, public, in order), then the QI packs that
        list it among theirs."""
        from qipacks.links import packs_using

        ids = [link.page_id for link in self.related_links.all()]
        pages = live_pages_in_order(ids)
        listed = {page.pk for page in pages}
        return pages + [pack for pack in packs_using(self) if pack.pk not in listed]

    @property
    def recording_embed(self) -> RecordingEmbed | None:
        return recording_embed(self.recording_embed_url)

    def get_context(self, request, *args, **kwargs):
        from django.template.loader import render_to_string

        context = super().get_context(request, *args, **kwargs)
        embed = None if self.recording_id else self.recording_embed
        context.update(
            speakers=self.speakers(),
            related=self.related_pages(),
            places=None if self.is_past else self.places(),
            recording_embed=embed,
            # What the player frame shows until someone presses play.
            player_srcdoc=render_to_string(
                "webinars/includes/player_facade.html",
                {"embed": embed, "title": self.title},
            )
            if embed
            else "",
        )
        return context

    @path("")
    # Pressing play loads the video site's player into the frame (only here).
    @csp_update({"frame-src": PLAYER_ORIGINS})
    def page_view(self, request):
        return self.render(request)

    @path("register/")
    def register(self, request):
        from . import registration_views

        return registration_views.register(request, self)

    @path("calendar.ics")
    def calendar_file(self, request):
        from . import calendar_views

        return calendar_views.webinar_file(request, self)

    def registration_state(self, now=None) -> str:
        """ "open", "not_yet", "closed" (by date or because it has started),
        or "cancelled"."""
        now = now or timezone.now()
        if self.is_cancelled:
            return "cancelled"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet"
        closes = self.registration_closes_at or self.starts_at
        if now >= min(closes, self.starts_at):
            return "closed"
        return "open"


class WebinarSpeaker(Orderable):
    """A speaker on a webinar, in order."""

    page = ParentalKey(
        WebinarPage, on_delete=models.CASCADE, related_name="speaker_links"
    )
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("speaker")]


class WebinarRelated(Orderable):
    """A QI pack, safety message or learning resource that goes with a webinar.

    Linked both ways: the other page lists the webinars that link to it.
    """

    page_from = ParentalKey(
        WebinarPage, on_delete=models.CASCADE, related_name="related_links"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="webinar_links"
    )

    panels = [PageChooserPanel("page")]


# --- Registrations ------------------------------------------------------------------


class Registration(models.Model):
    """One person's place (or place on the waiting list) at one webinar.

    No password: the secret ``token`` in their emails opens their own page, where
    they see the join link and can cancel. At most one live (not cancelled)
    registration per email per webinar.
    """

    class Status(models.TextChoices):
        REGISTERED = "registered", "Registered"
        WAITLISTED = "waitlisted", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"

    webinar = models.ForeignKey(
        WebinarPage, on_delete=models.CASCADE, related_name="registrations"
    )
    name = models.CharField(max_length=120)
    email = models.EmailField(max_length=254)
    organisation = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=120, blank=True)
    accessibility_needs = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    token = models.CharField(max_length=64, unique=True, default=new_secret)
    created_at = models.DateTimeField(default=timezone.now)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # From the meeting tool's attendance export (webinars.attendance).
    attended = models.BooleanField(null=True, blank=True)
    minutes_attended = models.PositiveIntegerField(null=True, blank=True)
    # How many registrations this address made for this webinar before this one
    # (each cancelled), set when it is made: its calendar entry's SEQUENCE starts
    # above theirs (webinars.calendar.sequence).
    earlier_registrations = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["webinar", "email"],
                condition=~Q(status="cancelled"),
                name="webinars_one_live_registration_per_email",
            ),
        ]
        indexes = [
            models.Index(
                fields=["webinar", "status", "created_at", "id"],
                name="webinars_reg_queue",
            ),
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>: {self.get_status_display()}"


class WebinarEmail(models.Model):
    """An email sent about a webinar to one registrant, recorded so that it is
    sent once: a reminder once per start time, an update once per sequence."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Confirmation"
        WAITLISTED = "waitlisted", "On the waiting list"
        PROMOTED = "promoted", "Place offered from the waiting list"
        REMINDER_24H = "reminder_24h", "Reminder, a day before"
        REMINDER_1H = "reminder_1h", "Reminder, an hour before"
        UPDATED = "updated", "Time changed"
        CANCELLED = "cancelled", "Webinar cancelled"
        RECORDING = "recording", "Recording available"

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="emails"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What makes it the same email: the start time for reminders, the calendar
    # sequence for updates, "" for once-ever emails.
    occasion = models.CharField(max_length=64, blank=True)
    send = models.ForeignKey(
        "bulletins.Send",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "kind", "occasion"],
                name="webinars_email_once",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to registration {self.registration_id}"


class Feedback(models.Model):
    """What a registrant thought of a webinar (one response per registration)."""

    webinar = models.ForeignKey(
        WebinarPage, on_delete=models.CASCADE, related_name="webinar_feedback"
    )
    registration = models.OneToOneField(
        Registration,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webinar_feedback",
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    useful = models.TextField("what was useful", max_length=2000, blank=True)
    next_topics = models.TextField("what next", max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.rating}/5 for webinar {self.webinar_id}"


class AttendanceImport(models.Model):
    """One upload of the meeting tool's attendance export, with its report."""

    webinar = models.ForeignKey(
        WebinarPage, on_delete=models.CASCADE, related_name="attendance_imports"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=255)
    rows = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.filename} ({self.uploaded_at:%d %b %Y})"


# --- Topic proposals ----------------------------------------------------------------


class TopicProposal(models.Model):
    """A topic someone proposes for a future webinar; others can support it.

    Not public until the proposer confirms their email and staff publish it.
    """

    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Email not confirmed"
        PENDING = "pending", "Waiting for moderation"
        PUBLISHED = "published", "Published"
        MERGED = "merged", "Merged into another"
        DECLINED = "declined", "Declined"
        SCHEDULED = "scheduled", "Scheduled"

    title = models.CharField(max_length=150)
    why = models.TextField("why it matters", max_length=2000)
    audience = models.ForeignKey(
        "website.Audience",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposer_name = models.CharField(max_length=120)
    proposer_email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.UNCONFIRMED
    )
    token = models.CharField(max_length=64, unique=True, default=new_secret)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
    )
    webinar = models.ForeignKey(
        WebinarPage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    # Kept in step with confirmed supports (webinars.proposals), for ordering.
    support_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-support_count", "-created_at"]
        indexes = [models.Index(fields=["status", "-support_count"])]

    def __str__(self):
        return self.title


class TopicSupport(models.Model):
    """One person's support for a proposal: counted once their email is confirmed."""

    proposal = models.ForeignKey(
        TopicProposal, on_delete=models.CASCADE, related_name="supports"
    )
    email = models.EmailField(max_length=254)
    token = models.CharField(max_length=64, unique=True, default=new_secret)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "email"], name="webinars_one_support_per_email"
            )
        ]

    def __str__(self):
        return f"{self.email} supports proposal {self.proposal_id}"
