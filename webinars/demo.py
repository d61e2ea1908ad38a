"""Demo webinars: the "QI webinar series 2026", its speakers, registrations,
attendance and feedback, and five topic proposals with their supporters.

The topics come from the source documents in ``shared/seeds`` (the briefing on
implementing the new child death review arrangements, and the national QI plan
for 2023-2026, which commits to a webinar series on topics stakeholders
propose, on safer sleep and on self-harm and suicide); the words, people and
organisations are invented, and every address is at example.org.

Two webinars are over (recordings as video-site embeds with transcripts,
slides, attendance imported from a Teams-style report, feedback) and two are to
come, one of them full with a waiting list. Their dates are set relative to the
day the demo is first loaded, so "upcoming" stays true for a while.

``load_webinars_demo(home)`` is idempotent: pages are found by slug, speakers by
name, documents and images by title, proposals by title; a webinar's people,
attendance and feedback are made only with the webinar. Loading it emails
nobody: everything a registrant "was sent" is recorded as sent, and the
"recording available" broadcast of each past webinar is recorded as not sent
(demo content is not news). Run it after ``website.demo``, ``learning.demo``
and ``qipacks.demo`` (for the related pages).
"""

from __future__ import annotations

import datetime as dt
import io
import random

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from website.demo import _rich
from website.models import Audience, HomePage, Theme

from .models import (
    UK,
    AttendanceImport,
    Feedback,
    Registration,
    Speaker,
    TopicProposal,
    TopicSupport,
    WebinarEmail,
    WebinarIndexPage,
    WebinarPage,
    WebinarRelated,
    WebinarSeriesPage,
    WebinarSpeaker,
)

INDEX = {
    "title": "Webinars",
    "slug": "webinars",
    "intro": "Live online sessions on what child death reviews are teaching us, "
    "for everyone who works with children and families. Free to join, with "
    "recordings and transcripts afterwards.",
}

SERIES = {
    "title": "QI webinar series 2026",
    "slug": "qi-webinar-series-2026",
    "summary": "Quality improvement webinars for each group we work with, on "
    "topics people working in child death review asked us to cover.",
    "intro": _rich(
        "Each webinar takes one finding from child death reviews and looks at "
        "what services can change. Speakers share what they tried, what worked "
        "and what did not.",
        "Every session has live captions, and a recording and transcript "
        "afterwards. Topics come from you: propose one, or support someone "
        "else's, on the webinars page.",
    ),
    "themes": ["cdr-process", "safe-sleep", "suicide-self-harm"],
    "audiences": ["cdr-professionals", "cdop-administrators", "schools"],
}

# (name, role, organisation, photo colour or None)
SPEAKERS = [
    (
        "Dr Amara Okonjo",
        "Designated doctor for child deaths",
        "Three Rivers Child Death Overview Panel",
        (0, 94, 184),
    ),
    (
        "Helen Marsh",
        "CDOP business manager",
        "Pennine and Dales CDOP",
        (0, 127, 59),
    ),
    (
        "Rebecca Lowe",
        "Specialist health visitor, infant sleep",
        "Northshire NHS Trust",
        None,
    ),
    (
        "Daniel Price",
        "Head of pastoral care",
        "Pendle Edge Learning Trust",
        (51, 0, 114),
    ),
    ("Sam Whitfield", "Bereavement key worker", "Northshire CDOP", None),
]

