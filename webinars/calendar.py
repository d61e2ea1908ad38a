"""Calendar entries for webinars (icalendar): invitations and feeds.

Times are written in Europe/London with the zone's VTIMEZONE included, so a
calendar shows the right local time on both sides of a clock change and the
instant is the same as the UTC one stored. The VTIMEZONE is the UK rule written
once as two yearly RRULEs (last Sunday of March and of October, as Google and
Microsoft write it), not a list of RDATEs: Outlook misreads RDATE-based zones and
puts events an hour out. Each webinar has one UID for ever
(``webinar-<id>@<host>``); an update or cancellation goes out with a higher
``SEQUENCE`` (``WebinarPage.ics_sequence``), so calendars replace the entry
rather than add a second one. A registrant's own entry moves on from there with
their own comings and goings (``sequence``): cancelling their place sends a
CANCEL one higher than the REQUEST it withdraws, and registering again a REQUEST
one higher than that CANCEL, so every message about the entry is newer than the
last and no calendar is left holding a cancellation it should have replaced.

Only a registrant's own invitation carries the join link. Feeds and the public
"add to calendar" file never do.
"""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)

from bulletins.models import absolute
from bulletins.models.sending import message_domain

LONDON = ZoneInfo("Europe/London")
PRODID = "-//Child Death Review Learning//Webinars//EN"
CONTENT_TYPE = "text/calendar"


def london_timezone() -> Timezone:
    """Europe/London as a VTIMEZONE: BST from 01:00 GMT on the last Sunday of
    March, GMT from 02:00 BST on the last Sunday of October (the rule since 1996)."""
    zone = Timezone()
    zone.add("tzid", "Europe/London")
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("tzoffsetfrom", dt.timedelta(0))
    summer.add("tzoffsetto", dt.timedelta(hours=1))
    # Local times: when each change starts, on the clock before it.
    summer.add("dtstart", dt.datetime(1970, 3, 29, 1))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1SU"})
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("tzoffsetfrom", dt.timedelta(hours=1))
    winter.add("tzoffsetto", dt.timedelta(0))
    winter.add("dtstart", dt.datetime(1970, 10, 25, 2))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1SU"})
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def uid(webinar) -> str:
    return f"webinar-{webinar.pk}@{message_domain()}"


def sequence(webinar, registration=None) -> int:
    """The entry's SEQUENCE: the webinar's; on a registrant's invitation, plus
    two for each registration the same address made for it before this one
    (``Registration.earlier_registrations``, counted when it was made), plus one
    if this one is cancelled. For one address the messages go REQUEST 0,
    CANCEL 1, REQUEST 2 and so on, each higher than every one before it, with the
    webinar's own changes added."""
    if registration is None:
        return webinar.ics_sequence
    cancelled = registration.status == type(registration).Status.CANCELLED
    return (
        webinar.ics_sequence + 2 * registration.earlier_registrations + int(cancelled)
    )


def _calendar(method: str, name: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Europe/London")
    calendar.add_component(london_timezone())
    return calendar


def event(
    webinar,
    *,
    registration=None,
    manage_url: str = "",
    cancelled: bool = False,
    stamp: dt.datetime | None = None,
) -> Event:
    """The webinar as a VEVENT: with the join link only for a ``registration``."""
    entry = Event()
    entry.add("uid", uid(webinar))
    entry.add("sequence", sequence(webinar, registration))
    entry.add("dtstamp", stamp or timezone.now())
    entry.add("dtstart", webinar.starts_at.astimezone(LONDON))
    entry.add("dtend", webinar.ends_at.astimezone(LONDON))
    entry.add("summary", webinar.title)
    public_url = absolute(webinar.url or "")
    lines = [webinar.summary]
    if registration is not None and webinar.join_url and not cancelled:
        entry.add("location", webinar.join_url)
        entry.add("url", webinar.join_url)
        lines.append(f"Join: {webinar.join_url}")
        if webinar.join_instructions:
            lines.append(webinar.join_instructions)
    else:
        entry.add("location", "Online")
        if public_url:
            entry.add("url", public_url)
    if public_url:
        lines.append(f"About this webinar: {public_url}")
    if manage_url:
        lines.append(f"Your registration (view or cancel): {manage_url}")
    entry.add("description", "\n\n".join(line for line in lines if line))
    if cancelled:
        entry.add("status", "CANCELLED")
    else:
        entry.add("status", "CONFIRMED")
    if registration is not None:
        organiser = vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
        organiser.params["cn"] = vText("Child Death Review Learning")
        entry.add("organizer", organiser)
        attendee = vCalAddress(f"mailto:{registration.email}")
        attendee.params["cn"] = vText(registration.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("DECLINED" if cancelled else "ACCEPTED")
        entry.add("attendee", attendee)
    return entry


def invitation(webinar, registration, *, manage_url: str = "") -> str:
    """A registrant's calendar file: REQUEST, or CANCEL when the webinar is
    cancelled or their place is."""
    cancelled = bool(webinar.is_cancelled or registration.status == "cancelled")
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(
        event(
            webinar,
            registration=registration,
            manage_url=manage_url,
            cancelled=cancelled,
        )
    )
    return calendar.to_ical().decode("utf-8")


def attachment(webinar, registration, *, manage_url: str = "") -> dict:
    """The invitation as a ``bulletins`` attachment (``send_transactional``)."""
    content = invitation(webinar, registration, manage_url=manage_url)
    method = "CANCEL" if "METHOD:CANCEL" in content else "REQUEST"
    return {
        "filename": "webinar.ics",
        "content_type": f"{CONTENT_TYPE}; method={method}",
        "content": content,
    }


def feed(webinars, *, name: str) -> str:
    """A published calendar of ``webinars`` (no join links).

    Each entry is stamped with when its page was last published, so the same
    webinars give the same file (and the same ETag) until something changes.
    With ``name`` "" it is one webinar's "add to calendar" file rather than a
    calendar to subscribe to.
    """
    calendar = _calendar("PUBLISH", name)
    now = timezone.now()
    for webinar in webinars:
        stamp = getattr(webinar, "last_published_at", None) or now
        calendar.add_component(
            event(webinar, cancelled=webinar.is_cancelled, stamp=stamp)
        )
    return calendar.to_ical().decode("utf-8")