TRANSCRIPT_CDR = "\n\n".join(
    [
        "Helen Marsh: Good morning, everyone, and welcome. I'm Helen, and I manage the "
        "child death overview panel for Pennine and Dales. With me is Dr Amara Okonjo. "
        "Captions are on; you can turn them off in the meeting controls.",
        "Helen Marsh: Today is about what happened when several areas merged their "
        "child death review arrangements. We'll cover how we planned it, who we "
        "involved, and what we would do differently.",
        "Dr Amara Okonjo: The first thing we did was name three people: a project "
        "manager, someone to run the workshops, and a senior officer who could unblock "
        "decisions. Without that senior sponsor, the work stalls the first time two "
        "organisations disagree about money.",
        "Dr Amara Okonjo: Next, we wrote down a shared vision in one paragraph: a "
        "review process focused on outcomes for children, that uses partners' strengths"
        " and closes gaps between areas. Everything else was tested against it.",
        "Helen Marsh: We set up a task and finish group of panel specialists from each "
        "area, designated doctors and nurses and business managers, and a wider "
        "steering group with police, hospitals, coroners, commissioners and children's "
        "services.",
        "Helen Marsh: One principle mattered most: every review is grounded in respect "
        "for the rights of children and their families. We kept coming back to that "
        "when process questions got hard.",
        "Dr Amara Okonjo: On communication: tell people early and often. We wrote a "
        "short brief for each organisation and made sure each commissioning body had a "
        "named lead who took it to their senior team.",
        "Helen Marsh: What would we do differently? Talk to hospitals and coroners "
        "sooner about the child death review meeting. That was where most of our delays"
        " came from.",
        "Helen Marsh: Thank you for joining. The slides and this recording will be on "
        "the webinar page, and please do fill in the feedback form: it decides what we "
        "cover next.",
    ]
)

TRANSCRIPT_SLEEP = "\n\n".join(
    [
        "Rebecca Lowe: Hello, and thank you for joining. I'm Rebecca, a specialist "
        "health visitor working on infant sleep. Captions and a British Sign Language "
        "interpreter are on screen.",
        "Rebecca Lowe: Reviews of sudden unexpected deaths in infancy keep pointing to "
        "the same circumstances: a baby sleeping on a sofa or armchair with an adult, "
        "or sharing a bed after the adult has drunk alcohol, taken drugs or smoked.",
        "Rebecca Lowe: The advice itself is simple. Every sleep, day and night: on the "
        "back, on a firm flat mattress, with nothing else in the cot, in the same room "
        "as a parent or carer for the first six months.",
        "Dr Amara Okonjo: What reviews show is that the advice is often known but not "
        "followed when plans change: a night away from home, a very tired parent, a "
        "baby who will only settle on someone. So our teams now talk through those "
        "moments, not just the routine.",
        "Rebecca Lowe: We changed three things. Midwives and health visitors ask the "
        "same questions at each contact, so families hear one message. Early years "
        "staff have a short script for talking to parents. And every contact is "
        "recorded, so the next professional can follow it up.",
        "Dr Amara Okonjo: We audit a sample of records every quarter. It tells us "
        "whether the conversation is happening, which is the part we can change.",
        "Rebecca Lowe: The safer sleep QI pack on this site has the full plan and "
        "materials for each audience. Thank you all for coming, and for the questions "
        "in the chat.",
    ]
)

WEBINARS = [
    {
        "slug": "merging-child-death-review-arrangements",
        "title": "Merging child death review arrangements: what the early adopters "
        "learned",
        "summary": "Panel managers and a designated doctor share how they brought "
        "several areas' child death review arrangements together, and what they "
        "would do differently.",
        "days": -70,
        "start": (10, 0),
        "minutes": 60,
        "capacity": 60,
        "themes": ["cdr-process"],
        "audiences": ["cdr-professionals", "cdop-administrators", "commissioners"],
        "speakers": ["Helen Marsh", "Dr Amara Okonjo"],
        "captions": True,
        "bsl": False,
        "notes": "Slides are shared beforehand on request, for people using screen "
        "readers or magnifiers.",
        "related": [
            ("learning", "7-minute-briefing-new-child-death-review-arrangements"),
            ("learning", "what-changed-in-child-death-review"),
        ],
        "registered": 26,
        "cancelled": 3,
        "attending": 19,
        "feedback": [
            (
                5,
                "The honest account of what went wrong with hospitals.",
                "Chairing CDR meetings",
            ),
            (5, "Having a named senior sponsor: we do not have one.", ""),
            (
                4,
                "Useful checklist of who to involve.",
                "Using local data at panel level",
            ),
            (4, "", "How to involve parents"),
            (4, "The one-paragraph vision idea.", ""),
            (
                3,
                "Good, but I wanted more on costs.",
                "Funding models for merged panels",
            ),
            (5, "Clear and practical.", "Chairing CDR meetings"),
            (2, "Too focused on large areas for us.", "Small panels"),
        ],
        "embed": "https://www.youtube.com/watch?v=cdrWebinar1",
        "transcript": TRANSCRIPT_CDR,
        "slides": "Merging child death review arrangements (slides)",
        "learned": _rich(
            "Name a project manager, a facilitator and a senior sponsor before "
            "anything else; the sponsor unblocks decisions between organisations.",
            "Agree a short shared vision and test every decision against it.",
            "Bring hospitals and coroners in early: the child death review meeting is "
            "where most delays came from.",
        ),
    },
    {
        "slug": "safer-sleep-from-review-to-practice",
        "title": "Safer sleep: from review findings to everyday practice",
        "summary": "What reviews of sudden unexpected deaths in infancy tell us, and "
        "how midwives, health visitors and early years staff changed the "
        "conversations they have with families.",
        "days": -21,
        "start": (13, 30),
        "minutes": 75,
        "capacity": 80,
        "themes": ["safe-sleep"],
        "audiences": ["midwives", "health-visitors", "early-years"],
        "speakers": ["Rebecca Lowe", "Dr Amara Okonjo"],
        "captions": True,
        "bsl": True,
        "notes": "",
        "related": [
            ("qi-packs", "safer-sleep-sudden-unexpected-death-infancy"),
            ("safety-messages", "safer-sleep"),
            ("safety-messages", "bed-sharing-alcohol-smoking"),
        ],
        "registered": 34,
        "cancelled": 2,
        "attending": 25,
        "feedback": [
            (
                5,
                "Talking through the moments when plans change.",
                "Safer sleep for twins",
            ),
            (5, "The early years script is brilliant.", ""),
            (
                5,
                "Quarterly audit of records: simple and doable.",
                "Data at panel level",
            ),
            (4, "Good mix of evidence and practice.", "Sleep and premature babies"),
            (4, "The BSL interpreter made it accessible for our team.", ""),
            (4, "", "Water safety"),
            (3, "Knew most of it already.", "More on fathers and partners"),
            (5, "One message from every professional: yes.", ""),
            (4, "Useful links to the QI pack.", "Car seats"),
        ],
        "embed": "https://youtu.be/SaferSleep2",
        "transcript": TRANSCRIPT_SLEEP,
        "slides": "Safer sleep: from review findings to everyday practice (slides)",
        "learned": _rich(
            "Families often know the advice; risk rises when plans change (a night "
            "away, an exhausted parent, a baby who will only settle on someone).",
            "One consistent message from every professional at every contact, "
            "recorded so that the next person can follow it up.",
            "A quarterly audit of a sample of records shows whether the "
            "conversations are happening.",
        ),
    },
    {
        "slug": "self-harm-and-suicide-what-schools-can-do",
        "title": "Child suicide and self-harm: what schools can do",
        "summary": "Learning from reviews of deaths by suicide, for school and college "
        "staff: noticing, asking, and working with health and social care.",
        "days": 16,
        "start": (15, 45),
        "minutes": 60,
        "capacity": 12,
        "themes": ["suicide-self-harm"],
        "audiences": ["schools", "cdr-professionals"],
        "speakers": ["Daniel Price", "Dr Amara Okonjo"],
        "captions": True,
        "bsl": True,
        "notes": "This webinar talks about suicide and self-harm. You can leave at any "
        "time; the slides list where to find support.",
        "related": [("qi-packs", "learning-from-child-suicide-and-self-harm")],
        "registered": 12,
        "waitlisted": 5,
        "cancelled": 1,
    },
    {
        "slug": "involving-parents-in-child-death-review",
        "title": "Involving parents in the child death review",
        "summary": "How key workers and panels can keep bereaved parents informed, ask "
        "for their questions, and tell them what the review found.",
        "days": 44,
        "start": (12, 30),
        "minutes": 90,
        "capacity": 80,
        "themes": ["bereaved-families", "cdr-process"],
        "audiences": ["cdr-professionals", "cdop-administrators"],
        "speakers": ["Sam Whitfield", "Helen Marsh"],
        "captions": True,
        "bsl": False,
        "notes": "",
        "related": [("learning", "crib-sheet-involving-parents")],
        "registered": 9,
        "cancelled": 0,
    },
]

# (title, why, audience slug, status, confirmed supporters, webinar slug)
PROPOSALS = [
    (
        "Chairing effective child death review meetings",
        "New chairs tell us they learn on the job. A session on preparing, keeping "
        "the meeting on learning rather than blame, and agreeing actions would help.",
        "cdr-professionals",
        TopicProposal.Status.PUBLISHED,
        14,
        "",
    ),
    (
        "Using local child death data at panel level",
        "We send data nationally but rarely use our own figures to pick local "
        "priorities. Examples of panels doing this well would be useful.",
        "cdop-administrators",
        TopicProposal.Status.PUBLISHED,
        9,
        "",
    ),
    (
        "Water safety messages before the summer",
        "Drownings cluster in warm spells. Early years settings and schools could "
        "share one message with families before the holidays.",
        "early-years",
        TopicProposal.Status.PUBLISHED,
        6,
        "",
    ),
    (
        "Working with the police in the joint agency response",
        "Health and police colleagues describe the first days after a sudden death "
        "differently. A joint session on roles would help both.",
        "police",
        TopicProposal.Status.PUBLISHED,
        4,
        "",
    ),
    (
        "Involving parents in the child death review process",
        "Parents say they are not told what happens or what was found. Hearing how "
        "key workers keep families informed would help panels do better.",
        "parents-carers",
        TopicProposal.Status.SCHEDULED,
        11,
        "involving-parents-in-child-death-review",
    ),
]

FIRST_NAMES = [
    "Aisha", "Ben", "Chloe", "David", "Emma", "Farah", "George", "Hannah", "Imran",
    "Jess", "Karim", "Laura", "Mark", "Nadia", "Owen", "Priya", "Rachel", "Simon",
    "Tara", "Usman", "Vicky", "Will", "Yasmin", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Ahmed", "Baker", "Clarke", "Davies", "Evans", "Fletcher", "Green", "Hussain",
    "Jones", "Khan", "Lewis", "Morgan", "Nolan", "Patel", "Roberts", "Shaw",
    "Taylor", "Walsh",
]  # fmt: skip
ORGANISATIONS = [
    ("Northshire CDOP", "CDOP manager"),
    ("Three Rivers Child Death Overview Panel", "Designated nurse"),
    ("Pennine and Dales CDOP", "Panel administrator"),
    ("Northshire NHS Trust", "Health visitor"),
    ("Riverside Hospitals NHS Foundation Trust", "Midwife"),
    ("Marlbrook County Council", "Safeguarding lead"),
    ("Pendle Edge Learning Trust", "Designated safeguarding lead"),
    ("Irwell Valley Integrated Care Board", "Commissioner"),
]


# --- Files ------------------------------------------------------------------------


def _pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF with a title and some lines of text."""

    def text(value: str) -> bytes:
        safe = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return safe.encode("latin-1", "replace")

    stream = b"BT /F1 20 Tf 56 780 Td (" + text(title) + b") Tj ET\n"
    y = 740
    for line in lines:
        stream += b"BT /F1 12 Tf 56 %d Td (" % y + text(line) + b") Tj ET\n"
        y -= 22
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _slides(title: str, spec: dict):
    """The slides as a wagtail document (found by title, made once)."""
    model = get_document_model()
    document = model.objects.filter(title=title).first()
    if document is None:
        lines = [spec["summary"][:90], "", "Speakers: " + ", ".join(spec["speakers"])]
        lines += [f"- {p}" for p in _paragraphs(spec["learned"])]
        document = model(title=title)
        document.file.save(
            f"{spec['slug']}-slides.pdf", ContentFile(_pdf(title, lines)), save=False
        )
        document._set_document_file_metadata()
        document.save()
    return document


def _paragraphs(html: str) -> list[str]:
    return [p.split("</p>")[0][:95] for p in html.split("<p>")[1:]]


def _portrait(colour: tuple[int, int, int]) -> bytes:
    """A plain illustrated head-and-shoulders silhouette (no real person)."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    image = PILImage.new("RGB", (240, 240), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 40, 160, 120), fill=(240, 244, 245))
    draw.ellipse((40, 130, 200, 290), fill=(240, 244, 245))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _speaker_photo(name: str, colour):
    if colour is None:
        return None, ""
    model = get_image_model()
    title = f"Placeholder portrait: {name}"
    image = model.objects.filter(title=title).first()
    if image is None:
        image = model(title=title)
        slug = name.lower().replace(" ", "-").replace(".", "")
        image.file = ImageFile(io.BytesIO(_portrait(colour)), name=f"{slug}.png")
        image._set_image_file_metadata()
        image.save()
    return (
        image,
        "Illustrated placeholder: a pale head-and-shoulders outline on a plain "
        "background",
    )


def seed_speakers() -> dict[str, Speaker]:
    speakers = {}
    for name, role, organisation, colour in SPEAKERS:
        speaker = Speaker.objects.filter(name=name).first()
        if speaker is None:
            photo, alt = _speaker_photo(name, colour)
            speaker = Speaker.objects.create(
                name=name,
                role=role,
                organisation=organisation,
                photo=photo,
                photo_alt=alt,
            )
        speakers[name] = speaker
    return speakers


# --- Pages ------------------------------------------------------------------------


def _vocabulary(model, slugs: list[str]) -> list:
    terms = {t.slug: t for t in model.objects.filter(slug__in=slugs)}
    return [terms[s] for s in slugs if s in terms]


def _related_page(home: HomePage, where: str, slug: str) -> Page | None:
    index = Page.objects.child_of(home).filter(slug=where).first()
    if index is None:
        return None
    return Page.objects.child_of(index).filter(slug=slug).first()


def _start(today: dt.date, days: int, hour: int, minute: int) -> dt.datetime:
    """``days`` from ``today``, moved to the next Tuesday to Thursday, in UK time."""
    day = today + dt.timedelta(days=days)
    while day.weekday() not in (1, 2, 3):
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UK)


def _find_or_add(parent: Page, model, slug: str, build):
    page = model.objects.child_of(parent).filter(slug=slug).first()
    created = page is None
    if created:
        page = build()
        parent.add_child(instance=page)
        page.save_revision().publish()
        page.refresh_from_db()
    return page, created


def seed_pages(home: HomePage, today: dt.date, speakers) -> tuple[dict, list]:
    index, _ = _find_or_add(
        home, WebinarIndexPage, INDEX["slug"], lambda: WebinarIndexPage(**INDEX)
    )

    def build_series():
        page = WebinarSeriesPage(
            title=SERIES["title"],
            slug=SERIES["slug"],
            summary=SERIES["summary"],
            intro=SERIES["intro"],
            last_reviewed=today,
        )
        page.themes.add(*_vocabulary(Theme, SERIES["themes"]))
        page.audiences.add(*_vocabulary(Audience, SERIES["audiences"]))
        return page

    series, _ = _find_or_add(index, WebinarSeriesPage, SERIES["slug"], build_series)
    pages: dict[str, Page] = {"webinars": index, SERIES["slug"]: series}
    created = []
    for spec in WEBINARS:

        def build(spec=spec):
            starts = _start(today, spec["days"], *spec["start"])
            page = WebinarPage(
                title=spec["title"],
                slug=spec["slug"],
                summary=spec["summary"],
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=spec["minutes"]),
                capacity=spec["capacity"],
                join_url=f"https://meet.example.net/webinars/{spec['slug']}",
                join_instructions="Meeting ID 000 000 000, passcode 2026. You can "
                "also join by phone: see the meeting invitation.",
                captions=spec["captions"],
                bsl=spec["bsl"],
                accessibility_notes=spec["notes"],
                recording_embed_url=spec.get("embed", ""),
                transcript=spec.get("transcript", ""),
                slides=_slides(spec["slides"], spec) if spec.get("slides") else None,
                what_we_learned=spec.get("learned", ""),
                last_reviewed=today,
            )
            page.themes.add(*_vocabulary(Theme, spec["themes"]))
            page.audiences.add(*_vocabulary(Audience, spec["audiences"]))
            for order, name in enumerate(spec["speakers"]):
                page.speaker_links.add(
                    WebinarSpeaker(speaker=speakers[name], sort_order=order)
                )
            order = 0
            for where, slug in spec["related"]:
                target = _related_page(home, where, slug)
                if target is not None:
                    page.related_links.add(
                        WebinarRelated(page=target, sort_order=order)
                    )
                    order += 1
            return page

        page, is_new = _find_or_add(series, WebinarPage, spec["slug"], build)
        pages[spec["slug"]] = page
        if is_new:
            created.append((page, spec))
    return pages, created


# --- People -----------------------------------------------------------------------


def _people(rng: random.Random, count: int, taken: set[str]) -> list[dict]:
    people = []
    while len(people) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}@example.org".lower()
        if email in taken:
            continue
        taken.add(email)
        organisation, role = rng.choice(ORGANISATIONS)
        people.append(
            {
                "name": f"{first} {last}",
                "email": email,
                "organisation": organisation,
                "role": role,
            }
        )
    return people


def _record_sent(registration: Registration, kinds: list[str]) -> None:
    """Mark emails as already sent (the demo sends none)."""
    for kind in kinds:
        WebinarEmail.objects.get_or_create(
            registration=registration, kind=kind, occasion=""
        )


def seed_registrations(page: WebinarPage, spec: dict, rng: random.Random) -> list:
    """Registrations (with places, waiting, cancelled) for a new webinar."""
    taken: set[str] = set()
    opened = page.starts_at - dt.timedelta(days=30)
    made = []
    groups = [
        (Registration.Status.REGISTERED, spec["registered"]),
        (Registration.Status.WAITLISTED, spec.get("waitlisted", 0)),
        (Registration.Status.CANCELLED, spec.get("cancelled", 0)),
    ]
    minute = 0
    for status, count in groups:
        for person in _people(rng, count, taken):
            minute += rng.randint(20, 600)
            created_at = min(opened + dt.timedelta(minutes=minute), timezone.now())
            registration = Registration.objects.create(
                webinar=page,
                status=status,
                created_at=created_at,
                cancelled_at=created_at + dt.timedelta(days=2)
                if status == Registration.Status.CANCELLED
                else None,
                **person,
            )
            first = (
                WebinarEmail.Kind.WAITLISTED
                if status == Registration.Status.WAITLISTED
                else WebinarEmail.Kind.CONFIRMATION
            )
            _record_sent(registration, [first])
            made.append(registration)
    return made


def _teams_report(page: WebinarPage, attendees: list[Registration], rng) -> bytes:
    """The webinar's attendance as Microsoft Teams exports it (UTF-16, tabs)."""
    start = timezone.localtime(page.starts_at, UK)
    lines = [
        "1. Summary",
        f"Meeting title\t{page.title}",
        f"Attended participants\t{len(attendees) + 3}",
        f"Start time\t{start:%m/%d/%y}, {start:%I:%M:%S %p}",
        "",
        "2. Participants",
        "Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\t"
        "Participant ID (UPN)\tRole",
    ]
    for name, email, role in (
        ("Webinar host", "host@example.net", "Organizer"),
        ("Caller 1", "", "Attendee"),
    ):
        lines.append(
            f"{name}\t{start:%m/%d/%y, %I:%M:%S %p}\t\t1h 2m 5s\t{email}\t"
            f"{email}\t{role}"
        )
    for registration in attendees:
        minutes = rng.randint(25, page.duration_minutes)
        seconds = rng.randint(0, 59)
        length = (
            f"{minutes // 60}h {minutes % 60}m {seconds}s"
            if minutes >= 60
            else f"{minutes}m {seconds}s"
        )
        lines.append(
            f"{registration.name}\t{start:%m/%d/%y, %I:%M:%S %p}\t\t{length}\t"
            f"{registration.email}\t{registration.email}\tAttendee"
        )
    lines.append(
        f"Visiting colleague\t{start:%m/%d/%y, %I:%M:%S %p}\t\t40m 0s\t"
        "visitor@example.net\tvisitor@example.net\tAttendee"
    )
    lines += ["", "3. In-Meeting Activities", "Name\tJoin Time\tLeave Time\tDuration"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-16")


def seed_past_webinar(page: WebinarPage, spec: dict, people: list, rng) -> None:
    """Attendance (imported as a Teams report), feedback and emails sent."""
    from .attendance import import_attendance
    from .reminders import recording_key

    with_place = [r for r in people if r.status == Registration.Status.REGISTERED]
    attendees = rng.sample(with_place, spec["attending"])
    if not AttendanceImport.objects.filter(webinar=page).exists():
        import_attendance(
            page,
            _teams_report(page, attendees, rng),
            filename=f"{page.slug}-attendance-report.csv",
            now=page.ends_at + dt.timedelta(hours=2),
        )
    for registration in people:
        if registration.status != Registration.Status.CANCELLED:
            _record_sent(registration, [WebinarEmail.Kind.RECORDING])
    for (rating, useful, next_topics), registration in zip(
        spec["feedback"], attendees, strict=False
    ):
        Feedback.objects.get_or_create(
            registration=registration,
            defaults={
                "webinar": page,
                "rating": rating,
                "useful": useful,
                "next_topics": next_topics,
                "created_at": page.ends_at + dt.timedelta(hours=rng.randint(1, 72)),
            },
        )
    _record_broadcast_not_sent(page, recording_key(page.pk))


def _record_broadcast_not_sent(page: WebinarPage, key: str) -> None:
    """The "recording available" broadcast, recorded as cancelled: never sent."""
    from bulletins.models import Send

    Send.objects.get_or_create(
        key=key,
        defaults={
            "kind": Send.Kind.WEBINAR,
            "status": Send.Status.CANCELLED,
            "page": page,
            "subject": f"Recording available: {page.title}",
            "text": "Demo content: this announcement was never sent.\n",
        },
    )


# --- Topic proposals --------------------------------------------------------------


def seed_proposals(pages: dict, today: dt.date) -> list[TopicProposal]:
    proposals = []
    rng = random.Random(2026)  # noqa: S311 - made-up names, not secrets
    for order, (title, why, audience, status, supporters, webinar) in enumerate(
        PROPOSALS
    ):
        proposal = TopicProposal.objects.filter(title=title).first()
        if proposal is None:
            created = timezone.now() - dt.timedelta(days=90 - order * 9)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            proposal = TopicProposal.objects.create(
                title=title,
                why=why,
                audience=Audience.objects.filter(slug=audience).first(),
                proposer_name=f"{first} {last}",
                proposer_email=f"proposer{order + 1}@example.org",
                status=status,
                created_at=created,
                confirmed_at=created + dt.timedelta(minutes=12),
                moderated_at=created + dt.timedelta(days=1),
                webinar=pages.get(webinar) if webinar else None,
            )
            for number in range(supporters):
                moment = created + dt.timedelta(days=2, hours=number * 7)
                TopicSupport.objects.create(
                    proposal=proposal,
                    email=f"supporter{number + 1}.topic{order + 1}@example.org",
                    created_at=moment,
                    confirmed_at=moment + dt.timedelta(minutes=5),
                )
            proposal.support_count = proposal.supports.filter(
                confirmed_at__isnull=False
            ).count()
            proposal.save(update_fields=["support_count"])
        proposals.append(proposal)
    return proposals


@transaction.atomic
def load_webinars_demo(home: HomePage, today: dt.date | None = None) -> dict:
    """Create (or find) the webinars demo under ``home``; pages keyed by slug,
    and the topic proposals under "proposals"."""
    today = today or timezone.localdate()
    speakers = seed_speakers()
    pages, created = seed_pages(home, today, speakers)
    for page, spec in created:
        rng = random.Random(spec["slug"])  # noqa: S311 - repeatable demo data
        people = seed_registrations(page, spec, rng)
        if page.is_past:
            seed_past_webinar(page, spec, people, rng)
    result: dict = dict(pages)
    result["proposals"] = seed_proposals(pages, today)
    return result
